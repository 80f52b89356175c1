// Workflow files: the default SD1.5 graph, and workflows embedded in PNG and WebP images.
import { LGraph, LiteGraph, type LGraphNode } from "@comfyorg/litegraph";

/** The default text-to-image graph (checkpoint, two prompts, empty latent, KSampler, VAE decode, save). */
export function buildDefaultGraph(graph: LGraph): void {
  graph.clear();
  // Node ids as in the reference's default graph, which scripts that edit its API export rely on ("6" = positive prompt).
  const add = (id: number, type: string, pos: [number, number], values: Record<string, unknown> = {}, size?: [number, number]): LGraphNode => {
    const node = LiteGraph.createNode(type);
    if (!node) throw new Error(`The server has no ${type} node.`);
    node.id = id;
    node.pos = pos;
    if (size) node.size = size;
    graph.add(node);
    for (const [name, value] of Object.entries(values)) {
      const widget = node.widgets?.find((w) => w.name === name);
      if (widget) widget.value = value as never;
    }
    return node;
  };
  const sampler = add(3, "KSampler", [863, 186], { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: "euler", scheduler: "normal", denoise: 1 }, [315, 262]);
  const checkpoint = add(4, "CheckpointLoaderSimple", [26, 474], { ckpt_name: "v1-5-pruned-emaonly.safetensors" }, [315, 98]);
  const latent = add(5, "EmptyLatentImage", [473, 609], { width: 512, height: 512, batch_size: 1 }, [315, 106]);
  const positive = add(6, "CLIPTextEncode", [415, 186], { text: "beautiful scenery nature glass bottle landscape, , purple galaxy bottle," }, [422, 164]);
  const negative = add(7, "CLIPTextEncode", [413, 389], { text: "text, watermark" }, [425, 180]);
  const decode = add(8, "VAEDecode", [1209, 188], {}, [210, 46]);
  const save = add(9, "SaveImage", [1451, 189], { filename_prefix: "ComfyUI" }, [210, 270]);
  checkpoint.connect(0, sampler, 0);
  latent.connect(0, sampler, 3);
  checkpoint.connect(1, positive, 0);
  positive.connect(0, sampler, 1);
  checkpoint.connect(1, negative, 0);
  negative.connect(0, sampler, 2);
  sampler.connect(0, decode, 0);
  checkpoint.connect(2, decode, 1);
  decode.connect(0, save, 0);
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** The tEXt/iTXt chunks of a PNG as keyword → text. */
export function pngTextChunks(buffer: ArrayBuffer): Record<string, string> {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) throw new Error("Not a PNG file.");
  const out: Record<string, string> = {};
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = latin1(bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "tEXt") {
      const zero = data.indexOf(0);
      out[latin1(data.subarray(0, zero))] = new TextDecoder("latin1").decode(data.subarray(zero + 1));
    } else if (type === "iTXt") {
      const zero = data.indexOf(0);
      const keyword = latin1(data.subarray(0, zero));
      const compressed = data[zero + 1];
      let p = data.indexOf(0, zero + 3); // language tag
      p = data.indexOf(0, p + 1); // translated keyword
      if (compressed === 0) out[keyword] = new TextDecoder().decode(data.subarray(p + 1));
    } else if (type === "IEND") {
      break;
    }
    offset += 12 + length;
  }
  return out;
}

/** "workflow"/"prompt" texts from a WebP's EXIF chunk ("workflow:{...}" entries, as the reference writes them). */
export function webpTextChunks(buffer: ArrayBuffer): Record<string, string> {
  const bytes = new Uint8Array(buffer);
  if (latin1(bytes.subarray(0, 4)) !== "RIFF" || latin1(bytes.subarray(8, 12)) !== "WEBP") throw new Error("Not a WebP file.");
  const out: Record<string, string> = {};
  const view = new DataView(buffer);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = latin1(bytes.subarray(offset, offset + 4));
    const length = view.getUint32(offset + 4, true);
    if (type === "EXIF") {
      const text = new TextDecoder().decode(bytes.subarray(offset + 8, offset + 8 + length));
      for (const key of ["workflow", "prompt"]) {
        const start = text.indexOf(`${key}:`);
        if (start < 0) continue;
        const json = text.slice(start + key.length + 1);
        const end = json.indexOf("\0");
        out[key] = end < 0 ? json : json.slice(0, end);
      }
    }
    offset += 8 + length + (length % 2);
  }
  return out;
}

export { LGraph };
