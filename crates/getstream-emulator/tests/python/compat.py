#!/usr/bin/env python3
"""Stream's official Python SDK (getstream==7.0.0), unchanged, against the emulator.

Every case drives the SDK the way a user would, pointed at the emulator with
``base_url``, and asserts real effects (a hard-deleted channel is gone, an export
link downloads a file holding the messages that were sent, ...). Besides the
explicit assertions, a case fails when the SDK's models had to invent a value for a
required field ("Missing value of non-optional type ..."), because real Stream never
leaves one out and the SDK's own helpers break on the resulting ``None``.

Usage (normally through ``scripts/python-compat.sh``, which starts the emulator):

    python compat.py --base-url http://127.0.0.1:PORT --api-key K --api-secret S
    # or STREAM_BASE_URL / STREAM_API_KEY / STREAM_API_SECRET in the environment
    python compat.py ... --only export_users_async_wait   # run some cases

Prints one line per case, then ``python-compat: N passed, M failed``; exits 1 on any
failure. Uses the SDK and the standard library only; only talks to loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import http.server
import ipaddress
import json
import logging
import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional

from getstream import AsyncStream, Stream
from getstream.exceptions import (
    StreamApiException,
    StreamRateLimitException,
    StreamTaskException,
    StreamTransportException,
)
from getstream.webhook import verify_and_parse_webhook
from getstream.models import (
    CallRequest,
    ChannelBatchMemberRequest,
    ChannelDataUpdate,
    ChannelExport,
    ChannelInput,
    ChannelInputRequest,
    EventHook,
    ChannelMemberRequest,
    MemberRequest,
    MessageRequest,
    QueryUsersPayload,
    SortParamRequest,
    UpdateUserPartialRequest,
    UserRequest,
)

MISSING_FIELD_WARNING = "Missing value of non-optional type"
TERMINAL = ("completed", "failed")
KNOWN_STATUSES = ("waiting", "pending", "running", "completed", "failed")
# --min-task-duration the script starts the emulator with (ms); see python-compat.sh.
MIN_TASK_MS = int(os.environ.get("COMPAT_MIN_TASK_MS", "50"))
WAIT_TIMEOUT = 30.0
POLL = 0.05


class CaseFailure(AssertionError):
    """A failed expectation, with a message that says what was expected and seen."""


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise CaseFailure(msg)


# ---------------------------------------------------------------- SDK logging
class _Recorder(logging.Handler):
    """Keeps the SDK's own `http.response.received` log events (log_bodies=True)
    so a failure can show the exact response the emulator sent."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.events: deque = deque(maxlen=50)

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() != "http.response.received":
            return
        self.events.append(
            {
                "method": getattr(record, "http.request.method", "?"),
                "path": getattr(record, "url.path", "?"),
                "status": getattr(record, "http.response.status_code", "?"),
                "body": getattr(record, "http.response.body", None),
            }
        )

    def mark(self) -> int:
        return len(self.events)

    def since(self, mark: int) -> List[Dict[str, Any]]:
        return list(self.events)[mark:] if mark <= len(self.events) else list(self.events)


RECORDER = _Recorder()
SDK_LOG = logging.getLogger("python-compat.sdk")
SDK_LOG.setLevel(logging.DEBUG)
SDK_LOG.propagate = False
SDK_LOG.addHandler(RECORDER)


def _short(value: Any, limit: int = 700) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# ---------------------------------------------------------------- helpers
class Ctx:
    """Connection settings plus factories for SDK clients and fresh ids."""

    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.api_secret = api_secret
        self.run = uuid.uuid4().hex[:8]
        self._n = 0
        self.client = self.sync()

    def sync(self, **overrides: Any) -> Stream:
        kw = dict(
            api_key=self.api_key,
            api_secret=self.api_secret,
            base_url=self.base_url,
            request_timeout=10.0,
            logger=SDK_LOG,
            log_bodies=True,
        )
        kw.update(overrides)
        return Stream(**kw)

    def async_(self, **overrides: Any) -> AsyncStream:
        kw = dict(
            api_key=self.api_key,
            api_secret=self.api_secret,
            base_url=self.base_url,
            request_timeout=10.0,
            logger=SDK_LOG,
            log_bodies=True,
        )
        kw.update(overrides)
        return AsyncStream(**kw)

    def uid(self, what: str) -> str:
        self._n += 1
        return f"py-{self.run}-{what}-{self._n}"


def sane_time(label: str, value: Any, slack: timedelta = timedelta(minutes=10)) -> datetime:
    """A decoded timestamp must be an aware datetime close to now: this is what
    catches seconds or milliseconds sent where Stream sends nanoseconds."""
    check(isinstance(value, datetime), f"{label}: expected a datetime, got {value!r}")
    check(value.tzinfo is not None, f"{label}: expected an aware datetime, got {value!r}")
    now = datetime.now(timezone.utc)
    check(
        now - slack <= value <= now + slack,
        f"{label}: {value.isoformat()} is not within {slack} of now ({now.isoformat()}); "
        "timestamps must be Unix nanoseconds",
    )
    return value


def make_users(ctx: Ctx, n: int) -> List[str]:
    ids = [ctx.uid("user") for _ in range(n)]
    resp = ctx.client.upsert_users(*[UserRequest(id=i, name=f"name {i}") for i in ids])
    users = resp.data.users or {}
    check(set(ids) <= set(users), f"upsert_users: response users {sorted(users)} lack {ids}")
    return ids


def make_channel(ctx: Ctx, members: List[str], texts: Iterable[str] = (), gap: float = 0.0):
    """A messaging channel created by members[0] holding members, plus messages
    sent round-robin by the members. Returns (channel, cid, [MessageResponse])."""
    ch = ctx.client.chat.channel("messaging", ctx.uid("chan"))
    ch.get_or_create(
        data=ChannelInput(
            created_by_id=members[0],
            members=[ChannelMemberRequest(user_id=m) for m in members],
        )
    )
    sent = []
    for i, text in enumerate(texts):
        if i and gap:
            time.sleep(gap)
        resp = ch.send_message(MessageRequest(text=text, user_id=members[i % len(members)]))
        sent.append(resp.data.message)
    return ch, f"messaging:{ch.channel_id}", sent


def task_id_of(label: str, resp: Any) -> str:
    tid = getattr(resp.data, "task_id", None)
    check(isinstance(tid, str) and tid != "", f"{label}: expected a task_id, got {tid!r}")
    return tid


def completed(label: str, resp: Any, tid: str) -> Any:
    data = resp.data
    check(data.task_id == tid, f"{label}: task_id {data.task_id!r} != {tid!r}")
    check(data.status == "completed", f"{label}: status {data.status!r}, expected completed")
    check(data.error is None, f"{label}: completed task carries error {data.error!r}")
    return data


def result_url(label: str, data: Any) -> str:
    check(isinstance(data.result, dict), f"{label}: result {data.result!r} is not an object")
    url = data.result.get("url")
    check(isinstance(url, str) and url, f"{label}: result has no url: {data.result!r}")
    return url


def download(url: str) -> Any:
    """GET an export link with no credentials (like Stream's pre-signed links) and
    parse it as JSON or JSON lines. Only loopback hosts are fetched."""
    parsed = urllib.parse.urlparse(url)
    host = parsed.hostname or ""
    loopback = host == "localhost"
    try:
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    check(parsed.scheme in ("http", "https"), f"export url {url!r} is not http(s)")
    check(loopback, f"export url {url!r} does not point at the local emulator")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback only)
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        raise CaseFailure(f"GET {url} -> HTTP {e.code}: {_short(e.read().decode('utf-8', 'replace'))}")
    check(status == 200, f"GET {url} -> HTTP {status}")
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        raise CaseFailure(f"export file is neither JSON nor JSON lines: {_short(text)}")


