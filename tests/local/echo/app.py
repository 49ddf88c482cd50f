"""A tiny test service: answers with its version, task and the ALB headers it received."""

import json
import os
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = os.environ.get("PREFIX", "")
VERSION = os.environ.get("VERSION", "v1")
HEALTH = int(os.environ.get("HEALTH_STATUS", "200"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real runtime behind an ALB

    def do_GET(self) -> None:
        if self.path == f"{PREFIX}/healthz":
            code, body = HEALTH, {"status": "ok" if HEALTH == 200 else "failing"}
        else:
            code, body = (
                200,
                {
                    "version": VERSION,
                    "task": socket.gethostname(),
                    "path": self.path,
                    "secret": os.environ.get("SECRET_A", "") + "|" + os.environ.get("SECRET_B", ""),
                    "user": os.getuid(),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                },
            )
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        print(f"access {self.command} {self.path} {args[1] if len(args) > 1 else ''}", flush=True)


server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print(f"serving {VERSION} on {server.server_address}", flush=True)
server.serve_forever()
print("stopped after SIGTERM", flush=True)
