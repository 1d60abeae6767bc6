"""Block Kit checks: every block parses with slack_sdk's models, round-trips, fits the limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack.render import MAX_TOTAL_CHARS, text_chars

KNOWN = {"section", "actions", "context", "divider", "input", "header", "image"}


def assert_valid_blocks(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    assert text_chars(blocks) <= MAX_TOTAL_CHARS
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), "block ids must be unique"
    for raw in blocks:
        assert raw["type"] in KNOWN, raw["type"]
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw["type"]
        assert parsed.to_dict() == raw  # validates, and nothing unknown was dropped
        for field in ("text",):
            if isinstance(raw.get(field), dict):
                assert len(raw[field]["text"]) <= 3000


def assert_valid_message(message: dict[str, Any]) -> None:
    assert isinstance(message.get("text"), str) and message["text"]
    assert_valid_blocks(message["blocks"], max_blocks=50)


def assert_valid_view(view: dict[str, Any]) -> None:
    assert_valid_blocks(view["blocks"], max_blocks=100)
    parsed = View(**view)
    assert parsed.to_dict()["type"] == view["type"]
    if view["type"] == "modal":
        assert len(view["title"]["text"]) <= 24


def answer_text(message: dict[str, Any]) -> str:
    """Every mrkdwn text of a message's blocks, joined (what a person would read)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                out.append(value["text"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(message.get("blocks", []))
    return "\n".join(out)
