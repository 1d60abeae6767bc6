"""The bot's access token for the Bot Connector, fetched off the event loop.

Every reply and proactive message goes through msrest's `AsyncRequestsCredentialsPolicy`, which
calls `AppCredentials.signed_session` -> `MicrosoftAppCredentials.get_access_token` inside a
coroutine: MSAL then makes blocking `requests` calls to login.microsoftonline.com, without a
timeout (the authority's OpenID configuration, then the token). The SDK's credential factory builds
new credentials, with an empty MSAL cache, for every turn and every proactive send, so each of them
stalls every request the server has until Microsoft answers. `OffLoopCredentialsFactory` hands the
SDK credentials that are themselves the pipeline's async signing policy instead: they await one
`ConnectorToken` per app and audience, fetched in a worker thread with a timeout, once for all the
sends waiting on it, and refreshed in the background before it expires.

A user-assigned managed identity (`MicrosoftAppType=UserAssignedMSI`) is the same story with MSAL's
`ManagedIdentityClient`, which finds Azure's identity endpoint as the SDK's credentials do:
`ManagedIdentityToken` asks it in the worker thread, with the timeout on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msal
import requests
from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import ManagedIdentityAppCredentials, MicrosoftAppCredentials
from msrest.authentication import Authentication
from msrest.pipeline import AsyncHTTPPolicy

from adapters.teams.shared_fetch import SharedFetch
from bot.core import where

__all__ = ["ConnectorToken", "ManagedIdentityToken", "OffLoopCredentialsFactory", "TokenRefused"]

EXPIRY_MARGIN = 5 * 60.0  # seconds: a token this close to its expiry is not sent (as MSAL)
REFRESH_BEFORE = 10 * 60.0  # seconds before expiry: fetch the next one in the background
RETRY_AFTER = 60.0  # seconds between background refreshes that fail
TIMEOUT = 10.0  # seconds, for the token request


class TokenRefused(PermissionError):
    """The login endpoint gave no token (PermissionError, as the SDK raises); says why, never a secret."""


class ConnectorToken:
    """One app's token for one audience (the SDK's MSAL token cache, off the event loop)."""

    def __init__(
        self, url: str, form: dict[str, str], *, timeout: float = TIMEOUT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.clock = clock
        self._form = form  # the client-credentials grant MSAL would post, secret included
        self._token: SharedFetch[tuple[str, float], float] = SharedFetch(  # (token, expires at)
            self._fetch,
            held=("", float("-inf")),
            tried_at=float("-inf"),
            clock=lambda: self.clock(),  # whichever clock is set by then
            what="Bot Framework access token",
            thread="snag-teams-token",
            describe=_describe,
        )

    @property
    def expires_at(self) -> float:
        """When the token held expires, on `clock` (-inf before the first fetch)."""
        return self._token.held[1]

    async def get(self) -> str:
        """The token to send, waiting for a fetch only when none is held or it is about to expire."""
        token, expires_at = self._token.held
        left = expires_at - self.clock()
        if not token or left < EXPIRY_MARGIN:
            return (await self._token.fetched())[0]
        if left < REFRESH_BEFORE and self.clock() - self._token.tried_at > RETRY_AFTER:
            self._token.refresh()  # in the background: meanwhile the token held still serves
        return token

    def wait(self) -> str:
        """`get` for a synchronous caller: blocks, at most about `timeout`, when a fetch is needed."""
        token, expires_at = self._token.held
        if token and expires_at - self.clock() >= EXPIRY_MARGIN:
            return token
        self._token.refresh().result()
        return self._token.held[0]

    def _fetch(self) -> tuple[str, float]:
        started = self.clock()  # the token's lifetime counts from its request
        answer = requests.post(self.url, data=self._form, timeout=self.timeout)
        try:
            body = answer.json()
        except ValueError:
            body = None
        return _granted(body, started, f"token request: HTTP {answer.status_code}", ok=answer.status_code == 200)


class ManagedIdentityToken(ConnectorToken):
    """A user-assigned managed identity's token for one resource, from Azure's identity endpoint."""

    def __init__(
        self, app_id: str, resource: str, *, timeout: float = TIMEOUT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__("", {}, timeout=timeout, clock=clock)
        self.resource = resource
        self.client = msal.ManagedIdentityClient(
            msal.UserAssignedManagedIdentity(client_id=app_id), http_client=_TimedSession(timeout)
        )

    def _fetch(self) -> tuple[str, float]:
        started = self.clock()
        body = self.client.acquire_token_for_client(resource=self.resource)  # MSAL's cache first
        return _granted(body, started, "managed identity token")


class _TimedSession(requests.Session):
    """MSAL's HTTP client, with a timeout on every request (MSAL sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def _granted(body: object, started: float, what: str, *, ok: bool = True) -> tuple[str, float]:
    """The token in a token endpoint's answer and when it expires, or TokenRefused saying `what` failed."""
    body = body if isinstance(body, dict) else {}
    token = body.get("access_token")
    if not ok or not isinstance(token, str) or not token:
        error = body.get("error") if isinstance(body.get("error"), str) else "no access_token"
        raise TokenRefused(f"{what}, {error}")
    return token, started + float(body.get("expires_in") or 3599)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TokenRefused) else where(exc)


