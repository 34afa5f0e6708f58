"""Plain data passed between the pipeline's stages and returned to callers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as default
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .amounts import SCALE


class Status(StrEnum):
    """How a run ended (ARCHITECTURE: statuses and exit codes). A closed set: a typo is an error."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    DRY_RUN = "dry_run"
    INVALID = "invalid"
    UNREADABLE = "unreadable"
    UNAVAILABLE = "unavailable"
    PARTIAL = "partial"
    INTERRUPTED = "interrupted"  # Ctrl-C during a run that writes: what was written before it is journaled

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]


_EXIT_CODES = {Status.APPLIED: 0, Status.UNCHANGED: 0, Status.DRY_RUN: 0, Status.INVALID: 1,
               Status.UNREADABLE: 2, Status.UNAVAILABLE: 2, Status.PARTIAL: 3,
               Status.INTERRUPTED: 130}  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
FOLLOW_UP_FAILED_EXIT = 4  # the run's own outcome was a success, but the report or the mail failed


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


ERROR = Severity.ERROR
WARNING = Severity.WARNING


def final_status(*, errors: bool, stopped: Status | None = None, dry_run: bool = False, planned: int = 0,
                 applied: int = 0, failed: int = 0) -> Status:
    """The one place that decides how a run ended.

    `errors`: validation errors or conflicts were found; `stopped`: the status of what stopped the
    run (a platform that became unusable, say), if anything did; `planned`, `applied`, `failed`:
    changes to write, written, and refused or failed by the target. The order matters: nothing
    written because something stopped the run is that cause; errors come before failures, because
    fixing the cells and importing again also finishes what failed; then failures; then the quiet
    outcomes. An interruption (Ctrl-C) is the status whatever else happened: it says the run is
    not finished, and exit 130 tells a script that a person stopped it."""
    if stopped is Status.INTERRUPTED:
        return stopped
    if stopped is not None and applied == 0:
        return stopped
    if errors:
        return Status.INVALID
    if failed or stopped is not None:
        return Status.PARTIAL
    if dry_run:
        return Status.DRY_RUN
    if planned == 0:
        return Status.UNCHANGED
    return Status.APPLIED


@dataclass
class Issue:
    """One problem found in a workbook, shaped like frictionless' errors: where, what, which rule."""

    rule: str
    severity: str = ERROR
    sheet: str | None = "Products"
    cell: str | None = None
    row: int | None = None
    column: int | None = None
    field: str | None = None
    sku_id: str | None = None
    value: Any = None
    base: Any = None
    current: Any = None
    params: dict[str, Any] = default(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        from .messages import Rule

        self.rule = Rule(self.rule)  # a closed vocabulary: an unknown rule is a bug, found here
        self.severity = Severity(self.severity)

    def render(self, lang: str, store: str | None = None) -> Issue:
        """Fill `message` in `lang` from the rule and its parameters (where, value, base and
        current included, so a message may name any of them); every command it suggests names
        `store`, the seller's --store (None: the default store)."""
        from .messages import message, with_store

        shown = self.value
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        self.message = message(self.rule, lang, **{
            "value": shown, "base": self.base, "current": self.current, "sku_id": self.sku_id,
            "field": self.field, "cell": self.cell, "row": self.row, **self.params})
        self.message = with_store(self.message, store)
        return self

    def as_json(self) -> dict[str, Any]:
        """The public fields (severity, column and params are internal), built directly rather
        than through dataclasses.asdict, which deep-copies and costs ~10 µs per issue."""
        return {name: _jsonable(getattr(self, name)) for name in _ISSUE_JSON_FIELDS}


_ISSUE_JSON_FIELDS = ("rule", "sheet", "cell", "row", "field", "sku_id", "value", "base", "current", "message")


ISSUES_PER_RULE = 1000


class IssueLog:
    """Collects issues, keeping at most `per_rule` of each rule and counting the rest, so a file
    with a million bad cells costs memory in proportion to its size, not to its errors. Every
    error's SKU is remembered even when the issue itself is not kept: --skip-invalid must never
    write a row because its error was beyond the cap."""

    def __init__(self, per_rule: int = ISSUES_PER_RULE) -> None:
        self.per_rule = per_rule
        self.items: list[Issue] = []
        self.kept: Counter[str] = Counter()
        self.more: Counter[str] = Counter()  # rule → issues not kept
        self.invalid_skus: set[str] = set()

    def add(self, issue: Issue) -> Issue:
        if issue.severity == ERROR and issue.sku_id:
            self.invalid_skus.add(issue.sku_id)
        if self.kept[issue.rule] < self.per_rule:
            self.kept[issue.rule] += 1
            self.items.append(issue)
        else:
            self.more[issue.rule] += 1
        return issue

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)


