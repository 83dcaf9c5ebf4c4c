"""A static HTTP server with byte-range support for the tests: serves a directory, answers `Range: bytes=a-b` with
206 and `Content-Range`, sends `ETag` and `Last-Modified`, logs every request, and can be told to misbehave per
path: `("status", code)`, `("truncate",)` (send half of the promised bytes), `("stall", seconds)` (send nothing for a
while), `("close",)` (drop the connection without an answer, as a server going down), each for every request or, with a last element `"data"`, only for ranges that do not start at byte 0 (the
tile reads after a file's header)."""

import email.utils
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class RangeServer:
    """`RangeServer(root)` serves `root` on a free loopback port; `url`, `requests` (method, path, range header, bytes
    sent), `faults` (path -> fault, see above) and `stop()`. With `tls=(certificate file, key file)` it speaks
    https."""

    def __init__(self, root: Path, tls=None):
        self.root = Path(root)
        self.requests = []
        self.faults = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.answer(body=False)

            def do_GET(self):
                self.answer(body=True)

            def answer(self, body):
                path = self.path.split("?", 1)[0]
                fault = server.faults.get(path)
                rng = self.headers.get("Range")
                if fault and fault[-1] == "data" and (rng or "bytes=0-").startswith("bytes=0-"):
                    fault = None
                sent = 0
                try:
                    if fault and fault[0] == "status":
                        return self.plain(fault[1])
                    if fault and fault[0] == "stall":
                        time.sleep(fault[1])
                    if fault and fault[0] == "close":
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    file = (server.root / path.lstrip("/")).resolve()
                    if server.root.resolve() not in file.parents or not file.is_file():
                        return self.plain(404)
                    size = file.stat().st_size
                    start, end = 0, size - 1
                    if rng and rng.startswith("bytes="):
                        a, _, b = rng[6:].partition("-")
                        if a:
                            start, end = int(a), min(int(b) if b else size - 1, size - 1)
                        else:
                            start = max(size - int(b), 0)
                        if start >= size:
                            self.send_response(416)
                            self.send_header("Content-Range", f"bytes */{size}")
                            self.send_header("Content-Length", "0")
                            self.end_headers()
                            return
                    length = end - start + 1
                    self.send_response(206 if rng else 200)
                    if rng:
                        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                    stat = file.stat()
                    self.send_header("Content-Length", str(length))
                    self.send_header("Accept-Ranges", "bytes")
                    self.send_header("ETag", f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"')
                    self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
                    self.end_headers()
                    if not body:
                        return
                    with open(file, "rb") as f:
                        f.seek(start)
                        data = f.read(length)
                    if fault and fault[0] == "truncate":
                        data = data[: len(data) // 2]
                        self.close_connection = True
                    self.wfile.write(data)
                    sent = len(data)
                finally:
                    with server.lock:
                        server.requests.append((self.command, path, rng, sent))

            def plain(self, code):
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # clients closing connections early (timeouts, dropped transfers, refused certificates) are part of
                # the tests
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # the handshake happens in the handler's thread, so a client that fails it holds up nobody
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True,
                                                    do_handshake_on_connect=False)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def gets(self, suffix=""):
        """The logged GET requests of paths ending in `suffix`."""
        with self.lock:
            return [r for r in self.requests if r[0] == "GET" and r[1].endswith(suffix)]

    def clear(self):
        with self.lock:
            self.requests.clear()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    s = RangeServer(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(os.getcwd()))
    print(s.url, flush=True)
    s.thread.join()
