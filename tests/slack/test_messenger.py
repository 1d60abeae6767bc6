"""Posting digests and charts outside any request: pacing, pages, uploads, failures."""

from __future__ import annotations

import pytest

from adapters.slack.messenger import DeliveryFailed, SlackMessenger
from bot.config import Settings
from bot.domain import Reply, Section
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.validate import assert_valid_message


class FakeTime:
    """A clock that moves only when the messenger sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def messenger(settings: Settings, time: FakeTime, **kw: object) -> SlackMessenger:
    return SlackMessenger(settings, clock=time.clock, sleep=time.sleep, **kw)  # type: ignore[arg-type]


async def test_send_posts_a_valid_message_with_the_bot_token(slack_settings: Settings, fake_slack: FakeSlack) -> None:
    reply = Reply(
        kind="digest",
        title="Weekly digest <!channel>",
        sections=(Section(text="3 patterns"),),
        ephemeral=False,
    )
    await messenger(slack_settings, FakeTime()).send(platform="slack", tenant="T0001", destination="C9", reply=reply)
    [post] = fake_slack.called("chat.postMessage")
    assert post.token == BOT_TOKEN and post.params["channel"] == "C9"
    assert post.params["unfurl_links"] is False
    assert post.params["text"] == "Weekly digest &lt;!channel&gt;"
    assert_valid_message(post.params)


async def test_posts_to_one_channel_are_paced_one_per_second(slack_settings: Settings, fake_slack: FakeSlack) -> None:
    time = FakeTime()
    m = messenger(slack_settings, time)
    reply = Reply(kind="digest", title="Digest")
    for channel in ("C1", "C1", "C2", "C1"):
        await m.send(platform="slack", tenant="T0001", destination=channel, reply=reply)
    assert [c.params["channel"] for c in fake_slack.called("chat.postMessage")] == [
        "C1",
        "C1",
        "C2",
        "C1",
    ]
    assert time.sleeps == [1.0, 1.0], "C2 is not held back by C1"


async def test_a_long_digest_goes_out_as_several_messages(slack_settings: Settings, fake_slack: FakeSlack) -> None:
    sections = tuple(Section(heading=f"Pattern {i}", text="words " * 400) for i in range(80))
    time = FakeTime()
    await messenger(slack_settings, time).send(
        platform="slack",
        tenant="T0001",
        destination="C1",
        reply=Reply(kind="digest", title="Digest", sections=sections),
    )
    posts = fake_slack.called("chat.postMessage")
    assert len(posts) > 1 and len(time.sleeps) == len(posts) - 1
    for post in posts:
        assert_valid_message(post.params)


async def test_upload_chart_uses_files_upload_v2(slack_settings: Settings, fake_slack: FakeSlack) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 2048
    file_id = await messenger(slack_settings, FakeTime()).upload_chart(
        tenant="T0001", destination="C1", png=png, title="Top patterns", comment="This week"
    )
    assert file_id == "F0001"
    methods = fake_slack.methods()
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [upload] = fake_slack.called("upload")
    assert upload.size >= len(png)
    [complete] = fake_slack.called("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C1" and complete.params["initial_comment"] == "This week"


async def test_a_lost_channel_is_a_permanent_delivery_failure(slack_settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found")
    with pytest.raises(DeliveryFailed) as failure:
        await messenger(slack_settings, FakeTime()).send(
            platform="slack",
            tenant="T0001",
            destination="C404",
            reply=Reply(kind="digest", title="Digest"),
        )
    assert failure.value.reason == "channel_not_found" and failure.value.permanent


async def test_other_platforms_are_refused(slack_settings: Settings) -> None:
    with pytest.raises(ValueError):
        await messenger(slack_settings, FakeTime()).send(
            platform="teams", tenant="x", destination="y", reply=Reply(kind="digest", title="t")
        )
