"""The order of the work for JIT purchase orders, as a Python API (the CLI's `orders export` and
`orders import` are thin over these). The same shape as the catalog's (`pipeline`), and its
pieces where they fit: the reader (with the Orders sheet's spec), the signature, the store's
journal, `final_status`, the report's follow-ups and the exit codes.

    export:  target.orders(statuses) ──► orders.sheet.written_rows ──► template.write_orders_workbook
             └─► Store.record_order_export (every row as written: the base)
    import:  IN.xlsx ──► read.read_sheet(ORDERS) ──► orders.rules.read_orders (cells, rows → orders)
             ──► target.read(orders edited)      re-read just before acting, also in a dry run
             ──► orders.plan.plan(base, sheet, current) ──► actions, already applied, issues
             ──► Store.begin_run ─► target.apply ─► Store.finish_run     (not on errors or --dry-run)
             ──► labels (the platform's) ──► report.write_orders_report ──► mail
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import integrity
from .cells import RawSheet
from .config import Settings, shown_store
from .errors import ConfigError, SheetsyncError, UnreadableWorkbook
from .mail import SmtpSettings, check_mail
from .messages import quoted, suggested_command
from .orders.fields import DEFAULT_STATUSES, ORDER_FIELDS, ORDERS, SHEET_ORDERS, STATUS_GROUPS, STATUS_WORDS
from .orders.model import Action, Order, OrdersResult
from .orders.plan import plan, unused_boxes
from .orders.rules import read_orders
from .orders.sheet import exported_orders, row_key, snapshot, written_rows
from .outputs import check_output, replacing
from .pipeline import (
    _check_export_meta,
    _follow_up,
    _opened,
    _order,
    _reason,
    _stop,
    _store_file,
    _writing,
    refuse_unimported,
)
from .read import check_package, read_sheet
from .report import write_orders_report
from .results import ERROR, WARNING, Change, Issue, IssueLog, Status, final_status
from .store import Store
from .targets import OrdersTarget, open_orders_target
from .template import OrdersMeta, write_orders_workbook

LABEL_SIZES = ("A4", "100_100")
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class OrdersExport:
    path: str
    export_id: str
    orders: int
    rows: int
    target: str


def status_codes(names: Sequence[str] | None) -> list[int]:
    """`--status to_confirm,to_ship` → the platform's status codes (default: the open orders). A
    group's name, or a status as the Orders sheet shows it in either language (`confirmed`,
    `已确认`): the seller copies what they see. A word names that one status, a group its own."""
    chosen = [name.strip() for name in names or DEFAULT_STATUSES]
    if "all" in chosen:
        chosen = list(STATUS_GROUPS)
    words = {word.casefold(): (code,) for code, pair in STATUS_WORDS.items() for word in pair}
    groups = {**words, **STATUS_GROUPS}
    unknown = [name for name in chosen if name.casefold() not in groups]
    if unknown:
        allowed = [*STATUS_GROUPS, "all", *(en for en, _ in STATUS_WORDS.values())]
        raise ConfigError("orders_status_unknown", value=", ".join(unknown), allowed=", ".join(dict.fromkeys(allowed)))
    return list(dict.fromkeys(code for name in chosen for code in groups[name.casefold()]))


def export_orders(store: Store | str | os.PathLike, path: str | os.PathLike, *, target: str | None = None,
                  statuses: Sequence[str] | None = None, lang: str = "en", settings: Settings | None = None,
                  client: object = None, force: bool = False) -> OrdersExport:
    """Write the JIT purchase orders with these statuses (names of `STATUS_GROUPS`; default those
    to confirm and to ship) to an Orders workbook, one row per item, and keep every row as
    written: what an import of the file is compared with. Never over an export of this store (of
    either kind) holding edits not imported yet, the seller's only copy of them, unless `force`."""
    settings = settings or Settings()
    check_output(path, store=_store_file(store))
    if Path(path).suffix.lower() != ".xlsx":
        raise ConfigError("export_not_xlsx", path=str(path), suggestion=str(Path(path).with_suffix(".xlsx")))
    codes = status_codes(statuses)
    with _opened(store, settings.lock_timeout) as handle:
        if not force:
            refuse_unimported(Path(path), handle, settings, lang, client)
        chosen = open_orders_target(target, handle, settings, client)
        orders = chosen.orders(codes)
        rows = written_rows(orders, lang)
        record = handle.record_order_export(lang, chosen.name, str(path), snapshot(rows))
        signature = integrity.sign(handle.secret, handle.store_id, record.export_id, _keys(rows))
        command = suggested_command(f"orders import {quoted(Path(path).name)} --report report.xlsx",
                                    shown_store(_store_file(store)))
        meta = OrdersMeta(handle.store_id, record.export_id, record.created_at, lang, chosen.name, signature, command)
        write_orders_workbook(path, ORDER_FIELDS, rows, meta, SHEET_ORDERS)
        return OrdersExport(str(path), record.export_id, len(orders), len(rows), chosen.name)


def _keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    """What the signature covers: every exported row, as order/SKU."""
    return ["/".join(row_key(row)) for row in rows]


