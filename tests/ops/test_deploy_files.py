"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from bot.cli import _register_commands, app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SECRET_WORDS = re.compile(r"(password|secret|token|key)", re.IGNORECASE)


def snag_commands() -> set[str]:
    _register_commands()
    names = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    return names | {g.name for g in app.registered_groups if g.name}


def test_services_and_their_order() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"db", "migrate", "bot", "scheduler"}
    assert "pgdata" in COMPOSE["volumes"]
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    for name in ("bot", "scheduler", "migrate"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("bot", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in services["bot"]
    assert services["scheduler"]["deploy"]["replicas"] == 1


def test_every_service_command_exists_in_the_cli() -> None:
    commands = snag_commands()
    for name in ("migrate", "bot", "scheduler"):
        argv = COMPOSE["services"][name]["command"]
        assert argv[0] == "snag" and argv[1] in commands, argv


def test_no_secret_is_baked_into_compose() -> None:
    def walk(node, path=""):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{path}[{i}]")
        else:
            yield path, str(node)

    for path, value in walk(COMPOSE):
        # Only references to the .env file may stand where a secret goes.
        if SECRET_WORDS.search(path.rsplit(".", 1)[-1]):
            assert value.startswith("${"), (path, value)
        for password in re.findall(r"://[^/@\s:]+:([^@\s]+)@", value):
            assert password.startswith("${"), (path, value)
    assert COMPOSE["x-snag"]["env_file"] == ".env"


def test_dockerfile_is_slim_non_root_and_its_commands_exist() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", text, re.MULTILINE)
    assert re.search(r"^USER snag$", text, re.MULTILINE)
    for src in re.findall(r"^COPY (\S+)", text, re.MULTILINE):
        assert (ROOT / src).exists(), src
    commands = snag_commands()
    for line in re.findall(r"\bsnag ([a-z][a-z-]+)", text):
        assert line in commands, line
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert cmd and shlex.split(cmd.group(1).strip("[]").replace(",", " "))[1] == "serve"


def test_env_example_documents_every_variable_compose_reads() -> None:
    env_example = (ROOT / ".env.example").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert used and all(name in env_example for name in used)


def test_the_bot_and_the_scheduler_have_http_healthchecks_on_the_ports_they_listen_on() -> None:
    services = COMPOSE["services"]
    assert COMPOSE["x-snag"]["environment"]["SNAG_PORT"] == "3000"  # .env's SNAG_PORT picks the host port only
    assert services["bot"]["ports"] == ["${SNAG_PORT:-3000}:3000"]
    assert "127.0.0.1:3000/" in " ".join(services["bot"]["healthcheck"]["test"])
    # no HTTP there: the image's check would call it unhealthy
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_the_scheduler_healthcheck_probes_its_own_healthz() -> None:
    """`snag scheduler` served no HTTP, so its healthcheck was disabled and a stuck scheduler looked fine."""
    scheduler = COMPOSE["services"]["scheduler"]
    port = COMPOSE["x-snag"]["environment"]["SNAG_SCHEDULER_PORT"]  # pinned: .env cannot move it from the probe
    assert port == "3001"
    check = scheduler["healthcheck"]
    assert "disable" not in check and check["test"][:2] == ["CMD", "python"]
    assert f"http://127.0.0.1:{port}/healthz" in check["test"][-1]
    compile(check["test"][-1], "healthcheck", "exec")  # the probe is valid Python
    assert check["start_period"] and check["retries"] >= 1
    assert "ports" not in scheduler and scheduler["expose"] == [port]  # /metrics for Prometheus, not the host


def test_the_build_context_leaves_out_secrets_data_and_the_virtualenv() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env"} <= ignored
    text = (ROOT / "Dockerfile").read_text()
    assert "SNAG_DATABASE_URL=sqlite:////tmp/" in text  # training at build time leaves no database in the image


def test_env_example_lines_work_when_uncommented() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        setting = line.removeprefix("# ")
        if re.fullmatch(r"[A-Za-z_]+=.*", setting):
            assert "(" not in setting.split("=", 1)[1], line  # a note after the value would become the value
