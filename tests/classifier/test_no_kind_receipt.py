"""A rule receipt with no kind (no kind's words matched) through the bot, its renderers and
"Looks right": shown as no kind, every renderer copes, and the answer teaches no kind."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from adapters.console.render import render_reply
from adapters.slack.render import pages
from adapters.slack.views import form_view, reply_view
from adapters.teams.render import card_for
from bot.config import Settings
from bot.domain import ActionEvent, IncomingMessage, Reply
from bot.taxonomy import load_taxonomy
from classifier.corrections import correction_reports
from classifier.examples import _ANSWER_ID, cats_of
from classifier.rules import RuleClassifier
from tests.classifier.test_own_labels import SHOP

TEXT = "The tills crashed and the care desk could not take payment"


def _rendered(reply: Reply) -> None:
    Console(file=open("/dev/null", "w"), width=80).print(render_reply(reply))  # noqa: SIM115
    json.dumps(card_for(reply))
    json.dumps(pages(reply))
    json.dumps(form_view(reply) if reply.form else reply_view(reply))


def test_a_receipt_without_a_kind_is_shown_rendered_and_confirmed_without_teaching_a_kind(tmp_path: Path) -> None:
    from bot.app import build

    path = tmp_path / "shop.yml"
    path.write_text(SHOP, encoding="utf-8")
    shop = load_taxonomy(path)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-secret",
        taxonomy=path,
    )
    services = build(settings, classifier=RuleClassifier(shop), migrate=True)
    snag = services.snag
    person = snag.person("slack", "T1", "U1")
    receipt = snag.handle_message(IncomingMessage(person, TEXT, "C1"))
    assert receipt.kind == "receipt" and receipt.report_id is not None
    understood = dict(next(s for s in receipt.sections if s.heading == "What I understood").fields)
    assert understood["Kinds"] == "none" and understood["Teams"] == "Customer care"
    _rendered(receipt)
    form = snag.handle_action(ActionEvent(person, receipt.report_id, "fix", ""))
    assert form.form is not None
    kinds = next(c for c in form.form.choices if c.action == "kinds")
    assert kinds.selected == () and not kinds.optional  # the form asks for a kind
    _rendered(form)
    snag.handle_action(ActionEvent(person, receipt.report_id, "confirm", ""))
    [learnt] = correction_reports(services.engine, shop)
    assert learnt.kinds == () and learnt.teams == ("customer_care",)
    assert learnt.id.startswith(_ANSWER_ID)  # how training tells people's answers from shipped data
    cats = cats_of(learnt, shop)
    assert cats["team:customer_care"] == 1.0 and not any(k.startswith("kind:") for k in cats)
