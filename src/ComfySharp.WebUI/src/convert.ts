// UI workflow -> API prompt, by the same rules as ComfySharp.Client's UiWorkflowConverter (the CLI's converter).
import type { Json, JsonObject } from "./api";
import { PROMOTED_VALUE, compareNodeIds, flattenSubgraphs, nodeId, type FlatNode } from "./subgraphs";
import { CONTROL_VALUES, UI_ONLY_NODES, hasControlAfterGenerate, inputSpecs, isWidget, type InputSpec, type ObjectInfo } from "./nodes";

export interface UiNode {
  id: number | string;
  type: string;
  mode?: number;
  title?: string;
  inputs?: { name: string; type?: string; link?: number | null }[];
  widgets_values?: Json[] | JsonObject;
}
export interface UiWorkflow {
  nodes: UiNode[];
  links: (Json[] | JsonObject)[];
}
export type ApiPrompt = Record<string, { inputs: JsonObject; class_type: string; _meta?: { title: string } }>;

export class ConversionError extends Error {}

export function isUiWorkflow(data: unknown): data is UiWorkflow {
  return !!data && typeof data === "object" && Array.isArray((data as UiWorkflow).nodes) && Array.isArray((data as UiWorkflow).links);
}

function toNumber(value: Json | undefined): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || Number.isNaN(n)) throw new ConversionError(`Expected a number, got ${JSON.stringify(value)}.`);
  return Math.trunc(n);
}

export function convertToApi(workflow: UiWorkflow, info: ObjectInfo): ApiPrompt {
  let flat: UiWorkflow;
  try {
    flat = flattenSubgraphs(workflow);
  } catch (error) {
    throw new ConversionError((error as Error).message);
  }
  const nodes = new Map<string, FlatNode>();
  for (const node of flat.nodes) nodes.set(nodeId(node.id as Json), node);
  const links = new Map<number, Link>();
  for (const link of flat.links ?? []) {
    if (Array.isArray(link) && link.length >= 5) links.set(toNumber(link[0]), { origin: nodeId(link[1]), slot: toNumber(link[2]) });
    else if (link && !Array.isArray(link)) links.set(toNumber(link.id), { origin: nodeId(link.origin_id), slot: toNumber(link.origin_slot) });
  }
  const prompt: ApiPrompt = {};
  for (const id of [...nodes.keys()].sort(compareNodeIds)) {
    const node = nodes.get(id)!;
    if (!node.type) throw new ConversionError(`Node ${id} has no type.`);
    const mode = node.mode ?? 0;
    if (UI_ONLY_NODES.has(node.type) || mode === 2 || mode === 4) continue;
    const def = info[node.type];
    if (!def) throw new ConversionError(`Node ${id} has unknown type '${node.type}' (not in the server's /object_info).`);
    const inputs: JsonObject = {};
    assignWidgets(node, def, inputs, info);
    for (const input of node.inputs ?? []) {
      if (typeof input.link !== "number") continue;
      const source = resolve(input.link, links, nodes, input.type);
      // An unlinked subgraph input gives the instance's promoted widget value.
      if (source && "value" in source) inputs[input.name] = structuredClone(source.value);
      else if (source) inputs[input.name] = [source.origin, source.slot];
    }
    prompt[id] = { inputs, class_type: node.type, ...(node.title != null ? { _meta: { title: node.title } } : {}) };
  }
  return prompt;
}

function assignWidgets(node: UiNode, def: ObjectInfo[string], inputs: JsonObject, _info: ObjectInfo): void {
  const widgets = inputSpecs(def).filter(isWidget);
  const saved = node.widgets_values;
  if (saved && !Array.isArray(saved)) {
    for (const spec of widgets) if (spec.name in saved) inputs[spec.name] = structuredClone(saved[spec.name]);
    return;
  }
  const values = saved ?? [];
  let index = 0;
  for (const spec of widgets) {
    if (index >= values.length) {
      // A widget added to the node after the workflow was saved gets its default, as the frontend gives it.
      const fallback = defaultOf(spec);
      if (fallback !== undefined) inputs[spec.name] = structuredClone(fallback);
      continue;
    }
    inputs[spec.name] = structuredClone(values[index++] ?? null);
    const next = values[index];
    // The control-after-generate choice sits right after its widget and is UI-only (old frontends saved a boolean toggle).
    if (hasControlAfterGenerate(spec) && index < values.length && ((typeof next === "string" && CONTROL_VALUES.includes(next)) || typeof next === "boolean")) index++;
  }
}

function defaultOf(spec: InputSpec): Json | undefined {
  if (spec.options.default !== undefined) return spec.options.default;
  if (spec.type === "COMBO" && spec.values && spec.values.length > 0) return spec.values[0];
  return undefined;
}

interface Link {
  origin: string;
  slot: number;
}

function resolve(linkId: number, links: Map<number, Link>, nodes: Map<string, FlatNode>, inputType?: string): Link | { value: Json } | null {
  for (let hops = 0; hops < 1000; hops++) {
    const link = links.get(linkId);
    if (!link) return null;
    const origin = nodes.get(link.origin);
    if (!origin) return null;
    const mode = origin.mode ?? 0;
    if (origin.type === "PrimitiveNode") return null;
    if (origin.type === "Reroute" || mode === 4) {
      const through = (origin.inputs ?? []).find((i) => origin.type === "Reroute" || inputType == null || i.type === inputType);
      if (typeof through?.link === "number") {
        linkId = through.link;
        continue;
      }
      const promoted = origin[PROMOTED_VALUE];
      return promoted !== undefined ? { value: promoted } : null;
    }
    return mode === 2 ? null : link;
  }
  return null;
}
