"""Plain data passed between the pipeline's stages and returned to callers."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

ERROR = "error"
WARNING = "warning"


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

    def render(self, lang: str) -> Issue:
        """Fill `message` in `lang` from the rule and its parameters (value, base, current included)."""
        from .messages import message

        shown = self.value
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        self.message = message(self.rule, lang, **{"value": shown, "base": self.base,
                                                   "current": self.current, **self.params})
        return self

    def as_json(self) -> dict[str, Any]:
        """The public fields (severity, column and params are internal), built directly rather
        than through dataclasses.asdict, which deep-copies and costs ~10 µs per issue."""
        return {name: _jsonable(getattr(self, name)) for name in _ISSUE_JSON_FIELDS}


_ISSUE_JSON_FIELDS = ("rule", "sheet", "cell", "row", "field", "sku_id", "value", "base", "current", "message")


@dataclass
class Change:
    """One field of one SKU to write: `before` is the current value, `after` the sheet's."""

    sku_id: str
    product_id: str
    field: str
    before: Any
    after: Any
    base: Any = None
    result: str = "planned"
    seq: int | None = None  # position in the run's journal


@dataclass
class ChangeSet:
    changes: list[Change] = default(default_factory=list)
    already_applied: int = 0

    @property
    def skus(self) -> set[str]:
        return {c.sku_id for c in self.changes}


@dataclass
class PushResult:
    product_id: str
    sku_id: str
    status: str
    code: str | None = None
    message: str | None = None


@dataclass
class ImportResult:
    status: str
    file: str
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
    mail_failed: bool = False
    change_list: list[Change] = default(default_factory=list)
    push_results: list[PushResult] = default(default_factory=list)
    display_prices: Any = None
    freight_check: Any = None  # after a pull: where the rate card and the platform disagree
    saved_by: str | None = None

    @property
    def exit_code(self) -> int:
        """The status's exit code; a failed email turns a success (0) into 4."""
        code = EXIT_CODES[self.status]
        return MAIL_FAILED_EXIT if code == 0 and self.mail_failed else code

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "run_id": self.run_id,
            "file": self.file,
            "rows": self.rows,
            "changed_skus": self.changed_skus,
            "changes": self.changes,
            "applied": self.applied,
            "already_applied": self.already_applied,
            "failed": self.failed,
            "errors": [i.as_json() for i in self.errors],
            "warnings": [i.as_json() for i in self.warnings],
            "report": self.report,
            "emailed": self.emailed,
        }


EXIT_CODES = {"applied": 0, "unchanged": 0, "dry_run": 0, "invalid": 1, "unreadable": 2, "partial": 3}
MAIL_FAILED_EXIT = 4


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
