"""The only module that knows the order of the work. Export and import as a Python API; the CLI
is a thin layer over these functions.

    import:  read → validate → price → plan (change rule) → apply → report → mail → ImportResult
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import pandas as pd

from . import integrity
from .cells import RawSheet, cell_ref
from .config import Settings, bundled_countries, reference_file, sample_data_dir, shown_store
from .diff import PRICE_INPUTS, Guardrails, decide_all, display_price_guardrail, edits
from .errors import ConfigError, Interrupted, SheetsyncError, UnreadableWorkbook
from .fields import TEMPLATE_VERSION, field_for_key
from .mail import SmtpSettings, check_mail, send_report
from .messages import quoted, suggested_command
from .outputs import check_output
from .pricing import Pricing, PricingProblem, RateCard, display_prices, freight_check, load_rate_card
from .read import check_package, read_metadata, read_sheet
from .report import write_report
from .results import ERROR, WARNING, Change, ImportResult, Issue, PullResult, Status, final_status
from .schema import prepare_schema, validate
from .seed import sample_catalog, sample_orders, synthetic_catalog
from .store import Store, nearby_stores, peek_store_id, shown_path
from .targets import Applied, OrdersTarget, Target, open_target
from .template import ExportMeta, Preview, check_fits, write_workbook

if TYPE_CHECKING:
    from .orders.model import OrdersResult
    from .targets.aliexpress import Client
    from .targets.aliexpress.auth import Connected

Progress = Callable[[int], None]
Stage = Callable[[str], None]
IMPORT_STAGES = ("read", "validate", "price", "plan", "apply", "report")
REVERT_FILE = "revert "  # a revert's `file`, before the run it puts back: journaled, and in --json


@dataclass(frozen=True)
class ExportSummary:
    path: str
    export_id: str
    rows: int
    countries: list[str]
    preview: list[str]  # the live display-price columns' countries, in the sheet's order


def biggest_markets(frame: pd.DataFrame, countries: Sequence[str], count: int = 3) -> list[str]:
    """The countries where the most SKUs have stock: the markets a seller watches most."""
    selling = {c: int((frame[f"stock_{c}"] > 0).sum()) for c in countries}
    ranked = sorted(countries, key=lambda c: (-selling[c], countries.index(c)))
    return [c for c in ranked[:count] if selling[c] > 0]


def _store_file(store: Store | str | os.PathLike) -> Path:
    return store.path if isinstance(store, Store) else Path(store)


def _open(store: Store | str | os.PathLike, lock_timeout: float = 30.0, near: Sequence[Path] = (),
          workbook: str | os.PathLike | None = None) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    exported_from = None if workbook is None else functools.partial(_exported_from, Path(workbook))
    return Store.open(Path(store), lock_timeout, near, exported_from=exported_from), True


def _exported_from(workbook: Path) -> str | None:
    """The id of the store `workbook` was exported from (its hidden metadata), read safely; None
    for a file that is not a readable workbook."""
    try:
        check_package(workbook)
    except (SheetsyncError, OSError):
        return None
    return read_metadata(workbook).get("store_id") or None


@contextmanager
def _opened(store: Store | str | os.PathLike, lock_timeout: float = 30.0,
            workbook: str | os.PathLike | None = None) -> Iterator[Store]:
    """The store as a handle; closed afterwards only if it was opened here from a path. A missing
    store's likely replacement is looked for beside `workbook` too, and among several catalogs
    it is the one the workbook was exported from."""
    near = [Path(workbook).parent] if workbook is not None else []
    handle, owned = _open(store, lock_timeout, near, workbook)
    try:
        yield handle
    finally:
        if owned:
            handle.close()


def init_store(path: str | os.PathLike, sample: bool = False, synthetic: int = 0,
               settings: Settings | None = None) -> int:
    """Create a catalog at `path`; load the bundled sample (with a few JIT purchase orders) or
    `synthetic` generated SKUs. Returns the number of SKUs loaded."""
    countries = bundled_countries()
    store = Store.create(Path(path), countries, (settings or Settings()).lock_timeout)
    try:
        if sample:
            products, skus = sample_catalog(sample_data_dir())
            count = store.insert_catalog(products, skus)
            store.insert_orders(sample_orders(products, skus, datetime.now(UTC)))  # the orders flow offline
            return count
        if synthetic:
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
                   progress: Progress | None = None, settings: Settings | None = None,
                   force: bool = False) -> ExportSummary:
    """Write the catalog to an .xlsx template and keep a snapshot of every exported value.

    `preview` names the countries that get a live display-price column (formulas over the rate
    card `rates`); by default the store's three biggest markets, none with an empty list.
    `settings` gives the lock timeout. Only an .xlsx name is written (Excel refuses to open a
    workbook under another extension), and never over this store's export holding edits not
    imported yet, the seller's only copy of them, unless `force`."""
    check_output(path, store=_store_file(store), inputs=[rates])
    if Path(path).suffix.lower() != ".xlsx":
        raise ConfigError("export_not_xlsx", path=str(path), suggestion=str(Path(path).with_suffix(".xlsx")))
    with _opened(store, (settings or Settings()).lock_timeout) as handle:
        if not force:
            refuse_unimported(Path(path), handle, settings, lang)
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
        secret = handle.secret  # read (and found sound) before the export is recorded
        record = handle.record_export(frame, lang, codes, str(path))
        signature = integrity.sign(secret, handle.store_id, record.export_id, frame.index)
        name = Path(path).name
        command = suggested_command(f"import {quoted(name)} --report report.xlsx", shown_store(_store_file(store)))
        meta = ExportMeta(handle.store_id, record.export_id, record.created_at, lang, codes, signature, command)
        shown = write_workbook(path, frame, countries, meta, progress, live)
        return ExportSummary(str(path), record.export_id, len(frame), codes, shown)


