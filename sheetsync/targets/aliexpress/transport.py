"""One HTTP exchange with the gateway that a hostile or broken server cannot abuse.

- **No redirects.** requests would re-send a POST, signed parameters and access token included,
  wherever a 30x points. Every exchange is made with redirects off and a 30x answer is a
  `Fault("redirect")`: the seller's credentials only ever go to the configured endpoint.
- **A deadline for the whole exchange**, from opening the connection to the last byte of the
  body. Socket timeouts bound each read, not their sum, so a server sending one byte a second
  would never time out. A timer shuts the connection's socket down when the deadline passes,
  which wakes a read blocked in any phase (headers or body); the exchange then ends as
  `Fault("deadline")`. (Through a SOCKS proxy the timer cannot reach the socket and only the
  socket timeouts apply.)
- **A cap on the answer's size**, raw and decoded: the body is streamed and the exchange stops
  past `max_bytes`, so an endless body or a small gzip that inflates to gigabytes costs at most
  that much memory.
- **Content-Encoding checked**: only gzip is asked for and decoded (here, incrementally, with the
  same cap); a body that says gzip but is not, or an encoding not asked for, is a fault.

Each thread gets its own requests.Session (a Session is not documented as thread-safe); the
connections of one thread are reused between its calls.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024


class Fault(Exception):
    """An exchange that produced no usable answer. `kind`: unreachable (no connection), dropped
    (the connection broke after the request went out), timeout, deadline, too_large, encoding,
    redirect. `sent` is False only when the request certainly never left."""

    def __init__(self, kind: str, detail: str, *, sent: bool = True, location: str = "") -> None:
        super().__init__(detail)
        self.kind, self.detail, self.sent, self.location = kind, detail, sent, location


@dataclass
class Reply:
    status: int
    body: bytes


# -- the deadline timer ---------------------------------------------------------------------------
_current = threading.local()  # the _Deadline of the exchange this thread is making, if any


class _Deadline:
    """Shuts down the socket of this thread's exchange when `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.lock = threading.Lock()
        self.connection: HTTPConnection | None = None
        self.fired = self.done = False
        self.timer = threading.Timer(max(seconds, 0.0), self._fire)
        self.timer.daemon = True

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        with self.lock:
            self.done = True
        _current.deadline = None

    def attach(self, connection: HTTPConnection) -> None:
        with self.lock:
            self.connection = connection
            if self.fired:
                _cut(connection)

    def _fire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            if self.connection is not None:
                _cut(self.connection)


def _cut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # the plain socket's shutdown, also under TLS: wakes a blocked read
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    """Connection mix-in: the exchange's deadline learns which socket to cut."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.attach(self)  # type: ignore[arg-type]

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.attach(self)  # type: ignore[arg-type]
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with connections the deadline can cut (direct and through HTTP proxies)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:  # not SOCKS
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


# -- the exchange ---------------------------------------------------------------------------------
class Transport:
    """HTTP exchanges with the limits above; safe to use from several threads."""

    def __init__(self, connect_timeout: float, read_timeout: float, max_bytes: int) -> None:
        self.connect_timeout, self.read_timeout, self.max_bytes = connect_timeout, read_timeout, max_bytes
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = _Adapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def exchange(self, verb: str, url: str, *, query: Mapping[str, str] | None = None,
                 form: Mapping[str, str] | None = None, deadline: float) -> Reply:
        """One request and its whole answer within `deadline` seconds, or a Fault."""
        if deadline <= 0:
            raise Fault("deadline", "no time left for this call")
        timeout = (min(self.connect_timeout, deadline), min(self.read_timeout, deadline))
        with _Deadline(deadline) as timer:
            try:
                response = self._session().request(
                    verb, url, params=query, data=form, timeout=timeout, stream=True, allow_redirects=False,
                    headers={"Accept-Encoding": "gzip", "Accept": "application/json"})
            except requests.RequestException as exc:
                raise _fault(exc, timer, deadline, answered=False) from None
            complete = False
            try:
                if 300 <= response.status_code < 400:
                    location = response.headers.get("Location", "")
                    raise Fault("redirect", f"HTTP {response.status_code} redirect", location=_origin(location))
                body = self._body(response)
                complete = True
            except (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError,
                    ValueError) as exc:
                raise _fault(exc, timer, deadline, answered=True) from None
            finally:
                if not complete:
                    response.close()
        if timer.fired:  # a cut can end a read early without an error (headers or body cut short): never trust it
            response.close()
            raise Fault("deadline", f"no complete answer within {deadline:g} seconds")
        return Reply(response.status_code, body)

    def _body(self, response: requests.Response) -> bytes:
        """The body, decoded, within the size cap."""
        limit = self.max_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise Fault("too_large", f"the answer announces {int(declared):,} bytes, more than the "
                                     f"{limit:,} bytes allowed")
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            raise Fault("encoding", f"the answer is encoded as {encoding[:20]!r}, which sheetsync did not ask for")
        inflate = zlib.decompressobj(wbits=31) if encoding in ("gzip", "x-gzip") else None
        raw = 0
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = response.raw.read(CHUNK, decode_content=False)
            if not chunk:
                break
            raw += len(chunk)
            if raw > limit:
                raise Fault("too_large", f"the answer is longer than the {limit:,} bytes allowed")
            if inflate is not None:
                chunk = _inflate(inflate, chunk, limit - size)
            size += len(chunk)
            if size > limit:
                raise Fault("too_large", f"the answer is longer than the {limit:,} bytes allowed")
            parts.append(chunk)
        if inflate is not None and not inflate.eof:
            raise Fault("encoding", "the answer says it is gzip-compressed but its gzip data is cut short")
        return b"".join(parts)


def _inflate(inflate: Any, chunk: bytes, room: int) -> bytes:
    """Decompress one chunk, never producing more than `room` + 1 bytes."""
    try:
        out = inflate.decompress(chunk, room + 1)
    except zlib.error:
        raise Fault("encoding", "the answer says it is gzip-compressed but is not") from None
    if inflate.unconsumed_tail:
        raise Fault("too_large", "the answer, once decompressed, is longer than allowed")
    return out


def _fault(exc: BaseException, timer: _Deadline, deadline: float, *, answered: bool) -> Fault:
    if timer.fired:
        return Fault("deadline", f"no complete answer within {deadline:g} seconds")
    if isinstance(exc, Fault):
        return exc
    if isinstance(exc, requests.ConnectTimeout):
        return Fault("unreachable", "no connection in time", sent=False)
    if isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return Fault("timeout", "no answer in time")
    if isinstance(exc, requests.ConnectionError) and not answered and _never_sent(exc):
        return Fault("unreachable", "the gateway cannot be reached", sent=False)
    return Fault("dropped", "the connection dropped")


def _never_sent(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


def _origin(location: str) -> str:
    """Only the scheme, host and port of a redirect target (its path and query stay unshown)."""
    try:
        parts = urlsplit(location.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "an unreadable address"
    return f"{parts.scheme}://{host}{port}" if parts.scheme and host else "an address on the same server"
