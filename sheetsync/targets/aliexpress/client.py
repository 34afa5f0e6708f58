"""AliExpress Open Platform client: signed calls, answers parsed by schema, bounded retries, one
shared pace for every thread.

Protocol (shared/design/ALIEXPRESS.md): {endpoint}/sync with system parameters (app_key, method,
timestamp in ms, sign_method=sha256, session, format=json, simplify=false) and business
parameters (objects as JSON strings), signed with HMAC-SHA256 over the sorted key+value pairs,
upper-case hex. The verb is the one the official SDK declares: GET (everything in the query
string) for info.query and products.list, POST (a form body) for the others. Token refresh goes
to {endpoint}/rest/auth/token/refresh and the authorization code's exchange to
{endpoint}/rest/auth/token/create, whose signatures are prefixed with the API path.

Tokens: an access token known to expire (`Credentials.access_expires`) is refreshed shortly
before it does, once for every thread, not only after the gateway refused it. When it cannot be
refreshed (no refresh token, or the refresh token expired or was refused), the call stops with
`AuthorizationExpired`, whose sentence names the command that connects the store again.

Answers: every answer is parsed by its model in `answers` before anything reads it; an answer
of the wrong shape is a `PlatformError` (rule platform_bad_answer) naming the method and the
field, never a KeyError and never "0 products".

What ends how:
- A write refused by the platform, as `result.success=false` or as an `error_response` whose
  sub_code starts with `isv.`, is a rejection of that product: `BusinessResult(False, ...)`, never
  retried (sending the same values again gets the same answer).
- Signature, app key and token errors (after one refresh), and the daily quota, stop the run.
- Failures (connection errors, timeouts, 5xx, `isp.` errors) are retried for reads, with backoff.
  A write that fails so is never resent blindly: `AmbiguousWrite`, and the caller re-reads the
  product to see whether it was applied.
- `ApiCallLimit` (the call was not executed): every thread of the client waits out the stated
  ban, then the call is sent again.

The transport (`transport`) never follows a redirect, bounds each exchange by a deadline and the
answer's size. Credentials never appear in messages, logs or reports: every answer's text is
decoded with the secrets it must not show replaced by *** (`answers.decode`), should the gateway
quote the request in an error message.

Threads: one Client may be called from several threads at once. They share one rate limit
(`rate_limit` calls a second, never more in any one-second window), one ban, one token refresh
and the `calls` count.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ...errors import ConfigError, QuotaExceeded, TargetUnavailable

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .answers import GatewayError, Outcome
    from .transport import Fault

M = TypeVar("M", bound="BaseModel")

DEFAULT_ENDPOINT = "https://api-sg.aliexpress.com"
DEFAULT_DEADLINE = 60.0                 # seconds of network time one call may take, all its attempts together
DEFAULT_MAX_ANSWER_BYTES = 8 * 2**20    # a page of 50 products or a product of 200 SKUs is well under 1 MB
GET_METHODS = frozenset({"aliexpress.pop.choice.info.query", "aliexpress.pop.choice.products.list",
                         "aliexpress.ascp.po.printSelfDeliveryMarkPdf"})
INFO = "aliexpress.pop.choice.info.query"
PRODUCTS_LIST = "aliexpress.pop.choice.products.list"
PRODUCT_QUERY = "aliexpress.pop.choice.product.query"
PRODUCT_EDIT = "aliexpress.pop.choice.product.edit"
STOCKS_UPDATE = "aliexpress.pop.choice.product.stocks.update"
TOKEN_REFRESH = "/auth/token/refresh"
TOKEN_CREATE = "/auth/token/create"
REFRESH_AHEAD = 300.0   # seconds before the access token expires that it is refreshed
_BAN = re.compile(r"last\s+(\d{1,9})\s+second", re.IGNORECASE)
PACE_MARGIN = 0.05      # seconds added to every one-second window: calls spaced exactly at the limit by the
#                         client may arrive closer together at the gateway (network and scheduling jitter)
QUOTA_BAN_SECONDS = 60  # a ban longer than this is the daily quota: stop, do not wait
MAX_THROTTLED = 8       # ApiCallLimit answers one call waits out before giving up
TOKEN_ERRORS = {"IllegalAccessToken", "InvalidSession", "SessionExpired", "27"}
# Signature and app key errors stop the run whatever their sub code. Parameter errors do not: on a
# write with an isv. sub code they reject that product (ALIEXPRESS.md, "How a write is refused").
FATAL_ERRORS = {"IncompleteSignature", "InvalidSignature", "InvalidAppKey", "AppKeyNotExist"}


def sign(secret: str, params: Mapping[str, Any], api_path: str | None = None) -> str:
    """HMAC-SHA256 over the sorted key+value pairs (empty values skipped), upper-case hex. API
    names with a slash (the /rest system calls) prefix their path."""
    text = "".join(f"{key}{params[key]}" for key in sorted(params) if params[key] not in (None, "") and key != "sign")
    if api_path and "/" in api_path:
        text = api_path + text
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


class PlatformError(TargetUnavailable):
    """The platform cannot be used for this run: it refused the call (signature, token), cannot be
    reached, or answered something unusable. `rule` picks the sentence; `code` and `text` are the
    platform's code and the detail."""

    def __init__(self, code: str, message: str, *, rule: str = "platform_refused", **params: object) -> None:
        super().__init__(rule, code=code, detail=message, **params)
        self.text = message


