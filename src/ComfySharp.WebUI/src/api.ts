// The server's HTTP and WebSocket API, with the auth token (from ?token= or the settings) on every request.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const TOKEN_KEY = "comfysharp.token";

/** Where the API lives: the page's folder, less the "comfysharp/" folder the UI is also served from. */
function apiRoot(): string {
  let path = location.pathname.replace(/[^/]*$/, "");
  if (path.endsWith("/comfysharp/")) path = path.slice(0, -"comfysharp/".length);
  return path;
}

export class ComfyApi extends EventTarget {
  readonly root = apiRoot();
  readonly clientId: string;
  token: string;
  private socket: WebSocket | null = null;
  private closedByUs = false;

  constructor() {
    super();
    const fromUrl = new URLSearchParams(location.search).get("token");
    if (fromUrl) localStorage.setItem(TOKEN_KEY, fromUrl);
    this.token = fromUrl ?? localStorage.getItem(TOKEN_KEY) ?? "";
    this.clientId = sessionStorage.getItem("comfysharp.clientId") ?? crypto.randomUUID().replace(/-/g, "");
    sessionStorage.setItem("comfysharp.clientId", this.clientId);
  }

  setToken(token: string): void {
    this.token = token;
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  }

  /** A URL under the API root, with the token added when there is one. */
  url(route: string, query?: Record<string, string>): string {
    const params = new URLSearchParams(query);
    if (this.token) params.set("token", this.token);
    const q = params.toString();
    return `${this.root}api/${route.replace(/^\//, "")}${q ? (route.includes("?") ? "&" : "?") + q : ""}`;
  }

  async fetch(route: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set("Authorization", `Bearer ${this.token}`);
    return fetch(this.url(route), { ...init, headers });
  }

  async getJson<T = Json>(route: string): Promise<T> {
    const response = await this.fetch(route);
    if (!response.ok) throw new Error(`${route}: ${response.status} ${response.statusText}`);
    return (await response.json()) as T;
  }

  async postJson(route: string, body: Json): Promise<Response> {
    return this.fetch(route, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  /** POSTs JSON and reads the whole answer (an unread body counts as an aborted request); throws on an error status. */
  async send(route: string, body: Json, method = "POST"): Promise<string> {
    const response = await this.fetch(route, { method, headers: { "Content-Type": "application/json" }, body: method === "DELETE" ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${route}: ${response.status} ${text}`);
    return text;
  }

  /** A /view URL for an output image. */
  viewUrl(image: { filename: string; subfolder?: string; type?: string }): string {
    return this.url("view", { filename: image.filename, subfolder: image.subfolder ?? "", type: image.type ?? "output" });
  }

  /** Opens /ws and re-opens it after a drop; each JSON message is dispatched as an event of its type. */
  connect(): void {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams({ clientId: this.clientId });
    if (this.token) query.set("token", this.token);
    const socket = new WebSocket(`${scheme}://${location.host}${this.root}ws?${query}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => this.dispatchEvent(new CustomEvent("reconnected"));
    socket.onclose = () => {
      if (this.socket !== socket || this.closedByUs) return;
      this.dispatchEvent(new CustomEvent("disconnected"));
      setTimeout(() => this.connect(), 1000);
    };
    socket.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) {
        const view = new DataView(event.data);
        // Binary frames: u32 type (1 = preview image), u32 format, then the image bytes.
        if (event.data.byteLength > 8 && view.getUint32(0) === 1) {
          const mime = view.getUint32(4) === 2 ? "image/png" : "image/jpeg";
          this.dispatchEvent(new CustomEvent("b_preview", { detail: new Blob([event.data.slice(8)], { type: mime }) }));
        }
        return;
      }
      const message = JSON.parse(event.data as string) as { type: string; data: JsonObject };
      this.dispatchEvent(new CustomEvent(message.type, { detail: message.data }));
    };
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.close();
  }
}
