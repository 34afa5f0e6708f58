"""The change rule: base (export snapshot) × sheet × current (target now) → changes and conflicts.

| sheet vs base | current        | outcome                                  |
| equal         | anything       | untouched, never written                 |
| different     | equal to base  | change                                   |
| different     | equal to sheet | already applied (counted, not written)   |
| different     | anything else  | conflict (error), unless force           |

Comparisons are on canonical values (cents, grams, ints, text), whole columns at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fields import Field, field_for_key, to_display
from .results import ERROR, WARNING, Change, ChangeSet, Issue


@dataclass(frozen=True)
class Guardrails:
    """Limits that catch fat fingers: a price moved by more than `max_price_change_pct` percent,
    or a stock changed by more than `max_stock_jump` units."""

    max_price_change_pct: float = 50.0
    max_stock_jump: int = 10_000
    allow_large_changes: bool = False


UNTOUCHED, CHANGE, ALREADY_APPLIED, CONFLICT = "untouched", "change", "already_applied", "conflict"


def decide(base: object, sheet: object, current: object) -> str:
    """The change rule for one value (the table above)."""
    if sheet == base:
        return UNTOUCHED
    if current == sheet:
        return ALREADY_APPLIED
    if current == base:
        return CHANGE
    return CONFLICT


def conflict_issue(key: str, sku: str, wanted: object, base: object, current: object, force: bool,
                   row: int | None = None) -> Issue:
    """A conflict names the field with all three values, shown as the seller types them; with
    --force it is a warning and the sheet's value is written."""
    f = field_for_key(key)
    kind = f.kind if f else "text"
    return Issue("conflict", WARNING if force else ERROR, sheet=None if row is None else "Products", field=key,
                 sku_id=sku, row=row, value=to_display(kind, wanted), base=to_display(kind, base),
                 current=to_display(kind, current), params=_labels(f, key))


def plan_values(items: list[tuple[str, str, str, object, object, object]], force: bool = False
                ) -> tuple[ChangeSet, list[Issue]]:
    """The change rule over (sku_id, product_id, field, base, wanted, current) tuples: for revert,
    where `wanted` is the value a run replaced and `base` the value it wrote."""
    changes = ChangeSet()
    issues: list[Issue] = []
    for sku, product, key, base, wanted, current in items:
        outcome = decide(base, wanted, current)
        if outcome == ALREADY_APPLIED:
            changes.already_applied += 1
            continue
        if outcome == UNTOUCHED:
            continue
        if outcome == CONFLICT:
            issues.append(conflict_issue(key, sku, wanted, base, current, force))
            if not force:
                continue
        changes.changes.append(Change(sku, product, key, current, wanted, base=base))
    return changes, issues


def _equal(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Elementwise equality where <NA> equals only <NA>; integer columns compared as integers."""
    if pd.api.types.is_integer_dtype(left.dtype) and pd.api.types.is_integer_dtype(right.dtype):
        a_na = left.isna().to_numpy()
        b_na = right.isna().to_numpy()
        values = left.to_numpy(dtype=np.int64, na_value=0) == right.to_numpy(dtype=np.int64, na_value=0)
        return np.where(a_na | b_na, a_na & b_na, values)
    a = left.astype(object).to_numpy()
    b = right.astype(object).to_numpy()
    a_na = pd.isna(a)
    b_na = pd.isna(b)
    both = ~a_na & ~b_na
    same = a_na & b_na
    same[both] = (a[both] == b[both]).astype(bool)
    return same


def plan(sheet: pd.DataFrame, editable: list[str], base: pd.DataFrame, current: pd.DataFrame,
         force: bool = False, guardrails: Guardrails | None = None) -> tuple[ChangeSet, list[Issue]]:
    """Apply the change rule to every editable field present in the sheet.

    `sheet` is the validated frame (indexed by sku_id, `_row` column, <NA> where a cell failed
    validation); `base` and `current` hold the same keys for at least those SKUs.
    """
    guardrails = guardrails or Guardrails()
    changes = ChangeSet()
    issues: list[Issue] = []
    skus = sheet.index
    base_rows = base.reindex(skus)
    current_rows = current.reindex(skus)
    product_ids = current_rows["product_id"]
    products = product_ids.to_numpy(dtype=object)
    rows = sheet["_row"].to_numpy()
    for key in editable:
        f = field_for_key(key)
        values = sheet[key]
        # Title is a product field: judge it once per product, on the product's first row in the sheet.
        first = (~product_ids.duplicated(keep="first").to_numpy() if key == "title"
                 else np.ones(len(skus), dtype=bool))
        valid = values.notna().to_numpy() & first
        edited = valid & ~_equal(values, base_rows[key])
        if not edited.any():
            continue
        matches_base = _equal(current_rows[key], base_rows[key])
        matches_sheet = _equal(current_rows[key], values)
        # Whole columns as object arrays once: indexing a Series cell by cell costs ~10 µs a cell.
        afters = values.to_numpy(dtype=object)
        bases = base_rows[key].to_numpy(dtype=object)
        nows = current_rows[key].to_numpy(dtype=object)
        for i in np.flatnonzero(edited).tolist():
            sku = skus[i]
            after, was, now = afters[i], bases[i], nows[i]
            if matches_sheet[i]:
                changes.already_applied += 1
                continue
            if not matches_base[i]:
                issues.append(conflict_issue(key, sku, after, was, now, force, row=int(rows[i])))
                if not force:
                    continue
            limit = _guardrail(f.kind, was, after, guardrails)
            if limit:
                issues.append(Issue(limit[0], WARNING if guardrails.allow_large_changes else ERROR, field=key,
                                    sku_id=sku, row=int(rows[i]), value=to_display(f.kind, after),
                                    base=to_display(f.kind, was), params={**_labels(f, key), **limit[1]}))
                if not guardrails.allow_large_changes:
                    continue
            changes.changes.append(Change(sku, str(products[i]), key, _plain(now), _plain(after), base=_plain(was)))
    return changes, issues


def _labels(f: Field | None, key: str) -> dict[str, str]:
    """The field's label in both languages; the message catalog picks the seller's."""
    return {"label": f.label_en, "label_zh": f.label_zh} if f else {"label": key}


def _guardrail(kind: str, before: object, after: object, rails: Guardrails) -> tuple[str, dict] | None:
    if kind == "money" and before and not pd.isna(before):
        moved = abs(int(after) - int(before)) * 100 / int(before)
        if moved > rails.max_price_change_pct:
            return "large_price_change", {"percent": f"{moved:.0f}", "limit": f"{rails.max_price_change_pct:g}"}
    if kind == "stock" and not pd.isna(before):
        jump = abs(int(after) - int(before))
        if jump > rails.max_stock_jump:
            return "large_stock_change", {"jump": jump, "limit": rails.max_stock_jump}
    return None


def _plain(value: object) -> object:
    """numpy and pandas scalars → plain Python values (JSON-able, SQLite-able)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    return value
