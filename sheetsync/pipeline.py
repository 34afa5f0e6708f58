"""The only module that knows the order of the work. Export and import as a Python API; the CLI
is a thin layer over these functions.

    import:  read → validate → price → plan (change rule) → apply → report → mail → ImportResult
"""

from __future__ import annotations

import functools
import gc
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import pandas as pd

from . import integrity
from .cells import RawSheet, cell_ref
from .config import Country, Settings, bundled_countries, reference_file, sample_data_dir
from .diff import ALREADY_APPLIED, CONFLICT, Guardrails, conflict_issue, decide, plan, plan_values
from .errors import ConfigError, QuotaExceeded, SheetsyncError, UnreadableWorkbook
from .fields import TEMPLATE_VERSION
from .mail import SmtpSettings, send_report
from .outputs import check_output
from .pricing import Pricing, PricingProblem, RateCard, display_prices, freight_check, load_rate_card
from .read import check_package, read_metadata, read_sheet
from .report import write_report
from .results import ERROR, WARNING, Change, ImportResult, Issue, PushResult
from .schema import prepare_schema, validate
from .seed import sample_catalog, synthetic_catalog
from .store import Store
from .targets.aliexpress import (
    AliExpressTarget,
    Client,
    Credentials,
    PlatformError,
    product_rows,
    shared_warehouse_problems,
)
from .targets.local import LocalTarget
from .template import ExportMeta, Preview, check_fits, write_workbook

Progress = Callable[[int], None]
Stage = Callable[[str], None]
IMPORT_STAGES = ("read", "validate", "price", "plan", "apply", "report")


@dataclass(frozen=True)
class ExportSummary:
    path: str
    export_id: str
    rows: int
    countries: list[str]
    preview: list[str]


def biggest_markets(frame: pd.DataFrame, countries: Sequence[str], count: int = 3) -> list[str]:
    """The countries where the most SKUs have stock: the markets a seller watches most."""
    selling = {c: int((frame[f"stock_{c}"] > 0).sum()) for c in countries}
    ranked = sorted(countries, key=lambda c: (-selling[c], countries.index(c)))
    return [c for c in ranked[:count] if selling[c] > 0]


def _store_file(store: Store | str | os.PathLike) -> Path:
    return store.path if isinstance(store, Store) else Path(store)


def _open(store: Store | str | os.PathLike, lock_timeout: float = 30.0) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return Store.open(Path(store), lock_timeout), True


@contextmanager
def _opened(store: Store | str | os.PathLike, lock_timeout: float = 30.0) -> Iterator[Store]:
    """The store as a handle; closed afterwards only if it was opened here from a path."""
    handle, owned = _open(store, lock_timeout)
    try:
        yield handle
    finally:
        if owned:
            handle.close()


def init_store(path: str | os.PathLike, sample: bool = False, synthetic: int = 0) -> int:
    """Create a catalog at `path`; load the bundled sample or `synthetic` generated SKUs.
    Returns the number of SKUs loaded."""
    countries = bundled_countries()
    store = Store.create(Path(path), countries)
    try:
        if sample:
            products, skus = sample_catalog(sample_data_dir())
        elif synthetic:
            products, skus = synthetic_catalog(synthetic, [c.code for c in countries])
        else:
            return 0
        return store.insert_catalog(products, skus)
    finally:
        store.close()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _collector_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run without Python's cycle collector. Each full pass of the collector walks every live
    container, and a 100k-SKU workbook is 100k row lists holding millions of cells: the passes
    triggered while it is read and validated cost about 0.4 s of a 5 s import. sheetsync's own
    data holds no reference cycles, so nothing accumulates; the collector resumes afterwards and
    collects whatever cycles libraries left."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@_collector_paused