class OffLoopCredentials(MicrosoftAppCredentials, AsyncHTTPPolicy):
    """The SDK's app credentials as the async policy that signs each Bot Connector request."""

    def __init__(self, sdk: MicrosoftAppCredentials | ManagedIdentityAppCredentials, token: ConnectorToken) -> None:
        password = getattr(sdk, "microsoft_app_password", None)  # a managed identity has none
        MicrosoftAppCredentials.__init__(self, sdk.microsoft_app_id, password, sdk.tenant, sdk.oauth_scope)
        AsyncHTTPPolicy.__init__(self)  # msrest links `next` when it builds the client's pipeline
        self.token = token

    async def send(self, request: Any, **kwargs: Any) -> Any:
        request.http_request.headers["Authorization"] = f"Bearer {await self.token.get()}"
        assert self.next is not None  # linked by the pipeline before any request
        return await self.next.send(request, **kwargs)

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.token.wait()  # only the SDK's synchronous callers (skills): none of Snag's sends


class OffLoopCredentialsFactory(ConfigurationServiceClientCredentialFactory):
    """The SDK's credential factory, whose app-password and managed-identity credentials get their token
    off the event loop."""

    def __init__(self, configuration: Any, *, login_url: str, timeout: float = TIMEOUT) -> None:
        super().__init__(configuration)
        self.login_url = login_url.rstrip("/")
        self.timeout = timeout
        self.tokens: dict[tuple[str, str, str], ConnectorToken] = {}  # by app id, tenant and scope

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        sdk = await super().create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
        if isinstance(sdk, ManagedIdentityAppCredentials) and sdk.microsoft_app_id:
            return OffLoopCredentials(sdk, self.identity_token(sdk))
        if type(sdk) is not MicrosoftAppCredentials or not sdk.microsoft_app_id:
            return sdk  # development without credentials, or another cloud: as the SDK does
        return OffLoopCredentials(sdk, self.token_for(sdk))

    def identity_token(self, sdk: ManagedIdentityAppCredentials) -> ConnectorToken:
        """The managed identity's token for the credentials' resource, shared by every turn and send."""
        resource = sdk.oauth_scope.removesuffix("/.default")  # MSAL asks for a resource, as the SDK does
        key = (sdk.microsoft_app_id, "managed identity", resource)
        token = self.tokens.get(key)
        if token is None:
            token = self.tokens.setdefault(
                key, ManagedIdentityToken(sdk.microsoft_app_id, resource, timeout=self.timeout)
            )
        return token

    def token_for(self, sdk: MicrosoftAppCredentials) -> ConnectorToken:
        """The token these credentials send, shared by every turn and send of the process."""
        scope = sdk.oauth_scope if sdk.oauth_scope.endswith("/.default") else f"{sdk.oauth_scope}/.default"
        key = (sdk.microsoft_app_id, sdk.tenant, scope)
        token = self.tokens.get(key)
        if token is None:
            form = {
                "grant_type": "client_credentials",
                "client_id": sdk.microsoft_app_id,
                "client_secret": sdk.microsoft_app_password,
                "scope": scope,
            }
            url = f"{self.login_url}/{quote(sdk.tenant, safe='')}/oauth2/v2.0/token"
            token = self.tokens.setdefault(key, ConnectorToken(url, form, timeout=self.timeout))
        return token
