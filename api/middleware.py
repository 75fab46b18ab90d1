"""The edge of the app, as plain ASGI middleware: one input policy, security headers, and no leaking 500s.

- ``InputPolicy`` refuses what no route should ever see, before any route runs: control characters
  (NUL and the rest, but tab, line feed and carriage return) in the path, the query string, a JSON body
  or a form body (422), and a body larger than ``ServerSettings.max_body_bytes`` (413). A refused
  request changes nothing.
- ``SecurityHeaders`` adds the headers a council's security review asks for to every answer, and a
  strict Content-Security-Policy: scripts only from the app itself or with the page's one-time nonce
  (``request.state.csp_nonce``), images also from the base map's tile host.
- ``Guard`` turns an unexpected exception into a plain 500 and logs its type and place only (a driver's
  message or a traceback's locals may quote personal data), instead of letting the server print it.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("patchmap.api")

#: Control characters a text field never holds (tab, line feed and carriage return are allowed).
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_JSON = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_FORM = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
JSON_TYPES = ("application/json", "application/geo+json", "application/merge-patch+json")
FORM_TYPE = "application/x-www-form-urlencoded"


async def _answer(
    send: Send, status: int, error: str, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Send a JSON error ``{"error", "detail"}`` (the API's usual body) with ``status``."""
    body = orjson.dumps({"error": error, "detail": detail})
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class InputPolicy:
    """Refuse control characters anywhere a client can put text, and bodies over ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        if CONTROL_BYTES.search(unquote_to_bytes(raw_path)) or CONTROL_FORM.search(query.replace(b"+", b" ")):
            await _answer(
                send, 422, "The address holds a control character",
                "Remove NUL and other control characters from the path and the query string.",
            )  # fmt: skip
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        body, more = await self._read(receive)
        if more:
            await self._too_large(send)
            return
        content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
        fields = self._control_fields(body, content_type)
        if fields:
            await _answer(
                send, 422, "The request holds a control character",
                "; ".join(f"{f}: contains control characters: use plain text" for f in fields[:10])
                + " (NUL and other control characters are refused; tabs and line breaks are fine).",
            )  # fmt: skip
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        """The whole body, or (what was read, True) as soon as it is over the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    @staticmethod
    def _control_fields(body: bytes, content_type: str) -> list[str]:
        """The fields (dotted paths) of a JSON or form body holding a control character; [] when none."""
        if content_type in JSON_TYPES and (CONTROL_BYTES.search(body) or CONTROL_JSON.search(body)):
            try:
                return sorted(set(_json_paths(orjson.loads(body)))) or ["body"]
            except orjson.JSONDecodeError:
                return ["body"]
        if content_type == FORM_TYPE and (CONTROL_BYTES.search(body) or CONTROL_FORM.search(body)):
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            found = [CONTROL_TEXT.sub("?", k) for k, v in pairs if CONTROL_TEXT.search(k + v)]
            return sorted(set(found)) or ["body"]
        return []

    async def _too_large(self, send: Send) -> None:
        await _answer(
            send, 413, f"The request is larger than {self.max_body_bytes:,} bytes",
            "Send less at once: shorten the text, or split the change into several requests.",
        )  # fmt: skip


def _json_paths(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the strings (keys included) in a JSON value that hold a control character."""
    if isinstance(value, str):
        return [path or "body"] if CONTROL_TEXT.search(value) else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if CONTROL_TEXT.search(str(key)):
                found.append(CONTROL_TEXT.sub("?", where))
            found += _json_paths(item, where)
        return found
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in _json_paths(item, f"{path}.{i}" if path else str(i))
        ]
    return []


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then passes on the server's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def tile_origin(tile_url: str) -> str:
    """The scheme and host a base map's tiles come from ('' for none), for the CSP's img-src."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "a"))
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else ""


class SecurityHeaders:
    """CSP with a per-request nonce, nosniff, no framing, a strict referrer policy, HSTS over HTTPS."""

    def __init__(self, app: ASGIApp, *, tile_url: str) -> None:
        self.app = app
        origin = tile_origin(tile_url)
        self.images = "'self' data:" + (f" {origin}" if origin else "")

    def policy(self, nonce: str) -> str:
        """The Content-Security-Policy of one answer."""
        return "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}'",
                # Leaflet positions tiles and markers with inline styles; no style can run script.
                "style-src 'self' 'unsafe-inline'",
                f"img-src {self.images}",
                "connect-src 'self'",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": self.policy(nonce),
                    b"x-content-type-options": "nosniff",
                    b"x-frame-options": "DENY",
                    b"referrer-policy": "strict-origin-when-cross-origin",
                }
                if https:
                    extra[b"strict-transport-security"] = "max-age=31536000; includeSubDomains"
                headers += [(k, v.encode()) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Guard:
    """A plain 500 for an unexpected exception, logged as its type and innermost place, never its message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the whole point: nothing escapes with its message
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "?"
            # The route's template (/groups/{record_id}), not the path a client sent, which may hold anything.
            route = getattr(scope.get("route"), "path", "an unrouted path")
            log.error("unexpected %s at %s on %s %s", type(exc).__name__, where, scope["method"], route)
            if not started:
                await _answer(
                    send, 500, "Something went wrong on our side",
                    "The error has been logged; please try again.",
                )  # fmt: skip
