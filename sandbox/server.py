"""The loopback HTTP/1.1 server in front of a Sandbox (standard library only).

Keep-alive, Content-Length framing, TCP_NODELAY on every accepted socket and each response
written with ONE sendall: otherwise Nagle's algorithm plus delayed ACKs stall every loopback
response by ~40 ms. Daemon threads; stop() closes the listener and every open connection.
"""

from __future__ import annotations

import contextlib
import socket
import time

from .account import Sandbox
from .listener import BackgroundServer, NoDelayHandler, QuietServer
from .wire import Headers, Response, reason

MAX_BODY = 50 * 1024 * 1024


class _Server(QuietServer):
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox):
        self.sandbox = sandbox
        super().__init__(address, _Handler)


class _Handler(NoDelayHandler):
    server_version = "ac-sandbox"
    sys_version = ""
    server: _Server

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            self._write(Response(413, b'{"message":"Content Too Large"}', [("Content-Type", "application/json")]))
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        sandbox = self.server.sandbox
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        response = sandbox.handle(self.command, path, query, Headers(self.headers.items()), body, base_url=f"http://{host}")
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if response.delay_headers:
            time.sleep(response.delay_headers)
        self._write(response)

    def _write(self, response: Response) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {reason(response.status)}",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
        ]
        lines += [f"{k}: {v}" for k, v in response.headers]
        body = b"" if self.command == "HEAD" else response.body
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if response.delay_body and body:
            self.wfile.write(head)
            time.sleep(response.delay_body)
            self.wfile.write(body)
        else:
            self.wfile.write(head + body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class SandboxServer(BackgroundServer):
    """Serve one Sandbox on loopback in background threads. Use as a context manager.

    ``url`` is the account URL; the API root is ``api_url`` (url + "/api/3")."""

    thread_name = "sandbox"

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0):
        self.sandbox = sandbox
        super().__init__(_Server((host, port), sandbox))

    @property
    def api_url(self) -> str:
        return self.url + "/api/3"
