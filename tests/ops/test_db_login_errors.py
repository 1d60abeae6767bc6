"""A PostgreSQL server that refuses the URL's user or password is named as such, with what to correct.

Both were "Cannot reach the database ... OperationalError": the admin looked for a network problem."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from store.db import _unreachable, make_engine
from tests.conftest import POSTGRES_URL

SERVER = 'connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  '


@pytest.fixture
def missing_role_url() -> str:
    """The test server's URL with a user it does not have (its logins are trusted: a password is never asked)."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        engine.connect().close()
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig.__class__.__name__}")
    finally:
        engine.dispose()
    return sa.make_url(POSTGRES_URL).set(username=f"nobody_{uuid.uuid4().hex[:8]}").render_as_string(False)


@pytest.mark.parametrize("args", [["db", "upgrade"], ["export"]])
def test_a_user_the_server_does_not_have_is_named_with_the_setting(  # type: ignore[no-untyped-def]
    snag_cli, monkeypatch, missing_role_url: str, args: list[str]
) -> None:
    user = sa.make_url(missing_role_url).username
    monkeypatch.setenv("SNAG_DATABASE_URL", missing_role_url)
    code, _out, err = snag_cli(*args)
    assert code == 2
    assert f'answered, but it has no user (role) named "{user}"' in err and "SNAG_DATABASE_URL" in err
    assert "Cannot reach" not in err and "OperationalError" not in err


def _refusal(url: str, said: str) -> str:
    engine = make_engine(url)
    error = OperationalError(None, None, Exception(SERVER + said))
    return _unreachable(error, engine).message


@pytest.mark.parametrize(
    "said", ['password authentication failed for user "snag"', "fe_sendauth: no password supplied"]
)
def test_a_refused_password_names_the_settings_and_never_the_password(said: str) -> None:
    """The local server trusts every login, so the server's words are given as psycopg reports them."""
    message = _refusal("postgresql+psycopg://snag:hunter2-pw@10.0.0.5:5432/snag", said)
    assert message.startswith(
        'The PostgreSQL server at 10.0.0.5:5432 answered, but it refused the password of user "snag"'
    )
    assert "SNAG_DATABASE_URL" in message and "POSTGRES_PASSWORD in .env" in message
    assert "ALTER USER snag PASSWORD" in message
    assert "hunter2-pw" not in message and "Cannot reach" not in message


def test_other_failures_still_say_the_database_cannot_be_reached() -> None:
    message = _refusal("postgresql+psycopg://snag@10.0.0.5/snag", "the database system is starting up")
    assert message == "Cannot reach the database at postgresql+psycopg://snag@10.0.0.5/snag: Exception."
    sqlite = _refusal("sqlite://", 'password authentication failed for user "snag"')
    assert sqlite.startswith("Cannot reach the database at sqlite")
