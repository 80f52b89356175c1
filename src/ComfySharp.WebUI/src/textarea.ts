// Multiline STRING inputs as real <textarea> elements laid over the canvas, following pan and zoom.
import type { LGraphCanvas, LGraphNode } from "@comfyorg/litegraph";
import type { IBaseWidget } from "@comfyorg/litegraph/dist/types/widgets";

const live = new Set<{ element: HTMLTextAreaElement; frame: number; node: LGraphNode }>();
let frame = 0;

/** Wraps the canvas's draw so that textareas of nodes not drawn in a frame are hidden. */
export function trackTextareas(canvas: LGraphCanvas): void {
  const draw = canvas.draw.bind(canvas);
  canvas.draw = (fg?: unknown, bg?: unknown) => {
    // Only a frame that redraws the nodes says which textareas are on screen.
    const front = canvas.dirty_canvas || !!fg;
    if (front) frame++;
    draw(fg as boolean, bg as boolean);
    if (!front) return;
    for (const entry of live) {
      const gone = !entry.node.graph;
      if (gone) {
        entry.element.remove();
        live.delete(entry);
      } else if (entry.frame !== frame) {
        entry.element.style.display = "none";
      }
    }
  };
}

export function addTextareaWidget(node: LGraphNode, name: string, value: string, canvasOf: () => LGraphCanvas, placeholder?: string): IBaseWidget {
  const element = document.createElement("textarea");
  element.className = "cs-textarea";
  element.dataset.node = String(node.id);
  element.dataset.widget = name;
  element.spellcheck = false;
  element.placeholder = placeholder ?? name;
  element.value = value;
  element.style.display = "none";
  document.body.appendChild(element);
  const entry = { element, frame: -1, node };
  live.add(entry);
  const widget = {
    type: "customtext",
    name,
    options: {},
    y: 0,
    get value() {
      return element.value;
    },
    set value(v: string) {
      element.value = v;
    },
    computeSize(width?: number): [number, number] {
      return [width ?? 300, 90];
    },
    draw(ctx: CanvasRenderingContext2D, drawn: LGraphNode, widgetWidth: number, y: number) {
      const canvas = canvasOf();
      entry.node = drawn;
      element.dataset.node = String(drawn.id);
      const scale = canvas.ds.scale;
      if (scale < 0.35 || drawn.flags?.collapsed) {
        ctx.fillStyle = "#222";
        ctx.fillRect(10, y, widgetWidth - 20, 80);
        return;
      }
      const rect = canvas.canvas.getBoundingClientRect();
      const [sx, sy] = canvas.ds.convertOffsetToCanvas([drawn.pos[0] + 10, drawn.pos[1] + y]);
      entry.frame = frame;
      Object.assign(element.style, {
        display: "block",
        left: `${rect.left + window.scrollX + sx}px`,
        top: `${rect.top + window.scrollY + sy}px`,
        width: `${(widgetWidth - 20) * scale}px`,
        height: `${Math.max(16, (drawn.size[1] - y - 6) * scale)}px`,
        fontSize: `${12 * scale}px`,
      });
    },
  };
  element.addEventListener("input", () => node.graph?.setDirtyCanvas(true, false));
  element.addEventListener("change", () => element.dispatchEvent(new CustomEvent("cs-graph-change", { bubbles: true })));
  const removed = node.onRemoved;
  node.onRemoved = function (this: LGraphNode) {
    element.remove();
    live.delete(entry);
    removed?.call(this);
  };
  return node.addCustomWidget(widget as unknown as IBaseWidget);
}
