"""Bad answers at the console's questions: a hint, never a crash, never a lost line or a made-up correction."""

from __future__ import annotations

import io

from rich.console import Console
from sqlmodel import Session, select

from adapters.console.chat import ConsoleSession, run_console
from store.db import make_engine
from store.models import Correction, Report
from store.repository import SqlRepository

FIRST = "the label printer jams every morning so we handwrite them"
DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def session_with(services, answers: list[str]) -> tuple[ConsoleSession, io.StringIO]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    queue = list(answers)
    console = Console(file=out, width=120, color_system=None)
    return ConsoleSession(services, user="sam", console=console, ask=lambda _p: queue.pop(0)), out


def reports(services) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Report).order_by(Report.id)).all())


def corrections(services) -> list[Correction]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Correction)).all())


def test_a_typo_in_a_single_choice_fix_question_gets_a_hint_not_a_crash(services) -> None:  # type: ignore[no-untyped-def]
    # fix: stage "biling" twice, then skip everything else
    chat, out = session_with(services, ["f", "biling", "biling", "", "", "", "", "", ""])
    chat.handle_line(FIRST)
    text = out.getvalue()
    assert "'biling' is not one of the options; did you mean Billing?" in text
    assert "I'll leave that one as it was." in text and "Nothing changed; the tags stay as they were." in text
    assert corrections(services) == [] and reports(services)[0].stage == "billing"


def test_a_typo_answered_again_correctly_is_used(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["f", "delivry", "delivery", "", "", "", "", "", ""])
    chat.handle_line(FIRST)
    assert "did you mean Delivery?" in out.getvalue()
    [row] = reports(services)
    assert (row.stage, row.kinds, row.teams) == ("delivery", ["handoff", "waiting"], ["finance", "support"])


def test_a_typo_in_a_multi_choice_fix_question_keeps_the_tags(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["f", "", "wrkaround", "wrkaround", "", "", "", "", ""])
    chat.handle_line(FIRST)
    assert "did you mean Workaround?" in out.getvalue() and "Kinds none" not in out.getvalue()
    assert corrections(services) == [] and reports(services)[0].kinds == ["handoff", "waiting"]


def test_a_correction_holds_only_what_was_chosen(services) -> None:  # type: ignore[no-untyped-def]
    chat, _ = session_with(services, ["f", "", "wrkaround", "workaround, duplicate entry", "", "", "", "", ""])
    chat.handle_line(FIRST)
    [correction] = corrections(services)
    assert correction.after["kinds"] == ["workaround", "duplicate_entry"]
    assert correction.after["stage"] == "billing" and correction.after["teams"] == ["finance", "support"]


def test_a_short_report_at_looks_right_is_filed(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["scanner broken", "", "", "", ""])
    chat.handle_line(FIRST)
    assert [r.text for r in reports(services)] == [FIRST, "scanner broken"]
    assert "taking that as a new line" in out.getvalue()


def test_a_sentence_without_spaces_at_a_question_is_filed(services) -> None:  # type: ignore[no-untyped-def]
    japanese = "ラベルプリンターが毎朝詰まるので手書きしています"
    chat, _ = session_with(services, ["", "", japanese, "", "", ""])
    chat.handle_line(FIRST)
    assert [r.text for r in reports(services)] == [FIRST, japanese]


def test_commands_typed_at_a_question_run(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["", "search printer"])  # at "How often does this happen?"
    chat.handle_line(FIRST)
    chat, more = session_with(services, ["", "", "help?"])  # at "Does the customer notice?"
    chat.handle_line("the scanner at desk 3 drops every other barcode")
    text = out.getvalue() + more.getvalue()
    assert "Reports matching “printer”" in text and "Snag commands" in text
    assert len(reports(services)) == 2 and "is not one of the options" not in text


def test_the_console_starts_while_the_database_is_down_and_files_later(services) -> None:  # type: ignore[no-untyped-def]
    from tests.console.test_chat import ScriptedConsole

    working, working_engine = services.snag.repository, services.engine
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    services.engine = make_engine(DOWN_URL)  # the sample-data offer asks whether the database is empty

    class OutageConsole(ScriptedConsole):
        def input(self, *args, **kwargs) -> str:  # type: ignore[no-untyped-def, override]
            if self.lines == ["mine"]:  # the database is back before `mine` is typed
                services.snag.repository, services.engine = working, working_engine
            return super().input(*args, **kwargs)

    out, asked = io.StringIO(), []
    console = OutageConsole(["the till drawer sticks every shift", "mine"], out)
    run_console(services, user="sam", console=console, ask=lambda prompt: asked.append(prompt) or "")
    text = out.getvalue()
    assert asked == [] and "Sorry" not in text and "Traceback" not in text
    assert "The database can't be reached right now" in text and "Nothing you wrote is lost" in text
    _, after = text.split("filed 1 report(s) kept in the outbox")
    assert "the till drawer sticks every shift" in after  # `mine` lists it
    assert [r.text for r in reports(services)] == ["the till drawer sticks every shift"]
    assert services.snag.outbox.depth() == 0
