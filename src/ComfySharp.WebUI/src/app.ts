// The editor: graph + canvas, change tracking (undo/redo, autosave), loading and saving, queueing and run state.
import { LGraph, LGraphCanvas, LiteGraph, type LGraphNode } from "@comfyorg/litegraph";
import { ComfyApi, type Json, type JsonObject } from "./api";
import { convertToApi, isUiWorkflow, type ApiPrompt, type UiWorkflow } from "./convert";
import { CONTROL_VALUES, registerNodeTypes, type ComfyNode, type ObjectInfo } from "./nodes";
import { trackTextareas } from "./textarea";
import { apiPromptOf, loadApiPrompt, type ApiPromptFile } from "./apiimport";
import { registerSubgraphTypes, wireSubgraphBar } from "./subgraph";
import { buildDefaultGraph, pngTextChunks, webpTextChunks } from "./workflow";

const AUTOSAVE_KEY = "comfysharp.workflow";

export interface NodeError {
  type: string;
  message: string;
  details: string;
}

export class ComfyApp extends EventTarget {
  readonly api = new ComfyApi();
  readonly graph = new LGraph();
  canvas!: LGraphCanvas;
  objectInfo: ObjectInfo = {};
  settings: JsonObject = {};
  /** Errors of the last rejected prompt, by node id. */
  nodeErrors = new Map<string, NodeError[]>();
  runningNode: string | null = null;
  runningPrompt: string | null = null;
  private promptNodes = new Set<string>();
  private doneNodes = new Set<string>();
  private undo: string[] = [];
  private redo: string[] = [];
  private lastState = "";
  private restoring = false;
  /** Leaves an open subgraph for the root graph. */
  closeSubgraph: () => void = () => {};

  async start(canvasElement: HTMLCanvasElement): Promise<void> {
    const [info, settings] = await Promise.all([
      this.api.getJson<ObjectInfo>("object_info"),
      this.api.getJson<JsonObject>("settings").catch(() => ({}) as JsonObject),
    ]);
    this.objectInfo = info;
    this.settings = settings;
    registerNodeTypes(info, { api: this.api, canvas: () => this.canvas, changed: () => this.checkState() });
    registerSubgraphTypes(this.graph);
    this.canvas = new LGraphCanvas(canvasElement, this.graph);
    const byId = (id: string) => document.getElementById(id) as HTMLElement;
    this.closeSubgraph = wireSubgraphBar(this.canvas, this.graph, byId("subgraph-bar"), byId("subgraph-name"), byId("subgraph-back"));
    this.canvas.show_info = false;
    trackTextareas(this.canvas);
    this.applySettings();
    this.drawRunState();
    const saved = localStorage.getItem(AUTOSAVE_KEY);
    let restored = false;
    if (saved) {
      try {
        this.loadWorkflow(JSON.parse(saved) as UiWorkflow, false);
        restored = true;
      } catch (error) {
        console.warn("The autosaved workflow could not be restored:", error);
      }
    }
    if (!restored) this.loadDefault();
    this.lastState = this.serializeText();
    this.watchChanges(canvasElement);
    this.listen();
    this.api.connect();
  }

  // ---- graph state ----------------------------------------------------------------------------------

  serialize(): UiWorkflow {
    return this.graph.serialize() as unknown as UiWorkflow;
  }

  private serializeText(): string {
    return JSON.stringify(this.serialize());
  }

  /** Records an undo step and autosaves when the graph changed since the last check. */
  checkState(): void {
    if (this.restoring) return;
    const state = this.serializeText();
    if (state === this.lastState) return;
    if (this.lastState) this.undo.push(this.lastState);
    if (this.undo.length > 50) this.undo.shift();
    this.redo.length = 0;
    this.lastState = state;
    localStorage.setItem(AUTOSAVE_KEY, state);
    this.dispatchEvent(new CustomEvent("graphchanged"));
  }

  undoStep(): void {
    this.step(this.undo, this.redo);
  }

  redoStep(): void {
    this.step(this.redo, this.undo);
  }

