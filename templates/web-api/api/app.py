"""{{name}}'s API: JSON over HTTP on port 8000, with /health for the healthcheck."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = {
    "/health": {"ok": True},
    "/api/hello": {"message": "hello from the api service"},
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ROUTES.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body if body is not None else {"error": "not found"}).encode())


if __name__ == "__main__":
    print("api listening on :8000")
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