class AuthorizationExpired(PlatformError):
    """The seller's authorization cannot be used any more (the access token expired and cannot
    be refreshed): only a new authorization helps. `command` is what to run, with the store."""

    def __init__(self, code: str, message: str, command: str) -> None:
        super().__init__(code, message, rule="ae_auth_expired", command=command)


class AmbiguousWrite(PlatformError):
    """A write whose outcome is unknown (timeout, dropped connection, 5xx, an unreadable answer):
    re-read the product before deciding."""


@dataclass
class BusinessResult:
    success: bool
    code: str | None = None
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


# -- credentials and the endpoint -------------------------------------------------------------------
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def checked_endpoint(value: str) -> str:
    """The gateway's address as `scheme://host[:port]`, or a ConfigError saying what is wrong with
    it. https is required except for a gateway on this computer (tests use http://127.0.0.1)."""
    shown = re.sub(r"//[^/@]*@", "//***@", value)[:120]
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="spaces")
    if "://" not in value:
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="no_scheme")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="host") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="scheme")
    if "@" in parts.netloc:
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="userinfo")
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="path")
    host = parts.hostname or ""
    if not _valid_host(host) or port == 0:
        raise ConfigError("ae_endpoint_invalid", endpoint=shown, problem="host")
    if scheme == "http" and not _loopback(host):
        raise ConfigError("ae_endpoint_insecure", endpoint=shown)
    return f"{scheme}://{parts.netloc}"


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return 0 < len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Credentials:
    app_key: str
    app_secret: str
    access_token: str
    refresh_token: str | None = None
    endpoint: str = DEFAULT_ENDPOINT
    access_expires: float | None = None   # epoch seconds; None: unknown (tokens from the environment)
    refresh_expires: float | None = None

    def __post_init__(self) -> None:
        self.endpoint = checked_endpoint(self.endpoint)

    def __repr__(self) -> str:  # never print secrets
        return f"Credentials(app_key={self.app_key!r}, endpoint={self.endpoint!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials | None:
        """None when the app key, secret or token is missing; a ConfigError for a malformed
        SHEETSYNC_AE_ENDPOINT."""
        needed = ("SHEETSYNC_AE_APP_KEY", "SHEETSYNC_AE_APP_SECRET", "SHEETSYNC_AE_ACCESS_TOKEN")
        if not all(env.get(k) for k in needed):
            return None
        return cls(env["SHEETSYNC_AE_APP_KEY"], env["SHEETSYNC_AE_APP_SECRET"], env["SHEETSYNC_AE_ACCESS_TOKEN"],
                   env.get("SHEETSYNC_AE_REFRESH_TOKEN") or None, env.get("SHEETSYNC_AE_ENDPOINT") or DEFAULT_ENDPOINT)

    @classmethod
    def app_from_env(cls, env: Mapping[str, str]) -> Credentials | None:
        """The app's credentials alone (no seller token yet: `sheetsync auth`, or tokens kept in
        the store); None when the app key or secret is missing."""
        if not (env.get("SHEETSYNC_AE_APP_KEY") and env.get("SHEETSYNC_AE_APP_SECRET")):
            return None
        return cls(env["SHEETSYNC_AE_APP_KEY"], env["SHEETSYNC_AE_APP_SECRET"], "",
                   endpoint=env.get("SHEETSYNC_AE_ENDPOINT") or DEFAULT_ENDPOINT)


