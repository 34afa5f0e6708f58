"""The change rule: base (export snapshot) × sheet × current (target now) → changes and conflicts.

| sheet vs base | current        | outcome                                  |
| equal         | anything       | untouched, never written                 |
| different     | equal to base  | change                                   |
| different     | equal to sheet | already applied (counted, not written)   |
| different     | anything else  | conflict (error), unless force           |

The rule exists once, in two forms that must agree (a property test checks it): `outcomes`, over
whole arrays, and its scalar twin `decide`. `edits` finds, a whole column at a time, the cells
where the sheet differs from the base: only those are read from the target and decided.
Comparisons are on canonical values (cents, grams, ints, text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from .fields import Field, field_for_key, to_display
from .results import ERROR, WARNING, Change, Issue


class Outcome(StrEnum):
    UNTOUCHED = "untouched"
    CHANGE = "change"
    ALREADY_APPLIED = "already_applied"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Guardrails:
    """Limits that catch fat fingers: a price (the seller's, or the buyer's display price in any
    country) moved by more than `max_price_change_pct` percent, a stock changed by more than
    `max_stock_jump` units, a weight or a package size multiplied or divided by `measure_factor`
    or more (grams typed into the kilogram column)."""

    max_price_change_pct: float = 50.0
    max_stock_jump: int = 10_000
    allow_large_changes: bool = False
    measure_factor: int = 10

    @property
    def severity(self) -> str:
        """What a guardrail's issue is: an error, or a warning with --allow-large-changes."""
        return WARNING if self.allow_large_changes else ERROR

    @property
    def advice(self) -> str:
        """How its message ends (messages.GUARDRAIL_ADVICE): an error says how to allow the change,
        the warning that it was allowed."""
        return "allowed" if self.allow_large_changes else "refused"


@dataclass
class Decision:
    """What the change rule made of a set of edits: the changes to write (with `before` set to the
    target's current value), those the target already holds, and the conflicts and guardrail
    issues found on the way."""

    changes: list[Change] = field(default_factory=list)
    already: list[Change] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def decide(base: object, sheet: object, current: object) -> Outcome:
    """The change rule for one value (the table above)."""
    if sheet == base:
        return Outcome.UNTOUCHED
    if current == sheet:
        return Outcome.ALREADY_APPLIED
    if current == base:
        return Outcome.CHANGE
    return Outcome.CONFLICT


