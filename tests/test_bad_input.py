"""Bad input never crashes and never loses the text: the core, its renderers, a property test."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlmodel import Session, select

from adapters.console.render import render_reply
from adapters.teams.render import card_for
from bot.domain import IncomingMessage
from bot.text import clean_report_text
from store.models import Report

NASTY = [
    "nul \x00 in the middle",
    "lone \ud83d surrogate and \udc00 another",
    "bidi \u202eoverride\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u200djoiner\ufeff",
    "العميل ينتظر استرداد المبلغ منذ أسبوعين",
    "退款申请在财务部门积压了一周",
    "👩🏽‍💻 family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 keycap 1️⃣",
    "<!channel> <!here> <@U123> <https://evil.example|click> & < >",
    "x" * 40_001,
    "y" * 1_000_001,
]


def rows(services) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Report).order_by(Report.id)).all())


def renderers():  # type: ignore[no-untyped-def]
    """Every renderer of a Reply the project has."""
    out = [
        lambda r: Console(file=open("/dev/null", "w"), width=80).print(render_reply(r)),  # noqa: SIM115
        lambda r: json.dumps(card_for(r)),
    ]
    from adapters.slack.render import pages

    out.append(lambda r: json.dumps(pages(r)))
    return out


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_nasty_text_is_stored_and_every_renderer_copes(services, text: str) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    reply = services.snag.handle_message(IncomingMessage(person, text, "C1"))
    assert reply.kind == "receipt", reply.title
    stored = rows(services)[-1].text
    expected = clean_report_text(text).text
    assert stored == expected and len(stored) <= 40_000
    if len(text) > 40_000:
        assert reply.notices and f"{len(text):,}" in reply.notices[0]
    for render in renderers():
        render(reply)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=400))
def test_any_text_goes_through_capture_classify_and_render(services, text: str) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("teams", "tenant", "user")
    before = len(rows(services))
    reply = services.snag.handle_message(IncomingMessage(person, text, "chat"))
    assert reply.kind in ("receipt", "usage", "list", "error", "text"), reply.title
    if reply.kind == "receipt":
        assert rows(services)[-1].text == services.snag.redactor.redact(clean_report_text(text).text)
    elif reply.kind == "usage" and not clean_report_text(text).text:
        assert len(rows(services)) == before
    tags = services.snag.classifier.classify(clean_report_text(text).text or "x")
    assert tags.kinds is not None
    for render in renderers():
        render(reply)


@pytest.fixture(scope="module")
def demo_digest(tmp_path_factory):  # type: ignore[no-untyped-def]
    from digests.demo import load_demo
    from tests.digests.conftest import NOW, make_services

    services = make_services(tmp_path_factory.mktemp("digest"))
    load_demo(services, now=NOW)
    digest = services.extras["digests"].build(platform="console", tenant="local", audience=None, now=NOW)
    yield digest, services.taxonomy
    services.engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=300))
@example(text="<script>alert(1)</script> <!channel> **x**")
def test_any_text_goes_through_grouping_and_every_digest_renderer(demo_digest, text: str) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from digests.html import to_html
    from digests.render import to_markdown, to_reply
    from tests.digests.file_grouping import group_rows

    grouped = list(group_rows([{"text": text}, {"text": text + " again"}]))
    assert [g["text"] for g in grouped] == [text, text + " again"] and all("pattern" in g for g in grouped)
    digest, taxonomy = demo_digest
    top = digest.top[0]
    odd = replace(digest, quotes=((top.id, text),), top=(replace(top, title=text or top.title), *digest.top[1:]))
    reply = to_reply(odd, taxonomy)
    for render in renderers():
        render(reply)
    assert isinstance(to_markdown(odd, taxonomy), str)
    page = to_html(odd, taxonomy, charts=False)
    assert "<script" not in page.lower()  # the page has no scripts, and user text is escaped
