// UI workflow -> API prompt, by the same rules as ComfySharp.Client's UiWorkflowConverter (the CLI's converter).
import type { Json, JsonObject } from "./api";
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
  const nodes = new Map<number, UiNode>();
  for (const node of workflow.nodes) nodes.set(toNumber(node.id), node);
  const links = new Map<number, { origin: number; slot: number }>();
  for (const link of workflow.links ?? []) {
    if (Array.isArray(link) && link.length >= 5) links.set(toNumber(link[0]), { origin: toNumber(link[1]), slot: toNumber(link[2]) });
    else if (link && !Array.isArray(link)) links.set(toNumber(link.id), { origin: toNumber(link.origin_id), slot: toNumber(link.origin_slot) });
  }
  const prompt: ApiPrompt = {};
  for (const id of [...nodes.keys()].sort((a, b) => a - b)) {
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
      if (source) inputs[input.name] = [String(source.origin), source.slot];
    }
    prompt[String(id)] = { inputs, class_type: node.type, ...(node.title != null ? { _meta: { title: node.title } } : {}) };
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

function resolve(linkId: number, links: Map<number, { origin: number; slot: number }>, nodes: Map<number, UiNode>, inputType?: string): { origin: number; slot: number } | null {
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
      return null;
    }
    return mode === 2 ? null : link;
  }
  return null;
}
