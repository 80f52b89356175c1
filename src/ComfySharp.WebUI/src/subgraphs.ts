// Subgraph flattening for export, by the same rules as ComfySharp.Client's UiSubgraphs (the CLI's converter):
// inner nodes get the id "instance:inner", each instance's input and output slots become pass-through Reroutes,
// and an unlinked instance input carries the instance's promoted widget value.
import type { Json, JsonObject } from "./api";
import type { UiNode, UiWorkflow } from "./convert";

export const PROMOTED_VALUE = "__promoted_value";
const INPUT_NODE = -10;
const OUTPUT_NODE = -20;
const MAX_DEPTH = 32;

interface Definition {
  id: string;
  nodes?: UiNode[];
  links?: (Json[] | JsonObject)[];
  inputs?: { name: string; type?: string }[];
  outputs?: { name: string; type?: string }[];
  definitions?: { subgraphs?: Definition[] };
}
interface LinkParts {
  id: number;
  origin: string;
  originSlot: number;
  target: string;
  targetSlot: number;
  type?: Json;
}
export type FlatNode = UiNode & { [PROMOTED_VALUE]?: Json };

function num(value: Json | undefined): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || Number.isNaN(n)) throw new Error(`Expected a number, got ${JSON.stringify(value)}.`);
  return Math.trunc(n);
}

export function nodeId(value: Json | undefined): string {
  if (typeof value === "string") return value;
  return String(num(value));
}

function parts(link: Json[] | JsonObject): LinkParts {
  if (Array.isArray(link) && link.length >= 5) {
    return { id: num(link[0]), origin: nodeId(link[1]), originSlot: num(link[2]), target: nodeId(link[3]), targetSlot: num(link[4]), type: link[5] };
  }
  if (link && !Array.isArray(link)) {
    return { id: num(link.id), origin: nodeId(link.origin_id), originSlot: num(link.origin_slot), target: nodeId(link.target_id), targetSlot: num(link.target_slot), type: link.type };
  }
  throw new Error(`Malformed link ${JSON.stringify(link)}.`);
}

function collect(graph: { definitions?: { subgraphs?: Definition[] } }, into: Map<string, Definition>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const definition of graph.definitions?.subgraphs ?? []) {
    if (typeof definition?.id === "string" && !into.has(definition.id)) {
      into.set(definition.id, definition);
      collect(definition, into, depth + 1);
    }
  }
}

/** True when the workflow holds subgraph definitions. */
export function hasSubgraphs(workflow: UiWorkflow): boolean {
  return ((workflow as { definitions?: { subgraphs?: unknown[] } }).definitions?.subgraphs?.length ?? 0) > 0;
}

/** A flat copy of the workflow's nodes and links; the workflow itself when it has no subgraphs. */
export function flattenSubgraphs(workflow: UiWorkflow): UiWorkflow {
  const definitions = new Map<string, Definition>();
  collect(workflow as { definitions?: { subgraphs?: Definition[] } }, definitions, 0);
  if (definitions.size === 0) return workflow;
  const nodes: FlatNode[] = [];
  const links: JsonObject[] = [];
  let nextLinkId = Math.max(0, ...(workflow.links ?? []).map((l) => parts(l).id)) + 1;
  const path = (prefix: string, id: string) => (prefix ? `${prefix}:${id}` : id);
  const isExpanded = (node: UiNode) => definitions.has(node.type) && node.mode !== 2 && node.mode !== 4;

  const addGraph = (graph: { nodes?: UiNode[]; links?: (Json[] | JsonObject)[] }, prefix: string, mapLink: (id: number) => number, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Error("Subgraphs are nested more than 32 deep (or contain themselves).");
    const graphNodes = graph.nodes ?? [];
    const expanded = new Set(graphNodes.filter(isExpanded).map((n) => nodeId(n.id as Json)));
    for (const raw of graph.links ?? []) {
      const l = parts(raw);
      let from = path(prefix, l.origin);
      let fromSlot = l.originSlot;
      if (expanded.has(l.origin)) [from, fromSlot] = [`${path(prefix, l.origin)}:${OUTPUT_NODE}:${l.originSlot}`, 0];
      else if (prefix && l.origin === String(INPUT_NODE)) [from, fromSlot] = [`${prefix}:${INPUT_NODE}:${l.originSlot}`, 0];
      let to = path(prefix, l.target);
      let toSlot = l.targetSlot;
      if (prefix && l.target === String(OUTPUT_NODE)) [to, toSlot] = [`${prefix}:${OUTPUT_NODE}:${l.targetSlot}`, 0];
      links.push({ id: mapLink(l.id), origin_id: from, origin_slot: fromSlot, target_id: to, target_slot: toSlot, type: l.type ?? null });
    }
    for (const node of graphNodes) {
      const copy = structuredClone(node) as FlatNode;
      copy.id = path(prefix, nodeId(node.id as Json));
      for (const input of copy.inputs ?? []) if (typeof input.link === "number") input.link = mapLink(input.link);
      if (isExpanded(node)) addInstance(copy, definitions.get(node.type)!, depth);
      else nodes.push(copy);
    }
  };

  const addInstance = (instance: FlatNode, definition: Definition, depth: number): void => {
    const at = String(instance.id);
    const innerLinks = (definition.links ?? []).map(parts);
    const innerNodes = new Map((definition.nodes ?? []).map((n) => [nodeId(n.id as Json), n]));
    const instanceInputs = instance.inputs ?? [];
    const values = instance.widgets_values;
    let promoted = 0;
    (definition.inputs ?? []).forEach((input, k) => {
      // By name: saved instances may omit their unlinked widget inputs.
      const outer = instanceInputs.find((i) => i.name === input.name);
      const passThrough: FlatNode = { id: `${at}:${INPUT_NODE}:${k}`, type: "Reroute", mode: 0, inputs: [{ name: input.name, type: input.type, link: outer?.link ?? null }] };
      const feedsWidget = innerLinks.some((l) => l.origin === String(INPUT_NODE) && l.originSlot === k
        && (innerNodes.get(l.target)?.inputs?.[l.targetSlot] as { widget?: unknown } | undefined)?.widget != null);
      if (feedsWidget) {
        const value = Array.isArray(values) ? values[promoted] : values && input.name in values ? values[input.name] : undefined;
        if (value !== undefined && value !== null) passThrough[PROMOTED_VALUE] = structuredClone(value);
        promoted++;
      }
      nodes.push(passThrough);
    });
    const innerIds = new Map(innerLinks.map((l) => [l.id, nextLinkId++]));
    (definition.outputs ?? []).forEach((output, o) => {
      const feed = innerLinks.find((l) => l.target === String(OUTPUT_NODE) && l.targetSlot === o);
      nodes.push({ id: `${at}:${OUTPUT_NODE}:${o}`, type: "Reroute", mode: 0, inputs: [{ name: output.name, type: output.type, link: feed ? innerIds.get(feed.id)! : null }] });
    });
    addGraph(definition, at, (id) => innerIds.get(id) ?? nextLinkId++, depth + 1);
  };

  addGraph(workflow, "", (id) => id, 0);
  return { ...workflow, nodes, links };
}

/** Orders node ids as the converter does: by number, flattened ids segment by segment. */
export function compareNodeIds(x: string, y: string): number {
  const a = x.split(":");
  const b = y.split(":");
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const l = Number(a[i]);
    const r = Number(b[i]);
    const order = a[i] !== "" && b[i] !== "" && Number.isInteger(l) && Number.isInteger(r) ? l - r : a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
    if (order !== 0) return Math.sign(order);
  }
  return a.length - b.length;
}
