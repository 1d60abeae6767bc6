"""Thin Bolt listeners: answer Slack in time, translate, call the core, render, deliver."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["register_all"]


def register_all(app: AsyncApp, rt: SlackRuntime) -> None:
    """Register every Snag listener on the Bolt app."""
    from adapters.slack.handlers import actions, commands, events, submissions

    for module in (commands, events, actions, submissions):
        module.register(app, rt)