def import_orders(store: Store | str | os.PathLike, path: str | os.PathLike, *, dry_run: bool = False,
                  report: str | os.PathLike | None = None, labels: str | os.PathLike | None = None,
                  label_size: str = "A4", lang: str | None = None, target: str | None = None,
                  email_to: Sequence[str] = (), settings: Settings | None = None, smtp: SmtpSettings | None = None,
                  client: object = None, now: dt.datetime | None = None) -> OrdersResult:
    """Confirm and deliver the orders an edited Orders workbook asks for. Never raises for a bad
    file, bad cells, a busy store or a target that cannot be used: the result says what happened
    and `exit_code` maps it to the CLI's. A re-run of the same file sends nothing new: an order
    already confirmed, or already carrying the sheet's delivery, is `already_applied`.

    With `labels` (a folder), each delivery's box labels are saved as `<delivery number>.pdf`
    where the target prints them (the platform; on the local store a warning says they need it)."""
    settings = settings or Settings()
    now = now or dt.datetime.now(dt.UTC)
    result = OrdersResult(Status.UNREADABLE, file=str(path), target=target or "local")
    raw: RawSheet | None = None
    store_id, mail, report_path = "", None, None
    try:
        if label_size not in LABEL_SIZES:
            raise ConfigError("config_invalid", detail=f"--label-size {label_size}: use {' or '.join(LABEL_SIZES)}")
        if report is not None:
            report_path = check_output(report, store=_store_file(store), inputs=[path])
        if email_to:
            mail = smtp or SmtpSettings.from_env()
            check_mail(mail, email_to)
        with _opened(store, settings.lock_timeout, workbook=path) as handle:
            store_id = handle.store_id
            chosen = open_orders_target(target, handle, settings, client)
            result.target = chosen.name
            with _writing(chosen, dry_run, _forget_acted(result)):
                check_package(Path(path), ORDERS)
                raw = read_sheet(path, True, ORDERS)
                lang = lang or raw.lang or settings.lang
                base, export_id = _base(raw, handle, chosen.name)
                kept = labels is not None or not chosen.labels  # see orders.plan.unused_boxes
                _import(handle, chosen, raw, base, export_id, dry_run, now, result, lang, kept)
            if labels is not None and not dry_run:
                _labels(chosen, Path(labels), label_size, result, lang or settings.lang)
    except SheetsyncError as exc:
        _stop(result, exc)
    lang = result.lang = lang or settings.lang
    result.store = shown_store(_store_file(store))
    for issue in (*result.errors, *result.warnings):
        issue.render(lang, result.store)
    _follow_up(result, raw, store_id, lang, report_path, email_to, mail, lambda name: None,
               writer=write_orders_report)
    return result


def _forget_acted(result: OrdersResult) -> Callable[[], None]:
    """What a rolled-back orders run takes back from its result (a delivery's number too: it was
    rolled back with it)."""
    def forget() -> None:
        if result.run_id is not None:
            result.run_id, result.applied, result.failed = None, 0, 0
            for action in result.actions:
                action.result = "not_applied"
                if action.kind == "selfdelivery":
                    action.delivery_no = None
    return forget


def _base(raw: RawSheet, store: Store, target: str) -> tuple[list[dict[str, Any]], str]:
    """The rows the file's export wrote, once its metadata is shown to be this store's, signed,
    and bound to the Orders sheet beside it."""
    meta, name = raw.meta, raw.path
    _check_export_meta(meta, name, store, "orders_not_sheetsync")
    if meta.get("target", target) != target:  # another target's orders: their numbers mean nothing here
        raise UnreadableWorkbook("orders_other_target", path=name, exported=meta["target"], target=target)
    rows = store.order_export(meta["export_id"])
    if rows is None:
        raise UnreadableWorkbook("orders_not_sheetsync", path=name)
    wanted = integrity.expected(store.secret, store.store_id, meta["export_id"], _keys(rows))
    try:
        integrity.check(wanted, meta.get("signature"), raw.export_mark, name)
    except UnreadableWorkbook as refused:  # the catalog's sentences name the catalog's commands
        raise UnreadableWorkbook("orders_not_sheetsync", path=name) from refused
    return rows, meta["export_id"]


def _journaled(action: Action) -> str:
    """An action as the journal keeps it and `history RUN_ID` shows it: yes for a confirmation,
    the delivery (its number once it has one) for the others."""
    if action.delivery is None:
        return "yes"
    return f"{action.delivery_no}: {action.delivery.shown()}" if action.delivery_no else action.delivery.shown()


def _journaled_before(action: Action, order: Order | None) -> str | None:
    """What an action changes, as the journal keeps it beside what it becomes: the delivery an
    update replaces (its number and details, as re-read before acting), so `history RUN_ID` shows
    both; a confirmation or a new delivery replaces nothing."""
    if action.kind != "updateSelfdelivery" or order is None or order.delivery is None:
        return None
    return f"{order.delivery_no}: {order.delivery.shown()}" if order.delivery_no else order.delivery.shown()


