"""PII redaction: identifiers become placeholders like [email] before anything is stored or shown."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Redactor", "luhn_ok"]


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


_URL_TOKEN = re.compile(
    r"\bhttps?://[^\s<>|]*?[?&#](?:[^\s<>|]*?)(?:token|key|sig|signature|secret|password|pwd|auth|code|session|access_token)=[^\s<>|]+",
    re.IGNORECASE,
)
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
_NHS_CONTEXT = re.compile(r"(?:nhs|patient|chi)\b[^.\n]{0,30}$", re.IGNORECASE)


class Redactor:
    """Replaces personal identifiers with placeholders; extra patterns come from the taxonomy."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()) -> None:
        self._extra = [(name, re.compile(p)) for name, p in extra]

    def redact(self, text: str) -> str:
        """Return the text with every identifier replaced by a [placeholder]."""
        for name, pattern in self._extra:
            text = pattern.sub(f"[{name}]", text)
        text = _URL_TOKEN.sub("[url]", text)
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
