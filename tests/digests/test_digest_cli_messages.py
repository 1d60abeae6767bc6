"""What a person reads from the digest commands: what went wrong and what would do, never a class name."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.domain import IncomingMessage, Role
from tests.conftest import run_snag

CLASS_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception|NotFound)\b")


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` as the console script does: (exit code, stdout, stderr)."""
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def test_an_html_page_that_cannot_be_written_says_why_and_keeps_the_preview(snag, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "no-such-dir" / "x.html"
    code, out, err = snag("digest", "--html", str(target))
    assert code == 2
    assert "Snag digest" in out  # the Markdown preview is still shown
    assert f"Could not write the HTML page to {target}: the folder {target.parent} does not exist." in err
    assert "unexpected error" not in caplog.text and not CLASS_NAME.search(err)


def test_an_html_path_that_is_a_folder_says_so(snag, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = snag("digest", "--html", str(tmp_path))
    assert code == 2 and f"Could not write the HTML page to {tmp_path}: it is a folder" in err


def test_an_unknown_time_zone_is_named_with_an_example(snag) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("subscribe", "all", "--tz", "Mars/Base")
    assert code == 2 and out == ""
    assert "I don't know the time zone Mars/Base" in err and "Europe/London" in err
    assert not CLASS_NAME.search(err)


def test_a_time_zone_in_the_wrong_case_gets_its_right_spelling(snag) -> None:  # type: ignore[no-untyped-def]
    code, _, err = snag("subscribe", "all", "--tz", "europe/london")
    assert code == 2 and "Did you mean Europe/London?" in err


@pytest.mark.parametrize(
    ("cron", "says"),
    [("0 8", "it has 2 fields, not 5"), ("0 9 * * someday", 'invalid weekday name "someday"')],
)
def test_a_cron_line_that_cannot_be_read_says_what_one_looks_like(snag, cron: str, says: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = snag("subscribe", "all", "--cron", cron)
    assert code == 2 and says in err
    assert "minute hour day month weekday" in err and '"0 9 * * mon"' in err
    assert not CLASS_NAME.search(err)


def _admin_says(services, text: str) -> str:  # type: ignore[no-untyped-def]
    admin = replace(services.snag.person("slack", "T1", "U1"), role=Role.ADMIN)
    reply = services.snag.handle_message(IncomingMessage(person=admin, text=text, channel="C1"))
    return reply.plain_text()


def test_an_unquoted_schedule_in_chat_is_shown_quoted(digest_services) -> None:  # type: ignore[no-untyped-def]
    said = _admin_says(digest_services, "subscribe all cron=0 8 * * fri")
    assert 'Put the schedule in straight quotes: cron="0 8 * * fri".' in said
    assert not CLASS_NAME.search(said)
    assert 'cron="0 8 * * fri"' in _admin_says(digest_services, "subscribe cron=0 8 * * fri team:finance")
    assert _admin_says(digest_services, 'subscribe all cron="0 8 * * fri"').startswith("Subscribed")
    assert _admin_says(digest_services, 'subscribe cron="0 8 * * fri" team:finance').startswith("Subscribed")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('subscribe all cron="0 8"', "it has 2 fields, not 5"),
        ("subscribe all tz=Mars/Base", "I don't know the time zone Mars/Base"),
        ("subscribe all tz=", "I don't know the time zone"),
    ],
)
def test_a_bad_schedule_in_chat_is_a_plain_sentence(digest_services, text: str, says: str) -> None:  # type: ignore[no-untyped-def]
    said = _admin_says(digest_services, text)
    assert says in said and not CLASS_NAME.search(said)


def test_pattern_set_without_a_change_is_refused_with_usage(snag) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("pattern", "set", "1")
    assert code == 2 and out == ""
    assert "Usage:" in err and "--owner" in err and "--status" in err
    assert "told" not in out + err


def test_demo_in_another_tenant_says_how_to_see_it(snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.demo.load_demo", lambda *_a, **_kw: {"reports": 3, "patterns": 1})
    code, out, _ = snag("demo", "--platform", "slack", "--tenant", "T0AUDIT")
    assert code == 0 and "Try `snag chat`" not in out
    assert "snag digest --preview --platform slack --tenant T0AUDIT" in out
    code, out, _ = snag("demo")
    assert code == 0 and "Try `snag chat`, then `digest`." in out


def test_pattern_set_reads_owner_and_status_as_the_chat_commands_do(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    """`snag pattern set` redacts an owner's contact details, reads "closed" as resolved, and a
    change that changes nothing says so."""
    staff = digest_services.snag.person("console", "local", "u1")
    receipt = digest_services.snag.handle_message(
        IncomingMessage(person=staff, text="refund forms are scanned twice at the front desk", channel="C1")
    )
    pid = digest_services.repository.get_report(person=staff, report_id=receipt.report_id).pattern_id
    code, out, err = snag("pattern", "set", str(pid), "--owner", "Dana Lee dana.lee@acme.example", "--status", "closed")
    assert code == 0, err
    assert f"Pattern #{pid}: status resolved, owner Dana Lee [email];" in out
    assert "dana.lee" not in out + err and "I hid an e-mail address" in err  # the admin is told
    code, out, _ = snag("pattern", "set", str(pid), "--status", "resolved")
    assert code == 0 and "nothing changed; nobody was told again" in out
    code, out, err = snag("pattern", "set", str(pid), "--status", "resolvd")
    assert code == 2 and "did you mean" in err and not CLASS_NAME.search(err)


def test_clearing_an_owner_nobody_had_changes_nothing(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    staff = digest_services.snag.person("console", "local", "u1")
    receipt = digest_services.snag.handle_message(
        IncomingMessage(person=staff, text="the returns cage code changed and nights were not told", channel="C1")
    )
    pid = digest_services.repository.get_report(person=staff, report_id=receipt.report_id).pattern_id
    code, out, _ = snag("pattern", "set", str(pid), "--owner", "none")
    assert code == 0 and "nothing changed; nobody was told again" in out


def test_a_mistyped_status_on_the_command_line_is_offered_as_an_option(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    """`snag pattern set 2 --status resolvd` offered chat's `status 2 resolved`; it offers `--status resolved`."""
    staff = digest_services.snag.person("console", "local", "u1")
    receipt = digest_services.snag.handle_message(
        IncomingMessage(person=staff, text="refund forms are scanned twice at the front desk", channel="C1")
    )
    pid = digest_services.repository.get_report(person=staff, report_id=receipt.report_id).pattern_id
    code, out, err = snag("pattern", "set", str(pid), "--status", "resolvd")
    assert code == 2 and out == ""
    assert "`resolvd` is not a status: did you mean `--status resolved`?" in " ".join(err.split())
    assert f"status {pid} resolved" not in err
