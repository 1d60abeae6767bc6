"""Databases that hang instead of refusing: a server that never answers, a proxy to the real
PostgreSQL that can be frozen as a stopped server or a network cut freezes it (the system still
accepts and acknowledges the bytes; nothing comes back), and a repository whose commits wait."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

T = TypeVar("T")


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port where connections are accepted (by the system) and never answered; yields the port."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        yield listener.getsockname()[1]


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 to `target`; `freeze()` stops every byte, in both directions, and new connections."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        """The database URL, through this proxy."""
        return sa.make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.thaw()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.flowing.wait()
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def proxy_to(url: str) -> Iterator[FreezableProxy]:
    parsed = sa.make_url(url)
    proxy = FreezableProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    try:
        yield proxy
    finally:
        proxy.close()


def within(seconds: float, work: Callable[[], T]) -> tuple[T | BaseException, float]:
    """Run `work` in a thread: what it returned or raised, and how long it took; fails the test when it
    takes longer than `seconds` (a hung call is left behind in its daemon thread)."""
    outcome: list[T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        pytest.fail(f"still waiting for the database after {seconds:.0f} s")
    return outcome[0], time.monotonic() - started


class Slow:
    """A report repository whose add_report waits for `go` first (at most `wait` seconds)."""

    def __init__(self, real: Any, wait: float = 10.0) -> None:
        self.real, self.wait, self.go = real, wait, threading.Event()

    def add_report(self, **kwargs: Any) -> Any:
        self.go.wait(self.wait)
        return self.real.add_report(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def until(seen: Callable[[], bool], seconds: float) -> None:
    """Wait, on the event loop, until `seen()`; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not seen():
        assert time.monotonic() < deadline, "not seen in time"
        await asyncio.sleep(0.05)