def export_catalog(store: Store | str | os.PathLike, path: str | os.PathLike, lang: str = "en",
                   preview: Sequence[str] | None = None, rates: str | os.PathLike | None = None,
                   progress: Progress | None = None) -> ExportSummary:
    """Write the catalog to an .xlsx template and keep a snapshot of every exported value.

    `preview` names the countries that get a live display-price column (formulas over the rate
    card `rates`); by default the store's three biggest markets, none with an empty list."""
    check_output(path, store=_store_file(store), inputs=[rates])
    with _opened(store) as handle:
        countries = handle.countries()
        codes = [c.code for c in countries]
        frame = handle.catalog_frame()
        check_fits(frame)
        card = load_rate_card(rates or reference_file("freight_rates.csv"))
        wanted = [c.upper() for c in preview] if preview is not None else biggest_markets(frame, codes)
        unknown = [c for c in wanted if c not in codes]
        if unknown:
            raise ConfigError("preview_unknown", countries=", ".join(unknown))
        live = Preview(wanted, card, display_prices(frame, card, wanted).prices) if wanted else None
        record = handle.record_export(frame, lang, codes, str(path))
        signature = integrity.sign(handle.secret, handle.store_id, record.export_id, frame.index)
        meta = ExportMeta(handle.store_id, record.export_id, record.created_at, lang, codes, signature)
        write_workbook(path, frame, countries, meta, progress, live)
        return ExportSummary(str(path), record.export_id, len(frame), codes, list(wanted))


@_collector_paused
def import_workbook(store: Store | str | os.PathLike, path: str | os.PathLike, *, dry_run: bool = False,
                    skip_invalid: bool = False, force: bool = False, allow_large_changes: bool = False,
                    rates: str | os.PathLike | None = None, report: str | os.PathLike | None = None,
                    lang: str | None = None, target: str = "local", settings: Settings | None = None,
                    email_to: Sequence[str] = (), smtp: SmtpSettings | None = None,
                    client: Client | None = None, stage: Stage | None = None) -> ImportResult:
    """Import an edited workbook. Never raises for a bad file or bad cells: the result says what
    happened (status, counts, errors, warnings) and `exit_code` maps it to the CLI's exit code.

    With `email_to`, the report is mailed (through `smtp`, else the SHEETSYNC_SMTP_* environment);
    a report is written to a temporary file when no `report` path is given."""
    settings = settings or Settings()
    stage = stage or (lambda name: None)
    result = ImportResult(status="unreadable", file=str(path))
    raw: RawSheet | None = None
    handle: Store | None = None
    owned = False
    report_path = None
    try:
        if report is not None:
            report_path = check_output(report, store=_store_file(store), inputs=[path, rates])
        card = load_rate_card(rates or reference_file("freight_rates.csv"))
        handle, owned = _open(store, settings.lock_timeout)
        remote = connect(handle, settings, client, require_pull=True) if target == "aliexpress" else None
        # A local import holds the store's write lock from the moment it reads the catalog until its
        # changes are committed, so what it compares against cannot change underneath it.
        with nullcontext() if dry_run or remote else handle.transaction():
            stage("read")
            loaded = _read_with_catalog(path, handle)
            raw = loaded.raw
            result.saved_by = raw.saved_by
            lang = lang or raw.lang or settings.lang
            _check_meta(loaded, handle)
            _run(handle, loaded, card, result, dry_run, skip_invalid, force, allow_large_changes, settings,
                 target, remote, stage)
    except SheetsyncError as exc:
        result.status = exc.status
        result.errors = [Issue(exc.rule, sheet=None, params=dict(exc.params))]
    except PlatformError as exc:
        result.status = "unreadable" if result.applied == 0 else "partial"
        result.errors = [Issue("platform_refused", sheet=None, params={"code": exc.code, "detail": exc.text})]
    finally:
        lang = lang or settings.lang
        for issue in (*result.errors, *result.warnings):
            issue.render(lang)
        store_id = handle.store_id if handle is not None else ""
        if owned and handle is not None:
            handle.close()
    if report_path is not None:
        stage("report")
        result.report = str(report)
        write_report(report_path, result, raw, store_id, target, lang)
    if email_to:
        _mail(result, raw, store_id, target, lang, report_path, email_to, smtp)
    return result


