"""POST /slack/events: size limit, signature check, then Bolt. OAuth install routes when enabled."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.runtime import STARTED

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["EVENTS_PATH", "MAX_BODY", "RUNTIME", "add_routes", "signature_ok"]

log = logging.getLogger("snag.slack")
EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused with 413
RUNTIME: web.AppKey[SlackRuntime] = web.AppKey("snag_slack_runtime")


def signature_ok(verifier: SignatureVerifier, body: str, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 HMAC over the exact body, with a timestamp no older than five minutes."""
    try:
        return bool(timestamp and signature) and verifier.is_valid(body, timestamp, signature)
    except (ValueError, TypeError, OverflowError):  # a timestamp that is not a number
        return False


def _is_ssl_check(body: str) -> bool:
    return parse_qs(body).get("ssl_check") == ["1"]


async def _read(request: web.Request) -> str:
    if (request.content_length or 0) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length or 0)
    raw = await request.read()  # also stops a chunked body at the app's client_max_size (413)
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(text="request body is not UTF-8") from exc


async def handle_events(request: web.Request) -> web.StreamResponse:
    """Every Slack request; nothing unsigned reaches Bolt, not ssl_check, not url_verification."""
    started = time.monotonic()
    rt = request.app[RUNTIME]
    body = await _read(request)
    verifier = SignatureVerifier(rt.settings.slack_signing_secret or "")
    headers = request.headers
    if not signature_ok(verifier, body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")):
        log.warning("rejected a request to %s: missing, stale or wrong Slack signature", EVENTS_PATH)
        return web.json_response({"error": "invalid request"}, status=401)
    await rt.token_checked()  # a moment at most, until Slack first answered or not: never fails a request
    if _is_ssl_check(body):
        return web.Response(status=200)
    try:
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers={k.lower(): headers.getall(k) for k in headers.keys()},
            context={STARTED: started},
        )
    except Exception:  # malformed JSON or form data, too deeply nested payloads
        log.warning("rejected a signed Slack request whose body could not be parsed")
        return web.json_response({"error": "malformed payload"}, status=400)
    with rt.arrived():
        response = await rt.bolt.async_dispatch(bolt_request)
    return await to_aiohttp_response(response)


async def handle_oauth(request: web.Request) -> web.StreamResponse:
    """The 'Add to Slack' page and Slack's OAuth redirect."""
    flow = request.app[RUNTIME].bolt.oauth_flow
    assert flow is not None
    bolt_request = await to_bolt_request(request)
    if request.path == flow.install_path:
        return await to_aiohttp_response(await flow.handle_installation(bolt_request))
    return await to_aiohttp_response(await flow.handle_callback(bolt_request))


def add_routes(app: web.Application, rt: SlackRuntime) -> None:
    """Mount the events endpoint and, for multi-workspace apps, the OAuth routes."""
    app[RUNTIME] = rt
    app.router.add_post(EVENTS_PATH, handle_events)
    flow = rt.bolt.oauth_flow
    if flow is not None:
        app.router.add_get(flow.install_path, handle_oauth)
        app.router.add_get(flow.redirect_uri_path, handle_oauth)
