"""The README keeps its promises: the two commands, every setting, CI calling make test."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_and_ci_uses_make_test() -> None:
    assert "make run" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1].strip() == "make test"
    # Anything else CI runs, the README says too.
    make_targets = [c.strip() for c in commands if c.strip().startswith("make ")]
    assert all(f"`{target}`" in README for target in make_targets), make_targets


def test_readme_documents_every_setting() -> None:
    missing = [env_name(n, f) for n, f in Settings.model_fields.items() if f"`{env_name(n, f)}`" not in README]
    assert missing == []


def test_env_example_mentions_the_secrets_an_admin_must_set() -> None:
    example = (ROOT / ".env.example").read_text()
    for name in ("SNAG_REPORTER_SECRET", "SNAG_ENCRYPTION_KEY", "SLACK_SIGNING_SECRET", "MicrosoftAppPassword"):
        assert name in example


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    missing = [env_name(n, f) for n, f in Settings.model_fields.items() if f"{env_name(n, f)}=" not in example]
    assert missing == []
