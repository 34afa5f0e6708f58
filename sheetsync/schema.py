"""Validation: raw cells → canonical frame + Issues.

Two passes. `parse_*` turn what a spreadsheet may hold (numbers, text with decimal commas, numbers
where text was meant, dates, booleans) into canonical values or a rule code, column at a time with a
vectorised path for the common case. Then a pandera schema checks ranges and formats lazily, so
every problem in the file is reported at once, and the cross-row rules run on the whole frame.
Only this module imports pandera.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .cells import RawSheet, cell_ref
from .fields import (
    LOGISTICS_ATTRIBUTES,
    SCALE,
    SKU_CODE_MAX,
    TITLE_MAX,
    Field,
    field_for_key,
    fields_for,
    to_display,
)
from .results import ERROR, WARNING, Issue

if TYPE_CHECKING:
    import pandera.pandas as pa

_EXACT_FLOAT_LIMIT = 2**53
_SKU_CODE = re.compile(rf"^[A-Za-z0-9._-]{{1,{SKU_CODE_MAX}}}$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_COMMA_DECIMAL = re.compile(r"^([+-]?\d+),(\d+)$")
_US_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EU_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_EXCEL_ERRORS = {"#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}



# -- single values -------------------------------------------------------------------------------
def parse_decimal_text(text: str) -> tuple[Decimal | None, str | None]:
    """Text a seller typed as a number → Decimal, or the rule it breaks.

    Accepted: 12.5, 12,50 (decimal comma), 1,234.56 and 1.234,56 (grouped, unambiguous because both
    separators appear). Refused as ambiguous: 1,250 (a thousands comma or a decimal comma?).
    """
    text = text.replace("\u00a0", "").replace(" ", "")
    if text in _EXCEL_ERRORS:
        return None, "cell_error"
    if _PLAIN.match(text):
        return Decimal(text), None
    match = _COMMA_DECIMAL.match(text)
    if match:
        whole, fraction = match.groups()
        if len(fraction) == 3 and whole.lstrip("+-").lstrip("0"):
            return None, "ambiguous_number"
        return Decimal(f"{whole}.{fraction}"), None
    if _US_GROUPED.match(text) and "." in text:
        return Decimal(text.replace(",", "")), None
    if _EU_GROUPED.match(text) and "," in text:
        return Decimal(text.replace(".", "").replace(",", ".")), None
    if _US_GROUPED.match(text) or _EU_GROUPED.match(text):
        return None, "ambiguous_number"
    return None, "format"


def gtin_check_digit(body: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_problem(code: str) -> tuple[str, dict[str, Any]] | None:
    if code == "":
        return None
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return "barcode_format", {}
    expected = gtin_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return "barcode_check_digit", {"expected": expected}
    return None


# -- columns -------------------------------------------------------------------------------------
@dataclass
class ParsedColumn:
    values: pd.Series  # canonical values; <NA> where blank or unparseable
    problems: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # position → (rule, params)
    notes: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # position → warning


def _classify(values: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks: numeric cells (int/float, not bool), text cells, blank cells."""
    numeric = np.fromiter((type(v) in (float, int) for v in values), dtype=bool, count=len(values))
    text = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    blank = np.fromiter((v is None or v == "" for v in values), dtype=bool, count=len(values))
    return numeric, text & ~blank, blank


def parse_scaled(values: Sequence[Any], kind: str) -> ParsedColumn:
    """Numbers scaled to integers (cents, grams, units); rules: format, decimals, required."""
    if set(map(type, values)) <= {float, int}:  # the common case, decided at C speed
        return _scaled_from_floats(np.array(values, dtype=np.float64), kind)
    numeric, text, blank = _classify(values)
    out = np.zeros(len(values), dtype=np.int64)
    valid = np.zeros(len(values), dtype=bool)
    problems: dict[int, tuple[str, dict[str, Any]]] = {}
    if numeric.any():
        idx = np.flatnonzero(numeric)
        numbers = _scaled_from_floats(np.array([values[i] for i in idx], dtype=np.float64), kind)
        exact = numbers.values.notna().to_numpy()
        out[idx[exact]] = numbers.values.to_numpy(dtype=np.int64, na_value=0)[exact]
        valid[idx[exact]] = True
        problems.update((int(idx[j]), problem) for j, problem in numbers.problems.items())
    for i in np.flatnonzero(text):
        number, rule = parse_decimal_text(values[i])
        if number is None:
            problems[int(i)] = (rule or "format", {})
            continue
        scaled_dec = number * SCALE[kind]
        if scaled_dec != scaled_dec.to_integral_value():
            problems[int(i)] = ("decimals" if kind in ("money", "weight") else "integer_format", {})
            continue
        out[i] = int(scaled_dec)
        valid[i] = True
    other = ~(numeric | text | blank)
    for i in np.flatnonzero(other):
        value = values[i]
        if isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
            problems[int(i)] = ("date_in_number", {})
        else:
            problems[int(i)] = ("format", {})
    for i in np.flatnonzero(blank):
        problems[int(i)] = ("required", {})
    return ParsedColumn(pd.Series(pd.arrays.IntegerArray(out, mask=~valid)), problems)


