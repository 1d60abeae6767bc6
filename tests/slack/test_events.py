"""Events over real HTTP: DMs, mentions and reactions file reports exactly once; Home; uninstall."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from store.models import ConversationRef, ProcessedEvent, Tenant
from tests.slack.conftest import BOT_TOKEN, MANAGER, SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_message, assert_valid_view


async def test_a_direct_message_files_a_report_and_answers_in_the_dm(slack: SlackDriver) -> None:
    status, _ = await slack.event(fixture("event_message_im"))
    assert status == 200
    [row] = slack.reports()
    assert row.text == "we retype every order into SAP & the CRM"
    assert row.event_key == "Ev0PV52K21"
    [post] = slack.fake.called("chat.postMessage")
    assert post.params["channel"] == "D0PNCRP9N" and post.token == BOT_TOKEN
    assert post.params["text"] == f"Thanks, saved as report #{row.id}."
    assert_valid_message(post.params)
    assert "we retype every order into SAP &amp; the CRM" in answer_text(post.params)
    assert slack.fake.called("auth.test"), "single-workspace mode checks its token once"


async def test_a_dm_is_committed_before_slack_gets_its_answer(slack: SlackDriver) -> None:
    status, _ = await slack.event(fixture("event_message_im"), drain=False)
    assert status == 200 and len(slack.reports()) == 1
    await slack.runtime.drain()
    with Session(slack.services.engine) as session:
        [ref] = session.exec(select(ConversationRef)).all()
    person = slack.services.snag.person("slack", "T0001", "U2147483697")
    assert (ref.conversation_id, ref.reporter_key) == (
        "D0PNCRP9N",
        slack.services.snag.key_of(person),
    )


async def test_slack_retries_make_exactly_one_report_and_one_answer(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    await slack.event(payload)
    for retry in (1, 2, 3):
        status, _ = await slack.event(payload, retry=retry)
        assert status == 200
    assert len(slack.reports()) == 1
    assert len(slack.fake.called("chat.postMessage")) == 1


async def test_a_retry_whose_original_was_lost_is_still_filed(slack: SlackDriver) -> None:
    status, _ = await slack.event(fixture("event_message_im"), retry=1)
    assert status == 200 and len(slack.reports()) == 1
    with Session(slack.services.engine) as session:
        assert session.exec(select(ProcessedEvent.event_id)).all() == ["Ev0PV52K21"]


async def test_a_dm_can_ask_a_question_instead(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    payload["event"]["text"] = "help"
    await slack.event(payload)
    [post] = slack.fake.called("chat.postMessage")
    assert post.params["text"] == "Snag commands" and slack.reports() == []


async def test_edits_bots_and_channel_messages_are_ignored(slack: SlackDriver) -> None:
    for change in (
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "bot_message"},
        {"subtype": "channel_join"},
        {"bot_id": "B0OTHER"},
        {"channel_type": "channel"},
    ):
        payload = fixture("event_message_im")
        payload["event"] |= change
        payload["event_id"] = f"Ev{len(json.dumps(change))}"
        assert (await slack.event(payload))[0] == 200
    assert slack.reports() == [] and slack.fake.called("chat.postMessage") == []


async def test_a_dm_with_a_photo_files_its_text_and_a_photo_alone_gets_asked_for_words(
    slack: SlackDriver,
) -> None:
    photo = fixture("event_message_im")
    photo["event"] |= {
        "subtype": "file_share",
        "text": "the scanner in bay 3 is broken, photo attached",
        "files": [{"id": "F0PHOTO", "name": "bay3.jpg", "mimetype": "image/jpeg"}],
    }
    await slack.event(photo)
    assert [r.text for r in slack.reports()] == ["the scanner in bay 3 is broken, photo attached"]
    photo["event"]["text"], photo["event_id"] = "", "Ev0PHOTOONLY"
    await slack.event(photo)
    assert len(slack.reports()) == 1
    first, second = slack.fake.called("chat.postMessage")
    assert first.params["text"].startswith("Thanks, saved as report #")
    assert "tell me in a sentence" in second.params["text"]
    assert_valid_message(second.params)


async def test_a_thread_reply_also_sent_to_the_channel_in_a_dm_is_filed(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    payload["event"] |= {"subtype": "thread_broadcast", "thread_ts": "1700000000.000001"}
    await slack.event(payload)
    assert len(slack.reports()) == 1
    [post] = slack.fake.called("chat.postMessage")
    assert post.params["thread_ts"] == "1700000000.000001"


async def test_a_mention_in_a_thread_is_answered_privately_in_that_thread(slack: SlackDriver) -> None:
    payload = fixture("event_app_mention")
    payload["event"]["thread_ts"] = "1700000100.000100"
    await slack.event(payload)
    [post] = slack.fake.called("chat.postEphemeral")
    assert (post.params["channel"], post.params["thread_ts"]) == ("C2147483705", "1700000100.000100")


async def test_a_mention_files_the_text_without_the_mention_and_answers_privately(
    slack: SlackDriver,
) -> None:
    await slack.event(fixture("event_app_mention"))
    [row] = slack.reports()
    assert row.text == "the intake form asks customers for their address twice"
    [post] = slack.fake.called("chat.postEphemeral")
    assert post.params["channel"] == "C2147483705" and post.params["user"] == "U2147483697"
    assert "thread_ts" not in post.params
    assert_valid_message(post.params)


async def test_the_snag_reaction_files_the_message_it_was_put_on(slack: SlackDriver) -> None:
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {
        "type": "message",
        "user": "U0OTHERPERSON",
        "ts": "1700000300.000400",
        "text": "a spreadsheet of stuck orders, as <https://crm.example.com|the CRM> hides them",
    }
    payload = fixture("event_reaction_added")
    await slack.event(payload)
    payload["event_id"] = "Ev0REACTION2"  # the same person reacting again later
    await slack.event(payload)
    [row] = slack.reports()
    assert row.text == "a spreadsheet of stuck orders, as the CRM (https://crm.example.com) hides them"
    assert row.event_key.startswith("reaction:C2147483705:1700000300.000400:")
    assert "U2147483697" not in row.event_key and "U0OTHERPERSON" not in row.text
    [history, *_] = slack.fake.called("conversations.history")
    assert history.params["latest"] == "1700000300.000400"
    posts = slack.fake.called("chat.postEphemeral")
    assert [p.params["user"] for p in posts] == ["U2147483697", "U2147483697"]
    assert posts[1].params["text"] == f"Already saved as report #{row.id}."


async def test_a_reaction_in_a_thread_reads_the_reply(slack: SlackDriver) -> None:
    slack.fake.thread_messages[("C2147483705", "1700000300.000400")] = {
        "type": "message",
        "ts": "1700000300.000400",
        "thread_ts": "1700000000.000001",
        "text": "the handoff to ops loses the notes",
    }
    await slack.event(fixture("event_reaction_added"))
    assert [r.text for r in slack.reports()] == ["the handoff to ops loses the notes"]


async def test_other_reactions_and_unreadable_messages_file_nothing(slack: SlackDriver) -> None:
    other = fixture("event_reaction_added")
    other["event"]["reaction"] = "thumbsup"
    await slack.event(other)
    assert slack.fake.called("conversations.history") == []
    await slack.event(fixture("event_reaction_added"))  # the fake knows no such message
    assert slack.reports() == []
    [post] = slack.fake.called("chat.postEphemeral")
    assert "couldn't read that message" in post.params["text"]


async def test_app_home_shows_own_reports_and_for_managers_the_top_patterns(
    slack: SlackDriver,
) -> None:
    await slack.command(fixture("slash_command"))
    await slack.event(fixture("event_app_home_opened"))
    manager = fixture("event_app_home_opened")
    manager["event"]["user"] = MANAGER
    manager["event_id"] = "Ev0HOME0002"
    await slack.event(manager)
    staff_view, manager_view = (c.params for c in slack.fake.called("views.publish"))
    assert staff_view["user_id"] == "U2147483697" and manager_view["user_id"] == MANAGER
    for published in (staff_view, manager_view):
        assert_valid_view(published["view"])
    staff_text = answer_text(staff_view["view"])
    assert "Your reports" in staff_text and "refunds sit in the finance inbox" in staff_text
    assert "Top patterns" not in staff_text
    assert "Top patterns" in answer_text(manager_view["view"])
    assert "You haven't filed any reports yet" in answer_text(manager_view["view"])


async def test_uninstall_and_token_revocation_forget_conversation_references(
    slack: SlackDriver,
) -> None:
    engine = slack.services.engine
    with Session(engine) as session:
        tenant = Tenant(platform="slack", external_id="T0001")
        other = Tenant(platform="slack", external_id="T0OTHER")
        session.add_all([tenant, other])
        session.flush()
        for t, conv in ((tenant, "D1"), (tenant, "C1"), (other, "D9")):
            session.add(ConversationRef(tenant_id=t.id, platform="slack", conversation_id=conv))
        tenant_id = tenant.id
        session.commit()
    assert (await slack.event(fixture("event_app_uninstalled")))[0] == 200
    with Session(engine) as session:
        assert session.exec(select(ConversationRef.conversation_id)).all() == ["D9"]
    with Session(engine) as session:
        session.add(ConversationRef(tenant_id=tenant_id, platform="slack", conversation_id="D2"))
        session.commit()
    user_only = fixture("event_tokens_revoked")
    user_only["event"]["tokens"] = {"oauth": ["U2147483697"], "bot": []}
    await slack.event(user_only)
    with Session(engine) as session:
        assert sorted(session.exec(select(ConversationRef.conversation_id)).all()) == ["D2", "D9"]
    assert (await slack.event(fixture("event_tokens_revoked")))[0] == 200
    with Session(engine) as session:
        assert session.exec(select(ConversationRef.conversation_id)).all() == ["D9"]


async def test_slack_api_errors_are_counted_in_metrics(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", status=200, error="channel_not_found")
    await slack.event(fixture("event_message_im"))
    async with slack.session.get(slack.server.make_url("/metrics")) as response:
        exposition = await response.text()
    assert 'snag_platform_api_errors_total{code="channel_not_found",platform="slack"} 1.0' in exposition
    assert len(slack.reports()) == 1