# -- pace ----------------------------------------------------------------------------------------------
class RateLimiter:
    """One pace for every thread of a client: calls are granted slots at least 1/per_second apart
    and never more than per_second in any one-second window (so a fractional limit such as 2.5
    allows 2 calls in some seconds); while the gateway's ban lasts (ApiCallLimit) no slot is
    granted. The clock and sleep are injectable, so tests never wait."""

    def __init__(self, per_second: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 margin: float = 0.0) -> None:
        self.margin = margin
        self.per_second = per_second
        self.interval = 1.0 / per_second * (1 + 1e-9) if per_second > 0 else 0.0
        self.window = max(1, int(per_second)) if per_second > 0 else 0
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._granted: deque[float] = deque(maxlen=self.window or 1)
        self._ban = (float("-inf"), float("-inf"))  # [from, until)

    def wait(self) -> float:
        """Block until this thread may send; returns the clock time of its slot."""
        while True:
            with self._lock:
                now = self.clock()
                slot = max(now, self._next, self._ban[1] if self._ban[0] <= now else now)
                if self.window and len(self._granted) == self.window:
                    slot = max(slot, self._granted[0] + 1.0 + self.margin)
                self._next = slot + self.interval
                self._granted.append(slot)
            if slot > now:
                self.sleep(slot - now)
            with self._lock:
                start, until = self._ban
                if not start <= slot < until:
                    return slot
            # a ban was declared while this thread waited for its slot: queue again after it

    def ban(self, seconds: float) -> None:
        """The gateway said to stop for `seconds`: every thread waits, then the pace resumes."""
        with self._lock:
            now = self.clock()
            start, until = self._ban
            new_until = now + seconds
            self._ban = (start if start <= now < until else now, max(until, new_until))
            self._next = max(self._next, self._ban[1])


# -- the client ----------------------------------------------------------------------------------------
def _verdict(error: GatewayError, write: bool) -> str:
    """What an error_response means for this call: throttled (wait the ban, send again), token
    (refresh once), fatal (stop), rejected (a write refused for this product), failure (the
    platform failed: retry a read, re-read after a write) or error (stop, naming the method)."""
    if error.code == "ApiCallLimit":
        return "throttled"
    if error.code in TOKEN_ERRORS:
        return "token"
    if error.code in FATAL_ERRORS:
        return "fatal"
    sub_code = (error.sub_code or "").lower()
    if write and sub_code.startswith("isv."):
        return "rejected"
    if sub_code.startswith("isp.") or (error.type or "").upper() in ("ISP", "SYSTEM"):
        return "failure"
    return "error"


