"""Microsoft's token signing keys, fetched off the event loop.

botframework-connector (`jwt_token_extractor._OpenIdMetadata`) fetches the OpenID metadata and its
JWKS with blocking `requests.get` calls, without a timeout, inside a coroutine: on the first
authenticated request and then about once a day, every request the server has stalls until
Microsoft answers. `use_off_loop_keys()` makes the SDK's class-wide key cache hand out
`SigningKeys` instead: fetched in a worker thread with a timeout, once for all the requests waiting
on them, and refreshed in the background while the keys already held keep checking tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from botframework.connector.auth import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

from adapters.teams.shared_fetch import SharedFetch

__all__ = ["SigningKeys", "SigningKey", "use_off_loop_keys"]

REFRESH_AFTER = timedelta(days=1)  # as the SDK
STALE_LIMIT = timedelta(days=2)  # older keys are no longer used while a refresh fails: requests wait for one
NEW_KEY_AFTER = timedelta(hours=1)  # as the SDK: an unknown key id fetches again, at most hourly
RETRY_AFTER = timedelta(minutes=1)  # between background refreshes that fail
TIMEOUT = 10.0  # seconds, for each of the two requests


@dataclass(frozen=True)
class SigningKey:
    """What the SDK's token check reads from its metadata: the public key and its channel endorsements."""

    public_key: Any
    endorsements: list[str]


class SigningKeys:
    """The keys published at one OpenID metadata URL (the SDK's `_OpenIdMetadata`, off the event loop)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT, clock: Callable[[], datetime] = datetime.now) -> None:
        self.url = url
        self.timeout = timeout
        self.clock = clock
        self._keys: SharedFetch[tuple[list[dict], datetime], datetime] = SharedFetch(  # (keys, fetched at)
            self._fetch,
            held=([], datetime.min),
            tried_at=datetime.min,
            clock=lambda: self.clock(),  # whichever clock is set by then
            what="Bot Framework signing keys",
            thread="snag-teams-keys",
        )

    @property
    def fetched_at(self) -> datetime:
        """When the keys held were fetched (datetime.min before the first fetch)."""
        return self._keys.held[1]

    async def get(self, key_id: str | None) -> SigningKey | None:
        """The key a token names, fetching the keys first only when none are held (or they are too old)."""
        keys, fetched_at = self._keys.held
        age = self.clock() - fetched_at
        if not keys or age > STALE_LIMIT:
            await self._keys.fetched()
        elif age > REFRESH_AFTER and self.clock() - self._keys.tried_at > RETRY_AFTER:
            self._keys.refresh()  # in the background: meanwhile the keys held (at most STALE_LIMIT old) still serve
        key = self._find(key_id)
        if key is None and key_id and self.clock() - self._keys.tried_at > NEW_KEY_AFTER:
            await self._keys.fetched()  # Microsoft may have published a new key since
            key = self._find(key_id)
        return key

    def _fetch(self) -> tuple[list[dict], datetime]:
        metadata = requests.get(self.url, timeout=self.timeout)
        metadata.raise_for_status()
        published = requests.get(metadata.json()["jwks_uri"], timeout=self.timeout)
        published.raise_for_status()
        return list(published.json()["keys"]), self.clock()

    def _find(self, key_id: str | None) -> SigningKey | None:
        for key in self._keys.held[0]:
            if key_id is not None and key.get("kid") == key_id:
                return SigningKey(RSAAlgorithm.from_jwk(json.dumps(key)), list(key.get("endorsements", [])))
        return None


class _KeyCache(dict):
    """The SDK's metadata cache (by URL), handing out SigningKeys for every URL it is asked for."""

    def get(self, url: str, default: object = None) -> SigningKeys:
        keys = super().get(url)
        if not isinstance(keys, SigningKeys):
            keys = self[url] = SigningKeys(url)
        return keys


def use_off_loop_keys() -> None:
    """Make every token check of this process use SigningKeys (idempotent)."""
    if not isinstance(JwtTokenExtractor.metadataCache, _KeyCache):
        JwtTokenExtractor.metadataCache = _KeyCache()