def _mail(result: ImportResult, raw: RawSheet | None, store_id: str, target: str, lang: str,
          report: str | os.PathLike | None, recipients: Sequence[str], smtp: SmtpSettings | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(report) if report is not None else Path(scratch) / f"{Path(result.file).stem}-report.xlsx"
        if report is None:
            write_report(path, result, raw, store_id, target, lang)
        problem = send_report(result, path, recipients, smtp or SmtpSettings.from_env(), lang)
    result.emailed = problem is None
    if problem:
        result.follow_up_failed = True
        result.warnings.append(Issue("mail_failed", WARNING, sheet=None, params={"reason": problem}).render(lang))


@dataclass
class _Loaded:
    raw: RawSheet
    catalog: pd.DataFrame
    base: pd.DataFrame | None  # the export's snapshot, when the file names a known export
    signature: str | None  # what that export's metadata must be signed with


def _read_with_catalog(path: str | os.PathLike, store: Store) -> _Loaded:
    """Read the workbook while loading what it is compared with: python-calamine releases the GIL
    while it parses, so the catalog, the export's snapshot, its expected signature and the
    validation schema (about 1.5 s at 100k SKUs) cost no extra time. The package is checked for
    safety before anything parses it."""
    check_package(Path(path))
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(read_sheet, path, True)
        try:
            catalog = store.catalog_frame()
            export_id = read_metadata(path).get("export_id")
            base = store.snapshot_frame(export_id) if export_id and store.export_record(export_id) else None
            signature = None if base is None else integrity.sign(store.secret, store.store_id, export_id, base.index)
            prepare_schema([c.code for c in store.countries()])
        finally:
            raw = reading.result()
    return _Loaded(raw, catalog, base, signature)


def _check_meta(loaded: _Loaded, store: Store) -> None:
    meta = loaded.raw.meta
    name = loaded.raw.path
    if not meta.get("export_id"):
        raise UnreadableWorkbook("not_sheetsync", path=name)
    if meta.get("template_version", TEMPLATE_VERSION) > TEMPLATE_VERSION:
        raise UnreadableWorkbook("template_version", path=name, version=meta["template_version"])
    if meta.get("store_id") != store.store_id:
        raise UnreadableWorkbook("other_store", path=name, store_id=meta.get("store_id") or "?")
    if loaded.base is None:  # loaded for the file's export id, if the store knows that export
        raise UnreadableWorkbook("unknown_export", path=name, export_id=meta["export_id"])


def _run(store: Store, loaded: _Loaded, card: RateCard, result: ImportResult, dry_run: bool, skip_invalid: bool,
         force: bool, allow_large_changes: bool, settings: Settings, target_name: str,
         remote: AliExpressTarget | None = None, stage: Stage = lambda name: None) -> None:
    stage("validate")
    raw, catalog = loaded.raw, loaded.catalog
    export_id = raw.meta["export_id"]
    base = loaded.base  # present: _check_meta refused a file whose export the store does not know
    if loaded.signature is None or not integrity.matches(loaded.signature, raw.meta.get("signature", "")):
        raise UnreadableWorkbook("not_sheetsync", path=raw.path)
    countries = [c.code for c in store.countries()]
    checked = validate(raw, catalog, base, countries)
    issues = list(checked.issues)
    sheet = checked.frame
    result.rows = checked.rows

    stage("price")
    merged = _merged(sheet, catalog, checked.invalid_skus)
    pricing = display_prices(merged, card, countries)
    pricing_issues, unpriced = _pricing_issues(pricing.problems, sheet)
    issues += pricing_issues
    result.display_prices = _display_table(pricing, merged)
    platform = store.platform_prices()
    if platform:
        result.freight_check = freight_check(catalog, card, countries, platform)

    stage("plan")
    target = LocalTarget(store)
    # For AliExpress the sheet is planned against the export here; each product is then re-read
    # from the platform just before it is written, and the change rule decides again there.
    current = base if remote else target.current(list(sheet.index), catalog)
    rails = Guardrails(settings.max_price_change_pct, settings.max_stock_jump, allow_large_changes)
    changes, diff_issues = plan(sheet, checked.editable, base, current, force=force, guardrails=rails)
    issues += diff_issues
    if remote:
        issues += _platform_limits(sheet, merged, changes.changes, remote)
    for issue in issues:
        _locate(issue, raw)
    errors = sorted((i for i in issues if i.severity == ERROR), key=_order)
    warnings = sorted((i for i in issues if i.severity == WARNING), key=_order)
    result.errors, result.warnings = errors, warnings
    invalid = {i.sku_id for i in errors if i.sku_id} | checked.invalid_skus | unpriced
    if skip_invalid:
        changes.changes = [c for c in changes.changes if c.sku_id not in invalid]
    result.change_list = changes.changes
    result.changes = len(changes.changes)
    result.changed_skus = len(changes.skus)
    result.already_applied = changes.already_applied
    blocked = bool(errors) and not skip_invalid
    if dry_run or blocked or not changes.changes:
        for change in changes.changes:
            change.result = "dry_run" if dry_run and not blocked else "not_applied"
        result.status = "invalid" if errors else ("dry_run" if dry_run else "unchanged")
        return
    stage("apply")
    if remote:
        _push(store, remote, changes.changes, result, raw.path, export_id, force, errors,
              dict(zip(sheet.index, sheet["_row"].astype(int), strict=True)))
        for issue in result.errors + result.warnings:
            _locate(issue, raw)
        return
    result.run_id = store.begin_run(raw.path, export_id, target_name, changes.changes)
    result.push_results = target.apply(result.run_id, changes.changes)
    result.applied = sum(1 for c in changes.changes if c.result == "applied")
    result.failed = sum(1 for c in changes.changes if c.result == "failed")
    result.status = "invalid" if errors else ("partial" if result.failed else "applied")
    store.finish_run(result.run_id, result.status, {
        "changes": result.changes, "applied": result.applied, "failed": result.failed,
        "changed_skus": result.changed_skus, "errors": len(errors)})


def _pricing_issues(problems: list[PricingProblem], sheet: pd.DataFrame) -> tuple[list[Issue], set[str]]:
    """One issue per SKU and country that cannot be priced, except a country missing from the rate
    card altogether: that is one issue, at its first SKU's cell and with the count, since a store
    selling in 47 countries with a 33-country card would otherwise get a million identical lines.
    Returns the issues and every SKU that has one (all of them stay out of --skip-invalid)."""
    row_of = dict(zip(sheet.index, sheet["_row"].tolist(), strict=True)) if problems else {}
    missing: dict[str, list[PricingProblem]] = {}
    issues = []
    for problem in problems:
        if problem.rule == "no_rate_for_country":
            missing.setdefault(problem.country, []).append(problem)
            continue
        issues.append(_pricing_issue(problem, problem.rule, row_of, sheet))
    for country_problems in missing.values():
        first = country_problems[0]
        rule = "no_rate_for_country" if len(country_problems) == 1 else "no_rate_for_country_skus"
        issues.append(_pricing_issue(first, rule, row_of, sheet, count=len(country_problems)))
    return issues, {problem.sku_id for problem in problems}


def _pricing_issue(problem: PricingProblem, rule: str, row_of: dict[str, int], sheet: pd.DataFrame,
                   **params: object) -> Issue:
    key = f"stock_{problem.country}"
    return Issue(rule, field=key, sku_id=problem.sku_id, row=int(row_of[problem.sku_id]),
                 value=problem.params["stock"] if key in sheet else None, params={**problem.params, **params})


def _platform_limits(sheet: pd.DataFrame, merged: pd.DataFrame, changes: list[Change],
                     remote: AliExpressTarget) -> list[Issue]:
    """What the platform cannot store, refused before anything is sent: a title change (the
    semi-managed edit call has no subject field), and different stocks for one SKU in joined
    countries that share a JIT warehouse (the platform keeps one quantity per warehouse)."""
    issues = [Issue("title_not_supported", field="title", sku_id=c.sku_id, row=int(sheet.at[c.sku_id, "_row"]))
              for c in changes if c.field == "title"]
    stock_columns = [f"stock_{c}" for c in remote.countries if f"stock_{c}" in merged]
    for _, group in merged.groupby("product_id", sort=False):
        stock = {sku: {col[6:]: int(group.at[sku, col]) for col in stock_columns} for sku in group.index}
        for sku, country, warehouse in shared_warehouse_problems(stock, remote.warehouse_of):
            issues.append(Issue("shared_warehouse_stock", field=f"stock_{country}", sku_id=sku,
                                row=int(sheet.at[sku, "_row"]), params={"warehouse": warehouse, "country": country}))
    return issues


def _push(store: Store, remote: AliExpressTarget, planned: list[Change], result: ImportResult, file: str,
          export_id: str | None, force: bool, errors: list[Issue], rows: dict[str, int] | None = None) -> None:
    """Re-read every product to be written, apply the change rule against the platform, then write
    one product per call. Each product's success is journaled and mirrored in the local catalog
    at once, so a run that dies half way is finished by the next one without repeating a write."""
    rows = rows or {}
    reads: dict[str, dict] = {}
    todo: list[Change] = []
    already: list[Change] = []
    conflicts: list[Issue] = []
    for product_id, changes in _by_product(planned).items():
        raw_product, now = remote.read(product_id)
        reads[product_id] = raw_product
        for change in changes:
            current = now.get(change.sku_id, {}).get(change.field)
            outcome = decide(change.base, change.after, current)
            if outcome == ALREADY_APPLIED:
                already.append(change)
                continue
            if outcome == CONFLICT:
                conflicts.append(conflict_issue(change.field, change.sku_id, change.after, change.base, current,
                                                force, row=rows.get(change.sku_id)))
                if not force:
                    continue
            change.before = current
            todo.append(change)
    result.already_applied += len(already)
    store.write_values(already)  # an interrupted run may have written them on the platform only
    result.errors += [i for i in conflicts if i.severity == ERROR]
    result.warnings += [i for i in conflicts if i.severity == WARNING]
    result.change_list = todo
    result.changes, result.changed_skus = len(todo), len({c.sku_id for c in todo})
    if result.errors or not todo:
        result.status = "invalid" if result.errors else "unchanged"
        return
    result.run_id = store.begin_run(file, export_id, remote.name, todo)
    try:
        for product_id, changes in _by_product(todo).items():
            wanted: dict[str, dict] = {}
            for change in changes:
                wanted.setdefault(change.sku_id, {})[change.field] = change.after
            outcome = remote.write(product_id, reads[product_id], wanted)
            for change in changes:
                change.result = "applied" if outcome.status == "applied" else "failed"
            if outcome.status == "applied":
                store.apply_changes(result.run_id, changes)
            for sku in wanted:
                result.push_results.append(PushResult(product_id, sku, outcome.status, outcome.code, outcome.message))
    except QuotaExceeded as exc:
        result.warnings.append(Issue("quota_exceeded", WARNING, sheet=None, params={"seconds": exc.seconds}))
    except PlatformError as exc:
        result.warnings.append(Issue("platform_refused", WARNING, sheet=None,
                                     params={"code": exc.code, "detail": exc.text}))
    for change in todo:
        if change.result == "planned":
            change.result = "failed"
    result.applied = sum(1 for c in todo if c.result == "applied")
    result.failed = sum(1 for c in todo if c.result == "failed")
    result.status = "partial" if result.failed else ("invalid" if errors else "applied")
    store.finish_run(result.run_id, result.status, {"changes": result.changes, "applied": result.applied,
                                                    "failed": result.failed, "changed_skus": result.changed_skus})


def _by_product(changes: list[Change]) -> dict[str, list[Change]]:
    """Changes grouped by product, in first-seen order: the platform writes one product a call."""
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.product_id, []).append(change)
    return grouped


