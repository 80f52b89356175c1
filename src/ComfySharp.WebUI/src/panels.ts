// Side panels: node library, workflows (/userdata), queue, history, gallery, settings.
import { LiteGraph } from "@comfyorg/litegraph";
import type { Json, JsonObject } from "./api";
import type { ComfyApp } from "./app";
import type { UiWorkflow } from "./convert";

type Image = { filename: string; subfolder?: string; type?: string };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(element, rest);
  if (dataset) Object.assign(element.dataset, dataset);
  element.append(...children);
  return element;
}

export class Panels {
  private current: string | null = null;
  readonly gallery: Image[] = [];
  private readonly body = document.getElementById("panel-body")!;

  constructor(private readonly app: ComfyApp, private readonly toast: (text: string, info?: boolean) => void) {
    for (const button of document.querySelectorAll<HTMLButtonElement>("[data-panel]")) {
      button.addEventListener("click", () => this.toggle(button.dataset.panel!));
    }
    document.getElementById("panel-close")!.addEventListener("click", () => this.toggle(null));
    app.api.addEventListener("executed", (e) => {
      const output = (e as CustomEvent).detail.output as { images?: Image[] } | undefined;
      for (const image of output?.images ?? []) this.gallery.unshift(image);
      if (this.current === "gallery") void this.render();
    });
    for (const type of ["status", "execution_success", "execution_error", "execution_interrupted"]) {
      app.api.addEventListener(type, () => {
        if (this.current === "queue" || this.current === "history") void this.render();
      });
    }
  }

  toggle(name: string | null): void {
    this.current = name === this.current ? null : name;
    document.getElementById("panel")!.hidden = this.current === null;
    void this.render();
  }

  async render(): Promise<void> {
    const name = this.current;
    if (!name) return;
    document.getElementById("panel-title")!.textContent = { library: "Node library", workflows: "Workflows", queue: "Queue", history: "History", gallery: "Gallery", settings: "Settings" }[name] ?? name;
    const content = await (name === "library" ? this.library() : name === "workflows" ? this.workflows() : name === "queue" ? this.queue()
      : name === "history" ? this.history() : name === "gallery" ? this.galleryView() : this.settingsView());
    if (this.current !== name) return;
    this.body.replaceChildren(content);
    this.body.dataset.panel = name;
  }

  private library(): HTMLElement {
    const root = el("div");
    const search = el("input", { type: "search", placeholder: "Search nodes…", id: "node-search" });
    const list = el("div", { id: "node-list" });
    const draw = () => {
      const query = search.value.trim().toLowerCase();
      const byCategory = new Map<string, [string, string][]>();
      for (const [type, def] of Object.entries(this.app.objectInfo)) {
        const title = def.display_name || type;
        if (query && !title.toLowerCase().includes(query) && !type.toLowerCase().includes(query) && !(def.category ?? "").toLowerCase().includes(query)) continue;
        const category = def.category || "uncategorized";
        if (!byCategory.has(category)) byCategory.set(category, []);
        byCategory.get(category)!.push([type, title]);
      }
      list.replaceChildren(...[...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([category, nodes]) =>
        el("details", { open: !!query }, el("summary", {}, `${category} (${nodes.length})`),
          el("ul", {}, ...nodes.sort((a, b) => a[1].localeCompare(b[1])).map(([type, title]) => {
            const item = el("li", { className: "node-entry", title: type, dataset: { type } }, el("span", {}, title));
            item.addEventListener("click", () => this.addNode(type));
            return item;
          })))));
    };
    search.addEventListener("input", draw);
    draw();
    root.append(search, list);
    setTimeout(() => search.focus(), 0);
    return root;
  }

  private addNode(type: string): void {
    const node = LiteGraph.createNode(type);
    if (!node) return;
    const canvas = this.app.canvas;
    const [w, h] = [canvas.canvas.clientWidth, canvas.canvas.clientHeight];
    const [x, y] = canvas.ds.convertCanvasToOffset([w / 2, h / 2]);
    node.pos = [x, y];
    this.app.graph.add(node);
    canvas.selectNodes([node]);
    this.app.checkState();
  }