def strings_in(doc: Any) -> set:
    out: set = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.add(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                out.add(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return out


def objects_with_id(doc: Any, ident: str) -> List[dict]:
    found: List[dict] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if v.get("id") == ident:
                found.append(v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return found


def channel_texts(ch: Any, creator: Optional[str] = None) -> List[str]:
    """Texts of the channel's messages, oldest first. Pass `creator` when the call may
    (re-)create the channel: server-side creation needs `created_by_id`, as on Stream."""
    data = ChannelInput(created_by_id=creator) if creator else None
    resp = ch.get_or_create(data=data)
    return [m.text for m in (resp.data.messages or [])]


def expect_api_error(label: str, fn: Callable[[], Any]) -> StreamApiException:
    try:
        fn()
    except StreamApiException as e:
        return e
    raise CaseFailure(f"{label}: expected StreamApiException, the call succeeded")


# ---------------------------------------------------------------- cases
CASES: List[tuple] = []
ADMIN_CASES: set = set()


def case(name: str, admin: bool = False):
    """Registers a case; `admin` ones also drive the emulator's /_emulator/ admin API."""

    def deco(fn):
        CASES.append((name, fn))
        if admin:
            ADMIN_CASES.add(name)
        return fn

    return deco


def admin(ctx: Ctx, method: str, path: str, body: Optional[dict] = None) -> Any:
    """Calls the emulator's admin API (plain HTTP, no SDK) for the configured app."""
    url = f"{ctx.base_url}/_emulator/{path}?api_key={urllib.parse.quote(ctx.api_key)}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 (loopback only)
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise CaseFailure(
            f"admin API {method} /_emulator/{path} -> HTTP {e.code} {_short(e.read().decode('utf-8', 'replace'))}"
            " (start the emulator with --admin, or pass --no-admin)"
        )


@case("upsert_users")
def _upsert_users(ctx: Ctx) -> None:
    a, b = ctx.uid("user"), ctx.uid("user")
    resp = ctx.client.upsert_users(
        UserRequest(id=a, name="Ann", role="user", custom={"team": "blue"}), UserRequest(id=b)
    )
    users = resp.data.users
    check(isinstance(users, dict), f"users is {users!r}, expected a map")
    check(set(users) == {a, b}, f"users keys {sorted(users)} != {sorted([a, b])}")
    check(users[a].id == a and users[b].id == b, "user ids in the map do not match their keys")
    check(users[a].name == "Ann", f"name {users[a].name!r} != 'Ann'")
    check(users[a].role == "user", f"role {users[a].role!r} != 'user'")
    check((users[a].custom or {}).get("team") == "blue", f"custom {users[a].custom!r} lost team=blue")
    sane_time("users[a].created_at", users[a].created_at)
    sane_time("users[a].updated_at", users[a].updated_at)
    # The SDK's convenience wrapper indexes users[id] itself.
    c = ctx.uid("user")
    full = ctx.client.create_user(name="Cy", id=c)
    check(full.id == c and full.name == "Cy", f"create_user returned {full!r}")


@case("get_or_create_channel")
def _get_or_create(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    cid_id = ctx.uid("chan")
    ch = ctx.client.chat.channel("messaging", cid_id)
    resp = ch.get_or_create(
        data=ChannelInput(
            created_by_id=a,
            members=[ChannelMemberRequest(user_id=a), ChannelMemberRequest(user_id=b)],
        )
    )
    d = resp.data
    check(d.channel is not None, "response has no channel")
    check(d.channel.cid == f"messaging:{cid_id}", f"cid {d.channel.cid!r}")
    check(d.channel.id == cid_id and d.channel.type == "messaging", f"id/type {d.channel.id!r}/{d.channel.type!r}")
    created = sane_time("channel.created_at", d.channel.created_at)
    members = {m.user_id or (m.user.id if m.user else None) for m in (d.members or [])}
    check(members == {a, b}, f"members {sorted(map(str, members))} != {sorted([a, b])}")
    check(d.messages == [], f"new channel has messages {d.messages!r}")
    again = ch.get_or_create().data
    check(again.channel.cid == d.channel.cid, "second get_or_create returned another channel")
    check(again.channel.created_at == created, "second get_or_create re-created the channel")
    members2 = {m.user_id or (m.user.id if m.user else None) for m in (again.members or [])}
    check(members2 == {a, b}, f"members after re-query {sorted(map(str, members2))}")


@case("send_message")
def _send_message(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    ch, cid, _ = make_channel(ctx, [a, b])
    texts = [f"hello {ctx.uid('msg')}", f"reply {ctx.uid('msg')}"]
    ids = []
    for text, who in zip(texts, (a, b)):
        m = ch.send_message(MessageRequest(text=text, user_id=who)).data.message
        check(m is not None, "response has no message")
        check(isinstance(m.id, str) and m.id, f"message id {m.id!r}")
        check(m.text == text, f"text {m.text!r} != {text!r}")
        check(m.cid == cid, f"message cid {m.cid!r} != {cid!r}")
        check(m.user is not None and m.user.id == who, f"message user {m.user!r}, expected {who}")
        check(m.type == "regular", f"message type {m.type!r}, expected 'regular'")
        sane_time("message.created_at", m.created_at)
        ids.append(m.id)
    check(len(set(ids)) == 2, f"message ids not unique: {ids}")
    listed = channel_texts(ch)
    check(listed == texts, f"channel query lists messages {listed!r}, expected {texts!r}")


@case("get_task_fields")
def _get_task_fields(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    _, cid, _ = make_channel(ctx, [a], [f"t {ctx.uid('msg')}"])
    tid = task_id_of("export_channels", ctx.client.chat.export_channels(channels=[ChannelExport(cid=cid)]))
    seen: List[str] = []
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        resp = ctx.client.get_task(id=tid)
        d = resp.data
        check(d.task_id == tid, f"task_id {d.task_id!r} != {tid!r}")
        check(isinstance(d.duration, str) and d.duration, f"duration {d.duration!r}")
        check(d.status in KNOWN_STATUSES, f"status {d.status!r} is none of {KNOWN_STATUSES}")
        created = sane_time("created_at", d.created_at)
        updated = sane_time("updated_at", d.updated_at)
        check(updated >= created, f"updated_at {updated} < created_at {created}")
        if not seen or seen[-1] != d.status:
            seen.append(d.status)
        if d.status in TERMINAL or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    check(seen[-1] == "completed", f"statuses seen {seen}, expected to end completed")
    order = [KNOWN_STATUSES.index(s) for s in seen]
    check(order == sorted(order), f"status went backwards: {seen}")
    result_url("get_task", d)
    took = (d.updated_at - d.created_at) / timedelta(milliseconds=1)
    check(
        len(seen) > 1 or took >= MIN_TASK_MS * 0.8,
        f"task was completed at first sight and took {took:.1f} ms < --min-task-duration {MIN_TASK_MS} ms",
    )


@case("export_channels_sync_wait")
def _export_channels(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    texts = [f"export {ctx.uid('msg')}" for _ in range(3)]
    _, cid, _ = make_channel(ctx, [a, b], texts)
    tid = task_id_of("export_channels", ctx.client.chat.export_channels(channels=[ChannelExport(cid=cid)]))
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    doc = download(result_url("export_channels", done))
    found = strings_in(doc)
    missing = [t for t in texts if t not in found]
    check(not missing, f"export file lacks messages {missing}: {_short(doc)}")
    check({a, b} <= found, f"export file lacks member ids {a}, {b}: {_short(doc)}")
    check(cid in found or cid.split(":", 1)[1] in found, f"export file does not name channel {cid}")


@case("export_channels_messages_since")
def _export_since(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    texts = [f"window {ctx.uid('msg')}" for _ in range(3)]
    _, cid, sent = make_channel(ctx, [a], texts, gap=0.03)
    since = sent[0].created_at + (sent[1].created_at - sent[0].created_at) / 2
    until = sent[1].created_at + (sent[2].created_at - sent[1].created_at) / 2
    check(sent[0].created_at < since < sent[1].created_at < until < sent[2].created_at,
          f"message timestamps do not increase: {[m.created_at for m in sent]}")
    tid = task_id_of(
        "export_channels",
        ctx.client.chat.export_channels(
            channels=[ChannelExport(cid=cid, messages_since=since, messages_until=until)]
        ),
    )
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    found = strings_in(download(result_url("export_channels", done)))
    check(texts[1] in found, f"message inside [since, until] missing from export")
    check(texts[0] not in found, f"message before messages_since={since.isoformat()} was exported")
    check(texts[2] not in found, f"message after messages_until={until.isoformat()} was exported")


@case("export_users_async_wait")
def _export_users(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    mine = [f"mine {ctx.uid('msg')}", f"mine too {ctx.uid('msg')}"]
    theirs = f"theirs {ctx.uid('msg')}"
    ch, _, _ = make_channel(ctx, [a, b], [])
    ch.send_message(MessageRequest(text=mine[0], user_id=a))
    ch.send_message(MessageRequest(text=theirs, user_id=b))
    ch.send_message(MessageRequest(text=mine[1], user_id=a))

    async def run() -> Any:
        client = ctx.async_()
        try:
            resp = await client.export_users(user_ids=[a])
            tid = task_id_of("export_users", resp)
            return tid, await client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT)
        finally:
            await client.aclose()

    tid, resp = asyncio.run(run())
    done = completed("AsyncStream.wait_for_task", resp, tid)
    doc = download(result_url("export_users", done))
    found = strings_in(doc)
    check(a in found, f"user export does not contain user {a}: {_short(doc)}")
    missing = [t for t in mine if t not in found]
    check(not missing, f"user export lacks the user's messages {missing}: {_short(doc)}")
    check(b not in found and theirs not in found, "user export leaks another user's data")


@case("delete_channels_hard")
def _delete_channels(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    texts = [f"doomed {ctx.uid('msg')}" for _ in range(2)]
    ch, cid, _ = make_channel(ctx, [a], texts)
    resp = ctx.client.chat.delete_channels(cids=[cid], hard_delete=True)
    tid = task_id_of("delete_channels(hard)", resp)
    if resp.data.result is not None:
        entry = resp.data.result.get(cid)
        check(entry is not None and entry.status == "ok", f"per-cid result {resp.data.result!r}")
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    if isinstance(done.result, dict) and cid in done.result:
        check((done.result[cid] or {}).get("status") == "ok", f"task result {done.result!r}")
    # The channel is gone: exporting it is a job that cannot succeed ...
    etid = task_id_of("export_channels", ctx.client.chat.export_channels(channels=[ChannelExport(cid=cid)]))
    try:
        ctx.client.wait_for_task(etid, poll_interval=POLL, timeout=WAIT_TIMEOUT)
        raise CaseFailure(f"export of hard-deleted {cid} completed; expected the task to fail")
    except StreamTaskException as e:
        check(e.task_id == etid, f"StreamTaskException.task_id {e.task_id!r} != {etid!r}")
    # ... and re-creating it yields an empty channel: the messages went with it.
    listed = channel_texts(ch, creator=a)
    check(listed == [], f"re-created channel still lists messages {listed!r}")


@case("failed_task_raises")
def _failed_task(ctx: Ctx) -> None:
    cid = f"messaging:{ctx.uid('never')}"
    tid = task_id_of("export_channels", ctx.client.chat.export_channels(channels=[ChannelExport(cid=cid)]))
    try:
        ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT)
        raise CaseFailure(f"export of missing channel {cid} completed; expected status failed")
    except StreamTaskException as exc:
        err = exc
    check(err.task_id == tid, f"task_id {err.task_id!r} != {tid!r}")
    check(isinstance(err.error_type, str) and err.error_type and err.error_type != "unknown",
          f"error_type {err.error_type!r}: the failed task carries no error object")
    check(isinstance(err.description, str) and err.description, f"description {err.description!r}")
    d = ctx.client.get_task(id=tid).data
    check(d.status == "failed", f"get_task status {d.status!r}")
    check(d.error is not None and d.error.type == err.error_type, f"get_task error {d.error!r}")
    sane_time("created_at", d.created_at)



class ImageFiles:
    """A CSV of image URLs and the images, served on 127.0.0.1:0 by the standard library's
    HTTP server on a thread. Use as a context manager."""

    def __init__(self) -> None:
        files = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path == "/images.csv":
                    status, body, kind = 200, files.csv.encode(), "text/csv"
                elif self.path in ("/img/cat.png", "/img/nsfw-1.png"):
                    status, body, kind = 200, b"\x89PNG\r\n\x1a\n", "image/png"
                else:
                    status, body, kind = 404, b"no such file", "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.csv = f"url\n{self.base}/img/cat.png\n{self.base}/img/nsfw-1.png\n{self.base}/img/gone.png\n"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "ImageFiles":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


@case("bulk_image_moderation")
def _bulk_image_moderation(ctx: Ctx) -> None:
    with ImageFiles() as files:
        resp = ctx.client.moderation.bulk_image_moderation(csv_file=f"{files.base}/images.csv")
        tid = task_id_of("bulk_image_moderation", resp)
        done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
        url = result_url("bulk_image_moderation", done)
        counts = {k: done.result.get(k) for k in ("total", "flagged", "failed")}
        check(counts == {"total": 3, "flagged": 1, "failed": 1}, f"result counts {counts!r}")
        check(urllib.parse.urlparse(url).hostname in ("127.0.0.1", "localhost"), f"results url {url!r} is not local")
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback only)
            rows = r.read().decode("utf-8").splitlines()
        expected = [
            "url,status,verdict,reason",
            f"{files.base}/img/cat.png,ok,safe,",
            f"{files.base}/img/nsfw-1.png,ok,flagged,",
            f"{files.base}/img/gone.png,error,,answered HTTP 404",
        ]
        check(rows == expected, f"results file {rows!r}, expected {expected!r}")
    # A CSV off loopback is refused (the emulator fetches loopback only by default).
    resp = ctx.client.moderation.bulk_image_moderation(csv_file="http://192.0.2.1/images.csv")
    tid = task_id_of("bulk_image_moderation", resp)
    try:
        ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT)
        raise CaseFailure("a CSV off loopback was moderated; expected status failed")
    except StreamTaskException as exc:
        check("not loopback" in (exc.description or ""), f"description {exc.description!r}")
    expect_api_error("bulk_image_moderation", lambda: ctx.client.moderation.bulk_image_moderation(csv_file="images.csv"))

def _export_user_doc(ctx: Ctx, uid: str) -> Optional[Any]:
    """The user's export file, or None when the export task fails."""
    tid = task_id_of("export_users", ctx.client.export_users(user_ids=[uid]))
    try:
        done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    except StreamTaskException:
        return None
    return download(result_url("export_users", done))


@case("delete_users_hard")
def _delete_users(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    gone, kept = f"gone {ctx.uid('msg')}", f"kept {ctx.uid('msg')}"
    ch, _, _ = make_channel(ctx, [a, b], [])
    ch.send_message(MessageRequest(text=gone, user_id=a))
    ch.send_message(MessageRequest(text=kept, user_id=b))
    tid = task_id_of("delete_users", ctx.client.delete_users(user_ids=[a], user="hard", messages="hard"))
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    if isinstance(done.result, dict) and a in done.result:
        check((done.result[a] or {}).get("status") == "ok", f"task result {done.result!r}")
    listed = channel_texts(ch)
    check(gone not in listed, f"hard-deleted user's message still listed: {listed!r}")
    check(kept in listed, f"another user's message vanished: {listed!r}")
    doc = _export_user_doc(ctx, a)
    check(doc is None or gone not in strings_in(doc), "export of the hard-deleted user still has their message")


@case("deactivate_users_sync_wait")
def _deactivate(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    tid = task_id_of("deactivate_users", ctx.client.deactivate_users(user_ids=[a], created_by_id=b))
    completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    doc = _export_user_doc(ctx, a)
    check(doc is not None, "export of the deactivated user failed")
    users = objects_with_id(doc, a)
    check(users, f"user export has no object with id {a}: {_short(doc)}")
    check(any(u.get("deactivated_at") for u in users), f"user {a} not marked deactivated_at in export: {_short(users)}")
    other = _export_user_doc(ctx, b)
    check(other is not None and not any(u.get("deactivated_at") for u in objects_with_id(other, b)),
          "a user who was not deactivated is marked deactivated")


@case("reactivate_users_async_wait")
def _reactivate(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    tid = task_id_of("deactivate_users", ctx.client.deactivate_users(user_ids=[a]))
    completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)

    async def run() -> Any:
        client = ctx.async_()
        try:
            rtid = task_id_of("reactivate_users", await client.reactivate_users(user_ids=[a], restore_messages=True))
            return rtid, await client.wait_for_task(rtid, poll_interval=POLL, timeout=WAIT_TIMEOUT)
        finally:
            await client.aclose()

    rtid, resp = asyncio.run(run())
    completed("AsyncStream.wait_for_task", resp, rtid)
    doc = _export_user_doc(ctx, a)
    check(doc is not None, "export of the reactivated user failed")
    users = objects_with_id(doc, a)
    check(users, f"user export has no object with id {a}")
    check(not any(u.get("deactivated_at") for u in users), f"user {a} still deactivated after reactivate: {_short(users)}")


@case("bad_secret_is_api_error")
def _bad_secret(ctx: Ctx) -> None:
    wrong = "wrong-" + uuid.uuid4().hex + uuid.uuid4().hex
    client = ctx.sync(api_secret=wrong)
    e = expect_api_error("get_task with a wrong secret", lambda: client.get_task(id="whatever"))
    check(not isinstance(e, StreamRateLimitException), "got a rate-limit error for a bad secret")
    check(e.status_code == 401, f"status {e.status_code}, expected 401 ({e})")
    check(e.code in (5, 43), f"code {e.code}, expected 43 (token signature invalid) or 5 (auth error): {e}")
    check(isinstance(e.message, str) and e.message, "empty error message")
    check(e.api_error is not None, f"error body is not an APIError envelope: {_short(e.raw_response_body)}")
    for secret in (wrong, ctx.api_secret, client.token):
        check(secret not in e.raw_response_body and secret not in str(e), "the error echoes a secret or token")
    e2 = expect_api_error("export_users with a wrong secret", lambda: client.export_users(user_ids=["x"]))
    check(e2.status_code == 401 and e2.code == e.code, f"POST with a wrong secret: {e2}")


@case("unknown_api_key_is_api_error")
def _bad_key(ctx: Ctx) -> None:
    client = ctx.sync(api_key="no-such-key-" + ctx.run)
    e = expect_api_error("get_task with an unknown api_key", lambda: client.get_task(id="whatever"))
    check(not isinstance(e, StreamRateLimitException), "got a rate-limit error for an unknown key")
    check(e.status_code == 401, f"status {e.status_code}, expected 401 ({e})")
    check(e.code == 2, f"code {e.code}, expected 2 (access key error): {e}")
    check(e.api_error is not None, f"error body is not an APIError envelope: {_short(e.raw_response_body)}")


@case("unknown_task_id")
def _unknown_task(ctx: Ctx) -> None:
    missing = ctx.uid("no-task")
    e = expect_api_error("get_task(unknown)", lambda: ctx.client.get_task(id=missing))
    check(e.status_code == 404, f"status {e.status_code}, expected 404 ({e})")
    check(e.code == 16, f"code {e.code}, expected 16 ({e})")
    check("Can't find task with id" in (e.message or ""), f"message {e.message!r} lacks \"Can't find task with id\"")
    check(e.api_error is not None and e.api_error.status_code == 404,
          f"envelope StatusCode: {_short(e.raw_response_body)}")
    # wait_for_task propagates the same error (sync and async), with an id that needs escaping.
    odd = missing + "/x y"
    e2 = expect_api_error("wait_for_task(unknown)", lambda: ctx.client.wait_for_task(odd, poll_interval=POLL, timeout=5))
    check(e2.status_code == 404 and e2.code == 16, f"wait_for_task on an id with '/': {e2}")

    async def run() -> Any:
        client = ctx.async_()
        try:
            await client.wait_for_task(missing, poll_interval=POLL, timeout=5)
        finally:
            await client.aclose()

    e3 = expect_api_error("AsyncStream.wait_for_task(unknown)", lambda: asyncio.run(run()))
    check(e3.status_code == 404 and e3.code == 16, f"async: {e3}")


@case("rate_limit_headers")
def _rate_limit(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    tid = task_id_of("export_users", ctx.client.export_users(user_ids=[a]))
    resp = ctx.client.get_task(id=tid)
    info = resp.rate_limit()
    check(info is not None, f"no parseable X-RateLimit-* headers: {resp.headers()}")
    check(info.limit > 0 and 0 <= info.remaining <= info.limit, f"limit/remaining {info}")
    now = datetime.now(timezone.utc)
    check(now - timedelta(seconds=5) <= info.reset <= now + timedelta(minutes=2), f"reset {info.reset} is not Unix seconds of the window end")


@case("rate_limited_429_retry_after", admin=True)
def _rate_limited(ctx: Ctx) -> None:
    admin(ctx, "POST", "faults", {"route": "GET /api/v2/tasks/{id}", "action": "respond",
                                  "status": 429, "retry_after": "2", "times": 1})
    missing = ctx.uid("no-task")
    e = expect_api_error("get_task under an injected 429", lambda: ctx.client.get_task(id=missing))
    check(isinstance(e, StreamRateLimitException), f"{type(e).__name__}, expected StreamRateLimitException")
    check(e.status_code == 429 and e.code == 9, f"status/code {e.status_code}/{e.code}, expected 429/9")
    check(e.retry_after == timedelta(seconds=2), f"retry_after {e.retry_after!r}, expected 2 s")
    check(e.rate_limit_info is not None, "no rate-limit headers on the 429")
    after = expect_api_error("get_task after the one-shot fault", lambda: ctx.client.get_task(id=missing))
    check(after.status_code == 404 and after.code == 16, f"the fault outlived times=1: {after}")


@case("non_json_502", admin=True)
def _non_json(ctx: Ctx) -> None:
    html = "<html><body>bad gateway</body></html>"
    admin(ctx, "POST", "faults", {"route": "GET /api/v2/tasks/{id}", "action": "respond",
                                  "status": 502, "body_text": html, "times": 1})
    e = expect_api_error("get_task under an injected HTML 502", lambda: ctx.client.get_task(id=ctx.uid("t")))
    check(not isinstance(e, StreamRateLimitException), "a 502 became a rate-limit error")
    check(e.status_code == 502 and e.code == 0, f"status/code {e.status_code}/{e.code}, expected 502/0")
    want = "failed to parse error response: unexpected server response code 502"
    check(e.message == want, f"message {e.message!r}, expected {want!r}")
    check(e.raw_response_body == html, f"raw body {e.raw_response_body!r}")


@case("scripted_task_failure_fields", admin=True)
def _scripted_failure(ctx: Ctx) -> None:
    err = {"type": "boom", "description": "it broke on purpose", "stacktrace": "at job.rs:1", "version": "v9"}
    created = admin(ctx, "POST", "tasks", {"steps": [{"status": "pending", "duration_ms": 300},
                                                    {"status": "running", "duration_ms": 300},
                                                    {"status": "failed"}], "error": err})
    tid = created.get("task_id")
    check(isinstance(tid, str) and tid, f"admin tasks answered {created!r}")
    first = ctx.client.get_task(id=tid).data.status
    check(first in ("pending", "running"), f"scripted task starts as {first!r}")
    try:
        ctx.client.wait_for_task(tid, poll_interval=0.02, timeout=WAIT_TIMEOUT)
        raise CaseFailure("scripted failed task completed")
    except StreamTaskException as exc:
        got = (exc.task_id, exc.error_type, exc.description, exc.stack_trace, exc.version)
    want = (tid, err["type"], err["description"], err["stacktrace"], err["version"])
    check(got == want, f"StreamTaskException fields {got}, expected {want}")


@case("wait_for_task_timeout", admin=True)
def _wait_timeout(ctx: Ctx) -> None:
    created = admin(ctx, "POST", "tasks", {"steps": [{"status": "running", "duration_ms": 60000}]})
    tid = created.get("task_id")
    check(isinstance(tid, str) and tid, f"admin tasks answered {created!r}")

    async def run() -> None:
        client = ctx.async_()
        try:
            await client.wait_for_task(tid, poll_interval=0.05, timeout=0.3)
        finally:
            await client.aclose()

    t0 = time.monotonic()
    try:
        asyncio.run(run())
        raise CaseFailure("wait_for_task returned for a task that runs for a minute")
    except StreamTransportException as exc:
        check(exc.error_type == "timeout", f"error_type {exc.error_type!r}, expected 'timeout'")
    took = time.monotonic() - t0
    check(took < 5, f"wait_for_task(timeout=0.3) took {took:.1f} s")
    status = ctx.client.get_task(id=tid).data.status
    check(status == "running", f"the task is {status!r} after the wait gave up, expected still running")


# ---------------------------------------------------------------- the calls around the jobs
def _query_ids(ctx: Ctx, ids: List[str], include_deactivated: Optional[bool] = None) -> set:
    payload = QueryUsersPayload(
        filter_conditions={"id": {"$in": ids}}, include_deactivated_users=include_deactivated
    )
    return {u.id for u in (ctx.client.query_users(payload=payload).data.users or [])}


@case("deactivate_reactivate_user_single")
def _deactivate_user(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    ch, _, _ = make_channel(ctx, [a, b], [f"said {ctx.uid('msg')}"])
    user = ctx.client.deactivate_user(a, created_by_id=b, mark_messages_deleted=True).data.user
    check(user is not None and user.id == a, f"deactivate_user answered user {user!r}")
    sane_time("deactivated user's deactivated_at", user.deactivated_at)
    check(_query_ids(ctx, [a, b]) == {b}, "query_users lists a deactivated user without include_deactivated_users")
    check(_query_ids(ctx, [a, b], True) == {a, b}, "include_deactivated_users=True does not list the deactivated user")
    listed = ch.get_or_create().data.messages or []
    check([m.type for m in listed] == ["deleted"], f"mark_messages_deleted left types {[m.type for m in listed]}")

    async def run() -> Any:
        client = ctx.async_()
        try:
            return (await client.reactivate_user(a, restore_messages=True, name="Back again")).data.user
        finally:
            await client.aclose()

    user = asyncio.run(run())
    check(user is not None and user.id == a, f"reactivate_user answered user {user!r}")
    check(user.deactivated_at is None, f"reactivated user still has deactivated_at {user.deactivated_at}")
    check(user.name == "Back again", f"reactivate_user(name=...) left name {user.name!r}")
    check(_query_ids(ctx, [a]) == {a}, "a reactivated user is still hidden from query_users")
    listed = ch.get_or_create().data.messages or []
    check([m.type for m in listed] == ["regular"], f"restore_messages left types {[m.type for m in listed]}")
    e = expect_api_error("deactivate_user(unknown)", lambda: ctx.client.deactivate_user(ctx.uid("ghost")))
    check(e.status_code == 404, f"deactivate_user of an unknown user: {e}")


@case("export_user_single")
def _export_user(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    mine, theirs = f"mine {ctx.uid('msg')}", f"theirs {ctx.uid('msg')}"
    ch, cid, _ = make_channel(ctx, [a, b], [])
    ch.send_message(MessageRequest(text=mine, user_id=a))
    ch.send_message(MessageRequest(text=theirs, user_id=b))
    d = ctx.client.export_user(a).data
    check(d.user is not None and d.user.id == a, f"export_user answered user {d.user!r}")
    texts = [m.text for m in (d.messages or [])]
    check(texts == [mine], f"export_user messages {texts!r}, expected only {[mine]!r}")
    check(d.messages[0].cid == cid, f"exported message cid {d.messages[0].cid!r}")
    e = expect_api_error("export_user(unknown)", lambda: ctx.client.export_user(ctx.uid("ghost")))
    check(e.status_code == 404 and e.code == 16, f"export_user of an unknown user: {e}")


@case("restore_users_after_soft_delete")
def _restore_users(ctx: Ctx) -> None:
    soft, hard = make_users(ctx, 2)
    for uid, mode in ((soft, "soft"), (hard, "hard")):
        tid = task_id_of("delete_users", ctx.client.delete_users(user_ids=[uid], user=mode))
        completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    sane_time("soft-deleted user's deleted_at", ctx.client.export_user(soft).data.user.deleted_at)
    e = expect_api_error("restore_users(hard-deleted)", lambda: ctx.client.restore_users(user_ids=[hard]))
    check(e.status_code == 400 and e.code == 4, f"restoring a hard-deleted user: {e}")
    check(hard in (e.message or ""), f"the error does not name the user: {e.message!r}")
    resp = ctx.client.restore_users(user_ids=[soft])
    check(isinstance(resp.data.duration, str) and resp.data.duration, f"duration {resp.data.duration!r}")
    user = ctx.client.export_user(soft).data.user
    check(user.deleted_at is None, f"restored user still has deleted_at {user.deleted_at}")


@case("update_users_partial")
def _update_partial(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    resp = ctx.client.update_users_partial(
        users=[UpdateUserPartialRequest(id=a, set={"name": "Renamed", "team": "red"})]
    )
    users = resp.data.users
    check(set(users) == {a}, f"users keys {sorted(users)}")
    check(users[a].name == "Renamed", f"name {users[a].name!r}")
    check((users[a].custom or {}).get("team") == "red", f"custom {users[a].custom!r}")
    sane_time("updated_at", users[a].updated_at)
    after = ctx.client.update_users_partial(users=[UpdateUserPartialRequest(id=a, unset=["team"])]).data.users[a]
    check("team" not in (after.custom or {}), f"unset left custom {after.custom!r}")
    check(after.name == "Renamed", f"unset of another field lost name: {after.name!r}")
    e = expect_api_error(
        "update_users_partial(unknown)",
        lambda: ctx.client.update_users_partial(users=[UpdateUserPartialRequest(id=ctx.uid("ghost"), set={"x": 1})]),
    )
    check(e.status_code == 400, f"partial update of an unknown user: {e}")


@case("block_lists")
def _block_lists(ctx: Ctx) -> None:
    name = ctx.uid("list").replace("-", "_")
    team = ctx.uid("team")
    ctx.client.create_block_list(name=name, words=["fudge", "cream"], type="word", team=team)
    got = ctx.client.get_block_list(name).data.blocklist
    check(got is not None and got.name == name, f"get_block_list: {got!r}")
    check(got.words == ["fudge", "cream"], f"words {got.words!r}")
    check(got.type == "word" and got.team == team, f"type/team {got.type!r}/{got.team!r}")
    sane_time("blocklist.created_at", got.created_at)
    upd = ctx.client.update_block_list(name, words=["sugar"], is_plural_check_enabled=True).data.blocklist
    check(upd is not None and upd.words == ["sugar"], f"update_block_list: {upd!r}")
    check(upd.is_plural_check_enabled is True, f"is_plural_check_enabled {upd.is_plural_check_enabled!r}")
    listed = ctx.client.list_block_lists(team=team).data.blocklists
    check([b.name for b in listed] == [name], f"list_block_lists(team) {[b.name for b in listed]!r}")
    e = expect_api_error("create_block_list(duplicate)", lambda: ctx.client.create_block_list(name=name, words=[]))
    check(e.status_code == 400, f"a duplicate name: {e}")
    ctx.client.delete_block_list(name)
    e = expect_api_error("get_block_list(deleted)", lambda: ctx.client.get_block_list(name))
    check(e.status_code == 404, f"a deleted list: {e}")


@case("import_block_list_wait")
def _import_block_list(ctx: Ctx) -> None:
    name = ctx.uid("list").replace("-", "_")
    ctx.client.create_block_list(name=name, words=["cream"])
    items = [" Cream", "fudge", "sugar", "FUDGE", "salt"]
    tid = task_id_of("import_block_list", ctx.client.import_block_list(name, items=items, chunk_size=2))
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    want = {"blocklist": name, "added": 3, "skipped": 2, "total": 5}
    check(done.result == want, f"result {done.result!r} != {want!r}")
    words = ctx.client.get_block_list(name).data.blocklist.words
    check(words == ["cream", "fudge", "sugar", "salt"], f"words after the import {words!r}")
    e = expect_api_error(
        "import_block_list(unknown)", lambda: ctx.client.import_block_list(ctx.uid("nolist"), items=["x"])
    )
    check(e.status_code == 404, f"an unknown list: {e}")
    ctx.client.delete_block_list(name)


def _team_channel(ctx: Ctx, team: str, members: List[str]) -> Any:
    ch = ctx.client.chat.channel("messaging", ctx.uid("chan"))
    resp = ch.get_or_create(
        data=ChannelInput(
            created_by_id=members[0],
            team=team,
            members=[ChannelMemberRequest(user_id=m) for m in members],
        )
    )
    check(resp.data.channel.team == team, f"channel team {resp.data.channel.team!r} != {team!r}")
    return ch


def _members(ch: Any) -> List[str]:
    return sorted(m.user_id for m in (ch.get_or_create().data.members or []))


@case("membership_deletion_update_users")
def _membership_upsert(ctx: Ctx) -> None:
    a, b = ctx.uid("user"), ctx.uid("user")
    red, blue = ctx.uid("red"), ctx.uid("blue")
    resp = ctx.client.update_users(
        users={a: UserRequest(id=a, teams=[red, blue]), b: UserRequest(id=b, teams=[red])}
    )
    check(resp.data.users[a].teams == [red, blue], f"teams {resp.data.users[a].teams!r}")
    check(not resp.data.membership_deletion_task_id, "no team was taken, yet a membership deletion started")
    r1 = _team_channel(ctx, red, [a, b])
    b1 = _team_channel(ctx, blue, [a])
    resp = ctx.client.update_users(users={a: UserRequest(id=a, teams=[blue])})
    tid = resp.data.membership_deletion_task_id
    check(isinstance(tid, str) and tid != "", f"membership_deletion_task_id {tid!r}")
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    cid = f"messaging:{r1.channel_id}"
    want = {"removed_memberships": [{"user_id": a, "cids": [cid]}], "removed_count": 1}
    check(done.result == want, f"result {done.result!r} != {want!r}")
    check(_members(r1) == [b], f"{cid} members {_members(r1)!r}")
    check(_members(b1) == [a], f"the blue channel lost members: {_members(b1)!r}")


@case("membership_deletion_update_users_partial")
def _membership_partial(ctx: Ctx) -> None:
    a = ctx.uid("user")
    red = ctx.uid("red")
    ctx.client.update_users(users={a: UserRequest(id=a, teams=[red])})
    r1 = _team_channel(ctx, red, [a])
    kept = ctx.client.update_users_partial(users=[UpdateUserPartialRequest(id=a, set={"name": "Ann"})])
    check(not kept.data.membership_deletion_task_id, "a partial update of the name started a membership deletion")
    resp = ctx.client.update_users_partial(users=[UpdateUserPartialRequest(id=a, set={"teams": []})])
    check(resp.data.users[a].teams == [], f"teams after set [] {resp.data.users[a].teams!r}")
    tid = resp.data.membership_deletion_task_id
    check(isinstance(tid, str) and tid != "", f"membership_deletion_task_id {tid!r}")
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    check(done.result.get("removed_count") == 1, f"result {done.result!r}")
    check(_members(r1) == [], f"members left {_members(r1)!r}")


@case("truncate_channel_soft_with_message")
def _truncate_soft(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    texts = [f"before {ctx.uid('msg')}" for _ in range(2)]
    ch, _, _ = make_channel(ctx, [a, b], texts)
    note = f"cleared {ctx.uid('msg')}"
    d = ch.truncate(skip_push=True, user_id=a, message=MessageRequest(text=note, user_id=b)).data
    check(d.channel is not None, "truncate answered no channel")
    cut = sane_time("channel.truncated_at", d.channel.truncated_at)
    check(d.channel.truncated_by is not None and d.channel.truncated_by.id == a, f"truncated_by {d.channel.truncated_by!r}")
    check(d.message is not None and d.message.text == note, f"system message {d.message!r}")
    check(d.message.type == "system", f"system message type {d.message.type!r}")
    check(d.message.created_at > cut, "the system message is not after truncated_at")
    listed = channel_texts(ch)
    check(listed == [note], f"after a soft truncate the channel lists {listed!r}")
    kept = [m.text for m in (ctx.client.export_user(a).data.messages or [])]
    check(texts[0] in kept, "a soft truncate erased the user's messages from export_user")


@case("truncate_channel_hard_truncated_at")
def _truncate_hard(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    texts = [f"msg {ctx.uid('msg')}" for _ in range(3)]
    ch, _, sent = make_channel(ctx, [a], texts, gap=0.03)

    async def run() -> Any:
        client = ctx.async_()
        try:
            achan = client.chat.channel("messaging", ch.channel_id)
            return (await achan.truncate(hard_delete=True, truncated_at=sent[1].created_at)).data
        finally:
            await client.aclose()

    d = asyncio.run(run())
    check(d.channel is not None and d.channel.truncated_at == sent[1].created_at,
          f"truncated_at {getattr(d.channel, 'truncated_at', None)} != {sent[1].created_at}")
    listed = channel_texts(ch)
    check(listed == texts[2:], f"after a hard truncate up to the 2nd message the channel lists {listed!r}")
    kept = [m.text for m in (ctx.client.export_user(a).data.messages or [])]
    check(kept == texts[2:], f"export_user after a hard truncate: {kept!r}")
    d = ch.truncate(hard_delete=True).data
    check(channel_texts(ch) == [], "a hard truncate to now left messages")
    check(ch.get_or_create().data.channel.member_count == 1, "truncate removed members")
    e = expect_api_error("truncate(unknown channel)",
                         lambda: ctx.client.chat.channel("messaging", ctx.uid("never")).truncate())
    check(e.status_code == 404, f"truncating an unknown channel: {e}")


# ---------------------------------------------------------------- video
def _make_call(ctx: Ctx, members: List[str]) -> Any:
    """A `default` call created by members[0] with these members; one recorded session
    (get-or-create with video=True: the emulator's rule) and one more unrecorded."""
    call = ctx.client.video.call("default", ctx.uid("call"))
    d = call.get_or_create(
        video=True,
        data=CallRequest(
            created_by_id=members[0],
            members=[MemberRequest(user_id=m, role="host" if i == 0 else None) for i, m in enumerate(members)],
            custom={"topic": "standup"},
        ),
    ).data
    check(d.created is True, f"get_or_create: created {d.created!r}")
    check(d.call.cid == f"default:{call.id}", f"cid {d.call.cid!r}")
    check(d.call.type == "default" and d.call.id == call.id, f"type/id {d.call.type!r}/{d.call.id!r}")
    check(d.call.created_by.id == members[0], f"created_by {d.call.created_by!r}")
    check((d.call.custom or {}).get("topic") == "standup", f"custom {d.call.custom!r}")
    sane_time("call.created_at", d.call.created_at)
    got = {m.user_id: m.role for m in d.members}
    check(set(got) == set(members) and got[members[0]] == "host", f"members {got!r}")
    check(d.own_capabilities == [], f"own_capabilities {d.own_capabilities!r}")
    again = call.get_or_create().data
    check(again.created is False, "a second get_or_create created the call again")
    return call


@case("video_delete_call_hard_wait")
def _video_delete_hard(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    call = _make_call(ctx, [a, b])
    got = call.get().data
    check(got.call.cid == f"default:{call.id}", f"get: cid {got.call.cid!r}")
    check(len(got.members) == 2, f"get: members {got.members!r}")
    resp = call.delete(hard=True)
    check(resp.data.call.cid == f"default:{call.id}", f"delete: call {resp.data.call!r}")
    tid = task_id_of("delete(hard=True)", resp)
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    want = {"cid": f"default:{call.id}", "deleted": {"sessions": 2, "recordings": 1, "members": 2}}
    check(done.result == want, f"result {done.result!r} != {want!r}")
    e = expect_api_error("get(hard-deleted)", lambda: call.get())
    check(e.status_code == 404, f"get after a hard delete: {e}")


@case("video_delete_call_soft")
def _video_delete_soft(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    call = _make_call(ctx, [a])
    resp = call.delete()
    check(resp.data.task_id is None, f"a soft delete started task {resp.data.task_id!r}")
    check(resp.data.call.cid == f"default:{call.id}", f"delete: call {resp.data.call!r}")
    check(len(call.get().data.members) == 1, "a soft delete removed members")
    e = expect_api_error("delete(unknown)", lambda: ctx.client.video.call("default", ctx.uid("never")).delete())
    check(e.status_code == 404, f"deleting an unknown call: {e}")
    e = expect_api_error("get_or_create(no creator)", lambda: ctx.client.video.call("default", ctx.uid("call")).get_or_create())
    check(e.status_code == 400, f"creating a call without created_by_id: {e}")


# ---------------------------------------------------------------- webhooks
class HookReceiver:
    """A webhook receiver on 127.0.0.1:0 (the standard library's HTTP server on a thread):
    keeps each request's raw body and headers, answers 200. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.requests.append({"headers": dict(self.headers.items()), "body": body})
                    receiver._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/stream"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "HookReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, label: str, pred: Callable[[Dict[str, Any]], bool], timeout: float = WAIT_TIMEOUT) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self.requests:
                    if pred(r):
                        return r
                left = deadline - time.monotonic()
                check(left > 0, f"{label}: no webhook within {timeout} s; got {len(self.requests)} other(s)")
                self._cond.wait(left)


def _event_json(r: Dict[str, Any]) -> Dict[str, Any]:
    body = r["body"]
    return json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)


def _for_task(tid: str) -> Callable[[Dict[str, Any]], bool]:
    return lambda r: _event_json(r).get("task_id") == tid


def _verified(ctx: Ctx, label: str, r: Dict[str, Any]) -> Any:
    """The SDK's own verify_and_parse_webhook over the raw body (it gunzips first)."""
    headers = {k.lower(): v for k, v in r["headers"].items()}
    check(headers.get("content-type") == "application/json", f"{label}: Content-Type {headers.get('content-type')!r}")
    check(headers.get("x-api-key") == ctx.api_key, f"{label}: X-Api-Key {headers.get('x-api-key')!r}")
    check(headers.get("x-webhook-attempt") == "1", f"{label}: X-Webhook-Attempt {headers.get('x-webhook-attempt')!r}")
    try:
        uuid.UUID(headers.get("x-webhook-id", ""))
    except ValueError:
        raise CaseFailure(f"{label}: X-Webhook-Id {headers.get('x-webhook-id')!r} is not a UUID")
    sig = headers.get("x-signature", "")
    return verify_and_parse_webhook(r["body"], sig, ctx.api_secret)


def _unhook(ctx: Ctx) -> None:
    ctx.client.update_app(webhook_url="", webhook_events=[], enable_hook_payload_compression=False)


@case("app_webhook_settings")
def _app_webhook_settings(ctx: Ctx) -> None:
    url = f"http://127.0.0.1:9/{ctx.uid('hook')}"
    try:
        resp = ctx.client.update_app(
            webhook_url=url,
            webhook_events=["export.channels.success", "export.channels.error"],
            enable_hook_payload_compression=True,
        )
        check(isinstance(resp.data.duration, str), f"update_app duration {resp.data.duration!r}")
        app = ctx.client.get_app().data.app
        check(app.webhook_url == url, f"get_app webhook_url {app.webhook_url!r} != {url!r}")
        check(app.webhook_events == ["export.channels.success", "export.channels.error"],
              f"get_app webhook_events {app.webhook_events!r}")
        e = expect_api_error("update_app(webhook_url='ftp://x')", lambda: ctx.client.update_app(webhook_url="ftp://x"))
        check(e.status_code == 400 and e.code == 4, f"bad webhook_url: status {e.status_code} code {e.code}")
        check(ctx.client.get_app().data.app.webhook_url == url, "a refused update_app changed the webhook_url")
    finally:
        _unhook(ctx)
    check(ctx.client.get_app().data.app.webhook_url == "", "update_app(webhook_url='') did not clear it")


@case("app_event_hooks")
def _app_event_hooks(ctx: Ctx) -> None:
    url = f"http://127.0.0.1:9/{ctx.uid('hook')}"
    hooks = [
        EventHook(hook_type="webhook", enabled=True, webhook_url=url,
                  event_types=["user.deleted"], timeout_ms=2000),
        EventHook(hook_type="sqs", enabled=False, sqs_queue_url="https://sqs.example/q",
                  sqs_region="us-east-1", sqs_key="AKIA", sqs_secret="not-shown"),
    ]
    try:
        resp = ctx.client.update_app(event_hooks=hooks)
        check(isinstance(resp.data.duration, str), f"update_app duration {resp.data.duration!r}")
        got = ctx.client.get_app().data.app.event_hooks
        check(len(got) == 2, f"get_app event_hooks {got!r}")
        web, sqs = got
        check(web.hook_type == "webhook" and web.enabled is True and web.webhook_url == url
              and web.event_types == ["user.deleted"] and web.timeout_ms == 2000 and web.id,
              f"webhook hook {web!r}")
        check(sqs.hook_type == "sqs" and sqs.enabled is False
              and sqs.sqs_queue_url == "https://sqs.example/q" and sqs.sqs_region == "us-east-1"
              and not sqs.sqs_secret, f"sqs hook {sqs!r}")
        too_many = [EventHook(hook_type="webhook", webhook_url=url)] * 11
        e = expect_api_error("update_app(11 hooks)", lambda: ctx.client.update_app(event_hooks=too_many))
        check(e.status_code == 400 and e.code == 4, f"11 hooks: status {e.status_code} code {e.code}")
        check(len(ctx.client.get_app().data.app.event_hooks) == 2, "a refused update_app changed event_hooks")
    finally:
        ctx.client.update_app(event_hooks=[])
    check(ctx.client.get_app().data.app.event_hooks == [], "update_app(event_hooks=[]) did not clear them")


@case("webhook_export_events")
def _webhook_export_events(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    _, cid, _ = make_channel(ctx, [a], [f"pushed {ctx.uid('msg')}"])
    with HookReceiver() as hooks:
        try:
            ctx.client.update_app(webhook_url=hooks.url)
            tid = task_id_of("export_channels", ctx.client.chat.export_channels(channels=[ChannelExport(cid=cid)]))
            done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
            r = hooks.wait_for("export.channels.success", _for_task(tid))
            check(r["body"][:1] == b"{", "an uncompressed body was expected")
            ev = _verified(ctx, "export.channels.success", r)
            check(type(ev).__name__ == "AsyncExportChannelsEvent", f"parsed as {type(ev).__name__}")
            check(ev.type == "export.channels.success" and ev.task_id == tid, f"event {ev!r}")
            # The same file; each link is signed when handed out (they may expire a second apart).
            check(ev.url.split("?")[0] == result_url("export_channels", done).split("?")[0],
                  f"event url {ev.url!r} != the task's")
            started = sane_time("started_at", ev.started_at)
            finished = sane_time("finished_at", ev.finished_at)
            check(started <= finished, f"started_at {started} > finished_at {finished}")
            sane_time("created_at", ev.created_at)
            check(texts_in_export(ev.url), "the event's url does not download the export")

            # Compressed: gzip on the wire, the signature over the plain JSON; an error event.
            ctx.client.update_app(enable_hook_payload_compression=True)
            missing = ctx.uid("nobody")
            tid = task_id_of("export_users", ctx.client.export_users(user_ids=[missing]))
            r = hooks.wait_for("export.users.error", _for_task(tid))
            check(r["body"][:2] == b"\x1f\x8b", "enable_hook_payload_compression: the body is not gzip")
            ev = _verified(ctx, "export.users.error", r)
            check(type(ev).__name__ == "AsyncExportErrorEvent", f"parsed as {type(ev).__name__}")
            check(ev.task_id == tid and missing in ev.error, f"error event {ev!r}")
        finally:
            _unhook(ctx)


@case("webhook_entity_events")
def _webhook_entity_events(ctx: Ctx) -> None:
    a, b, c = make_users(ctx, 3)
    _, cid, _ = make_channel(ctx, [a, b])

    def about(kind: str, key: str, value: str) -> Callable[[Dict[str, Any]], bool]:
        def pred(r: Dict[str, Any]) -> bool:
            e = _event_json(r)
            got = e.get("cid") if key == "cid" else (e.get("user") or {}).get("id")
            return e.get("type") == kind and got == value
        return pred

    with HookReceiver() as hooks:
        try:
            ctx.client.update_app(webhook_url=hooks.url)
            w = lambda t: ctx.client.wait_for_task(t, poll_interval=POLL, timeout=WAIT_TIMEOUT)  # noqa: E731
            tid = task_id_of("delete_channels", ctx.client.chat.delete_channels(cids=[cid], hard_delete=True))
            completed("wait_for_task", w(tid), tid)
            ev = _verified(ctx, "channel.deleted", hooks.wait_for("channel.deleted", about("channel.deleted", "cid", cid)))
            check(type(ev).__name__ == "ChannelDeletedEvent", f"parsed as {type(ev).__name__}")
            check(ev.cid == cid and ev.channel.cid == cid, f"channel.deleted {ev!r}")
            check(ev.channel_type == "messaging" and ev.channel_id == cid.split(":", 1)[1], f"channel.deleted {ev!r}")
            sane_time("channel.deleted created_at", ev.created_at)

            tid = task_id_of("deactivate_users", ctx.client.deactivate_users(user_ids=[a], created_by_id=c))
            completed("wait_for_task", w(tid), tid)
            ev = _verified(ctx, "user.deactivated", hooks.wait_for("user.deactivated", about("user.deactivated", "user", a)))
            check(type(ev).__name__ == "UserDeactivatedEvent", f"parsed as {type(ev).__name__}")
            check(ev.user.id == a and ev.created_by is not None and ev.created_by.id == c, f"user.deactivated {ev!r}")

            tid = task_id_of("reactivate_users", ctx.client.reactivate_users(user_ids=[a]))
            completed("wait_for_task", w(tid), tid)
            ev = _verified(ctx, "user.reactivated", hooks.wait_for("user.reactivated", about("user.reactivated", "user", a)))
            check(type(ev).__name__ == "UserReactivatedEvent" and ev.user.id == a, f"user.reactivated {ev!r}")

            tid = task_id_of("delete_users", ctx.client.delete_users(user_ids=[b], user="hard", messages="hard"))
            completed("wait_for_task", w(tid), tid)
            ev = _verified(ctx, "user.deleted", hooks.wait_for("user.deleted", about("user.deleted", "user", b)))
            check(type(ev).__name__ == "UserDeletedEvent", f"parsed as {type(ev).__name__}")
            check(ev.user.id == b and ev.hard_delete is True and ev.delete_user == "hard", f"user.deleted {ev!r}")
            check(ev.delete_messages == "hard" and ev.mark_messages_deleted is False, f"user.deleted {ev!r}")
        finally:
            _unhook(ctx)


@case("webhook_lifecycle_events")
def _webhook_lifecycle_events(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    ch, cid, _ = make_channel(ctx, [a, b], [f"old {ctx.uid('msg')}"])

    def typed(kind: str) -> Callable[[Dict[str, Any]], bool]:
        def pred(r: Dict[str, Any]) -> bool:
            e = _event_json(r)
            return e.get("type") == kind and (e.get("cid") == cid or (e.get("user") or {}).get("id") == a)
        return pred

    with HookReceiver() as hooks:
        try:
            ctx.client.update_app(webhook_url=hooks.url)
            ctx.client.deactivate_user(a, created_by_id=b)
            ev = _verified(ctx, "user.deactivated", hooks.wait_for("user.deactivated", typed("user.deactivated")))
            check(type(ev).__name__ == "UserDeactivatedEvent", f"parsed as {type(ev).__name__}")
            check(ev.user.id == a and ev.created_by is not None and ev.created_by.id == b, f"user.deactivated {ev!r}")
            ctx.client.reactivate_user(a)
            ev = _verified(ctx, "user.reactivated", hooks.wait_for("user.reactivated", typed("user.reactivated")))
            check(type(ev).__name__ == "UserReactivatedEvent" and ev.user.id == a, f"user.reactivated {ev!r}")
            note = f"cleared {ctx.uid('msg')}"
            ch.truncate(hard_delete=True, user_id=b, message=MessageRequest(text=note, user_id=b))
            ev = _verified(ctx, "channel.truncated", hooks.wait_for("channel.truncated", typed("channel.truncated")))
            check(type(ev).__name__ == "ChannelTruncatedEvent", f"parsed as {type(ev).__name__}")
            check(ev.cid == cid and ev.channel.cid == cid, f"channel.truncated {ev!r}")
            sane_time("channel.truncated channel.truncated_at", ev.channel.truncated_at)
            check(ev.message is not None and ev.message.text == note, f"channel.truncated message {ev.message!r}")
            check(ev.user is not None and ev.user.id == b, f"channel.truncated user {ev.user!r}")
        finally:
            _unhook(ctx)


@case("webhook_deliveries_admin", admin=True)
def _webhook_deliveries_admin(ctx: Ctx) -> None:
    (a,) = make_users(ctx, 1)
    with HookReceiver() as hooks:
        try:
            ctx.client.update_app(webhook_url=hooks.url, webhook_events=["export.users.success"])
            tid = task_id_of("export_users", ctx.client.export_users(user_ids=[a]))
            r = hooks.wait_for("export.users.success", _for_task(tid))
        finally:
            _unhook(ctx)
    wid = {k.lower(): v for k, v in r["headers"].items()}["x-webhook-id"]
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        listed = admin(ctx, "GET", "webhooks")
        mine = [d for d in listed.get("deliveries", []) if d.get("webhook_id") == wid]
        if mine and mine[0].get("state") != "sending" or time.monotonic() > deadline:
            break
        time.sleep(POLL)
    check(len(mine) == 1, f"GET /_emulator/webhooks does not list {wid}: {_short(listed)}")
    d = mine[0]
    check(d.get("type") == "export.users.success" and d.get("task_id") == tid, f"delivery {_short(d)}")
    check(d.get("attempts") == 1 and d.get("last_status") == 200 and d.get("state") == "delivered",
          f"delivery {_short(d)}")


# ---------------------------------------------------------------- channel data and batch update
def _channel_states(ctx: Ctx, cids: List[str], **kw: Any) -> Dict[str, Any]:
    """query_channels over these cids: cid -> ChannelStateResponseFields."""
    resp = ctx.client.chat.query_channels(filter_conditions={"cid": {"$in": cids}}, **kw)
    return {c.channel.cid: c for c in (resp.data.channels or [])}


def _member_roles(state: Any) -> Dict[str, str]:
    return {m.user_id: m.channel_role for m in (state.members or [])}


@case("channel_batch_update_wait")
def _channel_batch_update(ctx: Ctx) -> None:
    a, b, c = make_users(ctx, 3)
    _, cid1, _ = make_channel(ctx, [a, b])
    _, cid2, _ = make_channel(ctx, [a, b])
    resp = ctx.client.chat.channel_batch_update(
        operation="addMembers",
        filter={"cids": {"$in": [cid1, cid2]}},
        members=[ChannelBatchMemberRequest(user_id=c, channel_role="channel_moderator")],
    )
    tid = task_id_of("channel_batch_update", resp)
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    r = done.result or {}
    check(r.get("operation") == "addMembers" and r.get("status") == "completed", f"result {r!r}")
    check(r.get("success_channels_count") == 2 and r.get("failed_channels") == [], f"result {r!r}")
    states = _channel_states(ctx, [cid1, cid2])
    for cid in (cid1, cid2):
        roles = _member_roles(states[cid])
        check(roles.get(c) == "channel_moderator", f"{cid} members {roles!r} lack {c} as moderator")
    # A member that does not exist fails every channel, and the task still completes.
    missing = ctx.uid("nobody")
    tid = task_id_of("channel_batch_update", ctx.client.chat.channel_batch_update(
        operation="addMembers", filter={"cids": {"$in": [cid1]}},
        members=[ChannelBatchMemberRequest(user_id=missing)]))
    r = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid).result
    check(r.get("success_channels_count") == 0, f"result {r!r}")
    check(r.get("failed_channels") == [{"reason": f"user {missing} does not exist", "cids": [cid1]}], f"result {r!r}")
    e = expect_api_error("bad operation", lambda: ctx.client.chat.channel_batch_update(
        operation="frobnicate", filter={"cids": cid1}, members=[ChannelBatchMemberRequest(user_id=a)]))
    check(e.status_code == 400 and e.code == 4, f"bad operation: {e.status_code} {e.code}")


@case("channel_batch_update_data_and_hide")
def _channel_batch_data(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    _, cid, _ = make_channel(ctx, [a, b])
    tid = task_id_of("updateData", ctx.client.chat.channel_batch_update(
        operation="updateData", filter={"cids": {"$eq": cid}},
        data=ChannelDataUpdate(frozen=True, custom={"level": 3})))
    completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    ch = _channel_states(ctx, [cid])[cid].channel
    check(ch.frozen is True and (ch.custom or {}).get("level") == 3, f"channel {ch!r}")
    tid = task_id_of("hide", ctx.client.chat.channel_batch_update(
        operation="hide", filter={"cids": [cid][0]}, members=[ChannelBatchMemberRequest(user_id=b)]))
    completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    check(cid not in _channel_states(ctx, [cid], user_id=b), "the channel hidden for b is still listed for b")
    check(cid in _channel_states(ctx, [cid], user_id=a), "the channel hidden for b vanished for a")


@case("update_channel")
def _update_channel(ctx: Ctx) -> None:
    a, b, c, d = make_users(ctx, 4)
    ch, cid, _ = make_channel(ctx, [a, b])
    resp = ch.update(
        add_members=[ChannelMemberRequest(user_id=c, channel_role="channel_moderator")],
        invites=[ChannelMemberRequest(user_id=d)],
        data=ChannelInputRequest(custom={"topic": "news"}, team="red"),
        message=MessageRequest(text="changed", user_id=a),
    ).data
    check(d_ok(resp.channel, cid), f"channel {resp.channel!r}")
    check((resp.channel.custom or {}).get("topic") == "news" and resp.channel.team == "red", f"channel {resp.channel!r}")
    roles = {m.user_id: m for m in resp.members}
    check(roles[c].channel_role == "channel_moderator", f"members {resp.members!r}")
    check(roles[d].invited is True, f"invitee {roles[d]!r}")
    check(resp.message is not None and resp.message.text == "changed", f"message {resp.message!r}")
    resp = ch.update(remove_members=[b], demote_moderators=[c]).data
    roles = {m.user_id: m for m in resp.members}
    check(b not in roles and roles[c].channel_role == "channel_member", f"members {resp.members!r}")
    e = expect_api_error("unknown member", lambda: ch.update(add_members=[ChannelMemberRequest(user_id=ctx.uid("nobody"))]))
    check(e.status_code == 400 and e.code == 4, f"unknown member: {e.status_code} {e.code}")


def d_ok(channel: Any, cid: str) -> bool:
    return channel is not None and channel.cid == cid


@case("update_channel_partial")
def _update_channel_partial(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    ch, cid, _ = make_channel(ctx, [a, b])
    resp = ch.update_channel_partial(set={"color": "blue", "size": 3, "frozen": True}).data
    check(d_ok(resp.channel, cid) and resp.channel.frozen is True, f"channel {resp.channel!r}")
    check(resp.channel.custom == {"color": "blue", "size": 3}, f"custom {resp.channel.custom!r}")
    check(len(resp.members) == 2, f"members {resp.members!r}")
    resp = ch.update_channel_partial(unset=["color", "frozen"]).data
    check(resp.channel.custom == {"size": 3} and resp.channel.frozen is False, f"channel {resp.channel!r}")


@case("query_channels")
def _query_channels(ctx: Ctx) -> None:
    a, b, c = make_users(ctx, 3)
    made = []
    for i in range(3):
        ch, cid, _ = make_channel(ctx, [a, b] if i < 2 else [a, c])
        ch.update_channel_partial(set={"rank": i})
        made.append(cid)
    resp = ctx.client.chat.query_channels(
        filter_conditions={"cid": {"$in": made}, "members": {"$in": [b]}},
        sort=[SortParamRequest(field="rank", direction=-1)],
    ).data
    got = [s.channel.cid for s in resp.channels]
    check(got == [made[1], made[0]], f"channels {got!r}, expected {[made[1], made[0]]!r}")
    check(all(len(s.members) == 2 for s in resp.channels), "members missing from query channels")
    page = ctx.client.chat.query_channels(
        filter_conditions={"cid": {"$in": made}}, sort=[SortParamRequest(field="rank", direction=1)],
        limit=1, offset=2, user_id=c).data.channels
    check([s.channel.cid for s in page] == [made[2]], f"page {[s.channel.cid for s in page]!r}")
    check(page[0].membership is not None and page[0].membership.user_id == c, f"membership {page[0].membership!r}")
    e = expect_api_error("limit 31", lambda: ctx.client.chat.query_channels(filter_conditions={"cid": made[0]}, limit=31))
    check(e.status_code == 400 and e.code == 4, f"limit 31: {e.status_code} {e.code}")


@case("hide_show_channel")
def _hide_show(ctx: Ctx) -> None:
    a, b = make_users(ctx, 2)
    ch, cid, _ = make_channel(ctx, [a, b])
    ch.hide(user_id=b)
    check(cid not in _channel_states(ctx, [cid], user_id=b), "hidden channel listed for its member")
    hidden = ctx.client.chat.query_channels(filter_conditions={"cid": cid, "hidden": True}, user_id=b).data.channels
    check([s.channel.cid for s in hidden] == [cid] and hidden[0].hidden is True, f"hidden query {hidden!r}")
    ch.show(user_id=b)
    check(cid in _channel_states(ctx, [cid], user_id=b), "shown channel not listed for its member")


@case("deleted_user_hidden_from_query_users")
def _deleted_hidden(ctx: Ctx) -> None:
    a, b, c = make_users(ctx, 3)
    soft = task_id_of("delete_users", ctx.client.delete_users(user_ids=[a]))
    hard = task_id_of("delete_users", ctx.client.delete_users(user_ids=[b], user="hard"))
    # At once, before the tasks end.
    left = _query_ids(ctx, [a, b, c])
    check(left == {c}, f"query users right after the delete calls lists {sorted(left)}, expected only {c}")
    payload = QueryUsersPayload(filter_conditions={"id": {"$in": [a, b, c]}, "deleted_at": {"$exists": True}})
    deleted = {u.id for u in (ctx.client.query_users(payload=payload).data.users or [])}
    check(a in deleted, f"a deleted_at filter lists {sorted(deleted)}, expected {a} among them")
    for tid in (soft, hard):
        completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    left = _query_ids(ctx, [a, b, c])
    check(left == {c}, f"query users after the tasks lists {sorted(left)}, expected only {c}")


# ---------------------------------------------------------------- feeds
def _feeds_fixture(ctx: Ctx) -> Dict[str, Any]:
    """A feed group, two users' feeds and activities (one of alice's also in bob's feed),
    a follow, a comment and a reaction, made through the SDK's feeds client."""
    from getstream.models import FeedInput

    feeds = ctx.client.feeds
    group = ctx.uid("grp").replace("-", "_")
    resp = feeds.create_feed_group(id=group)
    check(resp.data.feed_group.id == group, f"create_feed_group: {resp.data.feed_group!r}")
    sane_time("feed_group.created_at", resp.data.feed_group.created_at)
    alice, bob = ctx.uid("alice"), ctx.uid("bob")
    fids = {}
    for who in (alice, bob):
        r = feeds.get_or_create_feed(group, who, user_id=who, data=FeedInput(name=f"{who}'s feed"))
        check(r.data.created is True, f"get_or_create_feed({who}): created={r.data.created!r}")
        check(r.data.feed.created_by.id == who, f"feed owner {r.data.feed.created_by.id!r} != {who}")
        sane_time("feed.created_at", r.data.feed.created_at)
        fids[who] = r.data.feed.feed
    again = feeds.get_or_create_feed(group, alice, user_id=alice)
    check(again.data.created is False, "get_or_create_feed of an existing feed said created")
    mine = feeds.add_activity(type="post", feeds=[fids[alice]], text="alice only", user_id=alice)
    shared = feeds.add_activity(type="post", feeds=[fids[alice], fids[bob]], text="shared", user_id=alice)
    elsewhere = feeds.add_activity(type="post", feeds=[fids[bob]], text="alice at bob", user_id=alice)
    theirs = feeds.add_activity(type="post", feeds=[fids[bob]], text="bob's", user_id=bob)
    sane_time("activity.created_at", mine.data.activity.created_at)
    got = feeds.get_activity(mine.data.activity.id)
    check(got.data.activity.text == "alice only", f"get_activity: {got.data.activity.text!r}")
    feeds.follow(source=fids[bob], target=fids[alice])
    feeds.add_comment(object_id=theirs.data.activity.id, object_type="activity", comment="hi", user_id=alice)
    reacted = feeds.add_activity_reaction(theirs.data.activity.id, type="like", user_id=alice)
    check(reacted.data.activity.reaction_count == 1, f"reaction_count {reacted.data.activity.reaction_count!r}")
    return {
        "group": group, "alice": alice, "bob": bob, "fids": fids,
        "mine": mine.data.activity.id, "shared": shared.data.activity.id,
        "elsewhere": elsewhere.data.activity.id, "theirs": theirs.data.activity.id,
    }


def _feed_ids(ctx: Ctx, filt: Dict[str, Any]) -> set:
    resp = ctx.client.feeds.query_feeds(filter=filt, limit=100)
    return {f.feed for f in resp.data.feeds}


def _activity_gone(ctx: Ctx, activity_id: str) -> bool:
    try:
        ctx.client.feeds.get_activity(activity_id)
        return False
    except StreamApiException as e:
        check(e.status_code == 404, f"get_activity({activity_id}): status {e.status_code}, expected 404")
        return True


def _wait(ctx: Ctx, label: str, resp: Any) -> Dict[str, Any]:
    tid = task_id_of(label, resp)
    done = completed("wait_for_task", ctx.client.wait_for_task(tid, poll_interval=POLL, timeout=WAIT_TIMEOUT), tid)
    check(isinstance(done.result, dict), f"{label}: result {done.result!r} is not an object")
    return done.result


@case("feeds_routes")
def _feeds_routes(ctx: Ctx) -> None:
    f = _feeds_fixture(ctx)
    listed = _feed_ids(ctx, {"group_id": {"$eq": f["group"]}})
    check(listed == set(f["fids"].values()), f"query_feeds by group_id: {listed}")
    mine = _feed_ids(ctx, {"created_by_id": {"$in": [f["alice"]]}})
    check(mine == {f["fids"][f["alice"]]}, f"query_feeds by created_by_id: {mine}")
    acts = ctx.client.feeds.query_activities(filter={"user_id": f["bob"]}, limit=10).data.activities
    check([a.id for a in acts] == [f["theirs"]], f"query_activities by user_id: {[a.id for a in acts]}")
    err = expect_api_error("add_activity to a missing feed", lambda: ctx.client.feeds.add_activity(
        type="post", feeds=[f"{f['group']}:nobody"], user_id=f["alice"]))
    check(err.status_code == 400, f"add_activity to a missing feed: status {err.status_code}")


@case("feeds_delete_feed_hard_purge")
def _feeds_delete_feed(ctx: Ctx) -> None:
    f = _feeds_fixture(ctx)
    alice_fid = f["fids"][f["alice"]]
    err = expect_api_error("purge without hard", lambda: ctx.client.feeds.delete_feed(
        f["group"], f["alice"], purge_user_activities=True))
    check(err.status_code == 400, f"purge without hard: status {err.status_code}")
    result = _wait(ctx, "delete_feed", ctx.client.feeds.delete_feed(
        f["group"], f["alice"], hard_delete=True, purge_user_activities=True))
    check(result.get("feeds") == [alice_fid] and result.get("deleted_feeds") == 1, f"result {result!r}")
    check(result.get("deleted_activities") == 1 and result.get("purged_activities") == 2, f"result {result!r}")
    check(alice_fid not in _feed_ids(ctx, {"group_id": f["group"]}), "hard-deleted feed still listed")
    for key in ("mine", "shared", "elsewhere"):
        check(_activity_gone(ctx, f[key]), f"activity {key} survived")
    check(not _activity_gone(ctx, f["theirs"]), "another user's activity went too")


@case("feeds_delete_feeds_batch")
def _feeds_delete_batch(ctx: Ctx) -> None:
    f = _feeds_fixture(ctx)
    both = sorted(f["fids"].values())
    err = expect_api_error("batch with a missing feed", lambda: ctx.client.feeds.delete_feeds_batch(
        feeds=both + [f"{f['group']}:ghost"], hard_delete=True))
    check(err.status_code == 400 and "ghost" in (err.message or ""), f"missing feed: {err.status_code} {err.message!r}")
    result = _wait(ctx, "delete_feeds_batch", ctx.client.feeds.delete_feeds_batch(feeds=both, hard_delete=True))
    check(result.get("deleted_feeds") == 2, f"result {result!r}")
    check(_feed_ids(ctx, {"group_id": f["group"]}) == set(), "batch-deleted feeds still listed")
    check(_activity_gone(ctx, f["theirs"]), "activity of a deleted feed survived")


@case("feeds_delete_user_data_hard")
def _feeds_delete_user(ctx: Ctx) -> None:
    f = _feeds_fixture(ctx)
    result = _wait(ctx, "delete_feed_user_data",
                   ctx.client.feeds.delete_feed_user_data(f["alice"], hard_delete=True))
    want = {"user_id": f["alice"], "hard_delete": True, "deleted_feeds": 1, "deleted_activities": 3,
            "deleted_follows": 1, "deleted_comments": 1, "deleted_reactions": 1}
    check(result == want, f"result {result!r}, expected {want!r}")
    check(_feed_ids(ctx, {"group_id": f["group"]}) == {f["fids"][f["bob"]]}, "alice's feed still listed")
    theirs = ctx.client.feeds.get_activity(f["theirs"]).data.activity
    check(theirs.reaction_count == 0 and theirs.comment_count == 0, f"bob's activity keeps alice's reaction/comment")


@case("feeds_export_user_data")
def _feeds_export_user(ctx: Ctx) -> None:
    f = _feeds_fixture(ctx)
    result = _wait(ctx, "export_feed_user_data", ctx.client.feeds.export_feed_user_data(f["alice"]))
    check(result.get("activities") == 3 and result.get("feeds") == 1, f"result {result!r}")
    doc = download(result.get("url") or "")
    check(doc.get("user", {}).get("id") == f["alice"], f"export user: {_short(doc)}")
    texts = {a.get("text") for a in doc.get("activities", [])}
    check(texts == {"alice only", "shared", "alice at bob"}, f"export activities: {texts}")
    check("bob's" not in strings_in(doc), "export leaks another user's activity")


def texts_in_export(url: str) -> bool:
    return bool(strings_in(download(url)))


# ---------------------------------------------------------------- runner
def _missing_field(message: str) -> str:
    # "Missing value of non-optional type html detected when decoding MessageResponse and ..."
    field = message.split(MISSING_FIELD_WARNING, 1)[1].split(" detected", 1)[0].strip()
    model = message.split("when decoding ", 1)[-1].split(" ", 1)[0]
    return f"{model}.{field}"


def run_case(ctx: Ctx, name: str, fn: Callable[[Ctx], None]) -> Optional[str]:
    mark = RECORDER.mark()
    t0 = time.monotonic()
    failure: Optional[str] = None
    missing: List[str] = []
    offending: Optional[Dict[str, Any]] = None

    def on_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        nonlocal offending
        text = str(message)
        if MISSING_FIELD_WARNING not in text:
            return
        field = _missing_field(text)
        if field not in missing:
            missing.append(field)
        if offending is None and RECORDER.events:
            # The SDK logs http.response.received just before it decodes the body.
            offending = RECORDER.events[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = on_warning
        try:
            fn(ctx)
        except CaseFailure as e:
            failure = str(e)
        except StreamApiException as e:
            failure = (
                f"{type(e).__name__} status={e.status_code} code={e.code} message={e.message!r}"
                + (f" cause={e.__cause__!r}" if e.__cause__ else "")
                + f" body={_short(e.raw_response_body)}"
            )
        except Exception as e:  # noqa: BLE001 - every error is a case failure
            tb = traceback.extract_tb(e.__traceback__)[-1]
            failure = f"{type(e).__name__}: {e} (at {os.path.basename(tb.filename)}:{tb.lineno})"
    if missing:
        note = "response lacks required fields: " + ", ".join(missing)
        failure = note if failure is None else f"{failure} | also {note}"
    ms = (time.monotonic() - t0) * 1000
    if failure is None:
        print(f"PASS {name} ({ms:.0f} ms)", flush=True)
        return None
    print(f"FAIL {name} ({ms:.0f} ms): {failure}", flush=True)
    events = RECORDER.since(mark)
    shown = offending or (events[-1] if events else None)
    if shown:
        label = "offending response" if offending else "last response"
        print(f"     {label}: {shown['method']} {shown['path']} -> {shown['status']} {_short(shown['body'])}", flush=True)
    return failure


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default=os.environ.get("STREAM_BASE_URL"))
    p.add_argument("--api-key", default=os.environ.get("STREAM_API_KEY"))
    p.add_argument("--api-secret", default=os.environ.get("STREAM_API_SECRET"))
    p.add_argument("--only", action="append", default=[], help="run only this case (repeatable)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--no-admin", action="store_true",
                   help="skip the cases that need the emulator's admin API (--admin)")
    args = p.parse_args(argv)
    if args.list:
        for name, _ in CASES:
            print(name)
        return 0
    if not (args.base_url and args.api_key and args.api_secret):
        p.error("--base-url, --api-key and --api-secret (or STREAM_* env vars) are required")
    unknown = set(args.only) - {n for n, _ in CASES}
    if unknown:
        p.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    host = urllib.parse.urlparse(args.base_url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        p.error(f"refusing to run against non-loopback {args.base_url}")
    # PyJWT's advice about short demo secrets is noise here.
    warnings.filterwarnings("ignore", message=".*HMAC key.*")
    ctx = Ctx(args.base_url, args.api_key, args.api_secret)
    passed = failed = 0
    for name, fn in CASES:
        if args.only and name not in args.only:
            continue
        if args.no_admin and name in ADMIN_CASES:
            continue
        if run_case(ctx, name, fn) is None:
            passed += 1
        else:
            failed += 1
    ctx.client.close()
    print(f"python-compat: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