def outcomes(base: np.ndarray, sheet: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The change rule over aligned object arrays of plain values (None for a missing one)."""
    result = np.full(len(sheet), Outcome.CONFLICT, dtype=object)
    result[_same(current, base)] = Outcome.CHANGE
    result[_same(current, sheet)] = Outcome.ALREADY_APPLIED
    result[_same(sheet, base)] = Outcome.UNTOUCHED
    return result


def _objects(values: list[object]) -> np.ndarray:
    """A 1-D object array of exactly these values (np.array would nest any sequence it finds)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _same(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.fromiter((a == b for a, b in zip(left.tolist(), right.tolist(), strict=True)), dtype=bool,
                       count=len(left))


def edits(sheet: pd.DataFrame, editable: Sequence[str], base: pd.DataFrame) -> list[Change]:
    """Every cell of an editable column whose value differs from the export's, as a Change with
    `base` and `after` set (`before`, the target's value, is not known yet).

    `sheet` is the validated frame (indexed by sku_id, `_row` column, <NA> where a cell failed
    validation, which is never an edit); `base` holds at least those SKUs. Title is a product
    field: it is judged once per product, on the product's first row in the sheet."""
    found: list[Change] = []
    skus = sheet.index
    base_rows = base.reindex(skus)
    product_ids = base_rows["product_id"]
    products = product_ids.to_numpy(dtype=object)
    rows = sheet["_row"].to_numpy()
    first_of_product = ~product_ids.duplicated(keep="first").to_numpy()
    for key in editable:
        values = sheet[key]
        valid = values.notna().to_numpy() & (first_of_product if key == "title" else True)
        edited = valid & ~_equal(values, base_rows[key])
        if not edited.any():
            continue
        # Whole columns as object arrays once: indexing a Series cell by cell costs ~10 µs a cell.
        afters = values.to_numpy(dtype=object)
        bases = base_rows[key].to_numpy(dtype=object)
        for i in np.flatnonzero(edited).tolist():
            found.append(Change(skus[i], str(products[i]), key, None, plain(afters[i]), base=plain(bases[i]),
                                row=int(rows[i])))
    return found


def decide_all(candidates: Sequence[Change], current: Sequence[object], force: bool = False,
               guardrails: Guardrails | None = None) -> Decision:
    """Apply the change rule to edits whose target values are `current` (aligned with them).

    A conflict is an error naming the cell with its three values; with `force` it is a warning
    and the sheet's value is written. Guardrails (None: none, as for a revert) judge the move
    from the base to the sheet's value."""
    decision = Decision()
    if not candidates:
        return decision
    nows = [plain(value) for value in current]
    judged = outcomes(_objects([c.base for c in candidates]), _objects([c.after for c in candidates]),
                      _objects(nows))
    for change, outcome, now in zip(candidates, judged.tolist(), nows, strict=True):
        if outcome == Outcome.UNTOUCHED:
            continue
        change.before = now
        if outcome == Outcome.ALREADY_APPLIED:
            decision.already.append(change)
            continue
        if outcome == Outcome.CONFLICT:
            decision.issues.append(conflict_issue(change, now, force))
            if not force:
                continue
        limit = guardrail(change, guardrails) if guardrails else None
        if limit:
            decision.issues.append(limit)
            if not guardrails.allow_large_changes:
                continue
        decision.changes.append(change)
    return decision


def conflict_issue(change: Change, current: object, force: bool) -> Issue:
    """A conflict names the field with all three values, shown as the seller types them; with
    --force it is a warning and the sheet's value is written."""
    f = field_for_key(change.field)
    kind = f.kind if f else "text"
    return Issue("conflict", WARNING if force else ERROR, sheet=None if change.row is None else "Products",
                 field=change.field, sku_id=change.sku_id, row=change.row, value=to_display(kind, change.after),
                 base=to_display(kind, change.base), current=to_display(kind, current),
                 params=_labels(f, change.field))


def guardrail(change: Change, rails: Guardrails) -> Issue | None:
    """A move from the base to the sheet's value beyond the limits: an error, or a warning with
    --allow-large-changes. The message says which way the value went."""
    f = field_for_key(change.field)
    if f is None or f.kind not in GUARDED_KINDS or change.base is None or change.after is None:
        return None
    before, after = int(change.base), int(change.after)
    params: dict[str, object]
    if f.kind == "money" and before:
        if abs(after - before) * 100 <= rails.max_price_change_pct * before:
            return None
        rule, params = "large_price_change", {**movement(before, after), "limit": f"{rails.max_price_change_pct:g}"}
    elif f.kind in MEASURE_KINDS and before > 0 and after > 0:
        if max(after, before) < rails.measure_factor * min(after, before):
            return None
        rule, params = "large_measure_change", {**movement(before, after), "factor": rails.measure_factor}
    elif f.kind == "stock":
        jump = abs(after - before)
        if jump <= rails.max_stock_jump:
            return None
        rule, params = "large_stock_change", {"direction": movement(before, after)["direction"], "jump": jump,
                                              "limit": rails.max_stock_jump}
    else:
        return None
    return Issue(rule, rails.severity, field=change.field, sku_id=change.sku_id,
                 row=change.row, value=to_display(f.kind, after), base=to_display(f.kind, before),
                 params={**_labels(f, change.field), **params, "advice": rails.advice})


MEASURE_KINDS = ("weight", "dim")
GUARDED_KINDS = ("money", "stock", *MEASURE_KINDS)
PRICE_INPUTS = ("seller_price", "weight_kg", "length_cm", "width_cm", "height_cm")  # what a display price is made of
GUARDED = frozenset({"large_price_change", "large_measure_change"})


def movement(before: int, after: int) -> dict[str, str]:
    """Which way a value went and by how many percent, as a message shows it: "rises" "2,000",
    "drops" "99.8" (one decimal below 100%, where a drop lives, and thousands separated above)."""
    percent = abs(after - before) * 100 / before
    shown = f"{percent:,.0f}" if percent >= 100 else f"{percent:.1f}".removesuffix(".0")
    return {"direction": "rises" if after > before else "drops", "percent": shown}


def display_price_guardrail(changes: Sequence[Change], before: pd.DataFrame, after: pd.DataFrame,
                            rails: Guardrails, issues: Sequence[Issue] = ()) -> list[Issue]:
    """A display price (seller price + freight) moved beyond the price limit in any country: one
    issue per SKU, on the edited cell that moved the most (its seller price, weight or size), naming
    the country where the display price moved the most. `before` and `after` are display prices in
    cents (sku × display_price_<CC>, <NA> where not sold or not priced), `before` computed from the
    base values of the same cells. A SKU whose price, weight or size already has a guardrail issue
    (`issues`) gets no second one: the seller is already sent to that cell."""
    guarded = {issue.sku_id for issue in issues if issue.rule in GUARDED}
    causes: dict[str, Change] = {}
    for change in changes:
        if change.field not in PRICE_INPUTS or change.sku_id in guarded or not change.base:
            continue
        held = causes.get(change.sku_id)
        if held is None or _relative(change) > _relative(held):
            causes[change.sku_id] = change
    if not causes or not len(after.columns):
        return []
    skus = list(causes)
    old = before.reindex(skus).to_numpy(dtype=float, na_value=np.nan)
    new = after.reindex(skus).to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # whole arrays: a bulk edit touches every SKU
        moved = np.where((old > 0) & (new >= 0), np.abs(new - old) * 100 / old, -1.0)
    worst = moved.argmax(axis=1)
    limit = rails.max_price_change_pct
    found = []
    for i in np.flatnonzero(moved[np.arange(len(skus)), worst] > limit).tolist():
        cause, column = causes[skus[i]], int(worst[i])
        f = field_for_key(cause.field)
        kind = f.kind if f else "text"
        was, now = int(old[i, column]), int(new[i, column])
        found.append(Issue("large_display_price_change", rails.severity, field=cause.field, sku_id=skus[i],
                           row=cause.row, value=to_display(kind, cause.after), base=to_display(kind, cause.base),
                           params={**_labels(f, cause.field), **movement(was, now),
                                   "country": str(after.columns[column]).removeprefix("display_price_"),
                                   "price_before": to_display("money", was), "price_after": to_display("money", now),
                                   "limit": f"{limit:g}", "advice": rails.advice}))
    return found


def _relative(change: Change) -> float:
    """How far a change moved its value, as a share of the base (base > 0)."""
    return abs(int(change.after) - int(change.base)) / int(change.base)


def _labels(f: Field | None, key: str) -> dict[str, str]:
    """The field's label in both languages; the message catalog picks the seller's."""
    return {"label": f.label_en, "label_zh": f.label_zh} if f else {"label": key, "label_zh": key}


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


def plain(value: object) -> object:
    """numpy and pandas scalars → plain Python values (comparable, JSON-able, SQLite-able)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.str_):
        return str(value)
    return value
