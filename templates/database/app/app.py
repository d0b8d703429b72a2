"""{{name}}: counts visits in PostgreSQL. / shows the count, /health answers when the database does."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg


def connect():
    with open(os.environ["DATABASE_PASSWORD_FILE"]) as f:
        password = f.read().strip()
    return psycopg.connect(
        host=os.environ["DATABASE_HOST"],
        dbname=os.environ["DATABASE_NAME"],
        user=os.environ["DATABASE_USER"],
        password=password,
        connect_timeout=3,
    )


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with connect() as db:
                if self.path == "/health":
                    db.execute("SELECT 1")
                    body = {"ok": True}
                else:
                    db.execute("CREATE TABLE IF NOT EXISTS visits (at timestamptz DEFAULT now())")
                    db.execute("INSERT INTO visits DEFAULT VALUES")
                    body = {"visits": db.execute("SELECT count(*) FROM visits").fetchone()[0]}
            self.send_response(200)
        except psycopg.Error as err:
            body = {"error": str(err)}
            self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())


if __name__ == "__main__":
    print("app listening on :8080")
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
