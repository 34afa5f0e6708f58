"""AliExpress Open Platform transport: signed calls, unwrapped responses, bounded retries.

Protocol (shared/design/ALIEXPRESS.md): POST {endpoint}/sync with system parameters (app_key,
method, timestamp in ms, sign_method=sha256, session, format=json, simplify=false) and business
parameters (objects as JSON strings) in one form body, signed with HMAC-SHA256 over the sorted
key+value pairs, upper-case hex. Token refresh goes to {endpoint}/rest/auth/token/refresh, whose
signature is prefixed with the API path.

Retries: ApiCallLimit (the call was not executed) after the ban it states; connection errors and
5xx only for reads. A write that fails ambiguously (timeout, dropped connection) is never resent
blindly: the caller re-reads the product and lets the change rule decide. Credentials never
appear in messages, logs or reports.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import QuotaExceeded, TargetUnavailable

DEFAULT_ENDPOINT = "https://api-sg.aliexpress.com"
_BAN = re.compile(r"last\s+(\d+)\s+second", re.IGNORECASE)
QUOTA_BAN_SECONDS = 60  # a ban longer than this is the daily quota: stop, do not wait
TOKEN_ERRORS = {"IllegalAccessToken", "InvalidSession", "SessionExpired", "27"}
FATAL_ERRORS = {"IncompleteSignature", "InvalidAppKey", "MissingParameter", "InvalidParameter", "InvalidSignature"}


def sign(secret: str, params: Mapping[str, Any], api_path: str | None = None) -> str:
    """HMAC-SHA256 over the sorted key+value pairs (empty values skipped), upper-case hex. API
    names with a slash (the /rest system calls) prefix their path."""
    text = "".join(f"{key}{params[key]}" for key in sorted(params) if params[key] not in (None, "") and key != "sign")
    if api_path and "/" in api_path:
        text = api_path + text
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


class PlatformError(TargetUnavailable):
    """The gateway refused a call (signature, token, parameters) or the platform cannot be reached."""

    def __init__(self, code: str, message: str, retryable: bool = False) -> None:
        super().__init__(code=code, detail=message)
        self.text = message


class AmbiguousWrite(PlatformError):
    """A write whose outcome is unknown (timeout, dropped connection): re-read before deciding."""


@dataclass
class BusinessResult:
    success: bool
    code: str | None = None
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Credentials:
    app_key: str
    app_secret: str
    access_token: str
    refresh_token: str | None = None
    endpoint: str = DEFAULT_ENDPOINT

    def __repr__(self) -> str:  # never print secrets
        return f"Credentials(app_key={self.app_key!r}, endpoint={self.endpoint!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials | None:
        needed = ("SHEETSYNC_AE_APP_KEY", "SHEETSYNC_AE_APP_SECRET", "SHEETSYNC_AE_ACCESS_TOKEN")
        if not all(env.get(k) for k in needed):
            return None
        return cls(env["SHEETSYNC_AE_APP_KEY"], env["SHEETSYNC_AE_APP_SECRET"], env["SHEETSYNC_AE_ACCESS_TOKEN"],
                   env.get("SHEETSYNC_AE_REFRESH_TOKEN") or None,
                   (env.get("SHEETSYNC_AE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"))


class RateLimiter:
    """At most `per_second` calls a second, with an injectable clock and sleep."""

    def __init__(self, per_second: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class Client:
    """One requests.Session, signed calls, unwrapped responses, bounded retries."""

    def __init__(self, credentials: Credentials, *, rate_limit: float = 4.0, connect_timeout: float = 10.0,
                 read_timeout: float = 30.0, retries: int = 4, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 on_tokens: Callable[[str, str | None], None] | None = None) -> None:
        import requests  # here, not at the top: only commands that talk to the platform pay for it (~35 ms)

        self.credentials = credentials
        self.session = requests.Session()
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.sleep = sleep
        self.limiter = RateLimiter(rate_limit, clock, sleep)
        self.on_tokens = on_tokens
        self.calls = 0

    # -- transport -----------------------------------------------------------------------------
    def call(self, method: str, params: Mapping[str, Any] | None = None, *, write: bool = False) -> dict[str, Any]:
        """Call a /sync method and return the inside of its `<method>_response` wrapper."""
        import requests

        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            body = self._signed(method, params or {})
            self.limiter.wait()
            self.calls += 1
            try:
                response = self.session.post(f"{self.credentials.endpoint}/sync", params={"method": method},
                                             data=body, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = "the connection dropped" if isinstance(exc, requests.ConnectionError) else "no answer in time"
                if write:
                    raise AmbiguousWrite("Ambiguous", f"{method}: {kind}; the product will be re-read") from None
                if attempt <= self.retries:
                    self.sleep(min(2 ** (attempt - 1), 30) * 0.5)
                    continue
                raise PlatformError("Unreachable", f"{method}: {kind} after {attempt} tries") from None
            if response.status_code >= 500:
                if write:
                    raise AmbiguousWrite("Ambiguous", f"{method}: HTTP {response.status_code}; the product will be "
                                         "re-read")
                if attempt <= self.retries:
                    self.sleep(min(2 ** (attempt - 1), 30) * 0.5)
                    continue
                raise PlatformError(f"HTTP{response.status_code}", f"{method}: the platform keeps failing")
            try:
                payload = response.json()
            except ValueError:
                raise PlatformError("BadResponse", f"{method}: HTTP {response.status_code}, not JSON") from None
            error = payload.get("error_response")
            if error:
                code = str(error.get("code", ""))
                text = str(error.get("msg") or error.get("sub_msg") or "")
                if code == "ApiCallLimit":
                    seconds = int(_BAN.search(text).group(1)) if _BAN.search(text) else 1
                    if seconds > QUOTA_BAN_SECONDS:
                        raise QuotaExceeded(seconds)
                    if attempt <= self.retries + 4:
                        self.sleep(seconds)
                        continue
                if code in TOKEN_ERRORS and not refreshed and self.credentials.refresh_token:
                    self.refresh()
                    refreshed = True
                    continue
                raise PlatformError(code, f"{text} {error.get('sub_code') or ''} {error.get('sub_msg') or ''}".strip())
            wrapper = method.replace(".", "_") + "_response"
            return payload.get(wrapper, payload)

    def _signed(self, method: str, params: Mapping[str, Any]) -> dict[str, str]:
        body = {"app_key": self.credentials.app_key, "method": method,
                "timestamp": str(int(time.time() * 1000)), "sign_method": "sha256",
                "session": self.credentials.access_token, "format": "json", "simplify": "false"}
        for key, value in params.items():
            if value is None:
                continue
            body[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False) \
                if isinstance(value, dict | list) else str(value)
        body["sign"] = sign(self.credentials.app_secret, body)
        return body

    def refresh(self) -> None:
        """Exchange the refresh token for new tokens (once per call), and hand them to on_tokens."""
        import requests

        api = "/auth/token/refresh"
        body = {"app_key": self.credentials.app_key, "refresh_token": self.credentials.refresh_token or "",
                "timestamp": str(int(time.time() * 1000)), "sign_method": "sha256"}
        body["sign"] = sign(self.credentials.app_secret, body, api)
        self.limiter.wait()
        try:
            response = self.session.post(f"{self.credentials.endpoint}/rest{api}", data=body, timeout=self.timeout)
            payload = response.json()
        except (requests.RequestException, ValueError):
            raise PlatformError("RefreshFailed", "the access token expired and could not be refreshed") from None
        token = payload.get("access_token")
        if not token:
            raise PlatformError("RefreshFailed", "the access token expired and the refresh token was refused")
        self.credentials.access_token = token
        self.credentials.refresh_token = payload.get("refresh_token") or self.credentials.refresh_token
        if self.on_tokens:
            self.on_tokens(self.credentials.access_token, self.credentials.refresh_token)

    # -- methods ---------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return self.call("aliexpress.pop.choice.info.query").get("result", {})

    def list_products(self, page: int, page_size: int = 20, modified_since: str | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {"current_page": page, "page_size": page_size, "joined_product_tab": "joined"}
        if modified_since:
            query["gmt_modified_start"] = modified_since
        return self.call("aliexpress.pop.choice.products.list", {"param": query}).get("result", {})

    def product(self, product_id: str) -> dict[str, Any]:
        result = self.call("aliexpress.pop.choice.product.query", {"product_id": product_id, "language": "en_US"})
        data = result.get("result", {})
        if data.get("success") is False:
            raise PlatformError(str(data.get("error_code")), str(data.get("error_message")))
        return data.get("pop_choice_product", data)

    def edit_product(self, product: dict[str, Any]) -> BusinessResult:
        return _business(self.call("aliexpress.pop.choice.product.edit", {"pop_choice_product": product},
                                   write=True))

    def update_stocks(self, product_id: str, stocks: list[dict[str, Any]]) -> BusinessResult:
        return _business(self.call("aliexpress.pop.choice.product.stocks.update",
                                   {"product_id": product_id, "pop_choice_sku_stock_list": stocks}, write=True))


def _business(response: dict[str, Any]) -> BusinessResult:
    result = response.get("result", {})
    if result.get("success") in (True, "true"):
        return BusinessResult(True, data=result)
    return BusinessResult(False, str(result.get("error_code") or "Rejected"), str(result.get("error_message") or ""),
                          result)
