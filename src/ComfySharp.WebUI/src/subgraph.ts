// Subgraphs in the editor: a node type per definition (LiteGraph's SubgraphNode), entered by its title button or a
// double-click, left with the bar's "Root graph" button. Export flattens them (subgraphs.ts).
import { LGraphCanvas, LiteGraph, SubgraphNode, type LGraph, type Subgraph } from "@comfyorg/litegraph";

interface SavedInput {
  name: string;
  type?: unknown;
  link?: number | null;
}
type Instance = ConstructorParameters<typeof SubgraphNode>[2];

/** Registers (again, after each load) the node type of every subgraph definition the graph creates. */
export function registerSubgraphTypes(root: LGraph): void {
  root.events.addEventListener("subgraph-created", (e) => {
    const { subgraph } = e.detail as { subgraph: Subgraph };
    const type = subgraph.id;
    class SubgraphInstance extends SubgraphNode {
      static override title = subgraph.name || "Subgraph";
      constructor() {
        super(root, subgraph, { id: -1, type, pos: [0, 0], size: [240, 80], inputs: [], outputs: [], flags: {}, mode: 0, order: 0, properties: {} } as unknown as Instance);
        this.serialize_widgets = true;
        this.color = "#335";
        this.bgcolor = "#446";
      }
      override configure(info: Instance): void {
        // A saved instance may leave out inputs (its unlinked promoted widgets): the saved inputs go on the
        // definition's slots by name, and the links into them are re-targeted to those slots.
        const saved = ((info as { inputs?: SavedInput[] }).inputs ?? []) as SavedInput[];
        const slots = subgraph.inputNode.slots;
        if (saved.length > 0 && saved.some((input, i) => slots[i]?.name !== input.name)) {
          const inputs = slots.map((slot) => ({ ...(saved.find((s) => s.name === slot.name) ?? { name: slot.name, type: slot.type, link: null }) }));
          inputs.forEach((input, slot) => {
            const link = input.link != null ? this.graph?.getLink(input.link) : undefined;
            if (link) link.target_slot = slot;
          });
          info = { ...info, inputs } as unknown as Instance;
        }
        super.configure(info);
      }
    }
    LiteGraph.registerNodeType(type, SubgraphInstance);
  });
}

/** Shows the bar with the open subgraph's name while the canvas shows one; its button goes back to the root graph. */
export function wireSubgraphBar(canvas: LGraphCanvas, root: LGraph, bar: HTMLElement, name: HTMLElement, back: HTMLElement): () => void {
  const update = () => {
    const inside = canvas.graph !== root;
    bar.hidden = !inside;
    name.textContent = inside ? (canvas.subgraph?.name ?? "Subgraph") : "";
  };
  const close = () => {
    if (canvas.graph === root) return;
    canvas.subgraph = undefined;
    canvas.setGraph(root);
    update();
  };
  canvas.canvas.addEventListener("subgraph-opened", update);
  back.addEventListener("click", close);
  return close;
}
