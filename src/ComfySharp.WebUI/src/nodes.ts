// Node types built from /object_info: slots for links, widgets for values (INT/FLOAT/STRING/BOOLEAN/COMBO).
import { LGraphCanvas, LGraphNode, LiteGraph, RenderShape } from "@comfyorg/litegraph";
import type { IBaseWidget } from "@comfyorg/litegraph/dist/types/widgets";
import type { ComfyApi, Json, JsonObject } from "./api";
import { type ImageRef, openMaskEditor } from "./maskeditor";
import { addTextareaWidget } from "./textarea";

export interface NodeDef {
  input?: { required?: Record<string, Json[]>; optional?: Record<string, Json[]>; hidden?: JsonObject };
  input_order?: { required?: string[]; optional?: string[] };
  output?: string[];
  output_is_list?: boolean[];
  output_name?: string[];
  name: string;
  display_name?: string;
  description?: string;
  category?: string;
  output_node?: boolean;
}
export type ObjectInfo = Record<string, NodeDef>;

export const WIDGET_TYPES = new Set(["INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"]);
export const CONTROL_VALUES = ["fixed", "increment", "decrement", "randomize"];
/** Nodes that exist only in the editor; never sent to the server. */
export const UI_ONLY_NODES = new Set(["Note", "MarkdownNote", "Reroute", "PrimitiveNode"]);

export interface InputSpec {
  name: string;
  type: string;
  options: JsonObject;
  values?: string[];
  optional: boolean;
}

/** The inputs of a node definition in the order the frontend lays them out. */
export function inputSpecs(def: NodeDef): InputSpec[] {
  const specs: InputSpec[] = [];
  for (const section of ["required", "optional"] as const) {
    const entries = def.input?.[section] ?? {};
    const order = def.input_order?.[section] ?? Object.keys(entries);
    for (const name of order) {
      const spec = entries[name];
      if (!Array.isArray(spec) || spec.length === 0) continue;
      const options = (spec.length > 1 && spec[1] && typeof spec[1] === "object" && !Array.isArray(spec[1]) ? spec[1] : {}) as JsonObject;
      if (Array.isArray(spec[0])) {
        specs.push({ name, type: "COMBO", options, values: spec[0].map(String), optional: section === "optional" });
      } else {
        const type = String(spec[0]);
        const values = type === "COMBO" && Array.isArray(options.options) ? options.options.map(String) : undefined;
        specs.push({ name, type, options, values, optional: section === "optional" });
      }
    }
  }
  return specs;
}

export function isWidget(spec: InputSpec): boolean {
  return WIDGET_TYPES.has(spec.type) && spec.options.forceInput !== true;
}

export function hasControlAfterGenerate(spec: InputSpec): boolean {
  if (typeof spec.options.control_after_generate === "boolean") return spec.options.control_after_generate;
  return spec.type === "INT" && (spec.name === "seed" || spec.name === "noise_seed");
}