  private async workflows(): Promise<HTMLElement> {
    const root = el("div");
    const name = el("input", { type: "text", placeholder: "name", id: "workflow-name" });
    const save = el("button", { id: "workflow-save" }, "Save to server");
    save.addEventListener("click", async () => {
      const file = name.value.trim().replace(/\.json$/, "");
      if (!file) return this.toast("Enter a name first.");
      const response = await this.app.api.fetch(`userdata/${encodeURIComponent(`workflows/${file}.json`)}?overwrite=true`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(this.app.serialize()),
      });
      const answer = await response.text();
      if (!response.ok) return this.toast(`Saving failed: ${response.status} ${answer}`);
      this.toast(`Saved workflows/${file}.json`, true);
      void this.render();
    });
    let files: string[] = [];
    const response = await this.app.api.fetch("userdata?dir=workflows&recurse=true");
    const listing = await response.text();
    if (response.ok) files = JSON.parse(listing) as string[];
    const list = el("ul", { id: "workflow-list" }, ...files.filter((f) => f.endsWith(".json")).map((file) => {
      const open = el("button", {}, "Open");
      open.addEventListener("click", async () => {
        const r = await this.app.api.fetch(`userdata/${encodeURIComponent(`workflows/${file}`)}`);
        if (!r.ok) return this.toast(`Opening failed: ${r.status}`);
        this.load((await r.json()) as UiWorkflow);
      });
      const remove = el("button", {}, "Delete");
      remove.addEventListener("click", async () => {
        await this.app.api.send(`userdata/${encodeURIComponent(`workflows/${file}`)}`, null, "DELETE");
        void this.render();
      });
      return el("li", { dataset: { file } }, el("span", {}, file), open, remove);
    }));
    root.append(name, save, el("p", {}, files.length ? "" : "No saved workflows."), list);
    return root;
  }

  private load(workflow: UiWorkflow): void {
    try {
      this.app.loadWorkflow(workflow);
    } catch (error) {
      this.toast(String((error as Error).message));
    }
  }

  private async queue(): Promise<HTMLElement> {
    const data = await this.app.api.getJson<{ queue_running: Json[][]; queue_pending: Json[][] }>("queue");
    const row = (item: Json[], running: boolean) => {
      const id = String(item[1]);
      const remove = el("button", {}, running ? "Interrupt" : "Delete");
      remove.addEventListener("click", async () => {
        if (running) await this.app.interrupt();
        else await this.app.api.send("queue", { delete: [id] });
        void this.render();
      });
      return el("li", { dataset: { promptId: id } }, el("span", { title: id }, `${running ? "▶ running" : `#${item[0]}`} ${id.slice(0, 8)}`), remove);
    };
    const clear = el("button", {}, "Clear pending");
    clear.addEventListener("click", async () => {
      await this.app.api.send("queue", { clear: true });
      void this.render();
    });
    return el("div", {}, clear, el("ul", { id: "queue-list" }, ...data.queue_running.map((i) => row(i, true)), ...data.queue_pending.map((i) => row(i, false))));
  }

  private async history(): Promise<HTMLElement> {
    const data = await this.app.api.getJson<Record<string, { prompt: Json[]; outputs: Record<string, { images?: Image[] }>; status?: { status_str?: string } }>>("history?max_items=64");
    const entries = Object.entries(data).reverse();
    const clear = el("button", {}, "Clear history");
    clear.addEventListener("click", async () => {
      await this.app.api.send("history", { clear: true });
      void this.render();
    });
    const list = el("ul", { id: "history-list" }, ...entries.map(([id, entry]) => {
      const extra = entry.prompt?.[3] as JsonObject | undefined;
      const workflow = (extra?.extra_pnginfo as JsonObject | undefined)?.workflow as UiWorkflow | undefined;
      const images = Object.values(entry.outputs ?? {}).flatMap((o) => o.images ?? []);
      const thumb = images[0] ? el("img", { src: this.app.api.viewUrl(images[0]), width: 32, height: 32 }) : "";
      const open = el("button", { disabled: !workflow, title: "Load this prompt's workflow" }, "Load");
      open.addEventListener("click", () => workflow && this.load(workflow));
      const remove = el("button", {}, "Delete");
      remove.addEventListener("click", async () => {
        await this.app.api.send("history", { delete: [id] });
        void this.render();
      });
      return el("li", { dataset: { promptId: id, status: entry.status?.status_str ?? "" } }, thumb, el("span", { title: id }, `${entry.status?.status_str ?? "?"} ${id.slice(0, 8)}`), open, remove);
    }));
    return el("div", {}, clear, list);
  }

  private galleryView(): HTMLElement {
    return el("div", { className: "gallery", id: "gallery" }, ...this.gallery.map((image) => {
      const img = el("img", { src: this.app.api.viewUrl(image), alt: image.filename, title: image.filename });
      img.addEventListener("click", () => {
        const viewer = el("div", { className: "viewer" }, el("img", { src: img.src }));
        viewer.addEventListener("click", () => viewer.remove());
        document.body.append(viewer);
      });
      return img;
    }));
  }

  private settingsView(): HTMLElement {
    const app = this.app;
    const links = el("select", { id: "setting-link-render-mode" },
      ...[["Spline", LiteGraph.SPLINE_LINK], ["Linear", LiteGraph.LINEAR_LINK], ["Straight", LiteGraph.STRAIGHT_LINK]].map(([label, value]) =>
        el("option", { value: String(value), textContent: String(label) })));
    links.value = String(app.settings["Comfy.LinkRenderMode"] ?? LiteGraph.SPLINE_LINK);
    links.addEventListener("change", () => void this.save("Comfy.LinkRenderMode", Number(links.value)));
    const info = el("input", { type: "checkbox", id: "setting-canvas-info", checked: app.settings["Comfy.Graph.CanvasInfo"] === true });
    info.addEventListener("change", () => void this.save("Comfy.Graph.CanvasInfo", info.checked));
    const token = el("input", { type: "text", id: "setting-token", value: app.api.token, placeholder: "API token (kept in this browser)" });
    token.addEventListener("change", () => {
      app.api.setToken(token.value.trim());
      this.toast("Token saved; reload to reconnect.", true);
    });
    return el("div", {},
      el("div", { className: "setting" }, "Link render mode", links),
      el("div", { className: "setting" }, "Show canvas info", info),
      el("div", { className: "setting" }, "Token", token));
  }

  private async save(id: string, value: Json): Promise<void> {
    try {
      await this.app.setSetting(id, value);
    } catch (error) {
      this.toast(String((error as Error).message));
    }
  }
}

export type { JsonObject };