def _merged(sheet: pd.DataFrame, catalog: pd.DataFrame, invalid: set[str]) -> pd.DataFrame:
    """The sheet's valid rows as they will be: the sheet's values where its column is present, the
    catalog's where the seller deleted the column."""
    valid = sheet.loc[~sheet.index.isin(list(invalid))] if invalid else sheet
    rows = catalog.index.get_indexer(valid.index.astype(catalog.index.dtype))  # same dtype: the fast lookup
    return pd.DataFrame({key: valid[key].to_numpy() if key in valid.columns else catalog[key].to_numpy()[rows]
                         for key in catalog.columns}, index=valid.index)


def _display_table(pricing: Pricing, merged: pd.DataFrame) -> pd.DataFrame:
    """The report's Display prices: seller price, chargeable weight and a column per country."""
    table = pd.DataFrame(index=pricing.prices.index)
    table["sku_id"] = table.index
    table["seller_price"] = merged["seller_price"].reindex(table.index).to_numpy()
    table["chargeable_weight_kg"] = pricing.chargeable_grams.to_numpy()
    failed = {p.sku_id for p in pricing.problems}
    prices = pricing.prices.copy()
    prices.loc[prices.index.isin(list(failed))] = pd.NA
    return pd.concat([table, prices], axis=1)


