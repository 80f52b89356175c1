#!/usr/bin/env python3
"""Queue a workflow on a ComfyUI-compatible server and download its images.

Uses only the standard library: urllib for HTTP and a minimal WebSocket client over a raw socket
(enough for the server's unfragmented text frames). Works against ComfyUI and ComfySharp alike.

usage: basic_api_client.py [--server 127.0.0.1:8188] [--out DIR] [--api-key KEY] workflow_api.json

With --api-key (or $COMFY_API_KEY), for a ComfySharp server started with --auth, every request carries
"Authorization: Bearer KEY" and the WebSocket URL carries ?token=KEY.
"""
import argparse
import base64
import json
import os
import socket
import struct
import sys
import urllib.parse
import urllib.request
import uuid


class MiniWebSocket:
    """Just enough of RFC 6455 for a client that reads server frames."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port), timeout=120)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("connection closed during handshake")
            response += chunk
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise ConnectionError(response.decode(errors="replace"))

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data

    def recv(self):
        """Returns (opcode, payload) of the next complete message."""
        opcode, payload = None, b""
        while True:
            b1, b2 = self._read(2)
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b2 & 0x80 else None
            data = self._read(length)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode is None:
                opcode = b1 & 0x0F
            payload += data
            if b1 & 0x80:
                return opcode, payload

    def close(self):
        try:
            self.sock.sendall(bytes([0x88, 0x80]) + os.urandom(4))
        finally:
            self.sock.close()


API_KEY = None


def auth_headers():
    return {"Authorization": f"Bearer {API_KEY}"} if API_KEY else {}


def post_json(server, path, body):
    request = urllib.request.Request(f"http://{server}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **auth_headers()})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def get_bytes(server, path):
    with urllib.request.urlopen(urllib.request.Request(f"http://{server}{path}", headers=auth_headers())) as response:
        return response.read()


def get_json(server, path):
    return json.loads(get_bytes(server, path))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:8188")
    parser.add_argument("--out", default=".")
    parser.add_argument("--api-key", default=os.environ.get("COMFY_API_KEY"))
    parser.add_argument("workflow")
    args = parser.parse_args()
    global API_KEY
    API_KEY = args.api_key
    with open(args.workflow, encoding="utf-8") as f:
        prompt = json.load(f)

    client_id = uuid.uuid4().hex
    host, port = args.server.rsplit(":", 1)
    token = "&token=" + urllib.parse.quote(API_KEY, safe="") if API_KEY else ""
    ws = MiniWebSocket(host, int(port), f"/ws?clientId={client_id}{token}")
    queued = post_json(args.server, "/prompt", {"prompt": prompt, "client_id": client_id})
    prompt_id = queued["prompt_id"]
    print(f"queued {prompt_id} as number {queued['number']}")

    while True:
        opcode, payload = ws.recv()
        if opcode != 1:
            continue  # binary previews
        message = json.loads(payload)
        if message["type"] == "executing":
            data = message["data"]
            if data["node"] is None and data["prompt_id"] == prompt_id:
                break
            print(f"executing node {data['node']}")
        elif message["type"] == "execution_error":
            print(f"error: {message['data'].get('exception_message')}", file=sys.stderr)
    ws.close()

    history = get_json(args.server, f"/history/{prompt_id}")[prompt_id]
    print(f"status: {history['status']['status_str']}")
    saved = 0
    for node_id, output in history["outputs"].items():
        for image in output.get("images", []):
            query = urllib.parse.urlencode({"filename": image["filename"], "subfolder": image["subfolder"], "type": image["type"]})
            data = get_bytes(args.server, f"/view?{query}")
            target = os.path.join(args.out, image["filename"])
            with open(target, "wb") as f:
                f.write(data)
            print(f"saved {target} ({len(data)} bytes) from node {node_id}")
            saved += 1
    return 0 if history["status"]["status_str"] == "success" and saved > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
