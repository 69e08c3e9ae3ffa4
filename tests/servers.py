"""Servers the tests run in a thread of their own: the API under uvicorn on a free port, and a
server that records every request it gets (what a hostile file must never make us fetch)."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (for a server started by another process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, name: str = "uvicorn", **options: Any) -> Iterator[int]:
    """The app served by uvicorn on a free port of 127.0.0.1 until the block ends; its port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, **{"log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"Le serveur de l'API n'a pas démarré ({name}).", pytrace=False)
        time.sleep(0.05)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def recording_server(body: bytes) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every GET and HEAD with this body until the block ends:
    its address, and the paths it was asked for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
