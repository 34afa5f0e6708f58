"""The AliExpress target: the semi-managed catalog behind the Target protocol, and the pull that
mirrors it into the local store.

Reads re-read each touched product from the platform (in a dry run too, so its conflicts are the
real run's). Writes send one product per call with absolute values, the product as just read plus
the sheet's changes, so a resend can never add twice; each product's success is journaled at
once. A write whose outcome is unknown (timeout, dropped connection) is settled by reading the
product again, never by sending it again.

Pace: products are read and written by a small pool of threads (`workers_for`), so a push runs
at the platform's rate limit rather than at one call per round trip; the client's one shared
rate limit and ban keep every thread within the limit. The store's SQLite connection belongs to
the calling thread: workers only call the platform and compute, and return what they found; the
calling thread journals each product as its result arrives and keeps refreshed tokens.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import pandas as pd

from ...config import Country
from ...diff import Outcome, decide
from ...errors import ConfigError, StoreUnavailable, TargetUnavailable
from ...results import Change, Issue, PullResult, PushResult
from .. import Applied, Journal
from . import auth
from .client import AmbiguousWrite, Client
from .mapping import _editable, desired_product, product_rows, shared_warehouse_problems

if TYPE_CHECKING:
    from ...config import Settings
    from ...store import Store

# Keys of the store's meta table that belong to this target, and the store's own target.
TARGET_KEY = "target"
WAREHOUSES_KEY, LAST_PULL_KEY = "ae_warehouses", "ae_last_pull"
PULLED_AT_KEY = "ae_pulled_at"  # when the last successful pull finished (ISO, UTC)
PAGE_SIZE = 50
MAX_WORKERS = 16
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# gmt_modified_start carries no stated time zone, and the platform's trade APIs use US Pacific
# time: an incremental pull starts this long before the last one, which covers any zone.
PULL_OVERLAP = timedelta(days=1)


@dataclass
class PushOutcome:
    status: str  # applied | rejected | failed
    code: str | None = None
    message: str | None = None


def connect(store: Store, settings: Settings, client: Client | None = None, *,
            offline: bool = False) -> AliExpressTarget:
    """The AliExpress target of this store: the app's credentials from the environment, the
    seller's tokens from the store (`sheetsync auth`) unless the environment overrides them
    (auth.seller_credentials), countries and the country → JIT warehouse mapping from the last
    pull. `offline`: a target that only describes itself (no credentials needed, no call made)."""
    if offline:
        return AliExpressTarget(None, store, settings.country_warehouses)
    origin = None
    if client is None:
        client, origin = auth.store_client(store, settings, os.environ)
    target = AliExpressTarget(client, store, settings.country_warehouses)
    if client.on_tokens is None:
        keeper = _TokenKeeper(store, client, origin if origin is not None else
                              auth.token_origin(store, client.credentials.access_token, os.environ))
        client.on_tokens = keeper
        target.keep_tokens = keeper.flush
    return target


def workers_for(rate_limit: float) -> int:
    """Threads enough to keep `rate_limit` calls a second going when a call takes up to a second
    (a distant gateway), and never more than MAX_WORKERS: the rate limit, not the pool, sets the
    pace."""
    return max(2, min(MAX_WORKERS, math.ceil(rate_limit)))


class _TokenKeeper:
    """Keeps tokens the client refreshed. The store's connection belongs to the thread that
    opened it: a refresh made there is kept at once; one made by a worker waits for `flush`,
    which that thread calls as results come in."""

    def __init__(self, store: Store, client: Client, origin: str) -> None:
        self.store, self.client, self.origin = store, client, origin
        self.owner = threading.get_ident()
        self.pending = False

    def __call__(self, access: str, refresh: str | None) -> None:
        self.pending = True
        if threading.get_ident() == self.owner:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.pending = False
            auth.keep_tokens(self.store, self.client.credentials, self.origin)


class AliExpressTarget:
    """Reads products as canonical rows and writes one product per call, full state each time."""

    name = "aliexpress"
    all_or_nothing = False

    def __init__(self, client: Client | None, store: Store, configured: Mapping[str, str] | None = None) -> None:
        self.client: Client = client  # type: ignore[assignment]  # None only for a target that describes itself
        self.store = store
        self.configured = dict(configured or {})  # country → warehouse from sheetsync.toml
        self._read: dict[str, dict[str, Any]] = {}  # product_id → the product as last read
        self.keep_tokens: Callable[[], None] = lambda: None  # keeps tokens a worker refreshed (connect sets it)
        self.workers = workers_for(client.limiter.per_second) if client is not None else 1
        self._stop = threading.Event()  # set when the platform became unusable: workers send nothing more
        self._halt = threading.Event()  # the journal's stop (Ctrl-C) during an apply: the same for workers

    # -- the Target protocol -------------------------------------------------------------------
    def exclusive(self) -> AbstractContextManager[Any]:
        """The store's write lock: a push journals each product in its own transaction, so no
        SQLite transaction can span it; another sheetsync process waits for the lock."""
        return self.store.write_lock()

    def describe(self) -> dict[str, Any]:
        """The connected seller, where the tokens come from and until when they are valid, and
        the last pull. Never a token."""
        last_pull = self.store.meta(LAST_PULL_KEY)
        return {"target": self.name, **auth.describe(self.store, os.environ),
                "last_pull": self.store.meta(PULLED_AT_KEY), "watermark": last_pull,
                "next_pull_from": self._overlapped(last_pull), "warehouses": self._mapping()}

    @property
    def countries(self) -> list[str]:
        return [c.code for c in self.store.countries()]

    @property
    def warehouse_of(self) -> dict[str, str]:
        """country → JIT warehouse, as the last pull mapped them. Pushing needs it."""
        mapping = self._mapping()
        if not mapping:
            raise ConfigError("ae_pull_first")
        return mapping

    def _mapping(self) -> dict[str, str]:
        """country → warehouse as the last pull kept it in the store."""
        with self.store.decoded("the country → warehouse mapping of the last pull"):
            mapping = json.loads(self.store.meta(WAREHOUSES_KEY) or "{}")
            if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
                raise ValueError(WAREHOUSES_KEY)
        return mapping

    def _overlapped(self, last_pull: str | None) -> str | None:
        with self.store.decoded("the time of the last pull"):
            return _overlapped(last_pull)

    def read(self, edits: Sequence[Change]) -> list[object]:
        """Each touched product re-read from the platform. The title is not part of a semi-managed
        product's answer: it is read from the local mirror (the product list of the last pull),
        and a change to it is refused by `check`."""
        countries, warehouse_of = self.countries, self.warehouse_of
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for product_id, (raw, skus) in self._in_order(lambda pid: _fetch(self.client, pid, countries, warehouse_of),
                                                      dict.fromkeys(c.product_id for c in edits)):
            self._read[product_id], values[product_id] = raw, skus
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
            for sku, country, warehouse, other, other_stock in shared_warehouse_problems(stock, warehouse_of):
                issues.append(Issue("shared_warehouse_stock", field=f"stock_{country}", sku_id=sku,
                                    params={"warehouse": warehouse, "country": country, "other": other,
                                            "other_stock": other_stock, "stock": stock[sku].get(country, 0),
                                            "product_id": group.at[sku, "product_id"]}))
        return issues

    def apply(self, journal: Journal, changes: list[Change], already: list[Change]) -> Applied:
        """One product per call, journaled as soon as the platform holds it. A platform that
        becomes unusable half way (quota, credentials) stops the push: what was written stays
        journaled, the rest is marked failed, and the next run sends only that. Ctrl-C (the
        journal's `stop`) stops it the same way, the rest marked not applied."""
        journal.mirror(already)  # an interrupted run may have written them on the platform only
        self._halt = journal.stop
        applied = Applied()
        countries, warehouse_of = self.countries, self.warehouse_of
        groups = _by_product(changes)
        wanted_of = {product_id: _wanted(group) for product_id, group in groups.items()}
        results: dict[str, list[PushResult]] = {}
        lost: StoreUnavailable | None = None  # the store could not journal a product the platform took

        def store_lost(exc: StoreUnavailable) -> None:
            # The platform holds what was sent; the store can no longer say so (replaced, deleted,
            # full). Nothing more is sent: every product written from here on would be one more
            # the journal misses. The next run finds the ones sent applied.
            nonlocal lost
            lost = exc
            applied.stopped = applied.stopped or exc
            self._stop.set()
            for other in futures:
                other.cancel()

        try:
            with self._pool() as pool:
                futures = {pool.submit(self._write, product_id, wanted_of[product_id],
                                       {(c.sku_id, c.field): c.base for c in group}, countries, warehouse_of):
                           product_id for product_id, group in groups.items()}
                for future in as_completed(futures):
                    if lost is None:
                        try:
                            self.keep_tokens()
                        except StoreUnavailable as exc:
                            store_lost(exc)
                    if future.cancelled():
                        continue
                    product_id, group = futures[future], groups[futures[future]]
                    try:
                        written = future.result()
                    except TargetUnavailable as exc:
                        applied.stopped = applied.stopped or exc
                        self._stop.set()  # what has not started is not sent; what is in flight is still recorded
                        for other in futures:
                            other.cancel()
                        continue
                    if written is None:  # not sent: the push had stopped
                        continue
                    outcome, sent = written
                    if sent is not None:
                        self._read[product_id] = sent
                    for change in group:
                        change.result = outcome.status
                    if outcome.status == "applied" and lost is None:
                        try:
                            journal.record(group)
                        except StoreUnavailable as exc:
                            store_lost(exc)
                    results[product_id] = [PushResult(product_id, sku, outcome.status, outcome.code, outcome.message)
                                           for sku in wanted_of[product_id]]
        except StoreUnavailable as exc:  # a token a worker renewed, kept as the pool closes
            applied.stopped = applied.stopped or exc
        for change in changes:
            if change.result == "planned":  # not sent: stopped by Ctrl-C, or by the platform
                change.result = "not_applied" if self._halt.is_set() else "failed"
        applied.results = [push for product_id in groups for push in results.get(product_id, [])]
        return applied

    # -- pull --------------------------------------------------------------------------------------
    def pull(self, since: str | None = None, progress: Callable[[int], None] | None = None) -> PullResult:
        """Refresh the local catalog: supported countries and warehouses, then every product
        modified since `since` (default: the last successful pull, read with an overlap). The
        watermark moves only when every page and product was read and parsed."""
        started = datetime.now(UTC).strftime(TIME_FORMAT)
        countries, mapping = self._supported()
        window = since or self._overlapped(self.store.meta(LAST_PULL_KEY))
        listed = self._listed(window)  # every page, checked, before the store is touched
        if [c.code for c in countries] != self.countries:
            self.store.set_countries(countries)
        self.store.set_meta(WAREHOUSES_KEY, json.dumps(mapping))
        added = updated = 0
        codes = self.countries
        for _, (product, skus, prices) in self._in_order(
                lambda pid: product_rows(self.client.product(pid), listed[pid], codes, mapping), listed):
            a, u = self.store.upsert_catalog([product], skus)
            added, updated = added + a, updated + u
            self.store.set_platform_prices(prices)
            if progress:
                progress(1)
        self.store.set_metas({LAST_PULL_KEY: started, PULLED_AT_KEY: datetime.now(UTC).isoformat(timespec="seconds"),
                              TARGET_KEY: self.name})  # from now on the store's imports go to the platform
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

    def _listed(self, since: str | None) -> dict[str, str]:
        """product_id → title of every product the list names, all pages read. The pages must
        agree: the same page count on each, every page but the last as long as the first (the
        platform may cap the page size asked for), no product twice, and the count promised
        (total_item) listed. A list that changes while it is read (the platform
        paginates a moving list) would make a pull miss a product and still move its watermark
        past it, so an inconsistent list refuses the pull before anything is stored."""
        listed: dict[str, str] = {}
        pages, promised, size, page = None, None, 0, 1
        while True:
            batch = self.client.list_products(page, PAGE_SIZE, since)
            total = int(batch.get("total_page") or 0)
            items = batch.get("pop_choice_product_list") or []
            if pages is None:
                pages, promised, size = total, batch.get("total_item"), len(items)
            elif total != pages:
                _inconsistent(f"page {page} says {total} pages, page 1 said {pages}")
            if page < pages and (len(items) != size or not items):
                _inconsistent(f"page {page} of {pages} lists {len(items)} products, page 1 listed {size}")
            if page > 1 and page == pages and not items:
                _inconsistent(f"the last page, {page}, lists no product")
            for item in items:
                product_id = str(item["product_id"])
                if product_id in listed:
                    _inconsistent(f"product {product_id} is listed twice")
                listed[product_id] = item.get("title") or ""
            if page >= pages:
                break
            page += 1
        if promised is not None and int(promised) != len(listed):
            _inconsistent(f"{promised} products promised, {len(listed)} listed")
        return listed

    # -- the pool -----------------------------------------------------------------------------------
    @contextmanager
    def _pool(self) -> Iterator[ThreadPoolExecutor]:
        """Worker threads for one batch of calls. Leaving it (normally or not) cancels what has not
        started and waits for what has: no thread outlives the run that made it."""
        self._stop.clear()
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sheetsync-aliexpress")
        try:
            yield pool
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            self.keep_tokens()

    def _in_order(self, work: Callable[[str], Any], product_ids: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """(product_id, work(product_id)) for each product, in the given order, computed by the
        pool. The first failure is raised as soon as it is met; nothing more is started then."""
        with self._pool() as pool:
            futures: list[tuple[str, Future[Any]]] = [(pid, pool.submit(work, pid)) for pid in product_ids]
            for product_id, future in futures:
                result = future.result()
                self.keep_tokens()
                yield product_id, result

    # -- one product -------------------------------------------------------------------------------
    def _write(self, product_id: str, wanted: Mapping[str, Mapping[str, Any]],
               base_of: Mapping[tuple[str, str], Any], countries: list[str], warehouse_of: Mapping[str, str]
               ) -> tuple[PushOutcome, dict[str, Any] | None] | None:
        """Send the wanted values ({sku_id: {field: value}}) for one product: stocks.update when
        only stock changes and participation stays, else product.edit with the whole product.
        `base_of` holds each value's base ((sku_id, field) → value), to settle an unknown outcome.
        Runs on a worker: touches no store. Returns the outcome and the product as the platform
        now holds it (None when unknown); None when the push had stopped before it was sent."""
        if self._stop.is_set() or self._halt.is_set():
            return None
        raw = self._read.get(product_id)
        if raw is None:
            raw, _ = _fetch(self.client, product_id, countries, warehouse_of)
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
            again, now = _fetch(self.client, product_id, countries, warehouse_of)
            if all(decide(base_of.get((sku, k)), v, now.get(sku, {}).get(k)) == Outcome.ALREADY_APPLIED
                   for sku, fields in wanted.items() for k, v in fields.items()):
                return PushOutcome("applied"), again
            return PushOutcome("failed", exc.code, exc.detail), again
        if result.success:
            return PushOutcome("applied"), desired
        return PushOutcome("rejected", result.code, result.message), None


def _fetch(client: Client, product_id: str, countries: list[str], warehouse_of: Mapping[str, str]
           ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The product as the platform has it now, and its SKUs as canonical values by field key.
    Pure apart from the call: safe on a worker thread."""
    raw = client.product(product_id)
    _, skus, _ = product_rows(raw, "", countries, warehouse_of)
    values = {}
    for sku in skus:
        row = {k: v for k, v in sku.items() if k not in ("stock", "product_id", "sku_id", "variant")}
        row.update({f"stock_{c}": q for c, q in sku["stock"].items()})
        values[sku["sku_id"]] = row
    return raw, values


def _inconsistent(detail: str) -> NoReturn:
    raise TargetUnavailable("ae_pages_inconsistent", code="products.list", detail=detail)


def _wanted(group: Sequence[Change]) -> dict[str, dict[str, Any]]:
    """{sku_id: {field: value}} of one product's changes."""
    wanted: dict[str, dict[str, Any]] = {}
    for change in group:
        wanted.setdefault(change.sku_id, {})[change.field] = change.after
    return wanted


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