def refuse_unimported(path: Path, store: Store, settings: Settings | None, lang: str = "en",
                      client: object = None) -> None:
    """Refuse to write any export (catalog or orders) over a workbook exported from this store, of
    either kind, that holds edits not imported yet: the seller's only copy of them. A dry run of
    the import its kind takes says so (changes still to apply, or cells with errors, which are
    edits too): the catalog's against the local catalog, the orders' against the target they were
    exported from (`client`: the platform's, as the export that calls this uses), its sentences in
    `lang`, the refusal's. An export nobody edited, or whose edits are all applied, is replaced as
    before, and so is any other file. One whose dry run could not tell (the platform it goes back
    to cannot be used now, the file no longer reads as the export it says it is) is refused too,
    saying why: the edits may be there."""
    if not path.is_file():
        return
    try:
        check_package(path)
    except SheetsyncError:
        return
    meta = read_metadata(path)
    if meta.get("store_id") != store.store_id or not meta.get("export_id"):
        return
    if meta.get("kind") == "orders":
        from .orders_pipeline import import_orders  # it builds on this module: imported when needed

        planned: ImportResult | OrdersResult = import_orders(
            store, path, dry_run=True, target=meta.get("target") or None, settings=settings, client=client, lang=lang)
        rule, command = "orders_not_imported", "orders import"
    else:
        planned = import_workbook(store, path, dry_run=True, target="local", settings=settings, lang=lang)
        rule, command = "export_not_imported", "import"
    if planned.status in (Status.UNREADABLE, Status.UNAVAILABLE):
        raise ConfigError("export_not_checked", path=str(path), export_id=meta["export_id"],
                          command=suggested_command(f"{command} {quoted(str(path))}", str(store.path)),
                          reason=planned.errors[0].message if planned.errors else str(planned.status))
    if planned.changes or planned.status == Status.INVALID:
        raise ConfigError(rule, path=str(path), changes=planned.changes, errors=len(planned.errors),
                          export_id=meta["export_id"], store=str(store.path))


@dataclass(frozen=True)
class ImportOptions:
    """What the seller asked of an import, as one value (the CLI's options, the API's keywords)."""

    dry_run: bool = False
    skip_invalid: bool = False
    force: bool = False
    allow_large_changes: bool = False
    rates: str | os.PathLike | None = None
    report: str | os.PathLike | None = None
    lang: str | None = None
    target: str | None = None  # None: the store's own target
    email_to: Sequence[str] = ()


def _no_stage(name: str) -> None:
    """No progress display."""


@_collector_paused
def import_workbook(store: Store | str | os.PathLike, path: str | os.PathLike, *, settings: Settings | None = None,
                    smtp: SmtpSettings | None = None, client: Client | None = None, stage: Stage | None = None,
                    stop: threading.Event | None = None, **options: Any) -> ImportResult:
    """Import an edited workbook. Never raises for a bad file, bad cells, a busy store or a
    platform that cannot be used: the result says what happened (status, counts, errors,
    warnings) and `exit_code` maps it to the CLI's exit code. `options` are ImportOptions' fields.

    With `email_to`, the report is mailed (through `smtp`, else the SHEETSYNC_SMTP_* environment,
    checked before anything else is done); a report is written to a temporary file for the mail
    when no `report` path is given. A report or mail that fails after the import keeps the
    import's result and adds a warning (exit 4 instead of 0). `stop`: set it (the CLI does, on
    Ctrl-C) to stop a run that writes after what is in flight; see `_execute`."""
    opts = ImportOptions(**options)
    settings = settings or Settings()
    stage = stage or _no_stage
    result = ImportResult(Status.UNREADABLE, file=str(path), target=opts.target or "local")
    raw: RawSheet | None = None
    store_id, lang = "", opts.lang
    mail: SmtpSettings | None = None
    report_path: Path | None = None
    card: RateCard | None = None
    try:
        if opts.report is not None:
            report_path = check_output(opts.report, store=_store_file(store), inputs=[path, opts.rates])
        if opts.email_to:
            mail = smtp or SmtpSettings.from_env()
            check_mail(mail, opts.email_to)
        card = load_rate_card(opts.rates or reference_file("freight_rates.csv"))
        with _opened(store, settings.lock_timeout, workbook=path) as handle:
            store_id = handle.store_id
            target = open_target(opts.target, handle, settings, client)
            result.target = target.name
            with _writing(target, opts.dry_run, _forget_applied(result)):
                stage("read")
                loaded = _read_with_catalog(path, handle)
                raw = loaded.raw
                lang = lang or raw.lang or settings.lang
                result.saved_by = raw.saved_by.words(lang) if raw.saved_by else None
                _check_meta(loaded, handle)
                _import(handle, target, loaded, card, opts, settings, result, stage, stop)
    except SheetsyncError as exc:
        _stop(result, exc)
    lang = result.lang = lang or _template_lang(path) or settings.lang
    result.store = shown_store(_store_file(store))
    for issue in (*result.errors, *result.warnings):
        issue.render(lang, result.store)
    _follow_up(result, raw, store_id, lang, report_path, opts.email_to, mail, stage,
               functools.partial(write_report, card=card))
    return result


