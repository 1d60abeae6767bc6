"""One typed Settings, read once at the entry point and passed down."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.roles import entry_problem

__all__ = ["Settings", "not_found", "settings_problems", "unknown_names", "credential_problems"]

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DATABASE_URL = re.compile(r"(?P<dialect>[A-Za-z][\w.-]*)(?:\+(?P<driver>[\w.-]+))?://")
# The databases Snag is built and tested on, each with the one driver it installs (None: the default).
_DRIVERS = {"sqlite": (None, "pysqlite"), "postgresql": (None, "psycopg")}
_URL_FORMS = "sqlite:///var/snag.db, or postgresql+psycopg://user:password@host:5432/snag"
_OTHER_DRIVER = {
    "sqlite": "the SQLite driver is built in: write sqlite:///var/snag.db, not sqlite+{driver}:///...",
    "postgresql": "the PostgreSQL driver Snag installs is psycopg, not {driver}: write postgresql+psycopg://...",
}
# A good value for the settings whose default is unset (or not an example of anything).
_EXAMPLES = {
    "database_url": "postgresql+psycopg://snag:password@db:5432/snag",
    "taxonomy": "our-taxonomy.yml",
    "retention_days": "365",
    "admins": "slack:U0123ABCD,slack:group:S0456EFGH",
    "managers": "teams:<AAD object id>,teams:group:<AAD group id>",
    "teams_website_url": "https://intranet.example.com/snag",
    "teams_privacy_url": "https://intranet.example.com/snag/privacy",
    "teams_terms_url": "https://intranet.example.com/snag/terms",
    "host": "127.0.0.1",
}
# Names Snag's own files read that are no setting: the test suite's PostgreSQL (tests/conftest.py) and the
# password docker-compose.yml builds SNAG_DATABASE_URL from (.env only).
_NOT_SETTINGS = {"SNAG_TEST_POSTGRES_URL": "SNAG_TEST_POSTGRES_URL", "POSTGRES_PASSWORD": "POSTGRES_PASSWORD"}
# A key in .env that starts like one of these is meant for Snag; any other (COMPOSE_PROJECT_NAME, TZ,
# HTTPS_PROXY) is left alone unless it is a near miss of a name Snag reads: compose passes .env to the containers.
_SNAG_SHAPED = ("SNAG_", "SLACK_", "MICROSOFT")
# An environment variable starting like one of Snag's own non-SNAG_ names, and close to one with the same
# start, is taken for a misspelling of it (compose hands .env to the containers as environment variables);
# a host's own SLACK_WEBHOOK_URL or SLACK_USER_TOKEN is far from all of them.
_OWN_STARTS = ("SLACK_", "MICROSOFT_APP_", "MICROSOFTAPP")
# Names other tools read that are close to ours: a developer's shell often holds them (`make run` there).
_OTHER_TOOLS = frozenset(
    {"SLACK_TOKEN", "SLACK_API_TOKEN", "SLACK_USER_TOKEN", "SLACK_WEBHOOK", "SLACK_WEBHOOK_URL", "SLACK_CHANNEL"}
)
_NEAR = 0.8
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?")  # a name resolvers take (compose: my_db)
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


CSV = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting Snag reads. Environment variables start with SNAG_ unless noted."""

    model_config = SettingsConfigDict(
        env_prefix="SNAG_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # `SNAG_TAXONOMY=` (an .env.example line uncommented) means unset, not "."
    )

    env: Literal["dev", "prod"] = Field("prod", description="'dev' allows unauthenticated Teams (Emulator) traffic.")
    data_dir: Path = Field(
        Path("var"),
        description="Models, outbox, secrets and the SQLite file live here (relative to the current folder).",
    )
    database_url: str | None = Field(None, description="SQLAlchemy URL; default sqlite under the data directory.")
    taxonomy: Path | None = Field(None, description="Your own taxonomy file (default: classifier/taxonomy.yml).")
    reporter_secret: str | None = Field(
        None, description="Key for the reporter hash; generated under the data dir if unset."
    )
    encryption_key: str | None = Field(
        None, description="Fernet key for stored Slack tokens; generated under the data dir if unset."
    )
    anonymity_k: int = Field(3, ge=1, description="Slices with fewer distinct reporters are folded into 'other'.")
    confidence_threshold: float = Field(
        0.3, ge=0, le=1, description="Below this the stage is left empty and the reporter is asked."
    )
    max_report_chars: int = Field(
        40_000, ge=100, le=1_000_000, description="Longer reports keep their first N characters."
    )
    admins: CSV = Field(default_factory=list, description="Comma-separated platform:user ids with the admin role.")
    managers: CSV = Field(
        default_factory=list,
        description="Comma-separated platform:user ids (or slack:group:S.. / teams:group:...) with the manager role.",
    )
    retention_days: int | None = Field(None, ge=1, description="Reports older than this are reduced to their tags.")
    alert_threshold: int = Field(
        10, ge=1, description="A pattern crossing this many reports in a week alerts its subscribers."
    )
    digest_cron: str = Field("0 9 * * mon", description="Default cron schedule of a new digest subscription.")
    digest_timezone: str = Field("UTC", description="Default time zone of a new digest subscription.")
    host: str | None = Field(
        None,
        description="Address `snag serve` listens on: every address (0.0.0.0), but only 127.0.0.1 "
        "when SNAG_ENV=dev serves Teams without MicrosoftAppId (unauthenticated).",
    )
    port: int = Field(3000, ge=1, le=65535, description="Port `snag serve` listens on.")
    scheduler_port: int = Field(
        3001,
        ge=0,
        le=65535,
        description="Port `snag scheduler` serves GET /metrics and /healthz on (on SNAG_HOST, else every "
        "address); 0 turns it off.",
    )
    log_format: Literal["text", "json"] = Field("text", description="'json' writes one JSON object per log line.")
    log_level: str = Field("INFO", description="Python logging level.")
    outbox_max: int = Field(1000, ge=1, description="Outbox depth above which /readyz reports not ready.")

    slack_bot_token: str | None = Field(
        None,
        validation_alias=_alias("SLACK_BOT_TOKEN", "SNAG_SLACK_BOT_TOKEN"),
        description="xoxb- token of a single-workspace install.",
    )
    slack_signing_secret: str | None = Field(
        None,
        validation_alias=_alias("SLACK_SIGNING_SECRET", "SNAG_SLACK_SIGNING_SECRET"),
        description="verifies every request from Slack.",
    )
    slack_app_token: str | None = Field(
        None,
        validation_alias=_alias("SLACK_APP_TOKEN", "SNAG_SLACK_APP_TOKEN"),
        description="xapp- token; turns on Socket Mode.",
    )
    slack_client_id: str | None = Field(
        None,
        validation_alias=_alias("SLACK_CLIENT_ID", "SNAG_SLACK_CLIENT_ID"),
        description="for multi-workspace OAuth installs.",
    )
    slack_client_secret: str | None = Field(
        None,
        validation_alias=_alias("SLACK_CLIENT_SECRET", "SNAG_SLACK_CLIENT_SECRET"),
        description="for multi-workspace OAuth installs.",
    )
    slack_api_url: str | None = Field(None, description="Slack Web API base URL (GovSlack, proxies, tests).")
    slack_reaction: str = Field("snag", description="Emoji name whose reaction files the message as a report.")

    microsoft_app_id: str | None = Field(
        None,
        validation_alias=_alias("MicrosoftAppId", "MICROSOFT_APP_ID", "SNAG_MICROSOFT_APP_ID"),
        description="MicrosoftAppId of the Azure bot.",
    )
    microsoft_app_password: str | None = Field(
        None,
        validation_alias=_alias("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD", "SNAG_MICROSOFT_APP_PASSWORD"),
        description="MicrosoftAppPassword of the Azure bot.",
    )
    microsoft_app_tenant_id: str | None = Field(
        None,
        validation_alias=_alias("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID", "SNAG_MICROSOFT_APP_TENANT_ID"),
        description="MicrosoftAppTenantId for single-tenant bots.",
    )
    microsoft_app_type: str = Field(
        "MultiTenant",
        validation_alias=_alias("MicrosoftAppType", "MICROSOFT_APP_TYPE", "SNAG_MICROSOFT_APP_TYPE"),
        description="MicrosoftAppType: MultiTenant, SingleTenant or UserAssignedMSI.",
    )
    teams: bool = Field(False, description="Serve Microsoft Teams on /api/messages.")
    graph_url: str = Field(
        "https://graph.microsoft.com",
        description="Microsoft Graph base URL, for roles from `teams:group:<AAD group id>` (national clouds, tests).",
    )
    login_url: str = Field(
        "https://login.microsoftonline.com",
        description="Microsoft identity platform base URL the Bot Connector and Graph tokens are requested from.",
    )
    teams_website_url: str | None = Field(
        None, description="Your https page about Snag: the Teams app package's website link (snag teams package)."
    )
    teams_privacy_url: str | None = Field(
        None, description="Your https privacy notice for Snag: the Teams app package's privacy link."
    )
    teams_terms_url: str | None = Field(
        None, description="Your https terms of use for Snag: the Teams app package's terms of use link."
    )

    @field_validator("admins", "managers", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not value:
            return []
        if not isinstance(value, Iterable):
            raise TypeError(f"admins and managers should be text or a list, not {type(value).__name__}")
        return list(value)

    @field_validator("admins", "managers")
    @classmethod
    def _role_entries(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # An entry in another form than the ids the platforms send would match nobody: nobody would get the role.
        for entry in value:
            problem = entry_problem(entry, any_teams_id=info.data.get("env") == "dev")
            if problem is not None:
                raise ValueError(problem)
        return value

    @field_validator("slack_reaction")
    @classmethod
    def _an_emoji_name(cls, value: str) -> str:
        # Slack writes emoji as :snag:, but a reaction arrives named snag: with the colons nothing matched.
        name = value.strip().strip(":").lower()
        if not name or any(c.isspace() or c == ":" for c in name):
            raise ValueError(f"{value!r} is not one emoji's name: write the name alone, without colons or spaces")
        return name

    @field_validator("host")
    @classmethod
    def _an_address_alone(cls, value: str | None) -> str | None:
        # `localhost:3000` passed here and failed to resolve when serving, with an unexpected error.
        if value is None or not value.strip():
            return None
        host = value.strip()
        bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        with suppress(ValueError):
            ipaddress.ip_address(bare)  # ::1 holds colons, and no port
            return bare
        if "://" in host or "/" in host:
            raise ValueError(f"{value!r} is a URL: SNAG_HOST is the address alone, without http:// or a path")
        if ":" in host:
            raise ValueError(f"{value!r} holds a port: SNAG_HOST is the address alone, and the port goes in SNAG_PORT")
        if not _HOST_NAME.fullmatch(host):
            raise ValueError(f"{value!r} is not an address or a host name")
        return host

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.strip().upper() not in _LOG_LEVELS:
            raise ValueError(f"{value!r} is not a level; use one of {', '.join(_LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("digest_cron", "digest_timezone")
    @classmethod
    def _a_schedule(cls, value: str, info: ValidationInfo) -> str:
        # Checked at start: a typo here showed only when an admin later typed `subscribe`, naming no setting.
        from bot.errors import InputError
        from digests.subscriptions import validate_schedule

        cron, zone = (value, "UTC") if info.field_name == "digest_cron" else ("0 9 * * mon", value)
        try:
            validate_schedule(cron, zone)
        except InputError as exc:
            if info.field_name == "digest_timezone":
                raise ValueError(
                    f"{value!r} is not a time zone name from the tz database (e.g. Europe/London)"
                ) from None
            raise ValueError(str(exc).rstrip(".")) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _a_database_snag_uses(cls, value: str | None) -> str | None:
        # Checked here, not when the engine is made: another database fails there on a missing driver.
        if not value:
            return value
        from store.db import url_mistake, with_driver  # read as the engine reads it (lazily: bot/ is storage-neutral)

        value = with_driver(value)
        url = _DATABASE_URL.match(value)
        if url is None:
            raise ValueError(
                "the value is not a database URL (one starts with its dialect: sqlite:/// or postgresql+psycopg://)"
            )
        dialect, driver = url["dialect"].lower(), (url["driver"] or "").lower() or None
        if dialect not in _DRIVERS:
            raise ValueError(f"only SQLite and PostgreSQL databases are supported, not {dialect} ({_URL_FORMS})")
        if driver not in _DRIVERS[dialect]:
            raise ValueError(_OTHER_DRIVER[dialect].format(driver=driver))
        if dialect == "postgresql":
            mistake = url_mistake(value)
            if mistake is not None:
                raise ValueError(mistake.removeprefix("SNAG_DATABASE_URL: ").rstrip("."))
        return value

    @field_validator("teams_website_url", "teams_privacy_url", "teams_terms_url")
    @classmethod
    def _an_https_page(cls, value: str | None) -> str | None:
        # Teams refuses an app package whose links are not https.
        if value and not _is_url(value, schemes=("https",)):
            raise ValueError("the value is not an https:// address, which Teams requires")
        return value

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        existing = next((p for p in (value, *value.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ValueError(f"{existing} is a file, not a folder")
        return value

    # Set for the commands that read or delete: they must find the database and keys, never create them.
    _existing_store_only: bool = PrivateAttr(False)

    def existing_store_only(self) -> Settings:
        """These settings for a command that reads or deletes: a missing database or key stops it."""
        copy = self.model_copy()
        copy._existing_store_only = True
        return copy

    @property
    def may_create_store(self) -> bool:
        """Whether a missing SQLite database and reporter key may be created (set-up commands, tests)."""
        return not self._existing_store_only

    # Set for the commands that tag nothing (digests, subscriptions): loading the model took seconds, and warned.
    _tags_nothing: bool = PrivateAttr(False)

    def tagging_nothing(self) -> Settings:
        """These settings for a command that tags no report: no classifier model is loaded for it."""
        copy = self.model_copy()
        copy._tags_nothing = True
        return copy

    @property
    def needs_model(self) -> bool:
        """Whether the command tags reports, so the classifier's model is loaded."""
        return not self._tags_nothing

    # ---- derived values ----

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'snag.db').as_posix()}"

    @property
    def is_embedded_db(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def secret(self, name: str) -> str:
        """A secret from settings, or one generated once and kept under the data dir."""
        value = {"reporter": self.reporter_secret, "encryption": self.encryption_key}[name]
        if value:
            return value
        path = self.data_dir / f"{name}.key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        setting = {"reporter": "SNAG_REPORTER_SECRET", "encryption": "SNAG_ENCRYPTION_KEY"}[name]
        if self.env == "prod" and not self.is_embedded_db:
            raise ConfigError(
                f"{setting} is not set: a shared database needs the same secret on every "
                "replica, so set it in your .env (see .env.example)."
            )
        if self._existing_store_only:
            then = {
                "reporter": ", and a new one would match none of the reports filed under the old one",
                "encryption": ", and a new one could read none of the Slack tokens stored with the old one",
            }[name]
            raise ConfigError(not_found(f"No {name} key", path, setting, then=then))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if name == "encryption":
            from base64 import urlsafe_b64encode

            value = urlsafe_b64encode(secrets.token_bytes(32)).decode()
        else:
            value = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value)
        return value

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)


def not_found(what: str, path: Path, setting: str, *, then: str = "") -> str:
    """Why a command found no database or key, where it looked from, and how to point it at the right one."""
    return (
        f"{what} at {path.absolute()}{then}. Snag reads .env and SNAG_DATA_DIR (default: var) relative to the "
        f"current folder ({Path.cwd()}): run this from the folder Snag was set up in, or set "
        f"SNAG_DATA_DIR=<the folder holding {path.name}> (or {setting})."
    )


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable a setting is read from (its first alias, else SNAG_<NAME>)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"SNAG_{name.upper()}"


def settings_problems(error: ValidationError) -> str:
    """One line per bad setting: its variable, what is wrong, and a value that would do."""
    lines = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else ""
        field = Settings.model_fields.get(name)
        variable = env_name(name, field) if field else name or "A setting"
        problem = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}: {problem[:1].lower()}{problem[1:]}; e.g. {variable}={_example(name, field)}")
    return "\n".join(lines)


def _example(name: str, field: FieldInfo | None) -> str:
    if name in _EXAMPLES or field is None:
        return _EXAMPLES.get(name, "...")
    default = field.get_default(call_default_factory=True)
    return "..." if default in (None, [], "") else str(default)


def known_names() -> dict[str, str]:
    """Every name a setting is read from, upper-cased (Snag reads them in any case), as documented."""
    names: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        spelt = [str(a) for a in alias.choices] if isinstance(alias, AliasChoices) else [env_name(name, field)]
        names.update({n.upper(): n for n in spelt})
    return names


def unknown_names(environ: Mapping[str, str], env_file: Path | None = None) -> list[str]:
    """One line for each SNAG_ variable, each variable close to another name Snag reads, and each key of
    .env meant for Snag, that no setting reads.

    Ignored, a misspelt `SNAG_RETENTION_DAY` meant reports were kept for ever, without a word."""
    known = known_names()
    allowed = {**known, **_NOT_SETTINGS}
    misspelt = sorted(name for name in environ if _misspelt_in_environment(name.upper(), allowed))
    lines = [_unknown(name, "is set in the environment", allowed) for name in misspelt]
    for name in _env_file_keys(env_file):
        key = name.upper()
        if key in allowed or name in misspelt:
            continue
        near = difflib.get_close_matches(key, list(allowed), n=1, cutoff=_NEAR)
        if key.startswith(_SNAG_SHAPED) or near or f"SNAG_{key}" in known:
            lines.append(_unknown(name, f"is in {env_file}", allowed))
    return lines


def _misspelt_in_environment(key: str, allowed: Mapping[str, str]) -> bool:
    """Whether an environment variable is a SNAG_ name no setting reads, or close to one of Snag's other
    names with the same start (`SLACK_APP_TOKN` left Socket Mode off, and serve listened over HTTP)."""
    if key in allowed or key in _OTHER_TOOLS:
        return False
    if key.startswith("SNAG_"):
        return True
    start = next((s for s in _OWN_STARTS if key.startswith(s)), None)
    ours = [name for name in allowed if start and name.startswith(start)]
    return bool(difflib.get_close_matches(key, ours, n=1, cutoff=_NEAR))


def _env_file_keys(env_file: Path | None) -> list[str]:
    if env_file is None or not env_file.is_file():
        return []
    from dotenv import dotenv_values  # what pydantic-settings reads .env with

    return list(dotenv_values(env_file))


def _unknown(name: str, where: str, allowed: Mapping[str, str]) -> str:
    """`name` is no setting: the sentence, with the closest name Snag reads (never the value)."""
    key = name.upper()
    near = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    guess = allowed[f"SNAG_{key}"] if f"SNAG_{key}" in allowed else allowed[near[0]] if near else None
    hint = f"did you mean {guess}?" if guess else "README.md > Configuration reference lists every setting."
    return f"{name} {where} but is not a setting Snag reads, so it would be ignored: {hint}"


def app_id_problem(app_id: str) -> str | None:
    """Why a MicrosoftAppId cannot be one (Teams and the Bot Framework take a GUID only), else None."""
    if _GUID.fullmatch(app_id.strip()):
        return None
    return (
        "MicrosoftAppId is not a GUID: copy the Microsoft App ID (like 00000000-0000-0000-0000-000000000000) "
        "from your Azure bot's Configuration page."
    )


def credential_problems(settings: Settings) -> list[str]:
    """One line for each credential or URL whose form cannot be right; the value itself is never shown.

    Checked at start: a Slack token in the wrong place, or an app id pasted from the portal's address
    bar, started Snag and listened, and every request failed later."""
    lines = [problem] if settings.microsoft_app_id and (problem := app_id_problem(settings.microsoft_app_id)) else []
    lines += _slack_token_problems(settings)
    for variable, value in (
        ("SNAG_SLACK_API_URL", settings.slack_api_url),
        ("SNAG_GRAPH_URL", settings.graph_url),
        ("SNAG_LOGIN_URL", settings.login_url),
    ):
        if value and not _is_url(value, schemes=("https", "http")):
            lines.append(
                f"{variable} is not a URL: write it with https:// and a host, e.g. {variable}={_URLS[variable]}"
            )
        elif value and not _is_url(value, schemes=("https",)) and not _on_this_machine(value):
            lines.append(
                f"{variable} starts with http://, so Snag's tokens and passwords would cross the network "
                f"unencrypted: write it with https://, e.g. {variable}={_URLS[variable]} "
                "(http:// is only for a server on this machine: localhost, 127.0.0.1 or ::1)."
            )
    return lines


def _on_this_machine(url: str) -> bool:
    """Whether the URL's host is this machine: a test's fake server, whose http:// never leaves it."""
    host = urlsplit(url.strip()).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return False


_URLS = {
    "SNAG_SLACK_API_URL": "https://slack.com/api/",
    "SNAG_GRAPH_URL": "https://graph.microsoft.com",
    "SNAG_LOGIN_URL": "https://login.microsoftonline.com",
}
# What each Slack token starts with (xoxe.xoxb-: a rotating bot token), and where it is copied from.
_SLACK_TOKENS = {
    "SLACK_BOT_TOKEN": (
        ("xoxb-", "xoxe.xoxb-"),
        "the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page",
    ),
    "SLACK_APP_TOKEN": (
        ("xapp-",),
        "an app-level token (xapp-...) with connections:write, from your Slack app's Basic Information page",
    ),
}


def _slack_token_problems(settings: Settings) -> list[str]:
    lines = []
    given = {"SLACK_BOT_TOKEN": settings.slack_bot_token, "SLACK_APP_TOKEN": settings.slack_app_token}
    for variable, raw in given.items():
        value, (prefixes, source) = (raw or "").strip(), _SLACK_TOKENS[variable]
        if not value or value.startswith(prefixes):
            continue
        swapped = [other for other, (theirs, _) in _SLACK_TOKENS.items() if value.startswith(theirs)]
        mixup = f"it holds the token that belongs in {swapped[0]}; " if swapped else ""
        lines.append(f"{variable} does not start with {prefixes[0]}: {mixup}set it to {source}.")
    if (settings.slack_signing_secret or "").strip().startswith(("xox", "xapp-")):
        lines.append(
            "SLACK_SIGNING_SECRET holds a token, not the signing secret: copy the Signing Secret from your "
            "Slack app's Basic Information page."
        )
    return lines


def _is_url(value: str, *, schemes: tuple[str, ...]) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in schemes and bool(parts.hostname) and " " not in value.strip()


def settings_reference() -> str:
    """A Markdown table of every setting: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "unset" if default in (None, [], "") else f"`{default}`"
        rows.append(f"| `{env_name(name, field)}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_reference())