function num(value: Json | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

/** Decimal places that show a FLOAT with the given step or round. */
function precisionOf(step: number): number {
  const text = String(step);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : Math.min(6, text.length - dot - 1);
}

export interface ComfyContext {
  api: ComfyApi;
  canvas: () => LGraphCanvas;
  changed: () => void;
}

export type ComfyNode = LGraphNode & { comfyClass: string; imgs?: HTMLImageElement[]; explicitTitle?: boolean };

const noop = () => {};

function addWidgets(node: ComfyNode, spec: InputSpec, ctx: ComfyContext): void {
  const o = spec.options;
  const tooltip = typeof o.tooltip === "string" ? o.tooltip : undefined;
  let widget: IBaseWidget | undefined;
  switch (spec.type) {
    case "INT": {
      const step = num(o.step, 1);
      widget = node.addWidget("number", spec.name, num(o.default, 0), noop, {
        min: num(o.min, -Number.MAX_SAFE_INTEGER), max: num(o.max, Number.MAX_SAFE_INTEGER), step2: step, precision: 0,
      });
      widget.callback = (v: number) => {
        const min = num(o.min, -Infinity);
        const rounded = Math.round((v - (Number.isFinite(min) ? min : 0)) / step) * step + (Number.isFinite(min) ? min : 0);
        widget!.value = Math.min(num(o.max, Infinity), Math.max(min, rounded));
      };
      break;
    }
    case "FLOAT": {
      const step = num(o.step, 0.1);
      const round = typeof o.round === "number" ? o.round : o.round === false ? 0 : step;
      widget = node.addWidget("number", spec.name, num(o.default, 0), noop, {
        min: num(o.min, -Infinity), max: num(o.max, Infinity), step2: step, precision: precisionOf(round || step),
      });
      widget.callback = (v: number) => {
        let value = round ? Math.round(v / round) * round : v;
        value = Number(value.toFixed(precisionOf(round || step) + 2));
        widget!.value = Math.min(num(o.max, Infinity), Math.max(num(o.min, -Infinity), value));
      };
      break;
    }
    case "BOOLEAN":
      widget = node.addWidget("toggle", spec.name, o.default === true, noop, {
        on: typeof o.label_on === "string" ? o.label_on : "true", off: typeof o.label_off === "string" ? o.label_off : "false",
      });
      break;
    case "STRING":
      if (o.multiline === true) {
        widget = addTextareaWidget(node, spec.name, typeof o.default === "string" ? o.default : "", ctx.canvas, typeof o.placeholder === "string" ? o.placeholder : undefined);
      } else {
        widget = node.addWidget("text", spec.name, typeof o.default === "string" ? o.default : "", noop, {});
      }
      break;
    case "COMBO": {
      const values = spec.values ?? [];
      const value = typeof o.default === "string" || typeof o.default === "number" ? String(o.default) : values[0] ?? "";
      widget = node.addWidget("combo", spec.name, value, noop, { values });
      break;
    }
  }
  if (widget && tooltip) widget.tooltip = tooltip;
  if (hasControlAfterGenerate(spec)) {
    node.addWidget("combo", "control_after_generate", "randomize", noop, { values: CONTROL_VALUES });
  }
  if (o.image_upload === true && widget) {
    addUploadWidget(node, widget, ctx);
  }
}

function showImage(node: ComfyNode, url: string): void {
  const img = new Image();
  img.onload = () => node.graph?.setDirtyCanvas(true, false);
  img.src = url;
  node.imgs = [img];
}

/** LoadImage's upload button: POST /upload/image, then select the stored name and preview it. */
function addUploadWidget(node: ComfyNode, combo: IBaseWidget, ctx: ComfyContext): void {
  // The chosen file as /view names it; null for files the server did not list (a workflow from elsewhere).
  const chosenRef = (): ImageRef | null => {
    const name = String(combo.value ?? "");
    if (!name || !(combo.options.values as string[]).includes(name)) return null;
    const match = /^(.*?)(?: \[(input|output|temp)\])?$/.exec(name);
    const file = match?.[1] ?? name;
    const slash = file.lastIndexOf("/");
    return { filename: file.slice(slash + 1), subfolder: slash < 0 ? "" : file.slice(0, slash), type: match?.[2] ?? "input" };
  };
  const preview = () => {
    const ref = chosenRef();
    if (ref) showImage(node, ctx.api.viewUrl(ref));
  };
  const select = (name: string) => {
    const values = combo.options.values as string[];
    if (!values.includes(name)) values.push(name);
    combo.value = name;
    preview();
    ctx.changed();
  };
  node.getExtraMenuOptions = () => {
    const ref = chosenRef();
    return ref ? [{ content: "Open in MaskEditor", callback: () => openMaskEditor(ctx.api, ref, select) }] : [];
  };
  const chosen = combo.callback;
  combo.callback = (...args: unknown[]) => {
    (chosen as ((...a: unknown[]) => void) | undefined)?.(...args);
    preview();
  };
  const upload = async (file: File) => {
    const form = new FormData();
    form.append("image", file);
    form.append("overwrite", "true");
    const response = await ctx.api.fetch("upload/image", { method: "POST", body: form });
    const answer = await response.text();
    if (!response.ok) throw new Error(`Upload failed: ${response.status} ${answer}`);
    const stored = JSON.parse(answer) as { name: string; subfolder?: string };
    select(stored.subfolder ? `${stored.subfolder}/${stored.name}` : stored.name);
  };
  const button = node.addWidget("button", "upload", "image", () => {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/webp";
    input.onchange = () => {
      if (input.files?.[0]) void upload(input.files[0]);
    };
    input.click();
  }, {});
  button.label = "choose file to upload";
  node.onDropFile = (file: File) => {
    if (file.type.startsWith("image/")) void upload(file);
  };
  setTimeout(preview, 0);
}

/** Draws the node's images (outputs or the chosen input) below its widgets. */
function drawImages(this: ComfyNode, ctx2d: CanvasRenderingContext2D): void {
  const img = this.imgs?.[this.imgs.length - 1];
  if (!img?.naturalWidth || this.flags?.collapsed) return;
  let top = 4;
  for (const w of this.widgets ?? []) top = Math.max(top, (w.y ?? 0) + (w.computeSize?.(this.size[0])[1] ?? LiteGraph.NODE_WIDGET_HEIGHT) + 4);
  top = Math.max(top, (Math.max(this.inputs.length, this.outputs.length) + 0.5) * LiteGraph.NODE_SLOT_HEIGHT);
  const w = this.size[0] - 10;
  const h = this.size[1] - top - 5;
  if (h < 16) return;
  const scale = Math.min(w / img.naturalWidth, h / img.naturalHeight);
  const dw = img.naturalWidth * scale;
  const dh = img.naturalHeight * scale;
  ctx2d.drawImage(img, 5 + (w - dw) / 2, top + (h - dh) / 2, dw, dh);
}

/**
 * A socket for each widget (after the node's other inputs), as the new frontend has: a link dropped on the widget
 * connects there and then gives the input its value (exported as a link); unlinked, the widget's value is used.
 */
function addWidgetInputs(node: LGraphNode, specs: InputSpec[]): void {
  for (const spec of specs) {
    if (!isWidget(spec) || node.inputs.some((input) => input.widget?.name === spec.name)) continue;
    node.addInput(spec.name, spec.type, { widget: { name: spec.name } });
  }
}

/** Registers one LiteGraph node type per /object_info entry. */
export function registerNodeTypes(info: ObjectInfo, ctx: ComfyContext): void {
  for (const [classType, def] of Object.entries(info)) {
    const specs = inputSpecs(def);
    class Node extends LGraphNode {
      static override title = def.display_name || classType;
      static comfyClass = classType;
      static nodeData = def;
      comfyClass = classType;
      serialize_widgets = true;
      explicitTitle?: boolean;
      imgs?: HTMLImageElement[];
      constructor(title?: string) {
        super(title ?? Node.title);
        for (const spec of specs) {
          if (isWidget(spec)) {
            addWidgets(this as unknown as ComfyNode, spec, ctx);
          } else {
            const slot = this.addInput(spec.name, spec.type);
            if (spec.optional) slot.shape = RenderShape.HollowCircle;
          }
        }
        addWidgetInputs(this, specs);
        (def.output ?? []).forEach((type, i) => {
          const slot = this.addOutput(def.output_name?.[i] ?? type, type);
          if (def.output_is_list?.[i]) slot.shape = RenderShape.GRID;
        });
        const size = this.computeSize();
        size[0] = Math.max(220, size[0] * 1.2);
        if (def.output_node) size[1] = Math.max(size[1], 260);
        this.size = size;
        this.serialize_widgets = true;
      }
      override onConfigure(serialised: { title?: string }): void {
        this.explicitTitle = serialised.title != null;
        // Workflows saved without widget sockets (older frontends) get them after their saved inputs.
        addWidgetInputs(this, specs);
      }
      override onSerialize(serialised: { title?: string }): void {
        if (this.explicitTitle) serialised.title = this.title;
      }
      override onDrawBackground(ctx2d: CanvasRenderingContext2D): void {
        drawImages.call(this as unknown as ComfyNode, ctx2d);
      }
    }
    LiteGraph.registerNodeType(classType, Node);
    (Node as unknown as { category: string }).category = def.category ?? "";
  }
  registerFrontendNodes(ctx);
}

/** The frontend-only nodes that saved workflows use: Note, MarkdownNote, Reroute, PrimitiveNode. */
function registerFrontendNodes(ctx: ComfyContext): void {
  for (const name of ["Note", "MarkdownNote"]) {
    class Note extends LGraphNode {
      static override title = name;
      serialize_widgets = true;
      constructor(title?: string) {
        super(title ?? name);
        this.color = "#432";
        this.bgcolor = "#653";
        addTextareaWidget(this, "text", "", ctx.canvas);
        this.size = [400, 140];
        this.serialize_widgets = true;
      }
    }
    LiteGraph.registerNodeType(name, Note);
    (Note as unknown as { category: string }).category = "utils";
  }
  class Reroute extends LGraphNode {
    static override title = "Reroute";
    constructor(title?: string) {
      super(title ?? "Reroute");
      this.addInput("", "*");
      this.addOutput("", "*");
      this.size = [75, 26];
    }
  }
  LiteGraph.registerNodeType("Reroute", Reroute);
  (Reroute as unknown as { category: string }).category = "utils";
  class PrimitiveNode extends LGraphNode {
    static override title = "Primitive";
    serialize_widgets = true;
    constructor(title?: string) {
      super(title ?? "Primitive");
      this.addOutput("connect to widget input", "*");
      this.serialize_widgets = true;
    }
    // Its widget is built from the target input in the reference frontend; here the saved values are kept as they are.
    saved?: unknown[];
    override onConfigure(serialised: { widgets_values?: unknown[] }): void {
      this.saved = serialised.widgets_values;
    }
    override onSerialize(serialised: { widgets_values?: unknown[] }): void {
      if (this.saved) serialised.widgets_values = this.saved;
    }
  }
  LiteGraph.registerNodeType("PrimitiveNode", PrimitiveNode);
  (PrimitiveNode as unknown as { category: string }).category = "utils";
}

export { LGraphCanvas };
