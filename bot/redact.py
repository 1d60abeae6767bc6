"""PII redaction: identifiers become placeholders like [email] before anything is stored or shown."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.taxonomy import Taxonomy

__all__ = ["Redactor", "card_issuer_ok", "luhn_ok", "only_placeholders"]


def luhn_ok(digits: str) -> bool:
    """True when a string of digits passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# Issuer (IIN) ranges of the main card schemes and their lengths: a Luhn-valid number outside
# them (one random 16-digit number in ten passes Luhn) is an order or account number, not a card.
_ANY = frozenset(range(16, 20))
_CARD_SCHEMES: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),  # American Express
    ("6011", "6011", _ANY),  # Discover
    ("644", "649", _ANY),  # Discover
    ("65", "65", _ANY),  # Discover
    ("62", "62", _ANY),  # UnionPay (and Discover's 622126-622925)
    ("3528", "3589", _ANY),  # JCB
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),  # Diners Club
    ("38", "39", frozenset(range(14, 20))),  # Diners Club
    ("2200", "2204", _ANY),  # Mir
    *(
        (p, p, frozenset(range(13, 20)))
        for p in ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")
    ),
)


def card_issuer_ok(digits: str) -> bool:
    """True when a number starts like a card of one of the main schemes and has that scheme's length."""
    return any(low <= digits[: len(low)] <= high and len(digits) in lengths for low, high, lengths in _CARD_SCHEMES)


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits) and card_issuer_ok(digits)