def _scaled_from_floats(floats: np.ndarray, kind: str) -> ParsedColumn:
    """Spreadsheet numbers (binary floats) → integer cents, grams or units. A value within 1e-6 of
    a whole number of them is that number; anything further off has more decimals than allowed."""
    finite = np.isfinite(floats)
    scaled = np.where(finite, floats, 0) * SCALE[kind]
    rounded = np.round(scaled)
    exact = finite & (np.abs(scaled - rounded) <= 1e-6) & (np.abs(rounded) < 1e15)
    rule = "decimals" if kind in ("money", "weight") else "integer_format"
    problems = {int(i): (rule, {}) for i in np.flatnonzero(~exact)}
    out = np.where(exact, rounded, 0).astype(np.int64)
    return ParsedColumn(pd.Series(pd.arrays.IntegerArray(out, mask=~exact)), problems)


def parse_scaled_block(rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> list[ParsedColumn]:
    """Several numeric columns at once, from rows holding just those columns. A sheet's cells are
    laid out in memory row by row, so checking and converting them row by row (one pass, one 2-D
    array) is several times faster than column by column; any column holding something other
    than numbers goes through `parse_scaled` to be explained cell by cell."""
    if not rows:
        return [parse_scaled((), kind) for kind in kinds]
    if set(map(type, itertools.chain.from_iterable(rows))) <= {float, int}:
        floats = np.array(rows, dtype=np.float64)
        return [_scaled_from_floats(floats[:, j], kind) for j, kind in enumerate(kinds)]
    return [parse_scaled(column, kind) for column, kind in zip(zip(*rows, strict=True), kinds, strict=True)]


def _number_as_text(value: float | int) -> tuple[str | None, bool]:
    """A number that came back where text was meant → its digits, and whether they are exact."""
    if isinstance(value, float):
        if not np.isfinite(value) or value != int(value) or abs(value) >= _EXACT_FLOAT_LIMIT:
            return None, False
        value = int(value)
    return str(value), True


def parse_identifier(values: list[Any], base: list[Any] | None, digits_only: bool) -> ParsedColumn:
    """Text identifiers (IDs, SKU code, barcode). A number where text was meant is read back to its
    digits when that is exact, and flagged when it lost leading zeros or precision."""
    problems: dict[int, tuple[str, dict[str, Any]]] = {}
    notes: dict[int, tuple[str, dict[str, Any]]] = {}
    if set(map(type, values)) == {str}:  # the common case: every cell is text
        out = [v.strip() for v in values]
        if digits_only and not "".join(out).isdigit():  # one C-level check when every ID is digits
            for i, text in enumerate(out):
                if text and not text.isdigit():
                    problems[i] = ("identifier_format", {})
                    out[i] = pd.NA
        return ParsedColumn(pd.Series(out, dtype=object), problems, notes)
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            out.append("")
            continue
        if isinstance(value, bool | dt.date | dt.datetime | dt.time | dt.timedelta):
            problems[i] = ("date_in_number" if not isinstance(value, bool) else "identifier_format", {})
            out.append(pd.NA)
            continue
        if isinstance(value, float | int):
            text, exact = _number_as_text(value)
            base_text = str(base[i]) if base is not None and base[i] not in (None, "") else None
            if not exact:
                problems[i] = ("number_precision_lost", {})
                out.append(pd.NA)
            elif base_text and base_text != text and base_text.lstrip("0") == text:
                problems[i] = ("leading_zeros_lost", {"base": base_text})
                out.append(pd.NA)
            elif base_text and not base_text.isdigit():
                problems[i] = ("identifier_became_number", {"base": base_text})
                out.append(pd.NA)
            else:
                notes[i] = ("identifier_as_number", {})
                out.append(text)
            continue
        text = str(value).strip()
        if digits_only and not text.isdigit():
            problems[i] = ("identifier_format", {})
            out.append(pd.NA)
            continue
        out.append(text)
    return ParsedColumn(pd.Series(out, dtype=object), problems, notes)


def parse_text(values: Sequence[Any]) -> ParsedColumn:
    problems: dict[int, tuple[str, dict[str, Any]]] = {}
    if set(map(type, values)) == {str}:  # the common case: every cell is text
        out: list[Any] = [v.strip() for v in values]
        for i in [i for i, text in enumerate(out) if not text]:
            out[i] = pd.NA
            problems[i] = ("required", {})
        return ParsedColumn(pd.Series(out, dtype=object), problems)
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            out.append(pd.NA)
            problems[i] = ("required", {})
        elif isinstance(value, float) and value == int(value):
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return ParsedColumn(pd.Series(out, dtype=object), problems)


def parse_enum(values: Sequence[Any]) -> ParsedColumn:
    parsed = parse_text(values)
    parsed.values = pd.Series([v.lower().replace(" ", "") if isinstance(v, str) else v
                               for v in parsed.values.tolist()], dtype=object)
    return parsed


# -- the schema ----------------------------------------------------------------------------------
_KIND_RULES = {
    "money": "price", "weight": "weight",
}


def _rule_for(f: Field, rule: str) -> str:
    """Generic parse rule → the field's own rule code (format → price_format, ...)."""
    if rule in ("format", "decimals"):
        prefix = _KIND_RULES.get(f.kind)
        return f"{prefix}_{rule}" if prefix else "integer_format"
    if rule == "required" and f.kind == "stock":
        return "stock_required"
    return rule


def _range_rule(f: Field) -> str:
    return {"money": "price_range", "weight": "weight_range", "dim": "dimension_range",
            "stock": "stock_range"}[f.kind]


@functools.lru_cache(maxsize=8)
def build_schema(keys: tuple[str, ...]) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], str]]:
    """The pandera schema for these field keys, and (column, check number) → rule. Every column
    is optional, so one schema per store (all its keys) serves any sheet, whatever columns the
    seller deleted; it is cached because building it costs more than running it on small files."""
    import pandera.pandas as pa  # here, not at the top: the import runs while the workbook parses

    columns: dict[str, pa.Column] = {}
    rules: dict[tuple[str, int], str] = {}
    for key in keys:
        f = field_for_key(key)
        if f is None or not f.editable:
            continue
        checks: list[tuple[pa.Check, str]] = []
        if f.kind in ("money", "weight", "dim", "stock"):
            checks.append((pa.Check.in_range(f.min_value, f.max_value), _range_rule(f)))
            dtype: Any = "Int64"
        else:
            dtype = None
        if key == "title":
            checks.append((pa.Check.str_length(1, TITLE_MAX), "title_length"))
        elif key == "sku_code":
            checks.append((pa.Check.str_matches(_SKU_CODE), "sku_code_format"))
        elif key == "logistics_attribute":
            checks.append((pa.Check.isin(LOGISTICS_ATTRIBUTES), "logistics_attribute"))
        for number, (_, rule) in enumerate(checks):
            rules[(key, number)] = rule
        columns[key] = pa.Column(dtype, [c for c, _ in checks], nullable=True, coerce=False, required=False)
    return pa.DataFrameSchema(columns, strict=False), rules


