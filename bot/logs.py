"""Logging: readable text or JSON lines, with a request id, never secrets or report text."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

__all__ = ["configure", "request_id", "scrub", "where"]

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("snag_request_id", default="-")

# Tokens and secrets that must never reach a log line, whatever a library prints.
_SECRETS = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+|"
    # A name and its value: token=…, password: "…", secret:…, "signature": "…". After a bare ": " only
    # a value that is not ordinary words: "SLACK_BOT_TOKEN: bot user U1" is a sentence, not a secret.
    r"(?i:(?:secret|password|token|signature)[\"']?"
    r"(?:\s*=\s*[\"']?|\s*:[\"']?|\s*:\s+[\"']|\s*:\s+(?![A-Za-z]+\s+[A-Za-z])))[^\s\"',}]+|"
    # OAuth's authorization code and state, as a query string carries them (a logged URL)
    r"(?<=[?&])(?:code|state)=[^\s&\"',}]+|"
    # The password in a URL (postgresql://snag:hunter2@db/snag): the user and the host stay readable.
    r"(?P<user>//[^\s/:@\"']+:)[^\s/@\"']+(?=@)"
)


def scrub(text: str) -> str:
    """Mask anything that looks like a token or a secret."""
    return _SECRETS.sub(lambda m: f"{m['user'] or ''}[redacted]", text)


def where(exc: BaseException) -> str:
    """The exception's type and the code locations it passed, never its message.

    Messages can quote what a person wrote; logs must not.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    trail = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    return f"{exc.__class__.__name__} at {trail or '?'}"


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def configure(*, level: str = "INFO", fmt: str = "text") -> None:
    """Install one handler on the root logger with the scrub filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ScrubFilter())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for chatty in ("alembic", "matplotlib"):  # their INFO lines are about themselves, not about Snag
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
