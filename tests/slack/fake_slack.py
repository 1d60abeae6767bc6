"""A fake Slack Web API on a real port: answers like Slack, records every call."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = "UBOT"
TEAM = "T0001"


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the load benchmark opens hundreds of connections at once


@dataclass
class Call:
    method: str  # chat.postMessage, …, or response_url / upload for non-API paths
    params: dict[str, Any]
    path: str
    token: str | None = None
    size: int = 0


@dataclass
class Failure:
    status: int  # 0: no answer at all, the connection closed after `hang` seconds
    headers: dict[str, str]
    error: str
    hang: float = 0.0


@dataclass
class FakeSlack:
    """Start with `start()`; `api_url` goes into SNAG_SLACK_API_URL."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    thread_messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    usergroups: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: int = 0

    def start(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def hook(self, name: str = "commands/T0001/1/abc") -> str:
        return f"{self.url}/hooks/{name}"

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        error: str = "ratelimited",
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an error."""
        headers = headers if headers is not None else ({"Retry-After": "0"} if status == 429 else {})
        self.failures.setdefault(method, []).extend([Failure(status, headers, error)] * times)

    def stall(self, method: str, *, seconds: float = 0.0, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with nothing: the connection is closed after
        `seconds` (0: at once, as a proxy dropping it; more: as Slack blocked on the way out)."""
        self.failures.setdefault(method, []).extend([Failure(0, {}, "", seconds)] * times)

    def called(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self.lock:
            return [c.method for c in self.calls]

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._seq += 1
            return f"{prefix}{self._seq:04d}"

    # ---- answers ----

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        return handler(params) if handler else {"ok": True}

    def _auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "snag",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0001",
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "channel": p.get("channel"),
            "ts": f"1700000000.{self.next_id('')}",
            "message": {"text": p.get("text"), "blocks": p.get("blocks")},
        }

    def _chat_postEphemeral(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000000.{self.next_id('')}"}

    def _view(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else view
        return {
            "ok": True,
            "view": {**view, "id": p.get("view_id") or self.next_id("V"), "hash": "h1"},
        }

    _views_open = _views_update = _views_push = _views_publish = _view

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.messages.get((p.get("channel", ""), p.get("latest", "")))
        return {"ok": True, "messages": [found] if found else [], "has_more": False}

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.thread_messages.get((p.get("channel", ""), p.get("ts", "")))
        return {"ok": True, "messages": [found] if found else [], "has_more": False}

    def _usergroups_list(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "usergroups": self.usergroups}

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "upload_url": f"{self.url}/upload/F0001", "file_id": "F0001"}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "files": [{"id": "F0001", "title": "chart"}]}

    def _oauth_v2_access(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "access_token": "xoxb-installed-secret-token",
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "UBOT2",
            "app_id": "A0001",
            "team": {"id": "T0002", "name": "Beta"},
            "enterprise": None,
            "authed_user": {"id": "U0INSTALLER"},
            "is_enterprise_install": False,
        }


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return json.loads(raw)
    if "form" in content_type:
        out: dict[str, Any] = {}
        for key, values in parse_qs(raw.decode(), keep_blank_values=True).items():
            value = values[0]
            out[key] = json.loads(value) if value[:1] in "[{" else value
        return out
    return {}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") or None
            if path.startswith("/upload/"):
                self._record(Call("upload", {}, path, token, len(raw)))
                self._reply(200, b"OK", "text/plain")
                return
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            params = query | _parse(self.headers.get("Content-Type", ""), raw)
            if path.startswith("/hooks/"):
                self._record(Call("response_url", params, path, token, len(raw)))
                failure = self._failure("response_url")  # Slack answers a hook in plain text
                status, text = (failure.status, failure.error) if failure else (200, "ok")
                self._reply(status, text.encode(), "text/plain")
                return
            method = path.removeprefix("/api/")
            self._record(Call(method, params, path, token or params.get("token"), len(raw)))
            failure = self._failure(method)
            if failure and not failure.status:
                time.sleep(failure.hang)
                self.close_connection = True
                return
            if failure:
                body = json.dumps({"ok": False, "error": failure.error}).encode()
                self._reply(failure.status, body, "application/json", failure.headers)
                return
            self._reply(200, json.dumps(fake.answer(method, params)).encode(), "application/json")

        do_GET = do_POST

        def _failure(self, method: str) -> Failure | None:
            with fake.lock:
                queue = fake.failures.get(method) or []
                return queue.pop(0) if queue else None

        def _record(self, call: Call) -> None:
            with fake.lock:
                fake.calls.append(call)

    return Handler