def prepare_schema(countries: list[str]) -> None:
    """Build the store's schema and run it once on an empty frame. pandera registers its backends
    on first use, importing modules that cost 0.2–0.5 s; the import pipeline calls this while the
    workbook parses on another thread, so that cost is hidden instead of added."""
    schema, _ = build_schema(schema_keys(countries))
    schema.validate(pd.DataFrame())


# -- the whole sheet -----------------------------------------------------------------------------
@dataclass
class Validated:
    """Rows with a known, unique SKU, canonical values for the columns present, and every issue."""

    frame: pd.DataFrame  # indexed by sku_id; `_row` holds the worksheet row
    issues: list[Issue]
    invalid_skus: set[str]
    editable: list[str]  # editable field keys present in the sheet
    rows: int


class _Issues:
    """Collects issues with cell coordinates for a RawSheet."""

    def __init__(self, raw: RawSheet) -> None:
        self.raw = raw
        self.items: list[Issue] = list(raw.header_issues)

    def at(self, position: int, key: str, rule: str, severity: str = ERROR, sku_id: str | None = None,
           **params: Any) -> Issue:
        column = self.raw.columns.get(key)
        row = self.raw.row_numbers[position]
        value = self.raw.rows[position][column] if column is not None else None
        f = field_for_key(key)
        issue = Issue(rule, severity, sheet=self.raw.sheet,
                      cell=cell_ref(column, row) if column is not None else None, row=row, column=column,
                      field=key, sku_id=sku_id, value=value,
                      params={"label": f.label_en if f else key, "label_zh": f.label_zh if f else key,
                              "what": f.label_en.lower() if f else key, "what_zh": f.label_zh if f else key,
                              **params})
        self.items.append(issue)
        return issue