  private step(from: string[], to: string[]): void {
    const state = from.pop();
    if (state === undefined) return;
    to.push(this.lastState);
    this.closeSubgraph();
    this.restoring = true;
    try {
      this.graph.configure(JSON.parse(state));
    } finally {
      this.restoring = false;
    }
    // The graph's own serialization after configure() is the state later checks compare against.
    this.lastState = this.serializeText();
    localStorage.setItem(AUTOSAVE_KEY, this.lastState);
    this.graph.setDirtyCanvas(true, true);
  }

  private watchChanges(canvasElement: HTMLCanvasElement): void {
    const later = () => setTimeout(() => this.checkState(), 0);
    // The canvas captures the pointer while dragging, so the release is watched on the window (capture phase).
    window.addEventListener("pointerup", later, true);
    this.graph.onAfterChange = later;
    canvasElement.addEventListener("dblclick", later);
    window.addEventListener("keyup", later);
    document.addEventListener("cs-graph-change", later);
    document.addEventListener("change", later);
    window.addEventListener("keydown", (e) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select")) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) this.redoStep();
        else this.undoStep();
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") {
        e.preventDefault();
        this.redoStep();
      }
    });
  }

  loadDefault(): void {
    this.closeSubgraph();
    this.clearRunState();
    buildDefaultGraph(this.graph);
    this.afterLoad();
  }

  /** Loads a UI-format workflow; reports node types the server does not have. */
  loadWorkflow(workflow: UiWorkflow, record = true): void {
    if (!isUiWorkflow(workflow)) throw new Error("This is not a UI-format workflow (no nodes/links).");
    // Subgraph instances are typed by their definition's id; the definitions' own nodes must exist here too.
    const definitions = (workflow as { definitions?: { subgraphs?: { id: string; nodes?: { type: string }[] }[] } }).definitions?.subgraphs ?? [];
    const subgraphIds = new Set(definitions.map((d) => d.id));
    const types = [...workflow.nodes, ...definitions.flatMap((d) => d.nodes ?? [])].map((n) => n.type);
    const missing = [...new Set(types.filter((t) => !subgraphIds.has(t) && !LiteGraph.registered_node_types[t]))];
    this.closeSubgraph();
    this.clearRunState();
    this.restoring = true;
    try {
      this.graph.configure(structuredClone(workflow) as never);
    } finally {
      this.restoring = false;
    }
    if (missing.length) this.dispatchEvent(new CustomEvent("message", { detail: `Node types missing on this server: ${missing.join(", ")}` }));
    if (record) this.checkState();
    this.afterLoad();
  }

  private afterLoad(): void {
    this.graph.setDirtyCanvas(true, true);
    this.checkState();
    this.dispatchEvent(new CustomEvent("graphloaded"));
  }

  /** Opens a dropped or chosen file: workflow JSON, or a PNG/WebP with an embedded workflow. */
  async openFile(file: File): Promise<void> {
    const name = file.name.toLowerCase();
    let text: string | undefined;
    if (file.type === "image/png" || name.endsWith(".png")) {
      const chunks = pngTextChunks(await file.arrayBuffer());
      text = chunks.workflow ?? chunks.prompt;
    } else if (file.type === "image/webp" || name.endsWith(".webp")) {
      const chunks = webpTextChunks(await file.arrayBuffer());
      text = chunks.workflow ?? chunks.prompt;
    } else {
      text = await file.text();
    }
    if (!text) throw new Error(`${file.name} has no embedded workflow.`);
    const data = JSON.parse(text) as unknown;
    if (isUiWorkflow(data)) {
      this.loadWorkflow(data);
      return;
    }
    const prompt = apiPromptOf(data);
    if (!prompt) throw new Error("This is neither a UI-format workflow (nodes/links) nor an API-format prompt.");
    this.loadApiPrompt(prompt);
  }

  /** Opens an API-format prompt as a graph laid out from its links. */
  loadApiPrompt(prompt: ApiPromptFile): void {
    this.closeSubgraph();
    this.clearRunState();
    let missing: string[];
    this.restoring = true;
    try {
      missing = loadApiPrompt(this.graph, prompt);
    } finally {
      this.restoring = false;
    }
    if (missing.length) this.dispatchEvent(new CustomEvent("message", { detail: `Node types missing on this server: ${missing.join(", ")}` }));
    this.afterLoad();
  }

  toApi(): ApiPrompt {
    return convertToApi(this.serialize(), this.objectInfo);
  }

  // ---- settings ---------------------------------------------------------------------------------------

  async setSetting(id: string, value: Json): Promise<void> {
    this.settings[id] = value;
    this.applySettings();
    await this.api.send(`settings/${encodeURIComponent(id)}`, value);
  }

  private applySettings(): void {
    const mode = this.settings["Comfy.LinkRenderMode"];
    this.canvas.links_render_mode = typeof mode === "number" ? mode : LiteGraph.SPLINE_LINK;
    this.canvas.show_info = this.settings["Comfy.Graph.CanvasInfo"] === true;
    this.graph.setDirtyCanvas(true, true);
  }

  // ---- queueing -----------------------------------------------------------------------------------------

  /** Queues the graph batchCount times, applying control-after-generate after each accepted prompt. */
  async queue(batchCount = 1, front = false): Promise<boolean> {
    for (let i = 0; i < batchCount; i++) {
      const workflow = this.serialize();
      let prompt: ApiPrompt;
      try {
        prompt = convertToApi(workflow, this.objectInfo);
      } catch (error) {
        this.dispatchEvent(new CustomEvent("message", { detail: String((error as Error).message) }));
        return false;
      }
      const response = await this.api.postJson("prompt", {
        prompt: prompt as unknown as Json,
        client_id: this.api.clientId,
        front,
        extra_data: { extra_pnginfo: { workflow: workflow as unknown as Json } },
      });
      const body = (await response.json()) as JsonObject;
      if (!response.ok) {
        this.showNodeErrors(body);
        return false;
      }
      this.clearErrors();
      this.applyControlAfterGenerate();
      this.dispatchEvent(new CustomEvent("queued", { detail: body }));
    }
    return true;
  }

  private applyControlAfterGenerate(): void {
    for (const node of this.graph.nodes) {
      const widgets = node.widgets ?? [];
      widgets.forEach((control, i) => {
        if (control.name !== "control_after_generate" || i === 0) return;
        const target = widgets[i - 1];
        const mode = String(control.value);
        if (!CONTROL_VALUES.includes(mode) || mode === "fixed" || typeof target.value !== "number") return;
        const min = Math.max(0, target.options.min ?? 0);
        const max = Math.min(Number.MAX_SAFE_INTEGER, target.options.max ?? Number.MAX_SAFE_INTEGER);
        let value = target.value;
        if (mode === "increment") value = Math.min(max, value + 1);
        else if (mode === "decrement") value = Math.max(min, value - 1);
        else value = Math.floor(Math.random() * Math.min(max - min + 1, 2 ** 50)) + min;
        target.value = value;
      });
    }
    this.graph.setDirtyCanvas(true, false);
    this.checkState();
  }

  private showNodeErrors(body: JsonObject): void {
    this.clearErrors();
    const nodeErrors = (body.node_errors ?? {}) as Record<string, { errors?: NodeError[] }>;
    for (const [id, entry] of Object.entries(nodeErrors)) {
      this.nodeErrors.set(id, entry.errors ?? []);
      const node = this.node(id);
      if (node) node.has_errors = true;
    }
    const error = body.error as { message?: string; details?: string } | undefined;
    this.dispatchEvent(new CustomEvent("prompterror", { detail: { message: error?.message ?? "The prompt was rejected.", details: error?.details ?? "", nodeErrors: this.nodeErrors } }));
    this.graph.setDirtyCanvas(true, true);
  }

  clearErrors(): void {
    this.nodeErrors.clear();
    for (const node of this.graph.nodes) node.has_errors = false;
    this.graph.setDirtyCanvas(true, true);
  }

  async interrupt(): Promise<void> {
    await this.api.send("interrupt", {});
  }

  // ---- run state from /ws -------------------------------------------------------------------------------

  /** Overall progress of the running prompt: finished nodes / nodes in the prompt. */
  overallProgress(): number {
    return this.promptNodes.size ? this.doneNodes.size / this.promptNodes.size : 0;
  }

  private node(id: unknown): ComfyNode | null {
    // A node inside a subgraph ("instance:inner") shows its state on the instance in the root graph.
    return id == null ? null : (this.graph.getNodeById(Number(String(id).split(":")[0])) as ComfyNode | null);
  }

  private clearRunState(): void {
    for (const node of this.graph.nodes) node.progress = undefined;
    this.runningNode = null;
  }

  private listen(): void {
    const on = (type: string, handler: (data: JsonObject) => void) =>
      this.api.addEventListener(type, (e) => {
        handler((e as CustomEvent).detail as JsonObject);
        this.graph.setDirtyCanvas(true, false);
        this.dispatchEvent(new CustomEvent("runstate", { detail: { type, data: (e as CustomEvent).detail } }));
      });
    on("execution_start", (d) => {
      this.runningPrompt = String(d.prompt_id);
      this.doneNodes.clear();
      this.promptNodes = new Set(this.graph.nodes.filter((n) => n.mode !== 2 && n.mode !== 4).map((n) => String(n.id)));
      this.clearErrors();
    });
    on("execution_cached", (d) => {
      for (const id of (d.nodes ?? []) as string[]) this.doneNodes.add(String(id));
    });
    on("executing", (d) => {
      const previous = this.node(this.runningNode);
      if (previous) previous.progress = undefined;
      if (this.runningNode) this.doneNodes.add(this.runningNode);
      this.runningNode = d.node == null ? null : String(d.display_node ?? d.node);
      if (d.node == null) this.runningPrompt = null;
    });
    on("progress", (d) => {
      const node = this.node(d.node);
      if (node && typeof d.value === "number" && typeof d.max === "number" && d.max > 0) node.progress = d.value / d.max;
    });
    on("executed", (d) => {
      const node = this.node(d.display_node ?? d.node);
      const output = d.output as { images?: { filename: string; subfolder?: string; type?: string }[] } | undefined;
      if (node && output?.images?.length) {
        node.imgs = output.images.map((image) => {
          const img = new Image();
          img.onload = () => this.graph.setDirtyCanvas(true, false);
          img.src = this.api.viewUrl(image);
          return img;
        });
      }
    });
    for (const end of ["execution_success", "execution_error", "execution_interrupted"]) {
      on(end, (d) => {
        for (const node of this.graph.nodes) node.progress = undefined;
        if (end === "execution_success") this.promptNodes.forEach((id) => this.doneNodes.add(id));
        if (end === "execution_error" && d.node_id != null) {
          const id = String(d.node_id);
          this.nodeErrors.set(id, [{ type: String(d.exception_type ?? "error"), message: String(d.exception_message ?? "Execution failed"), details: "" }]);
          const node = this.node(id);
          if (node) node.has_errors = true;
        }
        this.runningNode = null;
      });
    }
    this.api.addEventListener("b_preview", (e) => {
      const node = this.node(this.runningNode);
      if (!node) return;
      const img = new Image();
      const url = URL.createObjectURL((e as CustomEvent).detail as Blob);
      img.onload = () => {
        URL.revokeObjectURL(url);
        this.graph.setDirtyCanvas(true, false);
      };
      img.src = url;
      node.imgs = [img];
    });
  }

  /** Draws the running node's outline and the error messages under failed nodes. */
  private drawRunState(): void {
    const original = LGraphCanvas.prototype.drawNode;
    const app = this;
    this.canvas.drawNode = function (this: LGraphCanvas, node: LGraphNode, ctx: CanvasRenderingContext2D) {
      original.call(this, node, ctx);
      const id = String(node.id);
      if (id === app.runningNode?.split(":")[0]) {
        ctx.strokeStyle = "#0f0";
        ctx.lineWidth = 3;
        ctx.strokeRect(-4, -LiteGraph.NODE_TITLE_HEIGHT - 4, node.size[0] + 8, node.size[1] + LiteGraph.NODE_TITLE_HEIGHT + 8);
      }
      // Errors of nodes inside a subgraph ("instance:inner") show under the instance.
      const errors = [...app.nodeErrors].filter(([key]) => key === id || key.startsWith(`${id}:`)).flatMap(([, list]) => list);
      if (errors?.length) {
        ctx.fillStyle = "#f55";
        ctx.font = "12px sans-serif";
        errors.forEach((error, i) => ctx.fillText(`${error.message}${error.details ? `: ${error.details}` : ""}`, 0, node.size[1] + 16 + i * 16));
      }
    };
  }
}