def _template_lang(path: str | os.PathLike) -> str | None:
    """The language a workbook was exported in, for a run that stopped before reading it (a store
    that is missing, mail settings that cannot work): its seller reads that language there too."""
    try:
        check_package(Path(path))
    except (SheetsyncError, OSError):
        return None
    lang = read_metadata(path).get("lang")
    return lang if lang in ("en", "zh") else None


@contextmanager
def _writing(target: Target | OrdersTarget, dry_run: bool, forget: Callable[[], None]) -> Iterator[None]:
    """Hold the target's exclusive access around a run that writes (a catalog import, a revert,
    an orders import). If the block fails and the target is all or nothing (the local store's
    transaction), what the run reported applied inside was undone with it: `forget` takes that
    back from the result, which must not claim it."""
    if dry_run:
        yield
        return
    try:
        with target.exclusive():
            yield
    except SheetsyncError:
        if target.all_or_nothing:
            forget()
        raise


def _forget_applied(result: ImportResult) -> Callable[[], None]:
    """What a rolled-back catalog run takes back from its result."""
    def forget() -> None:
        if result.run_id is not None:
            result.run_id, result.applied, result.failed, result.push_results = None, 0, 0, []
            for change in result.change_list:
                change.result = "not_applied"
    return forget


def _stop(result: ImportResult, exc: SheetsyncError) -> None:
    """What stopped a run becomes its result: its status (or partial, if something was written
    first) and an error saying why, in the seller's words."""
    result.status = final_status(errors=False, stopped=exc.status, applied=result.applied, failed=result.failed,
                                 planned=result.changes)
    if not any(e.rule == exc.rule and e.params == exc.params for e in result.errors):  # met twice: one error
        result.errors.append(Issue(exc.rule, sheet=None, params=dict(exc.params)))


def _follow_up(result: ImportResult, raw: RawSheet | None, store_id: str, lang: str,
               report: Path | None, email_to: Sequence[str], mail: SmtpSettings | None, stage: Stage,
               writer: Callable[..., None]) -> None:
    """The report and the mail, after the work: a failure here is a warning naming the step, and
    the run's own result stands (ARCHITECTURE: exit 4 when it was a success). `report` is the
    checked output path (None: no report asked for, or its path was refused); `writer` writes
    the report (the catalog's with its rate card bound, or the orders')."""
    if report is not None:
        stage("report")
        try:
            writer(report, result, raw, store_id, lang)
            result.report = str(report)
        except (OSError, SheetsyncError) as exc:
            _follow_up_failed(result, "report_failed", _reason(exc, lang), lang)
    if email_to:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(result.report) if result.report else Path(scratch) / f"{Path(result.file).stem}-report.xlsx"
            try:
                if not result.report:
                    writer(path, result, raw, store_id, lang)
                problem = send_report(result, path, email_to, mail, lang)
            except (OSError, SheetsyncError) as exc:
                problem = _reason(exc, lang)
        result.emailed = problem is None
        if problem:
            _follow_up_failed(result, "mail_failed", problem, lang)


def _follow_up_failed(result: ImportResult, rule: str, reason: str, lang: str) -> None:
    result.follow_up_failed = True
    result.warnings.append(Issue(rule, WARNING, sheet=None, params={"reason": reason}).render(lang, result.store))


def _reason(exc: Exception, lang: str) -> str:
    if isinstance(exc, SheetsyncError):
        return exc.message(lang)
    return f"{exc.__class__.__name__}: {exc}"


@dataclass
class _Loaded:
    raw: RawSheet
    catalog: pd.DataFrame
    base: pd.DataFrame | None  # the export's snapshot, when the file names a known export
    signature: integrity.Expected | None  # what that export's metadata must be signed with


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
            signature = None if base is None else integrity.expected(store.secret, store.store_id, export_id,
                                                                     base.index)
            prepare_schema([c.code for c in store.countries()])
        finally:
            raw = reading.result()
    return _Loaded(raw, catalog, base, signature)


def _check_export_meta(meta: Mapping[str, str], name: str, store: Store, not_ours: str) -> None:
    """What every workbook sheetsync exported must show before anything else is read from it: an
    export id (else `not_ours`, the workbook kind's rule), a template this version reads, and this
    store as the exporter (catalog and orders workbooks alike)."""
    if not meta.get("export_id"):
        raise UnreadableWorkbook(not_ours, path=name)
    if meta.get("template_version", TEMPLATE_VERSION) > TEMPLATE_VERSION:
        raise UnreadableWorkbook("template_version", path=name, version=meta["template_version"])
    if meta.get("store_id") != store.store_id:
        _other_store(name, str(meta.get("store_id") or "?"), store)