def validate(raw: RawSheet, catalog: pd.DataFrame, base: pd.DataFrame | None,
             countries: list[str]) -> Validated:
    """Validate a RawSheet against the store: every problem as an Issue, nothing raised.

    `catalog` is the store now (indexed by sku_id), `base` the export's snapshot (None when the
    export is unknown), `countries` the store's supported countries.
    """
    issues = _Issues(raw)
    n = len(raw.rows)
    if "sku_id" not in raw.columns:
        issues.items.append(Issue("missing_id_column", sheet=raw.sheet, value="sku_id", field="sku_id"))
        return Validated(pd.DataFrame(), issues.items, set(), [], n)

    # Identity: which SKU each row is. Whole-column checks; Python only for the flagged rows.
    sku_col = parse_identifier(raw.column("sku_id"), None, digits_only=True)
    ids = sku_col.values
    for i, (rule, params) in sku_col.problems.items():
        issues.at(i, "sku_id", rule, **params)
    for i in sku_col.notes:
        issues.at(i, "sku_id", "identifier_as_number", WARNING, sku_id=ids.iloc[i])
    present = ids.notna().to_numpy() & (ids != "").to_numpy()
    for i in np.flatnonzero(ids.notna().to_numpy() & ~present):
        issues.at(int(i), "sku_id", "missing_sku_id")
    known = ids.isin(catalog.index).to_numpy()
    exported = ids.isin(base.index).to_numpy() if base is not None and not base.empty else known
    for i in np.flatnonzero(present & ~known):
        issues.at(int(i), "sku_id", "unknown_sku", sku_id=ids.iloc[i])
    for i in np.flatnonzero(present & known & ~exported):
        issues.at(int(i), "sku_id", "not_in_export", sku_id=ids.iloc[i])
    candidate = present & known & exported
    duplicated = candidate & ids.where(candidate).duplicated(keep=False).to_numpy()
    groups: dict[str, list[int]] = {}
    for i in np.flatnonzero(duplicated):
        groups.setdefault(ids.iloc[i], []).append(int(i))
    for sku, found in groups.items():
        rows = ", ".join(str(raw.row_numbers[i]) for i in found)
        for i in found:
            issues.at(i, "sku_id", "duplicate_sku", sku_id=sku, rows=rows)
    keep = np.flatnonzero(candidate & ~duplicated).tolist()
    index = ids.iloc[keep].tolist()
    base_rows = base.reindex(index) if base is not None and not base.empty else None

    def base_values(key: str) -> list[Any] | None:
        if base_rows is None or key not in base_rows:
            return None
        return base_rows[key].tolist()

    frame = pd.DataFrame(index=pd.Index(index, dtype=object))
    frame["_row"] = [raw.row_numbers[i] for i in keep]
    position_of = dict(zip(range(len(keep)), keep, strict=True))
    kept_rows = [raw.rows[i] for i in keep]
    fields = {key: f for key in raw.columns if key not in ("sku_id", "product_id") and (f := field_for_key(key))}
    numeric = [key for key, f in fields.items() if f.editable and f.kind in SCALE
               and (f.kind != "stock" or key[6:] in countries)]
    parsed_numbers = dict(zip(numeric, parse_scaled_block(_pick(kept_rows, [raw.columns[k] for k in numeric]),
                                                          [fields[k].kind for k in numeric]), strict=True))
    others = [key for key in raw.columns if key not in parsed_numbers and key != "sku_id"]  # IDs parsed above
    products = catalog["product_id"].reindex(index).to_numpy(dtype=object)  # each kept row's product
    picked = _pick(kept_rows, [raw.columns[k] for k in others])
    by_column = dict(zip(others, zip(*picked, strict=True), strict=True)) if picked else {}

    def column_values(key: str) -> Sequence[Any]:
        return by_column.get(key, ())

    # product_id must match the SKU's product in the store.
    if "product_id" in raw.columns:
        parsed = parse_identifier(column_values("product_id"), None, digits_only=True)
        values = parsed.values.to_numpy(dtype=object, na_value=None)  # <NA> cannot be compared
        flagged = (values != products) | np.isin(np.arange(len(values)), [*parsed.notes, *parsed.problems])
        for j in np.flatnonzero(flagged).tolist():
            if j in parsed.notes:
                issues.at(position_of[j], "product_id", "identifier_as_number", WARNING, sku_id=index[j])
            if j in parsed.problems:
                rule, params = parsed.problems[j]
                issues.at(position_of[j], "product_id", rule, sku_id=index[j], **params)
            elif values[j] not in ("", products[j]):
                issues.at(position_of[j], "product_id", "sku_product_mismatch", sku_id=index[j],
                          expected=products[j])

    editable: list[str] = []
    for key, f in fields.items():
        if f.kind == "stock" and key[6:] not in countries:
            issues.items.append(Issue("unsupported_country", WARNING, sheet=raw.sheet,
                                      cell=cell_ref(raw.columns[key], raw.header_rows), row=raw.header_rows,
                                      column=raw.columns[key], field=key, value=key))
            continue
        values = column_values(key)
        if not f.editable:
            _read_only(issues, f, values, base_values(key), index, position_of)
            continue
        editable.append(key)
        parsed = parsed_numbers[key] if key in parsed_numbers else _parse_field(f, values, base_values(key))
        for j, (rule, params) in parsed.problems.items():
            issues.at(position_of[j], key, _rule_for(f, rule), sku_id=index[j], country=key[6:], **params)
        for j, (rule, params) in parsed.notes.items():
            issues.at(position_of[j], key, rule, WARNING, sku_id=index[j], **params)
        frame[key] = parsed.values.to_numpy() if f.kind not in SCALE else parsed.values.array

    _explain_blanks(raw, issues.items)
    _check_schema(frame, countries, issues, index, position_of)
    _check_barcodes(frame, issues, index, position_of, base_values("barcode"))
    _check_titles(frame, products, issues, index, position_of)
    _check_sku_codes(frame, catalog, issues, index, position_of)

    invalid = {i.sku_id for i in issues.items if i.severity == ERROR and i.sku_id}
    return Validated(frame, issues.items, invalid, editable, n)


