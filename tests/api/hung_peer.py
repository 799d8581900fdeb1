"""A TCP listener on loopback that accepts connections and never answers (a hung Redis)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class HungPeer:
    """Counts connections accepted and currently open; reads and discards what arrives."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self.accepted = 0
        self.open = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> HungPeer:
        self._accepting.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.accepted += 1
                self.open += 1
            thread = threading.Thread(target=self._swallow, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _swallow(self, connection: socket.socket) -> None:
        connection.settimeout(0.1)
        with connection:
            while not self._stopping.is_set():
                try:
                    if not connection.recv(4096):
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
        with self._lock:
            self.open -= 1

    def wait_for_open(self, count: int, timeout: float = 20) -> bool:
        """Whether ``count`` connections are open at once within ``timeout`` (a bound on hangs)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.open >= count:
                    return True
            time.sleep(0.01)
        return False
