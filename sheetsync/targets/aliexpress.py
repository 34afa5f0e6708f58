"""AliExpress Open Platform: a client for the semi-managed (POP Choice) methods, the mapping
between sheetsync's rows and the platform's products, and the push target.

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
from decimal import Decimal
from typing import Any

from ..errors import QuotaExceeded, TargetUnavailable

DEFAULT_ENDPOINT = "https://api-sg.aliexpress.com"
BATTERY, MAGNETIC = "274526", "274452"
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


# -- mapping between the platform's products and sheetsync's rows -------------------------------
def _money(text: Any) -> int:
    return int((Decimal(str(text)) * 100).to_integral_value())


def _grams(text: Any) -> int:
    return int((Decimal(str(text)) * 1000).to_integral_value())


def logistics_from(types: list[Any] | None) -> str:
    codes = {str(t) for t in types or []}
    if BATTERY in codes and MAGNETIC in codes:
        return "built_in_battery+weak_magnetic"
    if BATTERY in codes:
        return "built_in_battery"
    if MAGNETIC in codes:
        return "weak_magnetic"
    return "general"


def logistics_to(attribute: str) -> list[str]:
    return {"general": [], "built_in_battery": [BATTERY], "weak_magnetic": [MAGNETIC],
            "built_in_battery+weak_magnetic": [BATTERY, MAGNETIC]}[attribute]


def variant_text(properties: list[dict[str, Any]] | None) -> str:
    parts = []
    for p in properties or []:
        name = p.get("sku_property_name") or p.get("property_name") or ""
        value = p.get("sku_property_value") or p.get("property_value_definition_name") or p.get("property_value") or ""
        parts.append(f"{name}: {value}" if name else str(value))
    return " / ".join(parts)


def product_rows(product: dict[str, Any], title: str, countries: list[str], warehouse_of: Mapping[str, str]
                 ) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[str, str, int, int]]]:
    """A product.query result → (product row, SKU rows with canonical values and per-country stock,
    platform prices [(sku_id, country, freight_cents, buyer_price_cents)])."""
    joined = set(product.get("joined_country_list") or [])
    product_id = str(product["product_id"])
    skus, prices = [], []
    for sku in product.get("product_sku_list") or []:
        info = sku.get("pop_choice_product_sku_sc_item_info") or {}
        by_warehouse = {w["warehouse_code"]: int(w.get("sellable_quantity") or 0)
                        for w in sku.get("pop_choice_sku_warehouse_stock_list") or []}
        stock = {c: (by_warehouse.get(warehouse_of.get(c, ""), 0) if c in joined else 0) for c in countries}
        sku_id = str(sku["sku_id"])
        skus.append({
            "product_id": product_id, "sku_id": sku_id, "sku_code": sku.get("sku_code") or "",
            "variant": variant_text(sku.get("sku_property_list")), "barcode": info.get("sc_item_bar_code") or "",
            "seller_price": _money(sku.get("base_price") or 0), "weight_kg": _grams(sku.get("package_weight") or 0),
            "length_cm": int(Decimal(str(sku.get("package_length") or 0))),
            "width_cm": int(Decimal(str(sku.get("package_width") or 0))),
            "height_cm": int(Decimal(str(sku.get("package_height") or 0))),
            "logistics_attribute": logistics_from(info.get("special_product_type_list")), "stock": stock,
        })
        freight = {f["nation_code"]: _money(f["price"]) for f in sku.get("freight_fee_list") or []}
        buyer = {f["nation_code"]: _money(f["price"]) for f in sku.get("choice_sku_price_list") or []}
        for country in sorted(set(freight) | set(buyer)):
            prices.append((sku_id, country, freight.get(country), buyer.get(country)))
    row = {"product_id": product_id, "title": title, "currency": product.get("currency_code") or "USD"}
    return row, skus, prices


def shared_warehouse_problems(stock: Mapping[str, Mapping[str, int]], warehouse_of: Mapping[str, str]
                              ) -> list[tuple[str, str, str]]:
    """For one product ({sku_id: {country: qty}}): the (sku_id, country, warehouse) cells whose
    stock differs from another joined country of the same warehouse. The platform keeps one
    quantity per SKU and warehouse, and a product joins a country when any SKU has stock there."""
    joined = {c for quantities in stock.values() for c, q in quantities.items() if q > 0}
    problems = []
    for sku, quantities in stock.items():
        seen: dict[str, int] = {}
        for country in sorted(joined):
            warehouse = warehouse_of.get(country)
            if warehouse is None:
                continue
            quantity = quantities.get(country, 0)
            if warehouse in seen and seen[warehouse] != quantity:
                problems.append((sku, country, warehouse))
            seen.setdefault(warehouse, quantity)
    return problems


def desired_product(current: dict[str, Any], values: Mapping[str, Mapping[str, Any]], countries: list[str],
                    warehouse_of: Mapping[str, str]) -> dict[str, Any]:
    """The full product to send with product.edit: the platform's product as last read, with the
    wanted values ({sku_id: {field: canonical value}}) merged in. Stock becomes warehouse
    quantities and the joined country list."""
    product = json.loads(json.dumps(current))
    stock_by_sku: dict[str, dict[str, int]] = {}
    for sku in product.get("product_sku_list") or []:
        sku_id = str(sku["sku_id"])
        wanted = values.get(sku_id, {})
        info = sku.setdefault("pop_choice_product_sku_sc_item_info", {})
        for key, value in wanted.items():
            if key == "seller_price":
                sku["base_price"] = f"{Decimal(value) / 100:.2f}"
            elif key == "weight_kg":
                sku["package_weight"] = f"{Decimal(value) / 1000:.3f}"
            elif key in ("length_cm", "width_cm", "height_cm"):
                sku[f"package_{key[:-3]}"] = str(value)
            elif key == "sku_code":
                sku["sku_code"] = value
            elif key == "barcode":
                info["sc_item_bar_code"] = value
            elif key == "logistics_attribute":
                info["special_product_type_list"] = logistics_to(value)
        stock_by_sku[sku_id] = {k[6:]: v for k, v in wanted.items() if k.startswith("stock_")}
    joined = set(product.get("joined_country_list") or [])
    current_stock = {str(s["sku_id"]): {w["warehouse_code"]: int(w.get("sellable_quantity") or 0)
                                        for w in s.get("pop_choice_sku_warehouse_stock_list") or []}
                     for s in product.get("product_sku_list") or []}
    per_country = {sku: {c: (current_stock[sku].get(warehouse_of.get(c, ""), 0) if c in joined else 0)
                         for c in countries} for sku in current_stock}
    for sku, changes in stock_by_sku.items():
        per_country[sku].update(changes)
    product["joined_country_list"] = [c for c in countries if any(q.get(c, 0) > 0 for q in per_country.values())]
    for sku in product.get("product_sku_list") or []:
        sku["pop_choice_sku_warehouse_stock_list"] = warehouse_stock(per_country[str(sku["sku_id"])],
                                                                     product["joined_country_list"], warehouse_of,
                                                                     current_stock[str(sku["sku_id"])])
    return product


def warehouse_stock(per_country: Mapping[str, int], joined: list[str], warehouse_of: Mapping[str, str],
                    current: Mapping[str, int]) -> list[dict[str, Any]]:
    """A SKU's quantity per warehouse: its stock in the joined countries mapped to the warehouse
    (equal by validation); warehouses with no joined country keep their current quantity."""
    quantities = dict(current)
    for country in joined:
        warehouse = warehouse_of.get(country)
        if warehouse:
            quantities[warehouse] = int(per_country.get(country, 0))
    return [{"warehouse_code": w, "sellable_quantity": q} for w, q in sorted(quantities.items())]


# -- the push target ---------------------------------------------------------------------------------
@dataclass
class PushOutcome:
    status: str  # applied | rejected | failed
    code: str | None = None
    message: str | None = None


class AliExpressTarget:
    """Reads products as canonical rows and writes one product per call, full state each time
    (absolute quantities, the whole SKU list as last read), so a resend can never add twice."""

    name = "aliexpress"

    def __init__(self, client: Client, countries: list[str], warehouse_of: Mapping[str, str]) -> None:
        self.client = client
        self.countries = countries
        self.warehouse_of = warehouse_of

    def read(self, product_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The product as the platform has it now, and its SKUs as canonical values by field key."""
        raw = self.client.product(product_id)
        _, skus, _ = product_rows(raw, "", self.countries, self.warehouse_of)
        values = {}
        for sku in skus:
            row = {k: v for k, v in sku.items() if k not in ("stock", "product_id", "sku_id", "variant")}
            row.update({f"stock_{c}": q for c, q in sku["stock"].items()})
            values[sku["sku_id"]] = row
        return raw, values

    def write(self, product_id: str, raw: dict[str, Any], wanted: Mapping[str, Mapping[str, Any]]) -> PushOutcome:
        """Send the wanted values ({sku_id: {field: value}}) for one product; after an ambiguous
        failure, re-read and report applied only if the platform now holds them."""
        desired = desired_product(raw, wanted, self.countries, self.warehouse_of)
        stock_only = all(k.startswith("stock_") for fields in wanted.values() for k in fields)
        same_countries = set(desired["joined_country_list"]) == set(raw.get("joined_country_list") or [])
        try:
            if stock_only and same_countries:
                result = self.client.update_stocks(product_id, [
                    {"sku_id": s["sku_id"],
                     "pop_choice_sku_warehouse_stock_list": s["pop_choice_sku_warehouse_stock_list"]}
                    for s in desired["product_sku_list"] if str(s["sku_id"]) in wanted])
            else:
                result = self.client.edit_product(_editable(desired))
        except AmbiguousWrite as exc:
            _, now = self.read(product_id)
            if all(now.get(sku, {}).get(k) == v for sku, fields in wanted.items() for k, v in fields.items()):
                return PushOutcome("applied")
            return PushOutcome("failed", exc.code, exc.text)
        if result.success:
            return PushOutcome("applied")
        return PushOutcome("rejected", result.code, result.message)


def _editable(product: dict[str, Any]) -> dict[str, Any]:
    """product.edit takes the query's shape without the platform's computed prices."""
    sent = {k: v for k, v in product.items() if k in ("product_id", "currency_code", "joined_country_list",
                                                      "product_sku_list", "category_id")}
    sent["product_sku_list"] = [{k: v for k, v in s.items() if k not in ("freight_fee_list", "choice_sku_price_list")}
                                for s in product.get("product_sku_list") or []]
    return sent
