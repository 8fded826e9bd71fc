#!/usr/bin/env python3
"""The demo's web service: a page on 127.0.0.1:PORT, and /healthz."""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n" if self.path == "/healthz" else \
            b"<h1>Welcome to the havoc demo</h1>\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8089
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
