// Opening an API-format prompt ({"id": {"class_type", "inputs"}}): one node per entry, widget values set by name,
// links made (into widget inputs too), laid out in columns by link depth. Seeds are set to "fixed" so that
// queueing it runs the prompt as it was.
import { LiteGraph, type LGraph, type LGraphNode } from "@comfyorg/litegraph";
import type { Json, JsonObject } from "./api";
import type { ComfyNode } from "./nodes";

type ApiEntry = { class_type: string; inputs?: JsonObject; _meta?: { title?: string } };
export type ApiPromptFile = Record<string, ApiEntry>;

/** The prompt in an API-format file (also wrapped as {"prompt": ...}); null when the data is not one. */
export function apiPromptOf(data: unknown): ApiPromptFile | null {
  if (!data || typeof data !== "object" || Array.isArray(data)) return null;
  const inner = (data as { prompt?: unknown }).prompt;
  const prompt = (inner && typeof inner === "object" && !Array.isArray(inner) ? inner : data) as Record<string, unknown>;
  const entries = Object.values(prompt);
  const isEntry = (e: unknown) => !!e && typeof e === "object" && typeof (e as ApiEntry).class_type === "string";
  return entries.length > 0 && entries.every(isEntry) ? (prompt as ApiPromptFile) : null;
}

function isLink(value: Json | undefined): value is [string | number, number] {
  return Array.isArray(value) && value.length === 2 && (typeof value[0] === "string" || typeof value[0] === "number") && typeof value[1] === "number";
}

/** Replaces the graph with the prompt's nodes; returns the class types this server does not have. */
export function loadApiPrompt(graph: LGraph, prompt: ApiPromptFile): string[] {
  graph.clear();
  const missing = new Set<string>();
  const nodes = new Map<string, LGraphNode>();
  const keys = Object.keys(prompt);
  // Integer ids are kept; others ("5:1" from a flattened subgraph, names) get the next free numbers.
  const numeric = keys.every((k) => /^[1-9]\d*$/.test(k));
  for (const key of keys) {
    const entry = prompt[key];
    const node = LiteGraph.createNode(entry.class_type) as ComfyNode | null;
    if (!node) {
      missing.add(entry.class_type);
      continue;
    }
    if (numeric) node.id = Number(key);
    const title = entry._meta?.title;
    if (title && title !== node.title) {
      node.title = title;
      node.explicitTitle = true;
    }
    graph.add(node);
    nodes.set(key, node);
  }
  for (const [key, node] of nodes) {
    const widgets = node.widgets ?? [];
    for (const [name, value] of Object.entries(prompt[key].inputs ?? {})) {
      if (isLink(value)) {
        const source = nodes.get(String(value[0]));
        const slot = node.inputs.findIndex((input) => input.name === name);
        if (source && slot >= 0) source.connect(value[1], node, slot);
        continue;
      }
      const widget = widgets.find((w) => w.name === name);
      if (widget) widget.value = value as never;
    }
    // The prompt holds the values to run: no control-after-generate change before the first run.
    for (const widget of widgets) if (widget.name === "control_after_generate") widget.value = "fixed";
  }
  layOut(graph, [...nodes.values()]);
  return [...missing];
}

/** Columns by the longest chain of links that leads to a node; nodes stacked in each column in prompt order. */
function layOut(graph: LGraph, nodes: LGraphNode[]): void {
  const depth = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const node of nodes) {
      for (const input of node.inputs ?? []) {
        const link = input.link != null ? graph.getLink(input.link) : undefined;
        const from = link ? depth.get(link.origin_id) : undefined;
        if (from !== undefined && from + 1 > depth.get(node.id)!) {
          depth.set(node.id, from + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const columns: LGraphNode[][] = [];
  for (const node of nodes) (columns[depth.get(node.id)!] ??= []).push(node);
  let x = 50;
  for (const column of columns) {
    if (!column) continue;
    let y = 80;
    let width = 0;
    for (const node of column) {
      node.pos = [x, y];
      y += node.size[1] + LiteGraph.NODE_TITLE_HEIGHT + 30;
      width = Math.max(width, node.size[0]);
    }
    x += width + 60;
  }
}