def _check_meta(loaded: _Loaded, store: Store) -> None:
    meta = loaded.raw.meta
    name = loaded.raw.path
    _check_export_meta(meta, name, store, "not_sheetsync")
    if loaded.base is None:  # loaded for the file's export id, if the store knows that export
        raise UnreadableWorkbook("unknown_export", path=name, export_id=meta["export_id"])
    if loaded.signature is None:
        raise UnreadableWorkbook("not_sheetsync", path=name)
    integrity.check(loaded.signature, meta.get("signature"), loaded.raw.export_mark, name)


def _other_store(name: str, store_id: str, store: Store) -> NoReturn:
    """A workbook of another store: name the store the seller gave, and the store it came from
    when that one sits in the current folder or beside the workbook (the --store they meant)."""
    for candidate in nearby_stores([Path(name).parent], exclude=store.path):
        if peek_store_id(candidate) == store_id:
            raise UnreadableWorkbook("other_store_nearby", path=name, store=str(store.path),
                                     suggestion=shown_path(candidate))
    raise UnreadableWorkbook("other_store", path=name, store_id=store_id, store=str(store.path), own_id=store.store_id)


def _import(store: Store, target: Target, loaded: _Loaded, card: RateCard, opts: ImportOptions,
            settings: Settings, result: ImportResult, stage: Stage, stop: threading.Event | None = None) -> None:
    """Validate and price the sheet, find what it edits, and hand that to the shared path."""
    stage("validate")
    raw, catalog, base = loaded.raw, loaded.catalog, loaded.base
    countries = [c.code for c in store.countries()]
    checked = validate(raw, catalog, base, countries)
    result.rows = checked.rows
    result.more_issues = checked.more

    stage("price")
    merged = _merged(checked.frame, catalog, checked.invalid_skus)
    pricing = display_prices(merged, card, countries)
    pricing_issues, unpriced = _pricing_issues(pricing.problems, checked.frame)
    result.display_prices = _display_table(pricing, merged, checked.frame["_row"])
    platform = store.platform_prices()
    if platform:
        result.freight_check = freight_check(catalog, card, countries, platform)

    stage("plan")
    rails = Guardrails(settings.max_price_change_pct, settings.max_stock_jump, opts.allow_large_changes)
    _execute(store, target, edits(checked.frame, checked.editable, base), merged, result, opts, rails,
             found=[*checked.issues, *pricing_issues], invalid=checked.invalid_skus | unpriced,
             locate=functools.partial(_locate, raw=raw, rows=dict(zip(checked.frame.index,
                                                                       checked.frame["_row"].tolist(), strict=True))),
             describe=functools.partial(_describe, catalog=catalog, raw=raw), file=raw.path,
             export_id=raw.meta["export_id"], stage=stage, stop=stop,
             display_rails=functools.partial(_display_rails, after=merged, prices=pricing.prices, card=card,
                                             countries=countries, rails=rails))


def _display_rails(changes: Sequence[Change], issues: Sequence[Issue], *, after: pd.DataFrame,
                   prices: pd.DataFrame, card: RateCard, countries: list[str], rails: Guardrails) -> list[Issue]:
    """The display-price guardrail over the changes a run will write: each touched SKU priced
    again with the base values of its seller price, weight and size (and its stock as it will be),
    so the move compared is the one those edits cause, country by country. Only the SKUs whose
    price, weight or size changed are priced again."""
    inputs = [c for c in changes if c.field in PRICE_INPUTS and c.sku_id in after.index]
    if not inputs:
        return []
    skus = list(dict.fromkeys(c.sku_id for c in inputs))
    before = after.loc[skus].copy()
    for key in PRICE_INPUTS:  # a column at a time: a bulk edit may touch every SKU
        touched = [c for c in inputs if c.field == key]
        if touched:
            before.loc[[c.sku_id for c in touched], key] = [c.base for c in touched]
    was = display_prices(before, card, countries).prices
    return display_price_guardrail(inputs, was, prices.loc[skus], rails, issues)


class _Journal:
    """The run's journal in the store (targets.Journal)."""

    def __init__(self, store: Store, run_id: str | None, stop: threading.Event | None = None) -> None:
        self.store, self.run_id = store, run_id
        self.stop = stop or threading.Event()

    def record(self, changes: Sequence[Change]) -> None:
        if changes and self.run_id is not None:
            self.store.apply_changes(self.run_id, changes)

    def mirror(self, changes: Sequence[Change]) -> None:
        if changes:
            self.store.write_values(changes)


