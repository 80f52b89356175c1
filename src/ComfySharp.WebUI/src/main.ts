// Entry point: starts the editor and wires the menu, drag-and-drop and progress display.
import { ComfyApp, type NodeError } from "./app";
import { ConversionError } from "./convert";
import { Panels } from "./panels";

const app = new ComfyApp();
(window as unknown as { comfysharp: ComfyApp }).comfysharp = app;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let toastTimer = 0;
function toast(text: string, info = false): void {
  const box = $("toast");
  box.replaceChildren(text);
  box.className = info ? "info" : "";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (box.hidden = true), info ? 3000 : 15000);
}

function download(name: string, data: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function open(file: File): Promise<void> {
  try {
    await app.openFile(file);
    toast(`Loaded ${file.name}`, true);
  } catch (error) {
    toast(`Could not open ${file.name}: ${(error as Error).message}`);
  }
}

function wireMenu(): void {
  const queue = async () => {
    const count = Math.max(1, Math.min(100, Number($<HTMLInputElement>("batch-count").value) || 1));
    await app.queue(count, $<HTMLInputElement>("queue-front").checked);
  };
  $("queue-button").addEventListener("click", () => void queue());
  window.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      void queue();
    }
  });
  $("interrupt-button").addEventListener("click", () => void app.interrupt());
  const fileInput = $<HTMLInputElement>("file-input");
  $("open-button").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    if (fileInput.files?.[0]) void open(fileInput.files[0]);
    fileInput.value = "";
  });
  $("save-button").addEventListener("click", () => {
    const name = prompt("Save workflow as:", "workflow.json");
    if (name) download(name.endsWith(".json") ? name : `${name}.json`, app.serialize());
  });
  $("export-api-button").addEventListener("click", () => {
    try {
      download("workflow_api.json", app.toApi());
    } catch (error) {
      toast(error instanceof ConversionError ? error.message : String(error));
    }
  });
  $("default-button").addEventListener("click", () => app.loadDefault());
  $("clear-button").addEventListener("click", () => {
    app.graph.clear();
    app.checkState();
  });
}

function wireDrop(): void {
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    // An image dropped on a LoadImage node is uploaded by the node; elsewhere it is opened as a workflow.
    const canvas = app.canvas;
    (canvas.adjustMouseEvent as (event: unknown) => void).call(canvas, e);
    const node = app.graph.getNodeOnPos(canvas.graph_mouse[0], canvas.graph_mouse[1]);
    if (node?.onDropFile && file.type.startsWith("image/")) {
      node.onDropFile(file);
      return;
    }
    void open(file);
  });
}

function wireRunState(): void {
  const bar = $("progress-bar");
  const text = $("progress-text");
  const update = () => {
    const fraction = app.overallProgress();
    bar.style.width = `${Math.round(fraction * 100)}%`;
    text.textContent = app.runningPrompt ? `${Math.round(fraction * 100)}%` : "";
    $("progress").dataset.state = app.runningPrompt ? "running" : "idle";
  };
  app.addEventListener("runstate", (e) => {
    const { type, data } = (e as CustomEvent).detail as { type: string; data: Record<string, unknown> };
    if (type === "status") {
      const info = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info;
      $("queue-size").textContent = String(info?.queue_remaining ?? 0);
    } else if (type === "execution_error") {
      toast(`${String(data.node_type ?? "")} (node ${String(data.node_id ?? "?")}): ${String(data.exception_message ?? "error")}`);
    } else if (type === "execution_interrupted") {
      toast("Interrupted.", true);
    }
    update();
  });
  app.addEventListener("prompterror", (e) => {
    const { message, details, nodeErrors } = (e as CustomEvent).detail as { message: string; details: string; nodeErrors: Map<string, NodeError[]> };
    const box = $("toast");
    box.replaceChildren(`${message}${details ? `\n${details}` : ""}`);
    for (const [id, errors] of nodeErrors) {
      const node = app.graph.getNodeById(Number(id));
      for (const error of errors) {
        const line = document.createElement("div");
        line.className = "node-error";
        line.dataset.node = id;
        line.textContent = `#${id} ${node?.title ?? ""}: ${error.message}${error.details ? ` (${error.details})` : ""}`;
        line.style.cursor = "pointer";
        line.addEventListener("click", () => node && app.canvas.centerOnNode(node));
        box.append(line);
      }
    }
    box.className = "";
    box.hidden = false;
  });
  app.addEventListener("message", (e) => toast(String((e as CustomEvent).detail)));
  app.api.addEventListener("reconnected", () => {
    $("connection").textContent = "online";
    $("connection").className = "";
  });
  app.api.addEventListener("disconnected", () => {
    $("connection").textContent = "offline";
    $("connection").className = "offline";
  });
}

async function main(): Promise<void> {
  const canvas = $<HTMLCanvasElement>("graph");
  const resize = () => {
    const rect = canvas.parentElement!.getBoundingClientRect();
    app.canvas?.resize(Math.floor(rect.width), Math.floor(rect.height));
  };
  wireMenu();
  wireDrop();
  wireRunState();
  await app.start(canvas);
  new Panels(app, toast);
  resize();
  window.addEventListener("resize", resize);
  // Time to interactive: the node types are registered, the graph is drawn and the editor takes input.
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  console.error(error);
  toast(`ComfySharp could not start: ${(error as Error).message}`);
});
