"""Connecting a store to an AliExpress seller: the OAuth code flow (shared/design/ALIEXPRESS.md,
"Seller authorization") and the seller's tokens, kept in the store.

1. The seller opens the authorize URL (`authorize_url`, with a random `state`), signs in and
   allows the app.
2. The platform redirects the browser to the app's redirect URI with `code` and `state`. When that
   URI is a loopback address (`http://127.0.0.1:PORT/...`), `CallbackReceiver` receives it on
   that port; otherwise the seller pastes the address (or the code), read by `code_from_answer`.
   Either way `state` must be the one sent: an answer to another request is refused.
3. `Client.create_token` exchanges the code; `keep_authorization` keeps the tokens, their expiry
   times, the seller's id and nick, and makes AliExpress the store's target.

Where a run's tokens come from (`seller_credentials`): the app key and secret from the
environment only; the seller's tokens from the store, unless SHEETSYNC_AE_ACCESS_TOKEN is set,
which overrides them (for people who manage tokens elsewhere). Tokens refreshed from the
environment's are kept in the store with a fingerprint of the token they came from, so the
next run uses the renewed ones instead of the environment's stale one, until the environment
holds another token. Nothing here ever prints a token: `describe` says where they come from and
until when they are valid.
"""

from __future__ import annotations

import hashlib
import http.server
import math
import os
import re
import secrets
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ...errors import ConfigError
from ...messages import message
from .client import Client, Credentials, _loopback, token_expiry

if TYPE_CHECKING:
    from ...config import Settings
    from ...store import Store

ACCESS_TOKEN_KEY, REFRESH_TOKEN_KEY = "ae_access_token", "ae_refresh_token"
ACCESS_EXPIRES_KEY, REFRESH_EXPIRES_KEY = "ae_access_expires", "ae_refresh_expires"  # epoch seconds
TOKEN_ORIGIN_KEY = "ae_token_origin"  # fingerprint of the environment token the stored ones renew
SELLER_ID_KEY, SELLER_NICK_KEY, USER_ID_KEY = "ae_seller_id", "ae_seller_nick", "ae_user_id"
AUTHORIZED_AT_KEY = "ae_authorized_at"
ENV_ACCESS, ENV_REFRESH, ENV_REDIRECT = ("SHEETSYNC_AE_ACCESS_TOKEN", "SHEETSYNC_AE_REFRESH_TOKEN",
                                         "SHEETSYNC_AE_REDIRECT_URI")
_CODE = re.compile(r"[\x21-\x7e]{1,512}")  # what an authorization code may look like: printable, no spaces


# -- the tokens in the store ------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredTokens:
    access: str | None
    refresh: str | None
    access_expires: float | None
    refresh_expires: float | None
    origin: str


def stored_tokens(store: Store) -> StoredTokens:
    def when(key: str) -> float | None:
        value = store.meta(key)
        with store.decoded(f"the token expiry {key}"):
            return _finite(value) if value else None

    return StoredTokens(store.meta(ACCESS_TOKEN_KEY), store.meta(REFRESH_TOKEN_KEY), when(ACCESS_EXPIRES_KEY),
                        when(REFRESH_EXPIRES_KEY), store.meta(TOKEN_ORIGIN_KEY) or "")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def fingerprint(token: str) -> str:
    """Names a token without holding it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def reauthorize_command(store_path: str | os.PathLike) -> str:
    """The command that connects this store again, as the seller would type it."""
    path = str(store_path)
    shown = f'"{path}"' if any(c.isspace() for c in path) else path
    return f"sheetsync --store {shown} auth"


def seller_credentials(store: Store, env: Mapping[str, str]) -> tuple[Credentials, str]:
    """The credentials of a run, and the origin to keep with tokens refreshed from them."""
    credentials = Credentials.app_from_env(env)
    if credentials is None:
        raise ConfigError("ae_credentials_missing", command=reauthorize_command(store.path))
    stored = stored_tokens(store)
    from_env = env.get(ENV_ACCESS) or ""
    if from_env and stored.origin != fingerprint(from_env):
        credentials.access_token, credentials.refresh_token = from_env, env.get(ENV_REFRESH) or None
        return credentials, fingerprint(from_env)
    if not stored.access:
        raise ConfigError("ae_not_connected", command=reauthorize_command(store.path))
    credentials.access_token, credentials.refresh_token = stored.access, stored.refresh
    credentials.access_expires, credentials.refresh_expires = stored.access_expires, stored.refresh_expires
    return credentials, stored.origin


def token_origin(store: Store, access_token: str, env: Mapping[str, str]) -> str:
    """The origin of a client's tokens (see the module's doc): the environment's token they are,
    or the store's own origin when they are the store's."""
    if access_token and access_token == env.get(ENV_ACCESS):
        return fingerprint(access_token)
    stored = stored_tokens(store)
    return stored.origin if stored.access == access_token else ""


def store_client(store: Store, settings: Settings, env: Mapping[str, str]) -> tuple[Client, str]:
    """A client with this store's credentials (see `seller_credentials`), and their origin."""
    credentials, origin = seller_credentials(store, env)
    client = Client(credentials, rate_limit=settings.rate_limit_per_second, connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout, deadline=settings.request_deadline,
                    auth_command=reauthorize_command(store.path))
    return client, origin