@dataclass
class Change:
    """One field of one SKU to write: `base` the value exported, `after` the sheet's, `before` the
    target's value when it was read."""

    sku_id: str
    product_id: str
    field: str
    before: Any
    after: Any
    base: Any = None
    result: str = "planned"  # planned → applied | failed | rejected | dry_run | not_applied
    seq: int | None = None  # position in the run's journal
    row: int | None = None  # the sheet row it came from, to name the cell in an issue
    sheet: str | None = None  # the sheet and cell it came from (Products, H3): the plan names them
    cell: str | None = None
    sku_code: str | None = None  # the seller's own code for the SKU: what a seller recognises, not the id
    title: str | None = None  # the SKU's product title, beside its code in the report's Changes
    kind: str | None = None  # the field's kind (money, weight, ...): how its canonical value is shown

    def sheet_order(self) -> tuple[int, int, str]:
        """Row by row, then column by column (B before AA), as the seller reads the sheet."""
        column = (self.cell or "").rstrip("0123456789")
        return (self.row or 0, len(column), column)

    def shown(self, value: Any) -> Any:
        """A canonical value as the seller would type it, for JSON: cents as 12.5, grams as 0.35."""
        scale = SCALE.get(self.kind or "", 1)
        if scale == 1 or not isinstance(value, int) or isinstance(value, bool):
            return _jsonable(value)
        return float(Decimal(value) / scale)

    def as_json(self) -> dict[str, Any]:
        """One planned or applied change: where, which SKU and field, from what to what, and how it ended."""
        return {"sheet": self.sheet, "cell": self.cell, "row": self.row,
                "sku_id": self.sku_id, "sku_code": self.sku_code, "product_id": self.product_id,
                "field": self.field, "before": self.shown(self.before if self.before is not None else self.base),
                "after": self.shown(self.after), "result": self.result}


@dataclass
class PullResult:
    products: int
    added: int
    updated: int
    calls: int
    since: str | None


@dataclass
class PushResult:
    product_id: str
    sku_id: str
    status: str
    code: str | None = None
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        """One SKU's result: applied, or rejected or failed with the platform's code and message."""
        return {"product_id": self.product_id, "sku_id": self.sku_id, "status": self.status, "code": self.code,
                "message": self.message}


@dataclass
class ImportResult:
    status: Status
    file: str
    target: str = "local"  # where the changes went (or would go): "local" or a platform
    run_id: str | None = None
    rows: int = 0
    changed_skus: int = 0
    changes: int = 0
    applied: int = 0
    already_applied: int = 0
    failed: int = 0
    errors: list[Issue] = default(default_factory=list)
    warnings: list[Issue] = default(default_factory=list)
    report: str | None = None
    emailed: bool = False
    follow_up_failed: bool = False  # the report could not be written or mailed (a warning says which)
    more_issues: dict[str, int] = default(default_factory=dict)  # rule → issues beyond the per-rule cap, not listed
    change_list: list[Change] = default(default_factory=list)
    push_results: list[PushResult] = default(default_factory=list)
    display_prices: Any = None
    freight_check: Any = None  # after a pull: where the rate card and the platform disagree
    saved_by: str | None = None
    store: str | None = None  # the store as suggested commands name it (--store), None for the default
    lang: str = "en"  # the language its messages were written in (--lang, the template's, the config's)

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def exit_code(self) -> int:
        """The status's exit code; a failed follow-up step (report, mail) turns a success (0) into 4."""
        code = Status(self.status).exit_code
        return FOLLOW_UP_FAILED_EXIT if code == 0 and self.follow_up_failed else code

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "target": self.target,
            "run_id": self.run_id,
            "file": self.file,
            "rows": self.rows,
            "changed_skus": self.changed_skus,
            "changes": self.changes,
            "applied": self.applied,
            "already_applied": self.already_applied,
            "failed": self.failed,
            "errors": [i.as_json() for i in self.errors],
            "more_issues": dict(self.more_issues),
            "warnings": [i.as_json() for i in self.warnings],
            "change_list": [change.as_json() for change in self.change_list],
            "push_results": [push.as_json() for push in self.push_results],
            "report": self.report,
            "emailed": self.emailed,
        }



def _jsonable(value: Any) -> Any:
    """A value JSON can carry as it is: NaN and infinities (not JSON) and other objects as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