class _Journal:
    """The orders run's journal in the store (targets.OrdersJournal), and the run's language."""

    def __init__(self, store: Store, run_id: str, lang: str = "en") -> None:
        self.store, self.run_id, self.lang = store, run_id, lang

    def record(self, action: Action) -> None:
        self.store.mark_applied(self.run_id, action.seqs, _journaled(action))


def _import(store: Store, target: OrdersTarget, raw: RawSheet, base_rows: list[dict[str, Any]], export_id: str,
            dry_run: bool, now: dt.datetime, result: OrdersResult, lang: str = "en", boxes_kept: bool = True) -> None:
    """Read the sheet into orders, re-read those it edits, plan, and act when nothing is wrong.
    `boxes_kept`: this run uses a delivery's boxes (labels asked for, or a target that records them)."""
    read = read_orders(raw, {row_key(row): row for row in base_rows})
    result.rows = read.rows
    edited = [number for number, order in read.orders.items() if order.edited]
    current = target.read(edited) if edited else {}
    planned = plan(list(read.orders.values()), exported_orders(base_rows), current, now)
    log = IssueLog()  # the catalog's cap per rule: a sheet of bad rows lists each rule's first ones, counts the rest
    log.extend([*read.issues, *planned.issues, *unused_boxes(list(read.orders.values()), planned, boxes_kept)])
    result.errors = sorted((i for i in log.items if i.severity == ERROR), key=_order)
    result.warnings = sorted((i for i in log.items if i.severity == WARNING), key=_order)
    result.more_issues = dict(log.more)
    result.actions, result.already = planned.actions, planned.already
    result.changes, result.already_applied, result.orders = planned.changes, planned.already_applied, planned.orders
    if dry_run or result.errors or not planned.actions:
        for action in planned.actions:
            action.result = "dry_run" if dry_run and not result.errors else "not_applied"
        result.status = final_status(errors=bool(result.errors), dry_run=dry_run, planned=planned.changes)
        return
    entries = [(action, number) for action in planned.actions for number in action.orders]
    result.run_id = store.begin_run(raw.path, export_id, target.name, [
        Change(number, "", action.kind, _journaled_before(action, current.get(number)), _journaled(action))
        for action, number in entries])
    start = 0
    for action in planned.actions:  # entries are the actions' orders in turn
        action.seqs = tuple(range(start, start + len(action.orders)))
        start += len(action.orders)
    stopped = target.apply(_Journal(store, result.run_id, lang), planned.actions)
    for action in planned.actions:
        if action.result == "planned":
            action.result = "failed"
    result.applied = sum(len(a.orders) for a in planned.actions if a.result == "applied")
    result.failed = planned.changes - result.applied
    if stopped is not None:
        result.errors.append(Issue(stopped.rule, sheet=None, params=dict(stopped.params)))
    result.status = final_status(errors=False, stopped=stopped.status if stopped else None, planned=planned.changes,
                                 applied=result.applied, failed=result.failed)
    store.finish_run(result.run_id, result.status, {
        "kind": "orders", "changes": result.changes, "applied": result.applied, "failed": result.failed,
        "orders": result.orders, "errors": 0})


def _labels(target: OrdersTarget, folder: Path, size: str, result: OrdersResult, lang: str) -> None:
    """Save each delivery's box labels as FOLDER/<delivery number>.pdf; the local store cannot
    print them, and says so. A label that cannot be saved is a follow-up warning: the deliveries
    stand."""
    if not target.labels:
        result.warnings.append(Issue("labels_need_platform", WARNING, sheet=None, params={"folder": str(folder)}))
        return
    for delivery_no, boxes in _deliveries(result).items():
        if not _FILE_NAME.fullmatch(delivery_no):  # a number from the platform never becomes a path
            result.follow_up_failed = True
            result.warnings.append(Issue("labels_failed", WARNING, sheet=None, params={
                "reason": "it cannot name a file", "delivery_no": delivery_no[:64]}))
            continue
        path = folder / f"{delivery_no}.pdf"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            pdf = target.label(delivery_no, boxes or 1, size)
            with replacing(path) as stream:
                stream.write(pdf)
            result.labels.append(str(path))
        except (OSError, SheetsyncError) as exc:
            result.follow_up_failed = True  # rendered with the run's other issues
            result.warnings.append(Issue("labels_failed", WARNING, sheet=None,
                                         params={"reason": _reason(exc, lang), "delivery_no": delivery_no}))


def _deliveries(result: OrdersResult) -> dict[str, int | None]:
    """Each delivery the sheet's orders travel in (made now, or already: a re-run fetches the
    labels a first run could not), once, with the boxes of its orders together (None: none given).
    An action made now carries its orders' boxes; a delivery found made already has an
    already-applied action per order, each with that order's boxes."""
    boxes: dict[str, int | None] = {}
    for action in [*result.actions, *result.already]:
        if action.kind == "confirm" or not action.delivery_no or action.result not in ("applied", "already_applied"):
            continue
        number = str(action.delivery_no)
        before = boxes.get(number)
        boxes[number] = before if not action.boxes else (before or 0) + action.boxes
    return boxes


__all__ = ["LABEL_SIZES", "OrdersExport", "export_orders", "import_orders", "status_codes"]
