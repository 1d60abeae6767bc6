"""The access log line of a request carries the X-Request-Id its caller got back.

The middleware reset the id before aiohttp wrote the access line, so every line said
"request_id": "-" and a caller's id could not be matched to a status or a latency."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import PathOnlyAccessLogger, make_web_app
from bot.logs import configure


def _access_lines(err: str) -> list[dict[str, str]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "aiohttp.access"]


async def _requests(services, *calls: tuple[str, dict[str, str]]) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Serve as `snag serve` does (its access logger), make the calls, and stop the server, so
    every access line is written: (status, X-Request-Id received) per call."""
    server = TestServer(make_web_app(services))
    await server.start_server(access_log_class=PathOnlyAccessLogger)
    client = TestClient(server)
    got = []
    try:
        for path, headers in calls:
            response = await client.get(path, headers=headers)
            await response.read()
            got.append((response.status, response.headers.get("X-Request-Id", "")))
    finally:
        await client.close()
    return got


async def test_the_access_line_has_the_request_id_the_caller_received(services, capsys) -> None:  # type: ignore[no-untyped-def]
    configure(level="INFO", fmt="json")
    got = await _requests(services, ("/healthz", {}), ("/readyz", {"X-Request-Id": "caller-chosen-42"}))
    lines = _access_lines(capsys.readouterr().err)
    assert [status for status, _ in got] == [200, 200]
    sent = [rid for _, rid in got]
    assert sent[0] and sent[0] != "-" and sent[1] == "caller-chosen-42"
    assert [(line["request_id"], line["message"].split('"')[1]) for line in lines] == [
        (sent[0], "GET /healthz"),
        (sent[1], "GET /readyz"),
    ]


async def test_a_raised_http_error_carries_the_id_in_its_header_and_its_access_line(services, capsys) -> None:  # type: ignore[no-untyped-def]
    configure(level="INFO", fmt="text")
    got = await _requests(services, ("/no-such-page", {"X-Request-Id": "lost-7"}))
    err = capsys.readouterr().err
    assert got == [(404, "lost-7")]
    access = [line for line in err.splitlines() if "aiohttp.access" in line]
    assert len(access) == 1 and "[lost-7]" in access[0] and " 404 " in access[0]


@pytest.mark.parametrize("raised", [web.HTTPUnauthorized, web.HTTPForbidden])
async def test_a_handler_raising_an_http_error_answers_with_the_request_id(services, raised) -> None:  # type: ignore[no-untyped-def]
    app = make_web_app(services)

    async def refuse(_request: web.Request) -> web.Response:
        raise raised()

    app.router.add_get("/refuse", refuse)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        response = await client.get("/refuse", headers={"X-Request-Id": "refused-1"})
        assert response.status == raised.status_code and response.headers["X-Request-Id"] == "refused-1"
    finally:
        await client.close()
