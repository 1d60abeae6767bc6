"""Receipts owed and events claimed on this host: the files under the data directory."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from adapters.slack.dedupe import HostClaims
from adapters.slack.owed import HeldReceipts, Owed, OwedReceipts

OWED = Owed(team="T0001", user="U0001", channel="D0001", report_id=7, private=False, notices=("kept the first part",))


def test_an_event_is_taken_once_on_a_host_whichever_process_asks(tmp_path: Path) -> None:
    first, second = HostClaims(tmp_path), HostClaims(tmp_path)
    assert first.take("Ev01") is True
    assert second.take("Ev01") is False and first.take("Ev01") is False
    assert second.take("Ev02") is True


def test_claims_are_removed_long_after_slack_stopped_retrying(tmp_path: Path) -> None:
    HostClaims(tmp_path).take("Ev01")
    two_hours_ago = time.time() - 2 * 3600
    for path in tmp_path.iterdir():
        os.utime(path, (two_hours_ago, two_hours_ago))
    later = HostClaims(tmp_path)
    assert later.take("Ev02") is True
    assert later.take("Ev01") is True  # forgotten: no retry of it can come any more
    assert later.take("Ev02") is False


async def test_receipts_owed_by_a_live_process_stay_with_it(tmp_path: Path) -> None:
    alive = OwedReceipts(tmp_path)
    alive.owe(OWED)
    sent: list[Owed] = []

    async def send(owed: Owed) -> None:
        sent.append(owed)

    starting = OwedReceipts(tmp_path)
    assert await starting.settle(send) == 0 and sent == []
    alive.close()  # the kernel drops the lock of a process that dies, whatever the way
    assert await starting.settle(send) == 1 and sent == [OWED]
    another = OwedReceipts(tmp_path)
    assert await another.settle(send) == 0 and sent == [OWED]
    another.close()
    starting.close()
    assert list(tmp_path.iterdir()) == []  # nothing left behind once nothing is owed


async def test_a_receipt_whose_send_fails_stays_owed_and_a_paid_one_is_gone(tmp_path: Path) -> None:
    first = OwedReceipts(tmp_path)
    first.paid(first.owe(OWED))
    first.owe(OWED)
    (first.mine / "broken.json").write_text("{not json", encoding="utf-8")
    first.close()

    async def unreachable(owed: Owed) -> None:
        raise ConnectionError("Slack is unreachable")

    sent: list[Owed] = []

    async def send(owed: Owed) -> None:
        sent.append(owed)

    try:
        await OwedReceipts(tmp_path).settle(unreachable)
    except ConnectionError:
        pass
    assert await OwedReceipts(tmp_path).settle(send) == 1 and sent == [OWED]


def test_a_receipt_owed_is_readable_by_snags_user_alone(tmp_path: Path) -> None:
    """It names the reporter, their channel and their report, as the outbox does: 0600 like it."""
    before = os.umask(0o022)  # a usual umask, which would leave a plain file readable by all
    try:
        receipts = OwedReceipts(tmp_path / "owed")
        path = receipts.owe(OWED)
    finally:
        os.umask(before)
    assert path.stat().st_mode & 0o777 == 0o600
    assert receipts.mine.stat().st_mode & 0o777 == 0o700
    receipts.close()


async def test_one_receipt_that_cannot_go_now_holds_back_no_other(tmp_path: Path) -> None:
    """One conversation answering 502 stopped the settling: every receipt after it waited for another start."""
    gone = OwedReceipts(tmp_path)
    first, second = OWED, Owed(team="T0001", user="U0002", channel="D0002", report_id=8, private=False)
    gone.owe(first)
    gone.owe(second)
    gone.close()
    sent: list[Owed] = []

    async def flaky(owed: Owed) -> None:
        if owed.report_id == 7:
            raise ConnectionError("Slack answered 502")
        sent.append(owed)

    assert await OwedReceipts(tmp_path).settle(flaky) == 1 and sent == [second]

    async def send(owed: Owed) -> None:
        sent.append(owed)

    assert await OwedReceipts(tmp_path).settle(send) == 1 and sent == [second, first]


def test_a_disk_that_cannot_take_the_receipt_owed_leaves_it_to_be_sent_now(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    """Writing it down failing is logged (without the person) and the receipt is still sent live."""
    receipts = OwedReceipts(tmp_path / "owed")
    receipts.mine.chmod(0o500)  # read-only: the file cannot be created
    try:
        if os.access(receipts.mine, os.W_OK):  # root ignores the mode: make the folder a file's place
            receipts.mine.chmod(0o700)
            receipts.mine = tmp_path / "owed" / "not-a-folder"
            receipts.mine.write_text("")
        assert receipts.try_owe(OWED) is None
    finally:
        receipts.mine.chmod(0o700)
    assert "cannot write down a Slack receipt owed" in caplog.text and "U0001" not in caplog.text
    receipts.paid(None)  # nothing written: nothing to remove, and no error
    receipts.close()


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_receipt_held_that_keeps_failing_holds_back_no_other(tmp_path: Path) -> None:
    """A try stopped at the first receipt failing: one that always failed held every other back."""
    owed = OwedReceipts(tmp_path)
    second = Owed(team="T0001", user="U0002", channel="D0002", report_id=8, private=False)
    first_path, second_path = owed.owe(OWED), owed.owe(second)
    sent: list[Owed] = []

    async def flaky(receipt: Owed) -> None:
        if receipt.report_id == 7:
            raise ConnectionError("this conversation answers 502")
        sent.append(receipt)

    held = HeldReceipts(owed, flaky, delays=(0.01,))
    held.hold(first_path)
    held.hold(second_path)
    await until(lambda: sent == [second])
    await held.close()
    assert held.waiting == [first_path] and first_path.exists() and not second_path.exists()
    owed.close()


async def test_a_try_under_way_when_the_process_stops_finishes_and_is_paid(tmp_path: Path) -> None:
    """Cancelled mid-send, a receipt Slack took stayed written down: the next start posted it again."""
    owed = OwedReceipts(tmp_path)
    path = owed.owe(OWED)
    entered, release = asyncio.Event(), asyncio.Event()
    sent: list[Owed] = []

    async def slow(receipt: Owed) -> None:
        entered.set()
        await release.wait()
        sent.append(receipt)

    held = HeldReceipts(owed, slow, delays=(0.01,))
    held.hold(path)
    await asyncio.wait_for(entered.wait(), 5)
    closing = asyncio.create_task(held.close())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(closing, 5)
    assert sent == [OWED] and not path.exists()
    owed.close()


async def test_a_stop_waits_for_a_try_under_way_a_few_seconds_at_most(tmp_path: Path) -> None:
    owed = OwedReceipts(tmp_path)
    path = owed.owe(OWED)
    entered = asyncio.Event()

    async def hanging(receipt: Owed) -> None:
        entered.set()
        await asyncio.Event().wait()  # Slack blocked on the way out: no answer, no error

    held = HeldReceipts(owed, hanging, delays=(0.01,))
    held.grace = 0.05
    held.hold(path)
    await asyncio.wait_for(entered.wait(), 5)
    await asyncio.wait_for(held.close(), 1)
    assert path.exists() and held.waiting == [path]  # still owed, for the next start
    owed.close()
