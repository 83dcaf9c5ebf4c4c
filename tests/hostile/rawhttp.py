"""HTTP/1.1 over a plain socket, for requests the requests library would change or refuse: request targets sent byte
for byte (no `..` removal, no re-quoting), malformed headers, bodies streamed while watching for an early answer
(a server may refuse a large body before reading it), and bodies shorter than their Content-Length."""

import http.client
import select
import socket
import time


class Answer:
    def __init__(self, status: int, headers: dict, body: bytes, seconds: float):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body
        self.seconds = seconds


class NoAnswer(Exception):
    """The connection ended, or the time ran out, before a complete HTTP answer arrived."""


def build(method: str, target: bytes, headers: dict, body_length=None, chunked=False) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    for k, v in headers.items():
        lines.append(k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("latin-1")))
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    elif body_length is not None:
        lines.append(b"Content-Length: " + str(body_length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def exchange(port: int, head: bytes, body=None, chunked=False, half_close=False, seconds=30.0,
             method="GET") -> Answer:
    """Sends `head` then `body` (bytes, or an iterable of chunks when `chunked`) and reads the answer.

    Stops sending as soon as the server answers or closes (a refused large body); raises `NoAnswer` when no
    complete answer comes within `seconds`."""
    t0 = time.monotonic()
    deadline = t0 + seconds
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=min(5.0, seconds))
    except OSError as e:
        raise NoAnswer(f"cannot connect: {e}") from e
    try:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            sock.sendall(head)
            if body is not None:
                pieces = body if chunked else (body[i:i + (1 << 16)] for i in range(0, len(body), 1 << 16))
                for p in pieces:
                    if time.monotonic() > deadline:
                        raise NoAnswer(f"still sending the body after {seconds:.0f} s")
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        break  # an early answer (or a close): read it
                    sock.sendall(b"%x\r\n" % len(p) + p + b"\r\n" if chunked else p)
                else:
                    if chunked:
                        sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading; its answer may still be there
        if half_close:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        resp = http.client.HTTPResponse(sock, method=method)
        try:
            resp.begin()
            data = resp.read()
        except socket.timeout as e:
            raise NoAnswer(f"no answer within {seconds:.0f} s") from e
        except (http.client.HTTPException, OSError) as e:
            raise NoAnswer(f"no complete HTTP answer: {type(e).__name__}: {e}") from e
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return Answer(resp.status, headers, data, time.monotonic() - t0)
    finally:
        sock.close()
