"""The AliExpress target: the semi-managed catalog behind the Target protocol, and the pull that
mirrors it into the local store.

Reads re-read each touched product from the platform (in a dry run too, so its conflicts are the
real run's). Writes send one product per call with absolute values, the product as just read plus
the sheet's changes, so a resend can never add twice; each product's success is journaled at
once. A write whose outcome is unknown (timeout, dropped connection) is settled by reading the
product again, never by sending it again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...config import Country
from ...diff import Outcome, decide
from ...errors import ConfigError, TargetUnavailable
from ...results import Change, Issue, PullResult, PushResult
from .. import Applied, Journal
from .client import AmbiguousWrite, Client, Credentials
from .mapping import _editable, desired_product, product_rows, shared_warehouse_problems

if TYPE_CHECKING:
    from ...config import Settings
    from ...store import Store

# Keys of the store's meta table that belong to this target, and the store's own target.
TARGET_KEY = "target"
WAREHOUSES_KEY, LAST_PULL_KEY = "ae_warehouses", "ae_last_pull"
ACCESS_TOKEN_KEY, REFRESH_TOKEN_KEY = "ae_access_token", "ae_refresh_token"
PAGE_SIZE = 50
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# gmt_modified_start carries no stated time zone, and the platform's trade APIs use US Pacific
# time: an incremental pull starts this long before the last one, which covers any zone.
PULL_OVERLAP = timedelta(days=1)


@dataclass
class PushOutcome:
    status: str  # applied | rejected | failed
    code: str | None = None
    message: str | None = None


def connect(store: Store, settings: Settings, client: Client | None = None) -> AliExpressTarget:
    """The AliExpress target of this store: credentials from the environment (tokens refreshed
    since then are kept in the store and win over the environment's), countries and the
    country → JIT warehouse mapping from the last pull."""
    if client is None:
        credentials = Credentials.from_env(os.environ)
        if credentials is None:
            raise ConfigError("ae_credentials_missing")
        credentials.access_token = store.meta(ACCESS_TOKEN_KEY) or credentials.access_token
        credentials.refresh_token = store.meta(REFRESH_TOKEN_KEY) or credentials.refresh_token
        client = Client(credentials, rate_limit=settings.rate_limit_per_second,
                        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                        deadline=settings.request_deadline)
    if client.on_tokens is None:
        client.on_tokens = lambda access, refresh: _keep_tokens(store, access, refresh)
    return AliExpressTarget(client, store, settings.country_warehouses)


def _keep_tokens(store: Store, access: str, refresh: str | None) -> None:
    store.set_meta(ACCESS_TOKEN_KEY, access)
    if refresh:
        store.set_meta(REFRESH_TOKEN_KEY, refresh)


class AliExpressTarget:
    """Reads products as canonical rows and writes one product per call, full state each time."""

    name = "aliexpress"
    all_or_nothing = False

    def __init__(self, client: Client, store: Store, configured: Mapping[str, str] | None = None) -> None:
        self.client = client
        self.store = store
        self.configured = dict(configured or {})  # country → warehouse from sheetsync.toml
        self._read: dict[str, dict[str, Any]] = {}  # product_id → the product as last read

    # -- the Target protocol -------------------------------------------------------------------
    def exclusive(self) -> AbstractContextManager[Any]:
        return nullcontext()

    @property
    def countries(self) -> list[str]:
        return [c.code for c in self.store.countries()]

    @property
    def warehouse_of(self) -> dict[str, str]:
        """country → JIT warehouse, as the last pull mapped them. Pushing needs it."""
        mapping = json.loads(self.store.meta(WAREHOUSES_KEY) or "{}")
        if not mapping:
            raise ConfigError("ae_pull_first")
        return mapping

    def read(self, edits: Sequence[Change]) -> list[object]:
        """Each touched product re-read from the platform. The title is not part of a semi-managed
        product's answer: it is read from the local mirror (the product list of the last pull),
        and a change to it is refused by `check`."""
        countries, warehouse_of = self.countries, self.warehouse_of
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for product_id in dict.fromkeys(c.product_id for c in edits):
            values[product_id] = self._reread(product_id, countries, warehouse_of)
        mirror = self.store.catalog_frame() if any(c.field == "title" for c in edits) else None
        return [mirror.at[c.sku_id, "title"] if c.field == "title" and mirror is not None and c.sku_id in mirror.index
                else values[c.product_id].get(c.sku_id, {}).get(c.field) for c in edits]

    def check(self, changes: Sequence[Change], after: pd.DataFrame) -> list[Issue]:
        """What the platform cannot store, refused before anything is sent: a title change (the
        semi-managed edit call has no subject field), stock for a country mapped to no JIT
        warehouse, and different stocks for one SKU in joined countries that share a warehouse
        (the platform keeps one quantity per SKU and warehouse)."""
        warehouse_of = self.warehouse_of
        issues = [Issue("title_not_supported", field="title", sku_id=c.sku_id, row=c.row)
                  for c in changes if c.field == "title"]
        issues += [Issue("ae_country_without_warehouse", field=c.field, sku_id=c.sku_id, row=c.row,
                         params={"country": c.field[6:]})
                   for c in changes if c.field.startswith("stock_") and not warehouse_of.get(c.field[6:])]
        touched = {c.product_id for c in changes}
        stock_columns = [f"stock_{c}" for c in self.countries if f"stock_{c}" in after]
        rows = after[after["product_id"].isin(touched)] if "product_id" in after else after.iloc[0:0]
        for _, group in rows.groupby("product_id", sort=False):
            stock = {sku: {col[6:]: int(group.at[sku, col]) for col in stock_columns} for sku in group.index}
            for sku, country, warehouse in shared_warehouse_problems(stock, warehouse_of):
                issues.append(Issue("shared_warehouse_stock", field=f"stock_{country}", sku_id=sku,
                                    params={"warehouse": warehouse, "country": country}))
        return issues

    def apply(self, journal: Journal, changes: list[Change], already: list[Change]) -> Applied:
        """One product per call, journaled as soon as the platform holds it. A platform that
        becomes unusable half way (quota, credentials) stops the push: what was written stays
        journaled, the rest is marked failed, and the next run sends only that."""
        journal.mirror(already)  # an interrupted run may have written them on the platform only
        applied = Applied()
        try:
            for product_id, group in _by_product(changes).items():
                wanted: dict[str, dict[str, Any]] = {}
                for change in group:
                    wanted.setdefault(change.sku_id, {})[change.field] = change.after
                outcome = self._write(product_id, wanted, {(c.sku_id, c.field): c.base for c in group})
                for change in group:
                    change.result = outcome.status
                if outcome.status == "applied":
                    journal.record(group)
                applied.results += [PushResult(product_id, sku, outcome.status, outcome.code, outcome.message)
                                    for sku in wanted]
        except TargetUnavailable as exc:
            applied.stopped = exc
        for change in changes:
            if change.result == "planned":
                change.result = "failed"
        return applied

    # -- pull --------------------------------------------------------------------------------------
    def pull(self, since: str | None = None, progress: Callable[[int], None] | None = None) -> PullResult:
        """Refresh the local catalog: supported countries and warehouses, then every product
        modified since `since` (default: the last successful pull, read with an overlap). The
        watermark moves only when every page and product was read and parsed."""
        started = datetime.now(UTC).strftime(TIME_FORMAT)
        countries, mapping = self._supported()
        if [c.code for c in countries] != self.countries:
            self.store.set_countries(countries)
        self.store.set_meta(WAREHOUSES_KEY, json.dumps(mapping))
        window = since or _overlapped(self.store.meta(LAST_PULL_KEY))
        listed = list(self._listed(window))
        added = updated = 0
        codes = self.countries
        for product_id, title in listed:
            product, skus, prices = product_rows(self.client.product(product_id), title, codes, mapping)
            a, u = self.store.upsert_catalog([product], skus)
            added, updated = added + a, updated + u
            self.store.set_platform_prices(prices)
            if progress:
                progress(1)
        self.store.set_meta(LAST_PULL_KEY, started)
        self.store.set_meta(TARGET_KEY, self.name)  # from now on the store's imports go to the platform
        return PullResult(len(listed), added, updated, self.client.calls, window)

    def _supported(self) -> tuple[list[Country], dict[str, str]]:
        """The platform's countries and this seller's JIT warehouses, and the country → warehouse
        mapping: sheetsync.toml's `country_warehouses`, else the seller's only warehouse. A
        country that would map to no warehouse is refused: a push would withdraw it."""
        info = self.client.info()
        countries = [Country(str(c["country_code"]), c.get("en_name") or str(c["country_code"]),
                             c.get("cn_name") or str(c["country_code"]))
                     for c in info.get("pop_choice_country_list") or []]
        warehouses = [str(w["warehouse_code"]) for w in info.get("pop_choice_warehouse_list") or []]
        if not countries:
            raise TargetUnavailable("ae_no_countries", code="info.query", detail="pop_choice_country_list")
        default = warehouses[0] if len(warehouses) == 1 else ""
        mapping = {c.code: self.configured.get(c.code) or default for c in countries}
        unmapped = [c for c, w in mapping.items() if not w]
        unknown = sorted({w for w in mapping.values() if w and w not in warehouses})
        if unmapped or unknown:
            raise ConfigError("ae_warehouse_mapping", countries=", ".join(unmapped) or "-",
                              unknown=", ".join(unknown) or "-", warehouses=", ".join(warehouses) or "-")
        return countries, mapping

    def _listed(self, since: str | None) -> Iterator[tuple[str, str]]:
        page = 1
        while True:
            batch = self.client.list_products(page, PAGE_SIZE, since)
            for item in batch.get("pop_choice_product_list") or []:
                yield str(item["product_id"]), item.get("title") or ""
            if page >= int(batch.get("total_page") or 0):
                return
            page += 1

    # -- one product -------------------------------------------------------------------------------
    def _reread(self, product_id: str, countries: list[str], warehouse_of: Mapping[str, str]
                ) -> dict[str, dict[str, Any]]:
        """The product as the platform has it now (kept for the write), its SKUs as canonical
        values by field key."""
        raw = self.client.product(product_id)
        self._read[product_id] = raw
        _, skus, _ = product_rows(raw, "", countries, warehouse_of)
        values = {}
        for sku in skus:
            row = {k: v for k, v in sku.items() if k not in ("stock", "product_id", "sku_id", "variant")}
            row.update({f"stock_{c}": q for c, q in sku["stock"].items()})
            values[sku["sku_id"]] = row
        return values

    def _write(self, product_id: str, wanted: Mapping[str, Mapping[str, Any]],
               base_of: Mapping[tuple[str, str], Any]) -> PushOutcome:
        """Send the wanted values ({sku_id: {field: value}}) for one product: stocks.update when
        only stock changes and participation stays, else product.edit with the whole product.
        `base_of` holds each value's base ((sku_id, field) → value), to settle an unknown outcome."""
        countries, warehouse_of = self.countries, self.warehouse_of
        raw = self._read.get(product_id)
        if raw is None:
            self._reread(product_id, countries, warehouse_of)
            raw = self._read[product_id]
        desired = desired_product(raw, wanted, countries, warehouse_of)
        stock_only = all(k.startswith("stock_") for fields in wanted.values() for k in fields)
        same_countries = desired.get("joined_country_list") == raw.get("joined_country_list")
        try:
            if stock_only and same_countries:
                result = self.client.update_stocks(product_id, [
                    {"sku_id": s["sku_id"],
                     "pop_choice_sku_warehouse_stock_list": s["pop_choice_sku_warehouse_stock_list"]}
                    for s in desired["product_sku_list"] if str(s["sku_id"]) in wanted])
            else:
                result = self.client.edit_product(_editable(desired))
        except AmbiguousWrite as exc:
            # Settled by the change rule against the product as it is now: written only if every
            # value is already there. Resending could apply a stale product over a newer one.
            now = self._reread(product_id, countries, warehouse_of)
            if all(decide(base_of.get((sku, k)), v, now.get(sku, {}).get(k)) == Outcome.ALREADY_APPLIED
                   for sku, fields in wanted.items() for k, v in fields.items()):
                return PushOutcome("applied")
            return PushOutcome("failed", exc.code, exc.detail)
        if result.success:
            self._read[product_id] = desired
            return PushOutcome("applied")
        return PushOutcome("rejected", result.code, result.message)


def _by_product(changes: list[Change]) -> dict[str, list[Change]]:
    """Changes grouped by product, in first-seen order: the platform writes one product a call."""
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.product_id, []).append(change)
    return grouped


def _overlapped(last_pull: str | None) -> str | None:
    if not last_pull:
        return None
    return (datetime.strptime(last_pull, TIME_FORMAT) - PULL_OVERLAP).strftime(TIME_FORMAT)