def keep_tokens(store: Store, credentials: Credentials, origin: str) -> None:
    """Keep a client's current tokens and their expiry times, all together."""
    store.set_metas({ACCESS_TOKEN_KEY: credentials.access_token, REFRESH_TOKEN_KEY: credentials.refresh_token,
                     ACCESS_EXPIRES_KEY: _seconds(credentials.access_expires),
                     REFRESH_EXPIRES_KEY: _seconds(credentials.refresh_expires), TOKEN_ORIGIN_KEY: origin or None})


def refuse_other_seller(store: Store, answer: Mapping[str, Any]) -> None:
    """Refuse an authorization for another seller than the one the store is connected to (both
    seller ids known and different), naming both: a seller who signed in with the wrong account,
    or an agency that gave one client's store to another, would otherwise push one shop's
    catalog to the other."""
    old_id = store.meta(SELLER_ID_KEY)
    new_id = answer.get("seller_id") or answer.get("user_id")
    if old_id and new_id and str(new_id) != old_id:
        raise ConfigError("ae_other_seller", path=str(store.path), old=store.meta(SELLER_NICK_KEY) or old_id,
                          old_id=old_id, new=answer.get("user_nick") or answer.get("account") or new_id,
                          new_id=new_id)


def keep_authorization(store: Store, answer: Mapping[str, Any], now: float, target_key: str) -> Connected:
    """Keep what /auth/token/create answered and make AliExpress the store's target."""
    access_expires, refresh_expires = token_expiry(_Expiry(answer), now)
    seller_id = answer.get("seller_id") or answer.get("user_id")
    store.set_metas({
        ACCESS_TOKEN_KEY: answer["access_token"], REFRESH_TOKEN_KEY: answer.get("refresh_token"),
        ACCESS_EXPIRES_KEY: _seconds(access_expires), REFRESH_EXPIRES_KEY: _seconds(refresh_expires),
        TOKEN_ORIGIN_KEY: None, SELLER_ID_KEY: seller_id, USER_ID_KEY: answer.get("user_id"),
        SELLER_NICK_KEY: answer.get("user_nick") or answer.get("account"),
        AUTHORIZED_AT_KEY: datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"), target_key: "aliexpress"})
    return Connected(str(store.path), seller_id, answer.get("user_nick") or answer.get("account"),
                     access_expires, refresh_expires)


@dataclass(frozen=True)
class Connected:
    """Who a store is now connected to, and until when (epoch seconds)."""

    store: str
    seller_id: str | None
    seller: str | None
    access_expires: float | None
    refresh_expires: float | None
    created: bool = False  # the store was made by this authorization
    environment_token: bool = False  # SHEETSYNC_AE_ACCESS_TOKEN is set and overrides the store's tokens


class _Expiry:
    """A token answer's expiry fields, as `token_expiry` reads them."""

    def __init__(self, answer: Mapping[str, Any]) -> None:
        self.expire_time = answer.get("expire_time")
        self.expires_in = answer.get("expires_in")
        self.refresh_token_valid_time = answer.get("refresh_token_valid_time")
        self.refresh_expires_in = answer.get("refresh_expires_in")


def _seconds(value: float | None) -> str | None:
    return None if value is None else str(int(value))


# -- what `status` shows ---------------------------------------------------------------------------
def local_time(epoch: float | None) -> str | None:
    """A moment as the seller's local time with its offset, e.g. 2026-11-28 10:00+08:00."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).astimezone().isoformat(sep=" ", timespec="minutes")


def describe(store: Store, env: Mapping[str, str], now: float | None = None) -> dict[str, Any]:
    """The connection as the seller may see it: seller, where the tokens come from, until when
    they are valid. Never a token."""
    now = time.time() if now is None else now
    stored = stored_tokens(store)
    from_env = env.get(ENV_ACCESS) or ""
    if from_env and stored.origin != fingerprint(from_env):
        source = "environment"
        access = {"source": source, "valid": None, "expires": None}
        refresh = {"source": source if env.get(ENV_REFRESH) else None, "valid": None, "expires": None}
    else:
        source = "store" if stored.access else None
        access = _validity(source, stored.access, stored.access_expires, now)
        refresh = _validity(source if stored.refresh else None, stored.refresh, stored.refresh_expires, now)
    return {"seller_id": store.meta(SELLER_ID_KEY), "seller": store.meta(SELLER_NICK_KEY),
            "authorized_at": store.meta(AUTHORIZED_AT_KEY), "app_key_set": bool(env.get("SHEETSYNC_AE_APP_KEY")),
            "access_token": access, "refresh_token": refresh}


def _validity(source: str | None, token: str | None, expires: float | None, now: float) -> dict[str, Any]:
    if not token:
        return {"source": None, "valid": False, "expires": None}
    return {"source": source, "valid": None if expires is None else now < expires, "expires": local_time(expires)}


# -- the code flow -----------------------------------------------------------------------------------
def new_state() -> str:
    return secrets.token_urlsafe(16)


def authorize_url(endpoint: str, app_key: str, redirect_uri: str, state: str) -> str:
    query = urlencode({"response_type": "code", "force_auth": "true", "client_id": app_key,
                       "redirect_uri": redirect_uri, "state": state})
    return f"{endpoint}/oauth/authorize?{query}"


def redirect_uri(env: Mapping[str, str]) -> str:
    """The app's registered callback (SHEETSYNC_AE_REDIRECT_URI), checked to be an http(s) address."""
    value = (env.get(ENV_REDIRECT) or "").strip()
    if not value:
        raise ConfigError("ae_redirect_missing")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("ae_redirect_invalid", uri=value[:200])
    return value


def code_from_answer(text: str, state: str | None) -> str:
    """The authorization code from what the seller pasted: the whole address the browser was sent
    to (its `state` must be ours), its query alone, or the bare code."""
    text = text.strip()
    if "=" in text:
        query = urlsplit(text).query if "?" in text else text.lstrip("?")
        return code_from_query(parse_qs(query), state)
    if not _CODE.fullmatch(text):
        raise ConfigError("ae_auth_no_code")
    return text


def code_from_query(params: Mapping[str, list[str]], state: str | None) -> str:
    """The code of a redirect's query, after checking `state`; the platform's refusal if it says one."""
    if params.get("error"):
        detail = (params.get("error_description") or params["error"])[0][:200]
        raise ConfigError("ae_auth_denied", detail=detail)
    code = (params.get("code") or [""])[0]
    if not _CODE.fullmatch(code):
        raise ConfigError("ae_auth_no_code")
    if state is not None and (params.get("state") or [""])[0] != state:
        raise ConfigError("ae_auth_state")
    return code


def loopback_address(uri: str) -> tuple[str, int, str] | None:
    """(bind address, port, path) where an http:// loopback redirect URI can be received; None
    for any other address (the seller pastes the redirected address instead)."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.scheme != "http" or not host or not _loopback(host):
        return None
    try:
        port = parts.port or 80
    except ValueError:
        return None
    return ("::1" if ":" in host else "127.0.0.1"), port, parts.path or "/"


class CallbackReceiver:
    """A one-shot web server on the loopback address of the redirect URI, bound before the seller
    opens the authorize URL, that takes the platform's redirect, checks `state`, shows the seller a
    plain page and hands over the code. Other paths (a browser's favicon) get 404."""

    def __init__(self, address: tuple[str, int, str], state: str, lang: str = "en") -> None:
        host, port, self.path = address
        self.state, self.lang = state, lang
        self.outcome: str | ConfigError | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # a client that connects and says nothing cannot hold the flow

            def log_message(self, *args: Any) -> None:  # nothing on the seller's terminal
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != receiver.path:
                    return self._page(404, "Not found")
                try:
                    receiver.outcome = code_from_query(parse_qs(parts.query), receiver.state)
                    self._page(200, message("ae_auth_page_done", receiver.lang))
                except ConfigError as refused:
                    receiver.outcome = refused
                    self._page(400, refused.message(receiver.lang))

            def _page(self, status: int, text: str) -> None:
                body = (f"<!doctype html><meta charset='utf-8'><title>sheetsync</title>"
                        f"<p style='font:16px sans-serif;margin:3em'>{_html(text)}</p>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        server_class = _IPv6Server if host == "::1" else http.server.HTTPServer
        try:
            self.server = server_class((host, port), Handler)
        except OSError as exc:
            raise ConfigError("ae_auth_port", port=port, detail=exc.strerror or str(exc)) from None

    def wait(self, seconds: float) -> str:
        """The code, once the redirect arrived; a ConfigError when it was refused or none came in time."""
        deadline = time.monotonic() + seconds
        try:
            while self.outcome is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConfigError("ae_auth_timeout", minutes=f"{seconds / 60:g}")
                self.server.timeout = min(remaining, 1.0)
                self.server.handle_request()
        finally:
            self.close()
        if isinstance(self.outcome, ConfigError):
            raise self.outcome
        return self.outcome

    def close(self) -> None:
        self.server.server_close()


class _IPv6Server(http.server.HTTPServer):
    address_family = socket.AF_INET6


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
