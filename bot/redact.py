"""PII redaction: identifiers become placeholders like [email] before anything is stored or shown."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.taxonomy import Taxonomy

__all__ = ["Redactor", "luhn_ok", "only_placeholders"]


def luhn_ok(digits: str) -> bool:
    """True when a string of digits passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _nhs_ok(digits: str) -> bool:
    weights = range(10, 1, -1)
    total = sum(int(d) * w for d, w in zip(digits[:9], weights, strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


_URL = re.compile(r"\bhttps?://[^\s<>|]+", re.IGNORECASE)
_URL_PARTS = re.compile(r"https?://(?P<host>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
_URL_TRAILING = ".,;:!?)]}'\""
# Whole hosts whose every path is a credential (incoming webhooks).
_WEBHOOK_HOSTS = ("hooks.slack.com", "webhook.office.com", "hooks.zapier.com")
_WEBHOOK_PATHS = ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/")
# A path segment that says the next one is a secret, e.g. /reset/<code>.
_SECRET_SEGMENTS = frozenset(
    {"reset", "reset-password", "password-reset", "invite", "invitation", "token", "tokens", "magic-link", "verify"}
)
_SECRET_PARAM = re.compile(
    r"(?:[a-z0-9]+[_.-])*(?:access_?token|refresh_?token|token|secret|password|passwd|pwd|signature|sig|auth"
    r"|credentials?|(?:api|access|auth|secret|private|client|app|licen[cs]e|subscription)[_.-]?key)"
)
# Names too short or common to trust on their own: only with a value long enough to be a secret.
_SHORT_SECRET_PARAMS = frozenset({"t", "k", "key", "sid", "code", "session", "sessionid", "otp"})
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]{16,}")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\d-])[2-6](?:[ -]?\d){12,18}(?![\d-])")
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE
)
_NHS = re.compile(r"(?<![\d-])\d{3}([ -]?)\d{3}\1\d{4}(?![\d-])")
_SSN = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(
    r"(?<![:\w])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![:\w])|(?<![:\w])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){1,6}(?![:\w])"
)
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(?0[1-9]\d{1,3}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"|\(\d{3}\)\s?\d{3}-\d{4}"
    r"|[2-9]\d{2}-\d{3}-\d{4})(?![\w-]|[.,]?\d)"
)
# An unspaced ten-digit number is an NHS number only when the words before say so.
# "no." may end in a full stop; any other full stop ends the sentence that named it.
_NHS_CONTEXT = re.compile(
    r"\b(?:nhs|patient|hospital|chi)\b(?:\s*(?:no|num|nbr|number)\b\.?)?[^.\n]{0,30}$", re.IGNORECASE
)
_PLACEHOLDER = re.compile(r"\[[A-Za-z0-9_]+\]")


def only_placeholders(text: str) -> bool:
    """True when the text holds [placeholders] and nothing else but spaces and punctuation."""
    rest = _PLACEHOLDER.sub("", text)
    return rest != text and not any(c.isalnum() for c in rest)


def _random_looking(run: str) -> bool:
    """Letters and digits that keep switching, as in a generated token (not ORD2024000123456)."""
    kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in run]
    switches = sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))
    return {"d"} < set(kinds) and switches >= 4


def _secret_param(pair: str) -> bool:
    name, _, value = pair.partition("=")
    name = name.lower()
    if name in _SHORT_SECRET_PARAMS:  # ?code=4821 is a one-time code; ?t=2 is not
        return len(value) >= 4
    return bool(value) and _SECRET_PARAM.fullmatch(name) is not None  # ?pwd=abc is a password however short


def _bears_token(url: str) -> bool:
    """A URL that lets whoever holds it in: a webhook, a reset or invite code, a key or a token."""
    parts = _URL_PARTS.match(url)
    if parts is None:
        return False
    host, path, rest = parts["host"].lower(), parts["path"], parts["rest"]
    if path.strip("/") and any(host == h or host.endswith("." + h) for h in _WEBHOOK_HOSTS):
        return True
    if any((host + path.lower()).startswith(p) for p in _WEBHOOK_PATHS):
        return True
    segments = [s for s in path.split("/") if s]
    for segment, after in zip(segments, segments[1:], strict=False):
        if segment.lower() in _SECRET_SEGMENTS and len(after) >= 6 and any(c.isdigit() or c.isupper() for c in after):
            return True
    if any(_random_looking(run) for run in _ALNUM_RUN.findall(path + rest)):
        return True
    return any(_secret_param(pair) for pair in re.split(r"[?&#;]", rest) if "=" in pair)


class Redactor:
    """Replaces personal identifiers with placeholders; extra patterns come from the taxonomy."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()) -> None:
        self._extra = [(name, re.compile(p)) for name, p in extra]

    def redact(self, text: str) -> str:
        """Return the text with every identifier replaced by a [placeholder]."""
        for name, pattern in self._extra:
            text = pattern.sub(f"[{name}]", text)
        text = _URL.sub(self._url, text)
        text = _EMAIL.sub("[email]", text)
        text = _IBAN.sub(self._iban, text)
        text = _CARD.sub(self._card, text)
        text = _SSN.sub("[ssn]", text)
        text = _NINO.sub("[ni_number]", text)
        text = _NHS.sub(self._nhs, text)
        text = _IPV6.sub("[ip]", text)
        text = _IPV4.sub("[ip]", text)
        text = _PHONE.sub(self._phone, text)
        return text

    @staticmethod
    def _url(m: re.Match[str]) -> str:
        url = m.group(0)
        body = url.rstrip(_URL_TRAILING)
        return "[url]" + url[len(body) :] if _bears_token(body) else url

    @staticmethod
    def _iban(m: re.Match[str]) -> str:
        raw = m.group(0).replace(" ", "")
        moved = raw[4:] + raw[:4]
        number = "".join(str(int(c, 36)) for c in moved)
        return "[iban]" if 15 <= len(raw) <= 34 and int(number) % 97 == 1 else m.group(0)

    @staticmethod
    def _card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

    @staticmethod
    def _nhs(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if not _nhs_ok(digits):
            return m.group(0)
        # written 3-3-4, or a bare ten digits that the words before call an NHS number
        named = bool(m.group(1)) or _NHS_CONTEXT.search(m.string[: m.start()])
        return "[nhs_number]" if named else m.group(0)

    @staticmethod
    def _phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[phone]" if 9 <= len(digits) <= 15 else m.group(0)


@functools.lru_cache(maxsize=8)
def redactor_with(extra: tuple[tuple[str, str], ...]) -> Redactor:
    """A redactor with these extra patterns, built once per set."""
    return Redactor(extra)


def redactor_for(taxonomy: Taxonomy) -> Redactor:
    """The redactor with this taxonomy's own patterns (built once per set of patterns)."""
    return redactor_with(tuple(taxonomy.redact))
