"""A TCP proxy between the server and its database that a test can turn into a fault:
pass, delay every chunk, or go down (drop every connection and refuse new ones)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class FaultProxy:
    """Listens on 127.0.0.1 (``port``) and forwards to ``target``; ``mode`` is read live."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "pass"
        self.delay = 0.0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def slow(self, seconds: float) -> None:
        """Every chunk in either direction waits ``seconds`` before it is passed on."""
        self.mode, self.delay = "delay", seconds

    def down(self) -> None:
        """Drop every connection now and refuse the next ones, as a crashed server would."""
        self.mode = "down"
        with self.lock:
            for sock in list(self.open):
                _close(sock)
            self.open.clear()

    def up(self) -> None:
        self.mode, self.delay = "pass", 0.0

    def close(self) -> None:
        self.running = False
        self.down()
        _close(self.listener)

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "down":
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk or self.mode == "down":
                    break
                if self.mode == "delay":
                    time.sleep(self.delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open.discard(source)
                self.open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def sockets_in_close_wait(port: int) -> int:
    """This machine's TCP sockets whose peer is 127.0.0.1:``port`` and that wait in
    CLOSE-WAIT: the peer hung up and the owner never closed them."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "08" and int(remote.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@contextmanager
def proxied(target: tuple[str, int]) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()
