"""Quotes hide what the taxonomy's own `redact` patterns name, also in texts stored before them."""

from __future__ import annotations

from dataclasses import replace

from bot import listings
from bot.domain import PatternSummary
from digests.digest import Audience, build_digest
from digests.render import to_markdown
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot

ACCOUNTS = (("account", r"ACC-[0-9]+"),)


def test_digest_quotes_use_the_taxonomys_redaction_patterns(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = replace(digest_services.taxonomy, redact=ACCOUNTS)
    snap = _snapshot()
    snap.quotes = {1: "refund for account ACC-884213 waits a week", 2: "the refund sheet goes back and forth"}
    d = build_digest(snap, Audience("all"), tx, k=3)
    quoted = dict(d.quotes)
    assert quoted[1] == "refund for account [account] waits a week"
    assert "ACC-884213" not in to_markdown(d, tx)


def test_pattern_card_quotes_use_the_taxonomys_redaction_patterns(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = replace(digest_services.taxonomy, redact=ACCOUNTS)
    p = PatternSummary(1, "Billing: refund", "billing", ("waiting",), ("finance",), "new", None, 5, 4, NOW, NOW)
    reply = listings.pattern(p, tx, quotes=("refund for account ACC-884213 waits a week",), k=3)
    texts = [s.text for s in reply.sections if s.text]
    assert "“refund for account [account] waits a week”" in texts