def _nhs_ok(digits: str) -> bool:
    weights = range(10, 1, -1)
    total = sum(int(d) * w for d, w in zip(digits[:9], weights, strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


_URL = re.compile(r"\bhttps?://[^\s<>|]+", re.IGNORECASE)
_URL_PARTS = re.compile(r"https?://(?P<host>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
# A link written without its scheme (www.example.com/reset?token=...): host, a dot and a top-level
# domain, then a path or query. Not inside an email, a longer name or a link with a scheme.
_BARE_URL = re.compile(
    r"(?<![\w@.%+:/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d{1,5})?[/?#][^\s<>|]*", re.IGNORECASE
)
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
# An apostrophe may sit inside the local part (mary.o'brien@, also typed as a curly one). The parts
# are bounded as in RFC 5321, so a long run of dots or letters is not rescanned from each of its words.
_EMAIL = re.compile(
    r"\b[A-Za-z0-9._%+-]{1,64}(?:['\u2019][A-Za-z0-9._%+-]{1,64}){0,3}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}\b"
)
# Any case, in groups of four split by spaces or hyphens (or not at all); the checksum decides.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
# Digits with single spaces or hyphens anywhere; or groups split by dots or double spaces, one kind throughout.
_CARD = re.compile(
    r"(?<![\d-])[2-6](?:[ -]?\d){12,18}(?![\d-]|\.\d)"
    r"|(?<![\d.-])[2-6]\d{3}(?P<sep>\.| {2})\d{4,6}(?:(?P=sep)\d{1,5}){1,3}(?![\d-]|\.\d)"
)
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE
)
_NHS = re.compile(r"(?<![\d-])\d{3}([ -]?)\d{3}\1\d{4}(?![\d-])")
# 3-2-4 digits split by hyphens, spaces or dots (one kind throughout), or run together after "SSN".
_SSN = re.compile(r"(?<!\d)(?<!\d\.)(?!000|666|9\d\d)\d{3}(?P<sep>[ .-]?)(?!00)\d{2}(?P=sep)(?!0000)\d{4}(?!\d|[.-]\d)")
# "SSN 123456789", "ssn: 123456789", "social security number is 123456789": a few words, no other number.
_SSN_CONTEXT = re.compile(
    r"(?<!\[)\b(?:ssn|social\s+security)\b(?!\])(?:\s*(?:no\b\.?|num\b|nbr\b|number\b|\#))?[^\d.\n]{0,15}$",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
# Four numbers are a version, not an address, after "v"/"version"/"build"... (also the next in a
# list: "versions 2.10.3.4 and 2.10.3.5") or before a pre-release suffix ("2.10.3.4-beta").
_VERSION_BEFORE = re.compile(
    r"\b(?:v|ver|version|versions|release|build|firmware|fw|patch)\.?\s*[:#]?\s*"
    r"(?:v?\d+(?:\.\d+)*(?:-\w+)?\s*(?:,|/|&|and|or|to|->)\s*v?)*$",
    re.IGNORECASE,
)
_VERSION_AFTER = re.compile(r"-(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly)", re.IGNORECASE)
_IPV6 = re.compile(
    r"(?<![:\w])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![:\w])|(?<![:\w])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){1,6}(?![:\w])"
)
_PHONE = re.compile(
    r"(?<![\w+-])(?:(?:\+\d{1,3}|\(\+\d{1,3}\))[\s.-]?(?:\(0\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"
    r"|00[1-9]\d{0,2}[\s.-](?:\(0\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"  # 0044 7700 900123
    r"|\(?0[1-9]\d{1,3}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"|\(\d{3}\)\s?\d{3}-\d{4}"
    r"|[2-9]\d{2}(?P<us>[-.])\d{3}(?P=us)\d{4}"
    r"|44[1237]\d{9}"  # 447700900123: +44 written without its plus
    r"|(?P<uk>\(?44\)?[\s.-](?:\(0\)[\s.-]?)?[1237]\d(?:[\s.-]?\d){8})"  # 44 7700 900123: the same, spaced
    r"|(?P<spaced>[2-9]\d{2} \d{3} \d{4})"  # 415 555 2671: a US number spaced, only after a phone word
    r"|(?P<local>[2-9]\d{2}-\d{4}))(?![\w-]|[.,]?\d)"  # 555-2671: a US number without its area code
)
# A local number (555-2671) shaped like a range or a quantity is not a phone number: a sign or
# word of amount before it ("£250-1000", "between 300-1500"), a unit after it ("930-1130 am",
# "200-2500 calls"), or round at both ends ("300-1500").
_RANGE_BEFORE = re.compile(
    r"(?:[£$€~]|\b(?:between|approx|about|around|circa|roughly|nearly|over|under|pages?|rows?|lines?|items?)\b\.?)"
    r"\s*$",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"\s*(?:%|(?:am|pm|hrs?|hours?|mins?|minutes?|days?|weeks?|months?|years?|calls?|orders?|items?|units?"
    r"|pages?|rows?|people|staff|patients|customers|pcs|kg|g|mg|ml|l|m|km|miles)\b)",
    re.IGNORECASE,
)
# A number written with a country code before it is a phone number (+1 415 555 2671), never an NHS number.
_COUNTRY_CODE_BEFORE = re.compile(r"(?:\(?\+|(?<!\d)00)[1-9]\d{0,2}\)?[\s.-]?$")
# A run of digits the words just before call a reference ("order 01234567890") is not a phone number.
_ID_CONTEXT = re.compile(
    r"\b(?:order|ord|ref|reference|invoice|inv|po|ticket|case|account|acct|booking|tracking|consignment|claim"
    r"|policy|id|sku|batch|job|parcel|shipment|serial|part)s?\b\.?(?:\s*(?:no\b|num\b|nbr\b|number\b)\.?)?"
    r"\s*[:#]?\s*$",
    re.IGNORECASE,
)
# Ten digits that pass the NHS number's mod-11 check (one random number in eleven does) are read by
# the words just before them in their sentence ("no." may end in a full stop, any other full stop
# ends the sentence that named them), first rule that holds:
# 1. named a number by an NHS word ("NHS no.", "patient number", "hospital num"): an NHS number;
# 2. after a country code, or written 3-3-4 after a phone word (call, ring, mobile, tel...): a phone
#    number, left to the phone patterns ("+1 415 555 2671", "call 415 555 2671", "phone the patient
#    on 415-555-2671"); run together ("call the patient, 9434765919") rule 3 reads it;
# 3. after an NHS word alone (nhs, patient, hospital, chi): an NHS number, however written ("NHS:
#    401-023-2137", "patient 943 476 5919");
# 4. no such word: 3-3-4 with hyphens is how US numbers are written, a phone ("415-555-2671"; no US
#    area code starts with 0 or 1, so "010-203-0006" stays an NHS number); with spaces, as NHS
#    numbers are printed ("943 476 5919"), an NHS number; ten digits run together are neither (order
#    and account numbers).
# The last NHS word before the number is the one read ("ring the patient, nhs no 9434765919").
_NHS_CONTEXT = re.compile(
    r"\A(?s:.*)\b(?:nhs|patient|hospital|chi)\b(?:\s*(?P<no>no|num|nbr|number)\b\.?)?[^.\n]{0,30}$", re.IGNORECASE
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:call|ring|rang|phone|phoned|tel|telephone|mobile|mob|cell|landline|fax|text|texted|whatsapp|sms)\b"
    r"(?:\s*(?:no|num|nbr|number)\b\.?)?[^.\n]{0,30}$",
    re.IGNORECASE,
)
# "44 " before a number is a country code only when the number after it is a UK one (the phone
# pattern's `uk`), not an NHS number's ("bed 44 943 476 5919" keeps its NHS number).
_UK_AFTER_44 = re.compile(r"(?<![\d£$€.,])\(?44\)?[\s.-](?:\(0\)[\s.-]?)?$")
# The naming words end at most 30 characters before the number and are at most 8 + 7 long: 80 holds
# them and the character before (\b), unless 35 or more spaces sit inside them ("nhs    no").
# Searching only these, not all the text before, keeps a pasted list of numbers linear (a
# whole-prefix search per number was quadratic: seconds before the report was stored).
_NHS_WINDOW = 80
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
    user, at, _ = host.rpartition("@")
    if at and user.partition(":")[2]:  # https://admin:S3cr3t!@shop.example.com: a password in the link
        return True
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


def _before(m: re.Match[str], width: int) -> str:
    """The few characters before a match, where the words that name it are."""
    return m.string[max(0, m.start() - width) : m.start()]


def _range_or_reference(m: re.Match[str]) -> bool:
    """Whether a local number (555-2671) is a range, a quantity or a reference rather than a phone."""
    low, high = (int(part) for part in m.group(0).split("-"))
    if low % 10 == 0 and high % 100 == 0:
        return True
    before = _before(m, 40)
    return bool(_ID_CONTEXT.search(before) or _RANGE_BEFORE.search(before) or _UNIT_AFTER.match(m.string, m.end()))


def _in_a_row(m: re.Match[str]) -> bool:
    """Whether the numbers matched are some of a longer row of numbers ("12 44 7700 900123 300")."""
    return bool(re.search(r"\d[\s.,]?$", _before(m, 2)) or re.match(r"[ \t]*[.,]?\d", m.string[m.end() : m.end() + 3]))


def _uk_without_plus(m: re.Match[str]) -> bool:
    """Whether "44 7700 900123" is a UK number written without its plus: ten digits after the 44 in
    at most three groups, and not a reference, an amount, a quantity or one of a row of numbers."""
    groups = re.findall(r"\d+", m.group(0).replace("(0)", ""))[1:]  # after the 44
    if sum(map(len, groups)) != 10 or len(groups) > 3 or min(map(len, groups)) < 2 or len(groups[-1]) < 3:
        return False  # UK numbers are split 4-6, 4-3-3, 2-4-4, 3-3-4 or 5-5, never "44 1000 2000 30"
    before = _before(m, 40)
    if _in_a_row(m):
        return False
    return not (_ID_CONTEXT.search(before) or _RANGE_BEFORE.search(before) or _UNIT_AFTER.match(m.string, m.end()))


def _non_empty(placeholder: str) -> Callable[[re.Match[str]], str]:
    """The placeholder for a match of something; an empty match (at every position of `x*`) replaces nothing."""

    def replace(m: re.Match[str]) -> str:
        return placeholder if m.end() > m.start() else ""

    return replace


class Redactor:
    """Replaces personal identifiers with placeholders; extra patterns come from the taxonomy."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()) -> None:
        self._extra = [(re.compile(p), _non_empty(f"[{name}]")) for name, p in extra]

    def redact(self, text: str) -> str:
        """Return the text with every identifier replaced by a [placeholder]."""
        for pattern, placeholder in self._extra:
            text = pattern.sub(placeholder, text)
        text = _URL.sub(self._url, text)
        text = _BARE_URL.sub(self._url, text)
        text = _EMAIL.sub("[email]", text)
        text = _IBAN.sub(self._iban, text)
        text = _CARD.sub(self._card, text)
        text = _SSN.sub(self._ssn, text)
        text = _NINO.sub("[ni_number]", text)
        text = _NHS.sub(self._nhs, text)
        text = _IPV6.sub("[ip]", text)
        text = _IPV4.sub(self._ipv4, text)
        text = _PHONE.sub(self._phone, text)
        return text

    @staticmethod
    def _url(m: re.Match[str]) -> str:
        url = m.group(0)
        body = url.rstrip(_URL_TRAILING)
        link = body if "://" in body[:8] else "http://" + body
        return "[url]" + url[len(body) :] if _bears_token(link) else url

    @staticmethod
    def _iban(m: re.Match[str]) -> str:
        text = m.group(0)
        # the longest run that checks out: "GB33BUKB20201555555555 paid" also matches the word after it
        ends = [len(text), *(i for i in range(len(text) - 1, 0, -1) if text[i] in " -")]
        for end in ends:
            raw = re.sub(r"[ -]", "", text[:end]).upper()
            moved = raw[4:] + raw[:4]
            number = "".join(str(int(c, 36)) for c in moved)
            if 15 <= len(raw) <= 34 and int(number) % 97 == 1:
                return "[iban]" + text[end:]
        return text

    @staticmethod
    def _card(m: re.Match[str]) -> str:
        text = m.group(0)
        if _is_card(re.sub(r"\D", "", text)):
            return "[card]"
        # A number just before or after the card joined the match ("step 3 4111 1111 1111 1111"):
        # look inside it for a run of groups shaped like a card (the first of 4+ digits, the rest of 3+).
        groups = list(re.finditer(r"\d+", text))
        out, done, a = [], 0, 0
        while a < len(groups):
            for b in range(len(groups) - 1, a - 1, -1):
                run = groups[a : b + 1]
                shaped = len(run[0][0]) >= 4 and all(len(g[0]) >= 3 for g in run[1:])
                if shaped and _is_card("".join(g[0] for g in run)):
                    out.append(text[done : run[0].start()] + "[card]")
                    done, a = run[-1].end(), b
                    break
            a += 1
        return "".join(out) + text[done:]

    @staticmethod
    def _ssn(m: re.Match[str]) -> str:
        sep = m.group("sep")
        if sep == " " and (_before(m, 2)[:1].isdigit() or m.string[m.end() + 1 : m.end() + 2].isdigit()):
            return m.group(0)  # three of a longer row of numbers: "100 25 1000 300"
        # nine digits run together are an SSN only when the words before say so
        named = bool(sep) or _SSN_CONTEXT.search(_before(m, 60))
        return "[ssn]" if named else m.group(0)

    @staticmethod
    def _nhs(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if not _nhs_ok(digits) or _COUNTRY_CODE_BEFORE.search(_before(m, 16)):
            return m.group(0)
        before, sep = _before(m, _NHS_WINDOW), m.group(1)  # the rules are above _NHS_CONTEXT
        nhs = _NHS_CONTEXT.search(before)
        us_shaped = bool(sep) and digits[0] not in "01"  # as the phone patterns take a US number
        if nhs is not None and nhs.group("no"):
            return "[nhs_number]"
        if (us_shaped and _PHONE_CONTEXT.search(before)) or (
            _UK_AFTER_44.search(_before(m, 8)) and digits[0] in "1237"
        ):
            return m.group(0)  # a phone number: the phone patterns redact it
        if nhs is not None:
            return "[nhs_number]"
        if sep == "-" and us_shaped:
            return m.group(0)  # 415-555-2671: the phone patterns redact it
        return "[nhs_number]" if sep else m.group(0)

    @staticmethod
    def _ipv4(m: re.Match[str]) -> str:
        version = _VERSION_BEFORE.search(_before(m, 80)) or _VERSION_AFTER.match(m.string, m.end())
        return m.group(0) if version else "[ip]"

    @staticmethod
    def _phone(m: re.Match[str]) -> str:
        number = m.group(0)
        if m.group("local"):
            return number if _range_or_reference(m) else "[phone]"
        if m.group("spaced"):  # three numbers in a row are a phone only when called one
            called = _PHONE_CONTEXT.search(_before(m, _NHS_WINDOW)) and not _in_a_row(m)
            return "[phone]" if called and not _UNIT_AFTER.match(m.string, m.end()) else number
        if m.group("uk"):
            return "[phone]" if _uk_without_plus(m) else number
        digits = re.sub(r"\D", "", number)
        if number.isdigit() and _ID_CONTEXT.search(_before(m, 40)):
            return number
        return "[phone]" if 9 <= len(digits) <= 15 else number


@functools.lru_cache(maxsize=8)
def redactor_with(extra: tuple[tuple[str, str], ...]) -> Redactor:
    """A redactor with these extra patterns, built once per set."""
    return Redactor(extra)


def redactor_for(taxonomy: Taxonomy) -> Redactor:
    """The redactor with this taxonomy's own patterns (built once per set of patterns)."""
    return redactor_with(tuple(taxonomy.redact))