def _locate(issue: Issue, raw: RawSheet) -> None:
    """Give an issue found by sku and field (pricing, diff) the cell it belongs to."""
    if issue.cell is None and issue.field in raw.columns and issue.row is not None:
        issue.column = raw.columns[issue.field]
        issue.cell = cell_ref(issue.column, issue.row)
        issue.sheet = raw.sheet
        if issue.value is None:
            position = raw.row_numbers.index(issue.row)
            issue.value = raw.rows[position][issue.column]


def _order(issue: Issue) -> tuple[int, int]:
    return (issue.row or 0, issue.column if issue.column is not None else -1)


def connect(store: Store, settings: Settings, client: Client | None = None,
            require_pull: bool = False) -> AliExpressTarget:
    """The AliExpress target: credentials from the environment (refreshed tokens from the store),
    supported countries and the country → JIT warehouse mapping from the last pull. Pushing
    needs that mapping, so it needs a pull first."""
    if require_pull and not store.meta("ae_warehouses"):
        raise ConfigError("ae_pull_first")
    if client is None:
        credentials = Credentials.from_env(os.environ)
        if credentials is None:
            raise ConfigError("ae_credentials_missing")
        if store.meta("ae_access_token"):
            credentials.access_token = store.meta("ae_access_token") or credentials.access_token
            credentials.refresh_token = store.meta("ae_refresh_token") or credentials.refresh_token
        client = Client(credentials, rate_limit=settings.rate_limit_per_second,
                        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
    if client.on_tokens is None:
        client.on_tokens = lambda access, refresh: _keep_tokens(store, access, refresh)
    warehouses = json.loads(store.meta("ae_warehouses") or "{}")
    return AliExpressTarget(client, [c.code for c in store.countries()], warehouses)


def _keep_tokens(store: Store, access: str, refresh: str | None) -> None:
    store.set_meta("ae_access_token", access)
    if refresh:
        store.set_meta("ae_refresh_token", refresh)


@dataclass
class PullResult:
    products: int
    added: int
    updated: int
    calls: int
    since: str | None


def pull(store: Store | str | os.PathLike, *, since: str | None = None, settings: Settings | None = None,
         client: Client | None = None, progress: Progress | None = None) -> PullResult:
    """Refresh the local catalog from AliExpress: supported countries and warehouses, then every
    product modified since `since` (default: the last successful pull)."""
    settings = settings or Settings()
    with _opened(store, settings.lock_timeout) as handle:
        try:
            remote = connect(handle, settings, client)
            started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
            info = remote.client.info()
            countries = [Country(c["country_code"], c.get("en_name") or c["country_code"],
                                 c.get("cn_name") or c["country_code"])
                         for c in info.get("pop_choice_country_list") or []]
            warehouses = [w["warehouse_code"] for w in info.get("pop_choice_warehouse_list") or []]
            if countries and [c.code for c in countries] != [c.code for c in handle.countries()]:
                handle.set_countries(countries)
            mapping = {c.code: settings.country_warehouses.get(c.code) or (warehouses[0] if warehouses else "")
                       for c in handle.countries()}
            handle.set_meta("ae_warehouses", json.dumps(mapping))
            remote = AliExpressTarget(remote.client, [c.code for c in handle.countries()], mapping)
            since = since or handle.meta("ae_last_pull")
            listed: list[tuple[str, str]] = []
            page = 1
            while True:
                batch = remote.client.list_products(page, 50, since)
                listed += [(str(p["product_id"]), p.get("title") or "")
                           for p in batch.get("pop_choice_product_list") or []]
                if page >= int(batch.get("total_page") or 0):
                    break
                page += 1
            added = updated = 0
            for product_id, title in listed:
                raw_product = remote.client.product(product_id)
                product, skus, prices = product_rows(raw_product, title, remote.countries, mapping)
                a, u = handle.upsert_catalog([product], skus)
                added, updated = added + a, updated + u
                handle.set_platform_prices(prices)
                if progress:
                    progress(1)
            handle.set_meta("ae_last_pull", started)
            return PullResult(len(listed), added, updated, remote.client.calls, since)
        except PlatformError as exc:
            raise ConfigError("platform_refused", code=exc.code, detail=exc.text) from None


def revert(store: Store | str | os.PathLike, run_id: str, *, dry_run: bool = False, force: bool = False,
           lang: str = "en", target: str = "local", settings: Settings | None = None,
           client: Client | None = None) -> ImportResult:
    """Put back the values a run replaced, through the change rule: a value changed again since
    that run is a conflict (unless `force`). The revert is itself a run, with its own journal.
    With target "aliexpress" the platform is re-read and written like an import."""
    settings = settings or Settings()
    with _opened(store, settings.lock_timeout) as handle:
        result = ImportResult(status="unreadable", file=f"revert {run_id}")
        try:
            if handle.run(run_id) is None:
                raise ConfigError("unknown_run", run_id=run_id)
            if target == "aliexpress":
                remote = connect(handle, settings, client, require_pull=True)
                back = [Change(c.sku_id, c.product_id, c.field, c.after, c.before, base=c.after)
                        for c in handle.run_changes(run_id) if c.result == "applied"]
                result.rows = len(back)
                if dry_run:
                    result.change_list, result.changes = back, len(back)
                    result.changed_skus, result.status = len({c.sku_id for c in back}), "dry_run"
                else:
                    _push(handle, remote, back, result, result.file, None, force, [])
                return result
            with handle.transaction():
                applied = [c for c in handle.run_changes(run_id) if c.result == "applied"]
                current = handle.catalog_frame()
                items = [(c.sku_id, c.product_id, c.field, c.after, c.before, _current_value(current, c))
                         for c in applied]
                changes, issues = plan_values(items, force=force)
                result.errors = [i for i in issues if i.severity == ERROR]
                result.warnings = [i for i in issues if i.severity == WARNING]
                result.rows = len(applied)
                result.change_list = changes.changes
                result.changes, result.changed_skus = len(changes.changes), len(changes.skus)
                result.already_applied = changes.already_applied
                if result.errors or dry_run or not changes.changes:
                    result.status = "invalid" if result.errors else ("dry_run" if dry_run else "unchanged")
                else:
                    result.run_id = handle.begin_run(result.file, None, "local", changes.changes)
                    result.push_results = LocalTarget(handle).apply(result.run_id, changes.changes)
                    result.applied = len(changes.changes)
                    result.status = "applied"
                    handle.finish_run(result.run_id, "applied", {"changes": result.changes, "applied": result.applied,
                                                                 "reverts": run_id})
        except SheetsyncError as exc:
            result.status = exc.status
            result.errors = [Issue(exc.rule, sheet=None, params=dict(exc.params))]
        except PlatformError as exc:
            result.status = "unreadable"
            result.errors = [Issue("platform_refused", sheet=None, params={"code": exc.code, "detail": exc.text})]
        finally:
            for issue in (*result.errors, *result.warnings):
                issue.render(lang)
        return result


def _current_value(frame: pd.DataFrame, change: Change) -> object:
    """The catalog's current value for a change's SKU and field, as a plain Python value."""
    if change.sku_id not in frame.index:
        return None
    value = frame.at[change.sku_id, change.field]
    return int(value) if hasattr(value, "item") and not isinstance(value, str) else value


def freight_disagreements(store: Store | str | os.PathLike, rates: str | os.PathLike | None = None) -> pd.DataFrame:
    """After a pull: per country and rate-card bracket, how far the card's freight is from the
    platform's (SKUs, mean and largest difference in cents), largest first."""
    with _opened(store) as handle:
        card = load_rate_card(rates or reference_file("freight_rates.csv"))
        checked = freight_check(handle.catalog_frame(), card, [c.code for c in handle.countries()],
                                handle.platform_prices())
    if checked.empty:
        return checked
    checked["abs_difference"] = checked["difference"].abs()
    grouped = checked.groupby(["country", "bracket_max_g"]).agg(
        skus=("sku_id", "count"), mean_difference=("difference", "mean"), largest=("abs_difference", "max"))
    return grouped.sort_values(["largest", "skus"], ascending=False).reset_index()


def catalog_size(store: Store | str | os.PathLike) -> int:
    """How many SKUs the catalog holds: the rows an export writes (a progress bar's total)."""
    with _opened(store) as handle:
        return handle.sku_count()


def history(store: Store | str | os.PathLike) -> list[dict]:
    with _opened(store) as handle:
        return handle.runs()


__all__ = ["ExportSummary", "PullResult", "catalog_size", "export_catalog", "history", "import_workbook", "init_store",
           "pull", "revert"]