def _execute(store: Store, target: Target, found_edits: list[Change], after: pd.DataFrame, result: ImportResult,
             opts: ImportOptions, rails: Guardrails | None, *, found: Sequence[Issue] = (),
             invalid: set[str] = frozenset(), locate: Callable[[Issue], None] = lambda issue: None,
             describe: Callable[[Sequence[Change]], None] = lambda changes: None, file: str,
             export_id: str | None, stage: Stage = _no_stage, note: dict[str, Any] | None = None,
             display_rails: Callable[[Sequence[Change], Sequence[Issue]], list[Issue]] | None = None,
             stop: threading.Event | None = None) -> None:
    """The path every run takes, an import, a dry run and a revert alike: read what the edits
    touch from the target, decide each edit by the change rule (and the guardrails, the display
    price's included when `display_rails` is given), let the target refuse what it cannot store,
    and only then (no errors, not a dry run) journal and apply. `stop`, once set (Ctrl-C, by the
    caller), lets the target finish and journal what it has in flight and send nothing more; the
    run then ends `interrupted` when changes were left unsent."""
    decision = decide_all(found_edits, target.read(found_edits), force=opts.force, guardrails=rails)
    if display_rails is not None:
        decision.issues.extend(display_rails(decision.changes, decision.issues))
    issues = [*found, *decision.issues, *target.check(decision.changes, after)]
    for issue in issues:
        locate(issue)
    errors = sorted((i for i in issues if i.severity == ERROR), key=_order)
    warnings = sorted((i for i in issues if i.severity == WARNING), key=_order)
    invalid = invalid | {i.sku_id for i in errors if i.sku_id}
    changes = [c for c in decision.changes if c.sku_id not in invalid] if opts.skip_invalid else decision.changes
    result.errors, result.warnings = errors, warnings
    describe(changes)
    changes.sort(key=Change.sheet_order)  # the plan, the journal and --json in the order of the sheet
    result.change_list, result.changes = changes, len(changes)
    result.changed_skus = len({c.sku_id for c in changes})
    result.already_applied = len(decision.already)
    blocked = bool(errors) and not opts.skip_invalid
    if opts.dry_run or blocked or not changes:
        for change in changes:
            change.result = "dry_run" if opts.dry_run and not blocked else "not_applied"
        if not (opts.dry_run or blocked):
            _Journal(store, None).mirror(decision.already)
        result.status = final_status(errors=bool(errors), dry_run=opts.dry_run, planned=len(changes))
        return
    stage("apply")
    result.run_id = store.begin_run(file, export_id, target.name, changes)
    journal = _Journal(store, result.run_id, stop)
    applied = Applied() if journal.stop.is_set() else target.apply(journal, changes, decision.already)
    result.push_results = applied.results
    result.applied = sum(1 for c in changes if c.result == "applied")
    result.failed = len(changes) - result.applied
    if journal.stop.is_set():  # Ctrl-C: what it left unsent is not a failure of the target
        for change in changes:
            if change.result == "planned":
                change.result = "not_applied"
        if applied.stopped is None and any(c.result == "not_applied" for c in changes):
            applied.stopped = Interrupted(result.applied, len(changes), result.run_id)
    had_errors = bool(errors)  # before the stop joins them: a stop after some writes is partial, not invalid
    if applied.stopped is not None:
        result.errors.append(Issue(applied.stopped.rule, sheet=None, params=dict(applied.stopped.params)))
    result.status = final_status(errors=had_errors, stopped=applied.stopped.status if applied.stopped else None,
                                 planned=len(changes), applied=result.applied, failed=result.failed)
    # The journal says what the run did to the catalog: a --skip-invalid run that wrote its valid rows
    # applied them (its errors are counted beside), even though the import as a whole is `invalid`.
    journaled = final_status(errors=False, stopped=applied.stopped.status if applied.stopped else None,
                             planned=len(changes), applied=result.applied, failed=result.failed)
    store.finish_run(result.run_id, journaled, {
        "changes": result.changes, "applied": result.applied, "failed": result.failed,
        "changed_skus": result.changed_skus, "errors": len(errors), **(note or {})})


def _pricing_issues(problems: list[PricingProblem], sheet: pd.DataFrame) -> tuple[list[Issue], set[str]]:
    """One issue per SKU and country that cannot be priced, except:
    - a country missing from the rate card altogether: one issue, at its first SKU's cell and with
      the count, since a store selling in 47 countries with a 33-country card would otherwise get a
      million identical lines;
    - a SKU too heavy for the heaviest bracket: one issue on its weight cell, naming every country
      concerned, since the weight (or the size) is what to fix, not the stock of each country.
    Returns the issues and every SKU that has one (all of them stay out of --skip-invalid)."""
    row_of = dict(zip(sheet.index, sheet["_row"].tolist(), strict=True)) if problems else {}
    missing: dict[str, list[PricingProblem]] = {}
    heavy: dict[str, list[PricingProblem]] = {}
    issues = []
    for problem in problems:
        if problem.rule == "no_rate_for_country":
            missing.setdefault(problem.country, []).append(problem)
        elif problem.rule == "no_freight_bracket":
            heavy.setdefault(problem.sku_id, []).append(problem)
        else:
            issues.append(_pricing_issue(problem, problem.rule, row_of, sheet))
    for country_problems in missing.values():
        first = country_problems[0]
        rule = "no_rate_for_country" if len(country_problems) == 1 else "no_rate_for_country_skus"
        issues.append(_pricing_issue(first, rule, row_of, sheet, count=len(country_problems)))
    for sku, sku_problems in heavy.items():
        issues.append(Issue("no_freight_bracket", field="weight_kg", sku_id=sku, row=int(row_of[sku]),
                            params={"weight": sku_problems[0].params["weight"],
                                    "countries": ", ".join(p.country for p in sku_problems)}))
    return issues, {problem.sku_id for problem in problems}


