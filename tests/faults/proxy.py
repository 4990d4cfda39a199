"""A small TCP proxy on loopback that a fault test controls: pass, cut, or hold traffic.

``down()`` closes every open connection and resets new ones (a store or broker that went away),
``up()`` restores it. ``hold_on(pattern)`` stops forwarding a connection as soon as the client
sends bytes containing ``pattern`` (e.g. the object key of one photo) and sets ``held``: the
test then knows exactly where the client is blocked, which makes "killed mid-message"
deterministic.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``upstream`` (host, port) until closed."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self.held = threading.Event()
        self.accepted = 0
        self._down = False
        self._hold: bytes | None = None
        self._reset: bytes | None = None
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    # -- control -----------------------------------------------------------------------------

    def down(self) -> None:
        """Cut every open connection; refuse (reset) new ones until :meth:`up`."""
        with self._lock:
            self._down = True
            socks = list(self._socks)
        for s in socks:
            _kill(s)

    def up(self) -> None:
        """Forward again (and stop holding)."""
        with self._lock:
            self._down = False
            self._hold = None

    def hold_on(self, pattern: bytes) -> None:
        """Stop forwarding a connection once its client sends ``pattern``."""
        self.held.clear()
        with self._lock:
            self._hold = pattern

    def reset_on(self, pattern: bytes | None) -> None:
        """Reset a connection (both ends) as soon as its client sends ``pattern``."""
        self._reset = pattern

    def close(self) -> None:
        """Stop listening and cut everything."""
        self._closed = True
        self.down()
        _kill(self.listener)

    # -- plumbing ----------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self._down:
                _kill(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _kill(client)
                continue
            with self._lock:
                self._socks.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self._reset is not None and self._reset in data:
                    break  # the finally below resets both ends
                pattern = self._hold
                if from_client and pattern is not None and pattern in data:
                    self.held.set()
                    return  # never forward; the client waits until it is killed or cut
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if not (from_client and self.held.is_set() and self._hold is not None):
                for s in (src, dst):
                    _kill(s)
                    with self._lock:
                        self._socks.discard(s)


def _kill(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0), so the peer sees the failure at once."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