class _Rejected(Exception):
    """A write refused as an `error_response` with an isv. sub code: a rejection of that product."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code, self.text = code, text


class Client:
    """Signed calls, parsed answers, bounded retries; safe to share between threads."""

    def __init__(self, credentials: Credentials, *, rate_limit: float = 4.0, connect_timeout: float = 10.0,
                 read_timeout: float = 30.0, retries: int = 4, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 on_tokens: Callable[[str, str | None], None] | None = None,
                 deadline: float = DEFAULT_DEADLINE, max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
                 wall_clock: Callable[[], float] = time.time, auth_command: str = "sheetsync auth") -> None:
        from .transport import Transport  # here, not at the top: only commands that talk to the platform pay for
        # requests and pydantic (~0.3 s together)

        self.credentials = credentials
        self.transport = Transport(connect_timeout, read_timeout, max_answer_bytes)
        self.deadline = deadline
        self.retries = retries
        self.sleep = sleep
        self.clock = clock
        self.limiter = RateLimiter(rate_limit, clock, sleep, PACE_MARGIN)
        self.on_tokens = on_tokens
        self.wall_clock = wall_clock  # epoch seconds, for token expiry (the pace uses `clock`)
        self.auth_command = auth_command  # named when the authorization has expired
        self.calls = 0
        self._count_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._quota_until = float("-inf")

    def close(self) -> None:
        self.transport.close()

    # -- the methods -----------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """The supported countries and the seller's JIT warehouses."""
        from .answers import InfoResult

        return self._read(INFO, {}, InfoResult)

    def list_products(self, page: int, page_size: int = 20, modified_since: str | None = None) -> dict[str, Any]:
        """One page of the seller's semi-managed products (total_page, pop_choice_product_list)."""
        from .answers import ProductsPage

        query: dict[str, Any] = {"current_page": page, "page_size": page_size, "joined_product_tab": "joined"}
        if modified_since:
            query["gmt_modified_start"] = modified_since
        return self._read(PRODUCTS_LIST, {"param": query}, ProductsPage)

    def product(self, product_id: str) -> dict[str, Any]:
        """The product as the platform has it now (pop_choice_product)."""
        from .answers import ProductResult

        result = self._read(PRODUCT_QUERY, {"product_id": product_id, "language": "en_US"}, ProductResult)
        product = result["pop_choice_product"]
        if product["product_id"] != str(product_id):
            raise self._bad(PRODUCT_QUERY, f"asked for product {product_id}, the answer is for product "
                                           f"{product['product_id']}")
        return product

    def edit_product(self, product: dict[str, Any]) -> BusinessResult:
        return self._write(PRODUCT_EDIT, {"pop_choice_product": product}, str(product.get("product_id", "")))

    def update_stocks(self, product_id: str, stocks: list[dict[str, Any]]) -> BusinessResult:
        return self._write(STOCKS_UPDATE, {"product_id": product_id, "pop_choice_sku_stock_list": stocks},
                           str(product_id))

    # -- any method, its answer parsed by a model ------------------------------------------------------
    def read_model(self, method: str, params: Mapping[str, Any], model: type[M]) -> M:
        """A read of `method`: its `result` parsed by `model`. Retried on failures; a refusal
        (success=false) is a PlatformError naming the method, a wrong shape a PlatformError
        (platform_bad_answer) naming the method and the field."""
        from . import answers

        result = self._call(method, params, write=False)
        outcome = self._outcome(method, result, write=False)
        if outcome.refused:
            raise PlatformError(outcome.error_code or "Failed", outcome.message or "no reason given",
                                rule="platform_error", method=method)
        try:
            return answers.parse(model, result, "result")
        except answers.AnswerError as exc:
            raise self._bad(method, exc.detail) from None

    def write_model(self, method: str, params: Mapping[str, Any], model: type[M]) -> M | BusinessResult:
        """A write of `method`, sent once: its `result` parsed by `model`, or `BusinessResult(False,
        code, message)` when the platform refused it (success=false, or an isv. error_response).
        An unknown outcome (dropped, timed out, 5xx, an answer of the wrong shape) is an
        `AmbiguousWrite` naming the method: re-read before deciding, never resend."""
        from . import answers

        try:
            result = self._call(method, params, write=True)
        except _Rejected as rejected:
            return BusinessResult(False, rejected.code, rejected.text)
        outcome = self._outcome(method, result, write=True)
        if outcome.refused:
            return BusinessResult(False, outcome.error_code or "Rejected", outcome.message, result)
        try:
            return answers.parse(model, result, "result")
        except answers.AnswerError as exc:
            raise self._bad(method, exc.detail, write=True) from None

    def download(self, method: str, url: str) -> bytes:
        """The file at `url`, an address a `method` answer handed out (a label PDF): fetched
        without credentials, within the call deadline and the answer size cap, never following
        a redirect. Only https is fetched, or http on this computer when the gateway itself is
        there (the test gateway): a real gateway cannot make sheetsync call a local service. Any
        other address or status is a PlatformError (platform_bad_answer) naming the method."""
        from .transport import Fault

        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            raise self._bad(method, "the file's address is not a web address") from None
        local = self.credentials.endpoint.startswith("http://") and parts.scheme == "http" and _loopback(host)
        if not (parts.scheme == "https" and _valid_host(host)) and not local:
            raise self._bad(method, f"the file's address is not https ({parts.scheme or 'no scheme'}://{host[:60]})")
        self._wait_turn(count=False)
        try:
            reply = self.transport.exchange("GET", url, deadline=self.deadline)
        except Fault as fault:
            raise self._fault_error(method, fault, False) from None
        if reply.status != 200:
            raise self._bad(method, f"the file's address answered HTTP {reply.status}")
        return reply.body

    # -- reading answers ---------------------------------------------------------------------------
    def _read(self, method: str, params: Mapping[str, Any], model: type) -> dict[str, Any]:
        return self.read_model(method, params, model).model_dump(exclude_none=True)

    def _write(self, method: str, params: Mapping[str, Any], product_id: str) -> BusinessResult:
        """A product write: as `write_model`, and an answer about another product than the one
        sent is an unknown outcome (re-read, never trusted)."""
        from . import answers

        parsed = self.write_model(method, params, answers.WriteResult)
        if isinstance(parsed, BusinessResult):
            return parsed
        if parsed.product_id is not None and parsed.product_id != product_id:
            raise self._bad(method, f"sent product {product_id}, the answer is for product {parsed.product_id}",
                            write=True)
        return BusinessResult(True, data=parsed.model_dump(exclude_none=True))

    def _outcome(self, method: str, result: dict[str, Any], *, write: bool) -> Outcome:
        from . import answers

        try:
            return answers.parse(answers.Outcome, result, "result")
        except answers.AnswerError as exc:
            raise self._bad(method, exc.detail, write=write) from None

    @staticmethod
    def _bad(method: str, detail: str, *, write: bool = False) -> PlatformError:
        kind = AmbiguousWrite if write else PlatformError
        return kind("BadAnswer", detail, rule="platform_bad_answer", method=method)

    # -- one call, with its retries -----------------------------------------------------------------
    def _call(self, method: str, params: Mapping[str, Any], *, write: bool) -> dict[str, Any]:
        """Call a /sync method; the `result` object of its `<method>_response`, or an exception."""
        from . import answers
        from .transport import Fault

        verb = "GET" if method in GET_METHODS else "POST"
        budget = self.deadline
        failures = throttled = 0
        refreshed = False
        while True:
            self._fresh_token()
            self._wait_turn(count=True)
            token = self.credentials.access_token
            signed = self._signed(method, params, token)
            query, form = (signed, None) if verb == "GET" else ({"method": method}, signed)
            started = time.monotonic()
            try:
                reply = self.transport.exchange(verb, f"{self.credentials.endpoint}/sync", query=query, form=form,
                                                deadline=budget)
            except Fault as fault:
                budget = 0.0 if fault.kind == "deadline" else budget - (time.monotonic() - started)
                if fault.kind in ("unreachable", "dropped", "timeout") and not (write and fault.sent) \
                        and failures < self.retries and budget > 0:
                    failures += 1
                    self._back_off(failures)
                    continue
                raise self._fault_error(method, fault, write) from None
            budget -= time.monotonic() - started
            if reply.status >= 500 or reply.status == 429:
                if (not write or reply.status == 429) and failures < self.retries and budget > 0:
                    failures += 1
                    self._back_off(failures)
                    continue
                kind = AmbiguousWrite if write and reply.status != 429 else PlatformError
                raise kind(f"HTTP{reply.status}", f"HTTP {reply.status} after {failures + 1} tries",
                           rule="platform_unreachable", method=method)
            try:
                payload = answers.decode(reply.body, self._secrets(token))
                error = answers.gateway_error(payload)
            except answers.AnswerError as exc:
                detail = exc.detail if reply.status < 400 else f"HTTP {reply.status}: {exc.detail}"
                raise self._bad(method, detail, write=write) from None
            if error is None:
                if reply.status >= 400:
                    raise self._bad(method, f"HTTP {reply.status} without an error_response", write=write)
                try:
                    return answers.unwrap(method, payload)
                except answers.AnswerError as exc:
                    raise self._bad(method, exc.detail, write=write) from None
            verdict = _verdict(error, write)
            if verdict == "throttled" and throttled < MAX_THROTTLED:
                throttled += 1
                self._throttled(error.text)
                continue
            if verdict == "token" and not refreshed and self.credentials.refresh_token:
                self._refresh_once(token)
                refreshed = True
                continue
            if verdict == "token" and not self._can_refresh():
                raise AuthorizationExpired(error.code, error.text or error.code, self.auth_command)
            if verdict in ("token", "fatal"):
                raise PlatformError(error.code, error.text or error.code)
            if verdict == "rejected":
                raise _Rejected(error.sub_code or error.code, error.sub_msg or error.msg or "")
            if verdict == "failure" and not write and failures < self.retries and budget > 0:
                failures += 1
                self._back_off(failures)
                continue
            kind = AmbiguousWrite if write and verdict == "failure" else PlatformError
            raise kind(error.code, error.text or error.code, rule="platform_error", method=method)

    def _fault_error(self, method: str, fault: Fault, write: bool) -> PlatformError:
        if fault.kind == "redirect":
            return PlatformError("Redirect", fault.detail, rule="platform_redirect", method=method,
                                 endpoint=self.credentials.endpoint, location=fault.location or "another address")
        if fault.kind in ("too_large", "encoding"):
            return self._bad(method, fault.detail, write=write)
        kind = AmbiguousWrite if write and fault.sent else PlatformError
        return kind("Unreachable" if fault.kind != "deadline" else "Deadline", fault.detail,
                    rule="platform_unreachable", method=method)

    def _wait_turn(self, *, count: bool) -> None:
        """The shared pace; a used-up quota stops every thread without another call."""
        now = self.clock()
        if now < self._quota_until:
            raise QuotaExceeded(max(1, int(self._quota_until - now)))
        self.limiter.wait()
        if count:
            with self._count_lock:
                self.calls += 1

    def _throttled(self, text: str) -> None:
        found = _BAN.search(text)
        seconds = int(found.group(1)) if found else 1
        if seconds > QUOTA_BAN_SECONDS:
            self._quota_until = self.clock() + seconds
            raise QuotaExceeded(seconds)
        self.limiter.ban(seconds)  # holds every other thread at its next turn
        self.sleep(seconds)

    def _back_off(self, failures: int) -> None:
        self.sleep(min(2 ** (failures - 1), 30) * 0.5)

    def _signed(self, method: str, params: Mapping[str, Any], token: str) -> dict[str, str]:
        body = {"app_key": self.credentials.app_key, "method": method,
                "timestamp": str(int(time.time() * 1000)), "sign_method": "sha256",
                "session": token, "format": "json", "simplify": "false"}
        for key, value in params.items():
            if value is None:
                continue
            body[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False) \
                if isinstance(value, dict | list) else str(value)
        body["sign"] = sign(self.credentials.app_secret, body)
        return body

    def _secrets(self, token_sent: str) -> tuple[str, ...]:
        """What a /sync answer must never show, should the gateway quote the request."""
        held = self.credentials
        return held.app_secret, token_sent, held.access_token, held.refresh_token or ""

    # -- tokens --------------------------------------------------------------------------------------
    def _can_refresh(self) -> bool:
        expires = self.credentials.refresh_expires
        return bool(self.credentials.refresh_token) and (expires is None or self.wall_clock() < expires)

    def _fresh_token(self) -> None:
        """Refresh an access token about to expire before it is used; stop with the command that
        connects the store again when it has expired and cannot be refreshed."""
        expires = self.credentials.access_expires
        if expires is None or self.wall_clock() < expires - REFRESH_AHEAD:
            return
        if self._can_refresh():
            self._refresh_once(self.credentials.access_token)
        elif self.wall_clock() >= expires:
            raise AuthorizationExpired("AccessTokenExpired", "the access token has expired and the refresh token "
                                       "cannot renew it", self.auth_command)

    def _refresh_once(self, token_used: str) -> None:
        """Refresh unless another thread already did since `token_used` was refused."""
        with self._refresh_lock:
            if self.credentials.access_token == token_used:
                self.refresh()

    def refresh(self) -> None:
        """Exchange the refresh token for new tokens, and hand them to on_tokens."""
        from . import answers

        tokens = self._system_call(TOKEN_REFRESH, {"refresh_token": self.credentials.refresh_token or ""},
                                   answers.TokenAnswer)
        self.credentials.access_token = tokens.access_token
        self.credentials.refresh_token = tokens.refresh_token or self.credentials.refresh_token
        self.credentials.access_expires, refresh_expires = token_expiry(tokens, self.wall_clock())
        self.credentials.refresh_expires = refresh_expires or self.credentials.refresh_expires
        if self.on_tokens:
            self.on_tokens(self.credentials.access_token, self.credentials.refresh_token)

    def create_token(self, code: str) -> dict[str, Any]:
        """Exchange an authorization code (OAuth code flow) for the seller's tokens: the answer
        of /auth/token/create as a dict (tokens, expiries, seller id and nick)."""
        from . import answers

        return self._system_call(TOKEN_CREATE, {"code": code}, answers.AuthAnswer).model_dump(exclude_none=True)

    def _system_call(self, path: str, params: Mapping[str, str], model: type) -> Any:
        """One signed call to a /rest system API (tokens): its top-level answer parsed by `model`,
        never echoing a value of it in an error (they are tokens)."""
        from . import answers
        from .transport import Fault

        body = {"app_key": self.credentials.app_key, **params,
                "timestamp": str(int(time.time() * 1000)), "sign_method": "sha256"}
        body["sign"] = sign(self.credentials.app_secret, body, path)
        self._wait_turn(count=False)
        try:
            reply = self.transport.exchange("POST", f"{self.credentials.endpoint}/rest{path}", form=body,
                                            deadline=self.deadline)
        except Fault as fault:
            raise self._fault_error(path, fault, False) from None
        try:
            payload = answers.decode(reply.body, (self.credentials.app_secret,))  # its tokens are the answer
            error = answers.gateway_error(payload)
            refused = isinstance(payload, dict) and payload.get("code") not in (None, "", "0", 0)
            if error is None and not refused:
                return answers.parse(model, payload, "token answer", echo=False)
        except answers.AnswerError as exc:
            raise self._bad(path, exc.detail) from None
        code = error.code if error is not None else _shown_code(payload.get("code"))
        if path == TOKEN_CREATE:
            text = error.text if error is not None else str(payload.get("message") or "")
            for value in params.values():  # never echo the code sent, should the platform quote it
                text = text.replace(value, "***") if value else text
            text = text[:200]
            raise PlatformError(code, text or code, rule="ae_auth_refused", command=self.auth_command)
        if error is not None and _verdict(error, False) in ("fatal", "throttled", "failure"):
            # the app's credentials or the platform, not the seller's authorization
            raise PlatformError("RefreshFailed", f"the access token expired and the refresh token was refused "
                                f"({code})")
        raise AuthorizationExpired("RefreshFailed", f"the access token expired and the refresh token was refused "
                                   f"({code})", self.auth_command)


def token_expiry(tokens: Any, now: float) -> tuple[float | None, float | None]:
    """When the access and the refresh token expire (epoch seconds), from a token answer's
    absolute times (epoch ms) or, failing those, its lifetimes (seconds from now)."""
    def when(at_ms: int | None, lifetime: int | None) -> float | None:
        if at_ms:
            return at_ms / 1000
        return now + lifetime if lifetime else None

    return (when(tokens.expire_time, tokens.expires_in),
            when(tokens.refresh_token_valid_time, tokens.refresh_expires_in))


def _shown_code(value: Any) -> str:
    text = str(value)[:40]
    return text if text.isprintable() else "?"