def _pricing_issue(problem: PricingProblem, rule: str, row_of: dict[str, int], sheet: pd.DataFrame,
                   **params: object) -> Issue:
    key = f"stock_{problem.country}"
    return Issue(rule, field=key, sku_id=problem.sku_id, row=int(row_of[problem.sku_id]),
                 value=problem.params["stock"] if key in sheet else None, params={**problem.params, **params})


def _merged(sheet: pd.DataFrame, catalog: pd.DataFrame, invalid: set[str]) -> pd.DataFrame:
    """The sheet's valid rows as they will be: the sheet's values where its column is present, the
    catalog's where the seller deleted the column."""
    valid = sheet.loc[~sheet.index.isin(list(invalid))] if invalid else sheet
    rows = catalog.index.get_indexer(valid.index.astype(catalog.index.dtype))  # same dtype: the fast lookup
    return pd.DataFrame({key: valid[key].to_numpy() if key in valid.columns else catalog[key].to_numpy()[rows]
                         for key in catalog.columns}, index=valid.index)


def _display_table(pricing: Pricing, merged: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """The report's Display prices: the SKU as the seller knows it (code, title, row in the sheet),
    seller price, chargeable weight and a column per country."""
    table = pd.DataFrame(index=pricing.prices.index)
    table["sku_id"] = table.index
    for key in ("sku_code", "title"):
        table[key] = merged[key].reindex(table.index).to_numpy()
    table["row"] = rows.reindex(table.index).to_numpy()
    table["seller_price"] = merged["seller_price"].reindex(table.index).to_numpy()
    table["chargeable_weight_kg"] = pricing.chargeable_grams.to_numpy()
    failed = {p.sku_id for p in pricing.problems}
    prices = pricing.prices.copy()
    prices.loc[prices.index.isin(list(failed))] = pd.NA
    return pd.concat([table, prices], axis=1)


def _locate(issue: Issue, raw: RawSheet, rows: Mapping[str, int]) -> None:
    """Give an issue found by SKU and field (pricing, diff, a target's limits) its row and cell."""
    if issue.row is None and issue.sku_id in rows:
        issue.row = int(rows[issue.sku_id])
    if issue.cell is None and issue.field in raw.columns and issue.row is not None:
        issue.column = raw.columns[issue.field]
        issue.cell = cell_ref(issue.column, issue.row)
        issue.sheet = raw.sheet
        if issue.value is None:
            position = raw.row_numbers.index(issue.row)
            issue.value = raw.rows[position][issue.column]


def _describe(changes: Sequence[Change], catalog: pd.DataFrame, raw: RawSheet | None = None) -> None:
    """Give each change what the seller recognises it by in a plan: its cell in the sheet (when it
    came from one), the SKU's own code and the field's kind (how its values are shown). Looked up
    once per SKU and field: a plan may hold a change for every cell of 100k SKUs."""
    skus = list(dict.fromkeys(change.sku_id for change in changes))
    codes = dict(zip(skus, catalog["sku_code"].reindex(skus).tolist(), strict=True)) if skus else {}
    titles = dict(zip(skus, catalog["title"].reindex(skus).tolist(), strict=True)) if skus else {}
    kinds: dict[str, str | None] = {}
    for change in changes:
        if change.field not in kinds:
            field = field_for_key(change.field)
            kinds[change.field] = field.kind if field else None
        change.kind = kinds[change.field]
        code = codes.get(change.sku_id)
        change.sku_code = code if isinstance(code, str) and code else None
        title = titles.get(change.sku_id)
        change.title = title if isinstance(title, str) and title else None
        if raw is not None and change.row is not None and change.field in raw.columns:
            change.sheet, change.cell = raw.sheet, cell_ref(raw.columns[change.field], change.row)


def _order(issue: Issue) -> tuple[int, int]:
    return (issue.row or 0, issue.column if issue.column is not None else -1)


def pull(store: Store | str | os.PathLike, *, since: str | None = None, settings: Settings | None = None,
         client: Client | None = None, progress: Progress | None = None, target: str = "aliexpress") -> PullResult:
    """Refresh the local catalog from a platform: supported countries and warehouses, then every
    product modified since `since` (default: the last successful pull)."""
    settings = settings or Settings()
    with _opened(store, settings.lock_timeout) as handle:
        handle.check_rows(stock=True)  # a pull rewrites only the products modified since: damage elsewhere would stay
        chosen = open_target(target, handle, settings, client)
        with chosen.exclusive():  # the store's write lock: a pull writes the catalog like an import
            return chosen.pull(since, progress)


def revert(store: Store | str | os.PathLike, run_id: str, *, dry_run: bool = False, force: bool = False,
           lang: str = "en", target: str | None = None, settings: Settings | None = None,
           client: Client | None = None, stage: Stage | None = None, stop: threading.Event | None = None
           ) -> ImportResult:
    """Put back the values a run replaced, through the same path as an import: the target is
    read, a value changed again since that run is a conflict (unless `force`), and a dry run
    shows what would be put back. The revert is itself a run, with its own journal. The target
    is the run's own unless `target` says otherwise. `stage` and `stop` as for `import_workbook`."""
    settings = settings or Settings()
    result = ImportResult(Status.UNREADABLE, file=f"{REVERT_FILE}{run_id}", lang=lang)
    try:
        with _opened(store, settings.lock_timeout) as handle:
            run = handle.run(run_id)
            if run is None:
                raise ConfigError("unknown_run", run_id=run_id)
            if run.get("kind") == "orders":
                raise ConfigError("orders_run_not_revertible", run_id=run_id)
            chosen = open_target(target or run["target"], handle, settings, client)
            result.target = chosen.name
            with _writing(chosen, dry_run, _forget_applied(result)):
                back = [Change(c.sku_id, c.product_id, c.field, None, c.before, base=c.after)
                        for c in handle.run_changes(run_id) if c.result == "applied"]
                result.rows = len(back)
                catalog = handle.catalog_frame()
                _execute(handle, chosen, back, _overlay(catalog, back), result,
                         ImportOptions(dry_run=dry_run, force=force), None, file=result.file, export_id=None,
                         describe=functools.partial(_describe, catalog=catalog), note={"reverts": run_id},
                         stage=stage or _no_stage, stop=stop)
    except SheetsyncError as exc:
        _stop(result, exc)
    result.store = shown_store(_store_file(store))
    for issue in (*result.errors, *result.warnings):
        issue.render(lang, result.store)
    return result


def _overlay(catalog: pd.DataFrame, changes: Sequence[Change]) -> pd.DataFrame:
    """The rows of the products the changes touch, as they will be once the changes are applied."""
    products = {c.product_id for c in changes}
    rows = catalog[catalog["product_id"].isin(products)].copy()
    for change in changes:
        if change.sku_id in rows.index and change.field in rows.columns:
            rows.at[change.sku_id, change.field] = change.after
    return rows


def authorize(store: Store | str | os.PathLike, *, code: str | None = None, settings: Settings | None = None,
              client: Client | None = None, show: Callable[[str, str, bool], None] | None = None,
              ask: Callable[[str], str] | None = None, wait: float = 300.0, lang: str = "en",
              env: Mapping[str, str] | None = None, force: bool = False) -> Connected:
    """Connect the store to an AliExpress seller: the OAuth code flow of ALIEXPRESS.md ("Seller
    authorization"). With `code`, that code is exchanged at once. Otherwise `show(url, redirect,
    receiving)` is given the authorize URL (with a random state); when the app's redirect URI
    (SHEETSYNC_AE_REDIRECT_URI) is a loopback address the answer is received on its port within
    `wait` seconds, else `ask(redirect)` returns what the seller pasted (the redirected address or
    the code). The tokens, their expiry, the seller's id and nick are kept in the store, which is
    created if it does not exist yet, and AliExpress becomes its target. The app's key and secret
    come from the environment (`env`, default os.environ) unless `client` is given. A store
    already connected to another seller (another seller id) is refused unless `force`: its catalog,
    journal and tokens are that seller's, and the next push would send them to the wrong shop."""
    from .targets.aliexpress import auth
    from .targets.aliexpress.catalog import TARGET_KEY
    from .targets.aliexpress.client import Client, Credentials

    settings = settings or Settings()
    env = os.environ if env is None else env
    path = _store_file(store)
    existing = isinstance(store, Store) or path.exists()
    if existing:  # a file that is not a catalog is named before the seller signs in
        with _opened(store, settings.lock_timeout):
            pass
    command = auth.reauthorize_command(path)
    if client is None:
        credentials = Credentials.app_from_env(env)
        if credentials is None:
            raise ConfigError("ae_credentials_missing", command=command)
        client = Client(credentials, rate_limit=settings.rate_limit_per_second,
                        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                        deadline=settings.request_deadline)
    client.auth_command = command
    if code is None:
        code = _authorization_code(client, env, show, ask, wait, lang)
    if existing:  # locked before the exchange: new tokens are never made for a store that cannot keep them
        with _opened(store, settings.lock_timeout) as handle, handle.write_lock():
            answer = client.create_token(code)
            if not force:
                auth.refuse_other_seller(handle, answer)
            connected = auth.keep_authorization(handle, answer, time.time(), TARGET_KEY)
    else:  # made only once the code was accepted: a refused code leaves no empty store behind
        answer = client.create_token(code)
        handle = Store.create(path, bundled_countries(), settings.lock_timeout)
        try:
            with handle.write_lock():
                connected = auth.keep_authorization(handle, answer, time.time(), TARGET_KEY)
        finally:
            handle.close()
    return dataclasses.replace(connected, created=not existing,
                               environment_token=bool(env.get("SHEETSYNC_AE_ACCESS_TOKEN")))


def _authorization_code(client: Client, env: Mapping[str, str], show: Callable[[str, str, bool], None] | None,
                        ask: Callable[[str], str] | None, wait: float, lang: str) -> str:
    """The code the platform hands back once the seller allowed the app (see `authorize`)."""
    from .targets.aliexpress import auth

    redirect = auth.redirect_uri(env)
    state = auth.new_state()
    url = auth.authorize_url(client.credentials.endpoint, client.credentials.app_key, redirect, state)
    address = auth.loopback_address(redirect)
    receiver = auth.CallbackReceiver(address, state, lang) if address else None  # listening before the URL is shown
    try:
        if show:
            show(url, redirect, receiver is not None)
        if receiver is not None:
            return receiver.wait(wait)
        if ask is None:
            raise ConfigError("ae_auth_no_code")
        return auth.code_from_answer(ask(redirect), state)
    finally:
        if receiver is not None:
            receiver.close()


def status(store: Store | str | os.PathLike, settings: Settings | None = None, runs: int = 5) -> dict[str, Any]:
    """What `sheetsync status` shows: the store file, its target (and for a platform the
    connected seller, token validity, the last pull), the catalog's size and countries, and the
    last `runs` runs, latest first. Never a secret; makes no call."""
    settings = settings or Settings()
    with _opened(store, settings.lock_timeout) as handle:
        handle.check_rows(stock=True)  # the counts of a damaged catalog would be a false picture of it
        described = open_target(None, handle, settings, offline=True).describe()
        return {"store": str(handle.path), "store_id": handle.store_id, **described,
                "products": handle.product_count(), "skus": handle.sku_count(),
                "countries": [c.code for c in handle.countries()], "runs": handle.runs()[::-1][:runs]}


def freight_disagreements(store: Store | str | os.PathLike, rates: str | os.PathLike | None = None,
                          settings: Settings | None = None) -> pd.DataFrame:
    """After a pull: per country and rate-card bracket, how far the card's freight is from the
    platform's (SKUs, mean and largest difference in cents), largest first."""
    with _opened(store, (settings or Settings()).lock_timeout) as handle:
        card = load_rate_card(rates or reference_file("freight_rates.csv"))
        checked = freight_check(handle.catalog_frame(), card, [c.code for c in handle.countries()],
                                handle.platform_prices())
    if checked.empty:
        return checked
    checked["abs_difference"] = checked["difference"].abs()
    grouped = checked.groupby(["country", "bracket_max_g"]).agg(
        skus=("sku_id", "count"), mean_difference=("difference", "mean"), largest=("abs_difference", "max"))
    return grouped.sort_values(["largest", "skus"], ascending=False).reset_index()


def catalog_size(store: Store | str | os.PathLike, settings: Settings | None = None) -> int:
    """How many SKUs the catalog holds: the rows an export writes (a progress bar's total)."""
    with _opened(store, (settings or Settings()).lock_timeout) as handle:
        return handle.sku_count()


def history(store: Store | str | os.PathLike, settings: Settings | None = None) -> list[dict[str, Any]]:
    """The store's runs, oldest first: id, start and finish (UTC), file, target, status and counts.
    A --skip-invalid run that wrote its valid rows is `applied` (journaled so since; an older
    journal said `invalid`): the status says what it did to the catalog, `errors` what it skipped."""
    with _opened(store, (settings or Settings()).lock_timeout) as handle:
        runs = [_as_journaled(run) for run in handle.runs()]
    return _with_reverts(runs)


def _with_reverts(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run that a later revert put back (wholly or in part) names that revert in
    `reverted_by`, so a listing never shows it as simply applied (found by a new-seller review)."""
    by_revert = {run["file"].removeprefix(REVERT_FILE): run["run_id"] for run in runs
                 if run["file"].startswith(REVERT_FILE) and run.get("applied")}
    return [{**run, "reverted_by": by_revert[run["run_id"]]} if run["run_id"] in by_revert else run
            for run in runs]


def _as_journaled(run: dict[str, Any]) -> dict[str, Any]:
    if run["status"] == Status.INVALID and run.get("applied"):
        return {**run, "status": str(Status.PARTIAL if run.get("failed") else Status.APPLIED)}
    return run


def run_changes(store: Store | str | os.PathLike, run_id: str,
                settings: Settings | None = None) -> tuple[dict[str, Any], list[Change]]:
    """What a run changed (`sheetsync history RUN_ID`): the run as `history` lists it, and each
    change it journaled with the SKU's code, from the value it found to the one it wrote, and its
    result (applied, or failed and not written). Raises ConfigError for an unknown run."""
    with _opened(store, (settings or Settings()).lock_timeout) as handle:
        run = handle.run(run_id)
        if run is None:
            raise ConfigError("unknown_run", run_id=run_id)
        changes = handle.run_changes(run_id)
        _describe(changes, handle.catalog_frame())
        listed = next((r for r in _with_reverts(handle.runs()) if r["run_id"] == run_id), {})
        shown = _as_journaled(run)
        if "reverted_by" in listed:  # as history lists it: never offered for a revert again
            shown = {**shown, "reverted_by": listed["reverted_by"]}
        return shown, changes


__all__ = ["ExportSummary", "ImportOptions", "PullResult", "authorize", "catalog_size", "export_catalog", "history",
           "import_workbook", "init_store", "pull", "revert", "run_changes", "status"]