def _pick(rows: list[list[Any]], positions: list[int]) -> list[tuple[Any, ...]]:
    """The cells at `positions` of every row, row by row (a C-level loop)."""
    if len(positions) == 1:
        return [(row[positions[0]],) for row in rows]
    return list(map(itemgetter(*positions), rows)) if positions else []


_BLANK_RULES = {"merged": "merged_cell", "formula": "formula_without_value", "error": "cell_error"}


def _explain_blanks(raw: RawSheet, found: list[Issue]) -> None:
    """A required cell that read as empty may be a merged cell, an uncomputed formula or an
    error value: say which, so the seller knows what to fix."""
    blanks = [i for i in found if i.rule in ("required", "stock_required") and i.row and i.column is not None]
    if not blanks:
        return
    reasons = raw.explain_blanks([(i.row, i.column) for i in blanks])
    for issue in blanks:
        reason = reasons.get((issue.row, issue.column))
        if reason:
            issue.rule = _BLANK_RULES[reason[0]]
            issue.value = reason[1]
            issue.params["range"] = reason[1]


def _parse_field(f: Field, values: list[Any], base: list[Any] | None) -> ParsedColumn:
    if f.kind in SCALE:
        return parse_scaled(values, f.kind)
    if f.kind in ("code", "barcode"):
        parsed = parse_identifier(values, base, digits_only=False)
        if f.kind == "code":
            for i in np.flatnonzero((parsed.values == "").to_numpy(dtype=bool, na_value=False)).tolist():
                if i not in parsed.problems:
                    parsed.problems[i] = ("required", {})
                    parsed.values.iloc[i] = pd.NA
        return parsed
    if f.kind == "enum":
        return parse_enum(values)
    return parse_text(values)


def _read_only(issues: _Issues, f: Field, values: list[Any], base: list[Any] | None, index: list[str],
               position_of: dict[int, int]) -> None:
    """An edited read-only cell is a warning, and the edit is ignored."""
    if base is None:
        return
    # Cells identical to the export are the common case: compared at C speed, not one by one.
    same = np.array(values, dtype=object) == np.array(base, dtype=object)
    for j in np.flatnonzero(~same).tolist():
        value, was = values[j], base[j]
        shown = "" if value is None else (str(int(value)) if isinstance(value, float) and value == int(value)
                                          else str(value).strip())
        if shown != ("" if was is None else str(was)):
            issues.at(position_of[j], f.key, "read_only_changed", WARNING, sku_id=index[j], base=was)


