"""Quitting `snag chat` while `retrain` runs waits for the new model, or says it was abandoned."""

from __future__ import annotations

import _thread
import io
import threading
import time

import pytest
from rich.console import Console

from adapters.console.chat import BYE, RETRAIN_ABANDONED, RETRAIN_DONE, RETRAIN_WAIT, run_console


class ScriptedConsole(Console):
    """A console whose snag> prompt reads the given lines, then Ctrl-D."""

    def __init__(self, lines: list[str], out: io.StringIO) -> None:
        super().__init__(file=out, width=200, color_system=None)
        self.lines = list(lines)

    def input(self, *args, **kwargs) -> str:  # type: ignore[no-untyped-def, override]
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


@pytest.fixture
def training(services, monkeypatch):  # type: ignore[no-untyped-def]
    """`retrain` runs a stand-in training that lasts until `release` is set."""
    services.extras.pop("console_first_start", None)
    state = {"release": threading.Event(), "started": threading.Event(), "finished": threading.Event()}

    def slow_training(_services) -> str:  # type: ignore[no-untyped-def]
        state["started"].set()
        state["release"].wait(10)
        state["finished"].set()
        return "v2"

    monkeypatch.setattr("bot.app.retrain_now", slow_training)
    monkeypatch.setattr("bot.app.nothing_to_retrain", lambda _services: None)  # there is something new to learn
    yield state
    state["release"].set()


def test_quitting_while_retraining_waits_for_the_new_model_and_says_so(services, training) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    threading.Timer(0.5, training["release"].set).start()
    run_console(services, console=ScriptedConsole(["retrain"], out), ask=lambda _p: "")
    assert training["finished"].is_set()  # the model was written before the process could end
    text = out.getvalue()
    assert "Retraining started" in text
    order = [text.index(RETRAIN_WAIT), text.index(RETRAIN_DONE), text.index(BYE)]
    assert order == sorted(order)


def test_ctrl_c_while_waiting_abandons_the_training_and_says_so(services, training) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    done = threading.Event()

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 5
        while RETRAIN_WAIT not in out.getvalue():
            if done.is_set() or time.monotonic() > deadline:
                return  # never asked to wait: nothing to interrupt
            time.sleep(0.02)
        time.sleep(0.1)
        _thread.interrupt_main()

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        run_console(services, console=ScriptedConsole(["retrain"], out), ask=lambda _p: "")
    finally:
        done.set()
        presser.join()
    text = out.getvalue()
    assert RETRAIN_WAIT in text and RETRAIN_ABANDONED in text and RETRAIN_DONE not in text
    assert text.index(RETRAIN_ABANDONED) < text.index(BYE)
    assert training["started"].is_set() and not training["finished"].is_set()


def test_quitting_with_no_training_running_says_nothing_about_it(services, training) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    run_console(services, console=ScriptedConsole(["stats"], out), ask=lambda _p: "")
    assert RETRAIN_WAIT not in out.getvalue() and out.getvalue().rstrip().endswith(BYE)
