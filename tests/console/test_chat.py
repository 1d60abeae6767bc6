"""The console over the same core: a scripted conversation."""

from __future__ import annotations

import io

from rich.console import Console
from sqlmodel import Session, select

from adapters.console.chat import ConsoleSession
from store.models import Correction, Report


def session_with(services, answers: list[str]) -> tuple[ConsoleSession, io.StringIO]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    queue = list(answers)
    console = Console(file=out, width=100, color_system=None)
    return ConsoleSession(services, user="sam", console=console, ask=lambda _p: queue.pop(0)), out


def test_report_confirm_and_answer_questions(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["y", "1", "2"])
    chat.handle_line("new starters wait two weeks for a laptop because IT never hears from HR")
    with Session(services.engine) as s:
        row = s.exec(select(Report)).one()
    assert (row.status, row.frequency, row.customer_facing) == ("confirmed", "daily", False)
    text = out.getvalue()
    assert "saved as report #1" in text and "Handoff" in text and "Support → Finance" in text


def test_fix_tags_from_the_console_stores_a_correction(services) -> None:  # type: ignore[no-untyped-def]
    # fix -> stage 6 (support), kinds 1,5 (workaround, waiting), teams keep, handoff from/to skip, then skip questions
    chat, out = session_with(services, ["f", "6", "1,5", "", "", "", "", ""])
    chat.handle_line("we keep a shared spreadsheet of callbacks because the CRM loses them")
    with Session(services.engine) as s:
        row = s.exec(select(Report)).one()
        assert s.exec(select(Correction)).one().after["stage"] == "support"
    assert (row.stage, row.kinds, row.teams) == ("support", ["workaround", "waiting"], ["finance", "support"])
    assert "corrected" in out.getvalue()


def test_commands_work_in_the_console(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["", "", ""])
    chat.handle_line("the portal logs me out every ten minutes")
    assert chat.handle_line("mine").kind == "list"
    assert chat.handle_line("help").kind == "usage"
    assert chat.handle_line("top team:nobody").kind == "error"  # one line: `nobody` is not a team I know
    assert "the portal logs me out" in out.getvalue()


class ScriptedConsole(Console):
    """A console whose snag> prompt reads the given lines, then Ctrl-D."""

    def __init__(self, lines: list[str], out: io.StringIO) -> None:
        super().__init__(file=out, width=100, color_system=None)
        self.lines = list(lines)

    def input(self, *args, **kwargs) -> str:  # type: ignore[no-untyped-def, override]
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


def _scripted_ask(answers: list[str]):  # type: ignore[no-untyped-def]
    def ask(_prompt: str) -> str:
        if not answers:
            raise EOFError
        return answers.pop(0)

    return ask


def test_quit_or_ctrl_d_at_a_follow_up_question_ends_the_session_and_keeps_the_report(services) -> None:  # type: ignore[no-untyped-def]
    from adapters.console.chat import run_console

    services.extras.pop("console_first_start", None)
    for answers in (["quit"], [], ["y", "exit"]):  # quit / Ctrl-D / a question answered, then exit
        out = io.StringIO()
        console = ScriptedConsole(["the booking form drops the postcode every time", "mine"], out)
        run_console(services, user="sam", console=console, ask=_scripted_ask(list(answers)))
        text = out.getvalue()
        assert "saved as report #" in text and text.rstrip().endswith("Bye. Thanks for telling it like it is.")
        assert "Traceback" not in text
        assert console.lines == ["mine"]  # nothing after the quit was read
    with Session(services.engine) as s:
        rows = s.exec(select(Report)).all()
    assert len(rows) == 3 and {r.status for r in rows} >= {"confirmed"}


def test_a_new_sentence_typed_at_a_question_is_filed_not_dropped(services) -> None:  # type: ignore[no-untyped-def]
    second = "and the portal logs me out every ten minutes"
    third = "handover notes from nights never reach the day desk"
    # receipt 1: "Looks right?" gets a new report; receipt 2: skip, then its first question gets another
    chat, out = session_with(services, [second, "", third, "", "", ""])
    chat.handle_line("new starters wait two weeks for a laptop because IT never hears from HR")
    with Session(services.engine) as s:
        texts = [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]
    assert texts[1:] == [second, third]
    assert out.getvalue().count("taking that as a new line") == 2
    assert "is not one of the options" not in out.getvalue()


def test_short_answers_that_fit_no_option_get_a_hint_and_one_more_try(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services, ["ys", "y", "often", "", ""])
    chat.handle_line("the portal logs me out every ten minutes")
    with Session(services.engine) as s:
        [row] = s.exec(select(Report)).all()
    assert (row.status, row.frequency) == ("confirmed", None)
    text = out.getvalue()
    assert "'ys' is not one of the options; did you mean Yes?" in text
    assert "'often' is not one of the options." in text and "Try again, or press Enter to skip." in text


def test_a_first_report_typed_at_the_sample_data_offer_is_filed(services) -> None:  # type: ignore[no-untyped-def]
    from adapters.console.chat import run_console

    first = "the returns form makes us type the order number twice"
    out = io.StringIO()
    run_console(services, user="sam", console=ScriptedConsole([], out), ask=_scripted_ask([first]))
    with Session(services.engine) as s:
        rows = s.exec(select(Report)).all()
    assert [r.text for r in rows] == [first]  # filed, and no sample organisation loaded
    assert "No sample loaded; taking that as your first line." in out.getvalue()
