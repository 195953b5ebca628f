"""The web app's guard rails: request limits, security headers, HEAD, clean messages, a patient store.

:class:`SecurityMiddleware` (pure ASGI, so it sees every request, even one no route takes):

- refuses a URL longer than :data:`MAX_URL` bytes (414) and a body larger than
  :data:`MAX_BODY` bytes (413, whether or not ``Content-Length`` says so);
- answers ``HEAD`` on every ``GET`` route (the ``GET`` response's headers, no body);
- adds security headers to every response: a Content-Security-Policy with no inline script
  (an inline script is allowed only by its SHA-256 hash, computed from the page itself: the
  evaluation's progress page, which may fetch from this server only), ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``.

:func:`scrub` is applied to every message a response carries: absolute paths become their
file name, process ids and DuckDB's lock holder are removed, and long values are cut.
:func:`open_store` opens the store read-only, retrying while a writer holds it for a moment;
it raises :class:`StoreUnavailable`, which the app answers with 503 and ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, MutableMapping

from ..errors import StoreError

__all__ = ["install", "csv_response", "strip_paths", "MAX_BODY", "MAX_URL", "RETRY_AFTER", "SecurityMiddleware", "StoreUnavailable", "scrub", "open_store",
           "csp_for"]

#: the largest request body accepted (a form or a JSON body is a few hundred bytes)
MAX_BODY = 256 * 1024
#: the longest path plus query string accepted
MAX_URL = 8 * 1024
#: seconds a client is asked to wait when the store is briefly unavailable
RETRY_AFTER = 2
#: how much of a message a response carries
MAX_MESSAGE = 1000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_BASE_CSP = {
    "default-src": "'none'",
    "style-src": "'unsafe-inline'",          # the pages' and report's inline CSS (never script)
    "img-src": "'self' data:",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def csp_for(html: bytes | None = None) -> str:
    """The Content-Security-Policy: no script, unless ``html`` has inline scripts, then only those (by hash),
    which may fetch from this server only."""
    policy = dict(_BASE_CSP)
    if html:
        hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'" for m in _SCRIPT.findall(html)]
        if hashes:
            policy["script-src"] = " ".join(hashes)
            policy["connect-src"] = "'self'"      # those scripts may ask this server, and no other
    return "; ".join(f"{k} {v}" for k, v in policy.items())


# -- messages ------------------------------------------------------------------------------------
_PATH = re.compile(r"(?<![\w.:/])(?!/api/|/area/|/evaluate)(?:/[^\s'\"/:;,()<>]+){2,}/?|[A-Za-z]:\\[^\s'\";,()<>]+")
_PID = re.compile(r"\s*\(?\bPID \d+\)?", re.IGNORECASE)
_HOLDER = re.compile(r"Conflicting lock is held in \S+")
_URL_DOCS = re.compile(r"\s*See also https?://\S+")


def _basename(m: re.Match[str]) -> str:
    text = m.group(0).rstrip("/\\")
    return re.split(r"[/\\]", text)[-1] or "…"


def scrub(message: object, limit: int = MAX_MESSAGE) -> str:
    """``message`` fit for a response: no absolute paths (file names only), no PIDs, no word over 120 characters."""
    text = " ".join(str(message).split())
    text = _HOLDER.sub("another program holds a lock on it", text)
    text = _PID.sub("", text)
    text = _URL_DOCS.sub("", text)
    text = _PATH.sub(_basename, text)
    text = re.sub(r"\S{121,}", lambda m: m.group(0)[:80] + "…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def strip_paths(obj: Any) -> Any:
    """``obj`` (JSON-like) with every absolute path inside its text replaced by the file's name."""
    if isinstance(obj, str):
        return _PATH.sub(_basename, obj) if ("/" in obj or "\\" in obj) else obj
    if isinstance(obj, dict):
        return {k: strip_paths(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strip_paths(v) for v in obj]
    return obj


# -- the store -----------------------------------------------------------------------------------
class StoreUnavailable(StoreError):
    """The store is there but cannot be read just now (a writer holds it, or it is being swapped in)."""


_BUSY = re.compile(r"lock|being used|resource temporarily unavailable|could not set|conflicting", re.IGNORECASE)


def open_store(path: str | Path, *, attempts: int = 5, wait: float = 0.1):
    """The store at ``path``, read-only; retries (0.1, 0.2, 0.4, 0.8 s) while it is locked or being replaced.

    Raises
    ------
    StoreUnavailable
        Still locked after the retries (the app answers 503 with ``Retry-After``).
    StoreError
        Anything else (no store, not a DuckDB file).
    """
    from ..store import Store

    last: StoreError | None = None
    for i in range(attempts):
        try:
            s = Store(path, read_only=True)
            _SEEN.add(str(path))
            return s
        except StoreError as exc:
            missing = str(exc).startswith("no store at")
            if not (_BUSY.search(str(exc)) or (missing and str(path) in _SEEN)):
                raise
            last = exc
        if i < attempts - 1:
            time.sleep(wait * 2 ** i)
    raise StoreUnavailable("the data store is busy (a data load is running); try again in a few seconds") from last


#: stores opened before: one missing now is being swapped in, not absent
_SEEN: set[str] = set()


# -- the middleware ------------------------------------------------------------------------------
async def _plain(send: Send, status: int, detail: str, api: bool, extra: list[tuple[bytes, bytes]] = ()) -> None:
    if api:
        body = json.dumps({"error": "InputError", "detail": detail}).encode()
        ctype = b"application/json"
    else:
        body = detail.encode()
        ctype = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *extra,
                            (b"content-security-policy", csp_for().encode()), *_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """Limits, HEAD, and security headers around an ASGI app (see the module docstring)."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, max_body: int = MAX_BODY, max_url: int = MAX_URL,
                 hashed_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_url = max_url
        self.hashed_paths = hashed_paths      # HTML pages whose inline scripts are allowed by hash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        api = path.startswith("/api/")
        if len(scope.get("raw_path") or path.encode()) + len(scope.get("query_string", b"")) > self.max_url:
            await _plain(send, 414, f"the address is too long; at most {self.max_url:,} bytes", api)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _plain(send, 400, "the Content-Length header is not a number", api)
                return
            if declared > self.max_body:
                await _plain(send, 413, f"the request body is too large; at most {self.max_body:,} bytes", api)
                return
        head = scope["method"] == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await _plain(send, 413, f"the request body is too large; at most {self.max_body:,} bytes", api)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            replayed = False

            async def receive_buffered() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            inner_receive: Receive = receive_buffered
        else:
            inner_receive = receive
        await self.app(scope, inner_receive, self._sender(send, path, head))

    def _sender(self, send: Send, path: str, head: bool) -> Send:
        hashed = path in self.hashed_paths
        held: dict[str, Any] = {}
        parts: list[bytes] = []

        def headers_of(start: Message, html: bytes | None) -> list[tuple[bytes, bytes]]:
            keep = [(k, v) for k, v in start.get("headers", []) if k.lower() not in {h for h, _ in _HEADERS}
                    and k.lower() != b"content-security-policy"]
            csp = csp_for(html)
            return keep + [(b"content-security-policy", csp.encode()), *_HEADERS]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                if hashed:
                    held["start"] = message
                    return
                message = dict(message, headers=headers_of(message, None))
                await send(message)
                return
            if message["type"] == "http.response.body":
                if hashed:
                    parts.append(message.get("body", b""))
                    if message.get("more_body", False):
                        return
                    body = b"".join(parts)
                    start = held["start"]
                    await send(dict(start, headers=headers_of(start, body)))
                    await send({"type": "http.response.body", "body": b"" if head else body})
                    return
                if head:
                    if not message.get("more_body", False):
                        await send({"type": "http.response.body", "body": b""})
                    return
            await send(message)

        return wrapped


def install(app: Any, *, hashed_paths: tuple[str, ...] = ("/evaluate",)) -> None:
    """Wrap ``app`` (a FastAPI app) in :class:`SecurityMiddleware`, outside even its 500 handler.

    Pages at ``hashed_paths`` may carry inline scripts (the evaluation's progress page does): each is
    allowed by its SHA-256 in that response's Content-Security-Policy, with fetches to this server
    only; every other response allows no script at all.
    """
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityMiddleware(build(), hashed_paths=hashed_paths)


def csv_response(df: Any, filename: str) -> Any:
    """A CSV download of ``df`` through :mod:`placeimpact.csvsafe` (formula cells neutralised, numbers kept).

    ``filename`` is reduced to letters, digits, ``-``, ``_`` and ``.`` for the Content-Disposition header.
    """
    from starlette.responses import Response

    from ..csvsafe import csv_text

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-")[:80] or "download"
    if not name.endswith(".csv"):
        name += ".csv"
    return Response(csv_text(df), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