def schema_keys(countries: list[str]) -> tuple[str, ...]:
    return tuple(f.key for f in fields_for(countries))


def _check_schema(frame: pd.DataFrame, countries: list[str], issues: _Issues, index: list[str],
                  position_of: dict[int, int]) -> None:
    from pandera.errors import SchemaErrors

    schema, rules = build_schema(schema_keys(countries))
    positional = frame.reset_index(drop=True)
    try:
        schema.validate(positional, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        failed: list[tuple[int, str]] = []
        for case in cases.itertuples(index=False):
            if case.index is None or pd.isna(case.index) or case.check_number is None:
                continue
            rule = rules.get((case.column, int(case.check_number)))
            if rule is None:
                continue
            j = int(case.index)
            f = field_for_key(case.column)
            shown = to_display(f.kind, frame.iloc[j][case.column]) if f else case.failure_case
            issues.at(position_of[j], case.column, rule, sku_id=index[j], shown=shown,
                      allowed=", ".join(LOGISTICS_ATTRIBUTES), length=len(str(case.failure_case)))
            failed.append((j, case.column))
        for j, column in failed:
            frame.iloc[j, frame.columns.get_loc(column)] = pd.NA


def _check_barcodes(frame: pd.DataFrame, issues: _Issues, index: list[str], position_of: dict[int, int],
                    base: list[Any] | None) -> None:
    """Check digits of the barcodes the seller typed (an unchanged barcode is not written)."""
    if "barcode" not in frame:
        return
    codes = frame["barcode"].to_numpy(dtype=object, na_value=None)
    typed = np.ones(len(codes), dtype=bool) if base is None else codes != np.array(base, dtype=object)
    for j in np.flatnonzero(typed).tolist():
        code = codes[j]
        if isinstance(code, str):
            problem = barcode_problem(code)
            if problem:
                issues.at(position_of[j], "barcode", problem[0], sku_id=index[j], **problem[1])


def _check_titles(frame: pd.DataFrame, products: np.ndarray, issues: _Issues, index: list[str],
                  position_of: dict[int, int]) -> None:
    """Title is a product field: every row of a product (`products`, by row) must carry the same title."""
    if "title" not in frame:
        return
    titles = frame["title"].to_numpy(dtype=object)
    positions = np.flatnonzero(pd.notna(titles))
    products = products[positions]
    codes, _ = pd.factorize(products)
    _, first_of_code = np.unique(codes, return_index=True)  # codes number products in order of first row
    first = positions[first_of_code[codes]]
    rows = frame["_row"].to_numpy()
    for j in np.flatnonzero(titles[positions] != titles[first]).tolist():
        position, first_position = int(positions[j]), int(first[j])
        issues.at(position_of[position], "title", "title_inconsistent", sku_id=index[position],
                  product_id=products[j], first=titles[first_position], first_row=int(rows[first_position]))


def _check_sku_codes(frame: pd.DataFrame, catalog: pd.DataFrame, issues: _Issues, index: list[str],
                     position_of: dict[int, int]) -> None:
    """SKU codes stay unique in the store once the sheet's codes replace the current ones."""
    if "sku_code" not in frame:
        return
    current = catalog["sku_code"].reindex(index).to_numpy(dtype=object)
    sheet = frame["sku_code"].to_numpy()
    if all(isinstance(code, str) for code in sheet) and (sheet == current).all():
        return  # no code changes: the store's codes are unique by its own index
    final = dict(zip(catalog.index, catalog["sku_code"], strict=True))
    for sku, code in zip(index, frame["sku_code"], strict=True):
        if isinstance(code, str):
            final[sku] = code
    owners: dict[str, list[str]] = {}
    for sku, code in final.items():
        if code:
            owners.setdefault(code, []).append(sku)
    where = {sku: j for j, sku in enumerate(index)}
    for code, skus in owners.items():
        if len(skus) < 2:
            continue
        for sku in skus:
            if sku in where and frame["sku_code"].iloc[where[sku]] == code:
                other = next(s for s in skus if s != sku)
                issues.at(position_of[where[sku]], "sku_code", "sku_code_duplicate", sku_id=sku, other=other)
