import type { ComfyApi } from "./api";

export interface ImageRef {
  filename: string;
  subfolder: string;
  type: string;
}

/**
 * A small mask editor over an input image: paint or erase the mask with a round brush, then Save uploads it as the
 * reference frontend does (POST /upload/mask: a PNG whose alpha is 0 where painted, `original_ref` naming the image,
 * into input/clipspace) and hands the stored `subfolder/name [type]` to <paramref name="saved"/>.
 */
export function openMaskEditor(api: ComfyApi, ref: ImageRef, saved: (value: string) => void): void {
  document.getElementById("mask-editor")?.remove();
  const root = document.createElement("div");
  root.id = "mask-editor";
  root.innerHTML = `<div class="mask-tools">
  <button id="mask-paint" class="active">Paint</button><button id="mask-erase">Erase</button>
  <label>Brush <input id="mask-brush" type="range" min="1" max="200" value="20"></label>
  <button id="mask-clear">Clear</button><span class="sep"></span>
  <span id="mask-status"></span><button id="mask-cancel">Cancel</button><button id="mask-save" class="primary">Save</button>
</div><div class="mask-stage"><canvas id="mask-image"></canvas><canvas id="mask-canvas"></canvas></div>`;
  document.body.append(root);
  const get = <T extends HTMLElement>(id: string) => root.querySelector(`#${id}`) as T;
  const imageCanvas = get<HTMLCanvasElement>("mask-image");
  const maskCanvas = get<HTMLCanvasElement>("mask-canvas");
  const mask = maskCanvas.getContext("2d")!;
  const brush = get<HTMLInputElement>("mask-brush");
  let erase = false;
  const setMode = (toErase: boolean) => {
    erase = toErase;
    get("mask-paint").classList.toggle("active", !erase);
    get("mask-erase").classList.toggle("active", erase);
  };
  get("mask-paint").onclick = () => setMode(false);
  get("mask-erase").onclick = () => setMode(true);
  get("mask-clear").onclick = () => mask.clearRect(0, 0, maskCanvas.width, maskCanvas.height);
  get("mask-cancel").onclick = () => root.remove();

  const image = new Image();
  image.onload = () => {
    for (const c of [imageCanvas, maskCanvas]) {
      c.width = image.naturalWidth;
      c.height = image.naturalHeight;
    }
    // Fit the picture to the window, scaling small images up so a brush can reach single pixels.
    const scale = Math.min((window.innerWidth * 0.9) / image.naturalWidth, (window.innerHeight - 70) / image.naturalHeight);
    imageCanvas.style.width = `${image.naturalWidth * scale}px`;
    imageCanvas.style.height = `${image.naturalHeight * scale}px`;
    const draw = imageCanvas.getContext("2d", { willReadFrequently: true })!;
    draw.drawImage(image, 0, 0);
    // An image saved by the editor before: its transparent pixels are the mask so far.
    const pixels = draw.getImageData(0, 0, image.naturalWidth, image.naturalHeight);
    const existing = mask.createImageData(pixels.width, pixels.height);
    for (let i = 0; i < pixels.data.length; i += 4) {
      existing.data[i] = existing.data[i + 1] = existing.data[i + 2] = 255;
      existing.data[i + 3] = 255 - pixels.data[i + 3];
    }
    mask.putImageData(existing, 0, 0);
    // Show the picture opaque under the mask.
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
    draw.putImageData(pixels, 0, 0);
    root.dataset.ready = "true";
  };
  image.src = api.viewUrl(ref);

  let last: [number, number] | null = null;
  const point = (e: PointerEvent): [number, number] => {
    const r = maskCanvas.getBoundingClientRect();
    return [((e.clientX - r.left) * maskCanvas.width) / r.width, ((e.clientY - r.top) * maskCanvas.height) / r.height];
  };
  const stroke = (to: [number, number]) => {
    const from = last ?? to;
    const scale = maskCanvas.width / maskCanvas.getBoundingClientRect().width;
    mask.globalCompositeOperation = erase ? "destination-out" : "source-over";
    mask.strokeStyle = "#fff";
    mask.lineCap = "round";
    mask.lineJoin = "round";
    mask.lineWidth = Number(brush.value) * scale;
    mask.beginPath();
    mask.moveTo(from[0], from[1]);
    mask.lineTo(to[0] + (from === to ? 0.01 : 0), to[1]);
    mask.stroke();
    last = to;
  };
  maskCanvas.onpointerdown = (e) => {
    maskCanvas.setPointerCapture(e.pointerId);
    last = null;
    stroke(point(e));
  };
  maskCanvas.onpointermove = (e) => {
    if (last) stroke(point(e));
  };
  maskCanvas.onpointerup = () => (last = null);

  const save = get<HTMLButtonElement>("mask-save");
  save.onclick = () => {
    save.disabled = true;
    upload().then(
      (value) => {
        saved(value);
        root.remove();
      },
      (error: unknown) => {
        // A failed upload keeps the editor (and the strokes) open with the reason.
        get("mask-status").textContent = error instanceof Error ? error.message : String(error);
        save.disabled = false;
      },
    );
  };
  const upload = async (): Promise<string> => {
    const out = document.createElement("canvas");
    out.width = maskCanvas.width;
    out.height = maskCanvas.height;
    const o = out.getContext("2d")!;
    const painted = mask.getImageData(0, 0, out.width, out.height);
    const result = o.createImageData(out.width, out.height);
    for (let i = 3; i < painted.data.length; i += 4) result.data[i] = 255 - painted.data[i];
    o.putImageData(result, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"));
    const form = new FormData();
    form.append("image", blob, `clipspace-mask-${Date.now()}.png`);
    form.append("original_ref", JSON.stringify(ref));
    form.append("type", "input");
    form.append("subfolder", "clipspace");
    const response = await api.fetch("upload/mask", { method: "POST", body: form });
    const answer = await response.text();
    if (!response.ok) throw new Error(`Mask upload failed: ${response.status} ${answer}`);
    const stored = JSON.parse(answer) as { name: string; subfolder?: string; type?: string };
    return `${stored.subfolder ? `${stored.subfolder}/` : ""}${stored.name} [${stored.type ?? "input"}]`;
  };
}
