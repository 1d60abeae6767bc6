"""A value fetched off the event loop, once for everyone waiting on it.

The Bot Framework SDK fetches its access token and Microsoft's signing keys with blocking calls
inside coroutines. `ConnectorToken` and `SigningKeys` fetch theirs through a `SharedFetch` instead:
in a worker thread, one fetch at a time whoever asks, while the value held keeps serving those that
need not wait; each decides from `held` and `tried_at` when to wait and when to refresh in the background.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from bot.core import where

__all__ = ["SharedFetch"]

log = logging.getLogger("snag.teams")
Value = TypeVar("Value")  # what is fetched, with whatever says how long it serves
When = TypeVar("When")  # what the owner's clock reads


class SharedFetch(Generic[Value, When]):
    """A value fetched in a worker thread, one fetch at a time shared by every waiter."""

    def __init__(
        self,
        fetch: Callable[[], Value],
        *,
        held: Value,
        tried_at: When,
        clock: Callable[[], When],
        what: str,
        thread: str,
        describe: Callable[[BaseException], str] = where,
    ) -> None:
        self.held = held  # swapped whole by the fetching thread
        self.tried_at = tried_at  # the last fetch's end, whether it worked or not
        self._fetch = fetch
        self._clock = clock
        self._what = what  # for the log line of a failed fetch, which says why with `describe`, never a secret
        self._describe = describe
        self._thread = thread
        self._guard = threading.Lock()
        self._fetching: Future[None] | None = None

    async def fetched(self) -> Value:
        """The value a fetch (the one in progress or a new one) brings, or what it raised."""
        await asyncio.wrap_future(self.refresh())
        return self.held

    def refresh(self) -> Future[None]:
        """The fetch in progress, or a new one in a worker thread: one at a time, whoever asks."""
        with self._guard:
            if self._fetching is None:
                self._fetching = Future()
                self._fetching.set_running_or_notify_cancel()  # a waiter that gives up cancels no one else's wait
                threading.Thread(target=self._run, args=(self._fetching,), name=self._thread, daemon=True).start()
            return self._fetching

    def _run(self, done: Future[None]) -> None:
        try:
            self.held = self._fetch()
        except Exception as exc:
            log.warning("%s not fetched: %s", self._what, self._describe(exc))
            outcome: BaseException | None = exc
        else:
            outcome = None
        with self._guard:
            self.tried_at, self._fetching = self._clock(), None
        if outcome is None:
            done.set_result(None)
        else:
            done.set_exception(outcome)
