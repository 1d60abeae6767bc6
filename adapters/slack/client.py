"""Slack Web API clients: configured base URL, bounded 429 retries, quiet logs, safe hooks."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "DEFAULT_API_URL",
    "SLACK_WEBHOOK_HOSTS",
    "UNREACHABLE",
    "BoundedRateLimitRetryHandler",
    "api_base",
    "one_line_logger",
    "quiet_logger",
    "retry_handlers",
    "web_client",
    "response_url_allowed",
    "post_to_response_url",
]

DEFAULT_API_URL = "https://slack.com/api/"
# response_url values only ever point here (commercial Slack and GovSlack).
SLACK_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
log = logging.getLogger("snag.slack")
# Slack could not be reached at all (refused, reset, DNS, timed out), as opposed to Slack answering
# with an error: what failed this way may go through later, as it is.
UNREACHABLE: tuple[type[BaseException], ...] = (aiohttp.ClientConnectionError, OSError, TimeoutError)


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after Retry-After (capped at `max_wait` s), at most `max_retry_count` times."""

    def __init__(self, max_retry_count: int = 3, max_wait: float = 30.0, jitter: float = 0.25) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.jitter = jitter

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:  # never, as only 429 answers are retried here: no retry then
            if error is not None:
                raise error
            return
        state.next_attempt_requested = True
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            wait = float((headers.get("retry-after") or ["1"])[0])
        except ValueError:
            wait = 1.0
        log.warning("Slack answered 429; retrying in %.1f s", min(wait, self.max_wait))
        await asyncio.sleep(min(max(wait, 0.0), self.max_wait) + random.random() * self.jitter)
        state.increment_current_attempt()


_RETRYING = "A retry handler found"  # the SDK's line before each retry
_TOKEN_UNUSED = "As you gave `client` as well, `token` will be unused"  # Bolt's, at start


class _NoPayloads(logging.Filter):
    """SDK loggers: no debug dumps, and no request or response bodies at any level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False
        message = record.getMessage()
        if message.startswith(_RETRYING):  # names the URL (a response_url is a credential); a 429
            return False  # says so itself, and a call that still fails is logged by its caller
        if message.startswith(_TOKEN_UNUSED):  # SLACK_BOT_TOKEN in the environment: Snag passes it
            return False  # in its own client, as it should; an admin would read this as a fault
        cuts = [i for i in (message.find("{"), message.find("body:"), message.find("(body")) if i >= 0]
        if cuts:
            record.msg, record.args = message[: min(cuts)].rstrip(" (:") + " [payload omitted]", ()
        return True


def quiet_logger(name: str) -> logging.Logger:
    """A logger for slack_sdk / slack_bolt that never writes payloads (report text, tokens)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _NoPayloads) for f in logger.filters):
        logger.addFilter(_NoPayloads())
    return logger


class _OneLine(logging.Filter):
    """No traceback: the SDK's Socket Mode client logs one for every failed try to connect, every
    few seconds while Slack is unreachable; the line already names the error."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


def one_line_logger(name: str) -> logging.Logger:
    """`quiet_logger`, and each record on one line, without a traceback."""
    logger = quiet_logger(name)
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
    return logger


def api_base(settings: Settings) -> str:
    """The Web API base URL with the trailing slash the SDK needs."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def retry_handlers(connection_retries: int = 2) -> list[AsyncRetryHandler]:
    handlers: list[AsyncRetryHandler] = [BoundedRateLimitRetryHandler()]
    if connection_retries:
        handlers.insert(0, AsyncConnectionErrorRetryHandler(max_retry_count=connection_retries))
    return handlers


def web_client(settings: Settings, token: str | None = None, *, connection_retries: int = 2) -> AsyncWebClient:
    """An AsyncWebClient on the configured base URL, retrying 429s and dropped connections
    (`connection_retries=0`: not those, for a caller that tries again later by itself)."""
    return AsyncWebClient(
        token=token,
        base_url=api_base(settings),
        logger=quiet_logger("snag.slack.sdk"),
        retry_handlers=retry_handlers(connection_retries),
    )


def response_url_allowed(url: str | None, settings: Settings) -> bool:
    """True only for Slack's own hooks hosts over https, or the host of SNAG_SLACK_API_URL."""
    if not url:
        return False
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname in SLACK_WEBHOOK_HOSTS and parts.port in (None, 443):
        return True
    if settings.slack_api_url:
        api = urlsplit(settings.slack_api_url)
        return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
    return False


async def post_to_response_url(url: str | None, payload: dict[str, Any], settings: Settings) -> bool:
    """Send a message to a response_url; refuses any host that is not Slack's."""
    if url is None or not response_url_allowed(url, settings):
        log.warning("refused to call a response_url that is not on a Slack host")
        return False
    client = AsyncWebhookClient(url, logger=quiet_logger("snag.slack.sdk"), retry_handlers=retry_handlers())
    response = await client.send_dict(payload)
    if response.status_code != 200:
        log.warning("response_url answered %s", response.status_code)
    return response.status_code == 200
