"""Validation: raw cells → canonical frame + Issues, in four stages.

1. Identity of rows (`identify_rows`): which SKU each row is; rows that cannot be trusted (no,
   unknown, duplicated or unexported SKU ID) are reported and left out.
2. Parse per column (`parse_columns`): every cell through the one cell → value boundary
   (`convert`), with the cells that are not values (error values, uncomputed formulas, merged
   cells) told apart from empty ones first (`_cell_marks`), in one pass over the sheet.
3. Schema checks (`check_schema`): a pandera schema checks the formats of text columns (title
   length, SKU code, logistics attribute) lazily, so every problem in the file is reported at once.
4. Cross-row rules (`check_cross_row`): a product's title is the same on all its rows, SKU codes
   stay unique in the store, barcodes carry their check digit, product IDs match the store.

Issues are collected with a cap per rule (`results.IssueLog`), so a file of a million bad rows
costs memory in proportion to its size, not to its errors; `Validated.more` counts the rest.
Only this module imports pandera.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from .cells import Mark, RawSheet, cell_ref, shown
from .convert import AMOUNT_KINDS, ParsedColumn, amount_block, ascii_digits, convert_column, mark_problem
from .fields import LOGISTICS_ATTRIBUTES, SKU_CODE_MAX, TITLE_MAX, Field, field_for_key, fields_for, to_display
from .messages import value_word
from .results import ERROR, ISSUES_PER_RULE, WARNING, Issue, IssueLog

if TYPE_CHECKING:
    import pandera.pandas as pa

_SKU_CODE = re.compile(rf"^[A-Za-z0-9._-]{{1,{SKU_CODE_MAX}}}$")


def gtin_check_digit(body: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_problem(code: str) -> tuple[str, dict[str, Any]] | None:
    """EAN-8, UPC-A, EAN-13 or GTIN-14 in ASCII digits with a valid check digit ("" clears)."""
    if code == "":
        return None
    if not ascii_digits(code) or len(code) not in (8, 12, 13, 14):
        return "barcode_format", {}
    expected = gtin_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return "barcode_check_digit", {"expected": expected}
    return None


# -- the whole sheet -----------------------------------------------------------------------------
@dataclass
class Validated:
    """Rows with a known, unique SKU, canonical values for the columns present, and every issue."""

    frame: pd.DataFrame  # indexed by sku_id; `_row` holds the worksheet row
    issues: list[Issue]
    invalid_skus: set[str]  # every SKU with an error, including errors beyond the per-rule cap
    editable: list[str]  # editable field keys present in the sheet
    rows: int
    more: dict[str, int] = field(default_factory=dict)  # rule → issues beyond the per-rule cap


class _Beyond(NamedTuple):
    """What IssueLog needs of an issue beyond its rule's cap, which it only counts: building the
    whole Issue for each of a million bad cells would cost more than all the rest of validation."""

    rule: str
    severity: str
    sku_id: str | None


class _Issues:
    """Collects issues with cell coordinates for a RawSheet, capped per rule."""

    def __init__(self, raw: RawSheet) -> None:
        self.raw = raw
        self.log = IssueLog(ISSUES_PER_RULE)
        self.log.extend(raw.header_issues)

    def add(self, issue: Issue) -> None:
        self.log.add(issue)

    def at(self, position: int, key: str, rule: str, severity: str = ERROR, sku_id: str | None = None,
           **params: Any) -> None:
        """An issue at the cell of field `key` in data row `position`; a `value` parameter replaces
        the cell's raw value as the value shown (#N/A for an error cell)."""
        if self.log.kept[rule] >= self.log.per_rule:
            self.log.add(_Beyond(rule, severity, sku_id))  # type: ignore[arg-type]
            return
        column = self.raw.columns.get(key)
        row = self.raw.row_numbers[position]
        value = params.pop("value") if "value" in params else (
            self.raw.rows[position][column] if column is not None else None)
        f = field_for_key(key)
        self.log.add(Issue(rule, severity, sheet=self.raw.sheet,
                           cell=cell_ref(column, row) if column is not None else None, row=row, column=column,
                           field=key, sku_id=sku_id, value=value,
                           params={"label": f.label_en if f else key, "label_zh": f.label_zh if f else key,
                                   "what": f.label_en.lower() if f else key, "what_zh": f.label_zh if f else key,
                                   **params}))

    def problems(self, parsed: ParsedColumn, key: str, positions: Sequence[int], skus: Sequence[Any] | None,
                 **params: Any) -> None:
        """A parsed column's errors and warnings; `positions` maps its rows to data rows."""
        for j, (rule, found) in parsed.problems.items():
            self.at(positions[j], key, rule, sku_id=skus[j] if skus is not None else None, **params, **found)
        for j, (rule, found) in parsed.notes.items():
            self.at(positions[j], key, rule, WARNING, sku_id=skus[j] if skus is not None else None, **found)


@dataclass
class _Rows:
    """The rows kept after identity: their data-row positions, SKUs and products."""

    positions: list[int]  # position of each kept row among raw.rows
    index: list[str]  # its SKU
    numbers: list[int]  # its worksheet row
    cells: list[list[Any]]  # its cells
    products: np.ndarray  # its SKU's product in the store


def validate(raw: RawSheet, catalog: pd.DataFrame, base: pd.DataFrame | None,
             countries: list[str]) -> Validated:
    """Validate a RawSheet against the store: every problem as an Issue, nothing raised but
    UnreadableWorkbook for a sheet whose XML cannot be told apart.

    `catalog` is the store now (indexed by sku_id), `base` the export's snapshot (None when the
    export is unknown), `countries` the store's supported countries.
    """
    issues = _Issues(raw)
    n = len(raw.rows)
    if "sku_id" not in raw.columns:
        issues.add(Issue("missing_id_column", sheet=raw.sheet, value="sku_id", field="sku_id"))
        return _validated(pd.DataFrame(), issues, [], n)
    base = base if base is not None and not base.empty else None
    blank_ids, kept = identify_rows(raw, catalog, base, issues)
    fields = _fields(raw, countries, issues)
    cells = _Cells.pick(raw, kept, fields)
    marks = _cell_marks(raw, kept, fields, cells, blank_ids, base)
    for i in blank_ids:  # rows with data but no SKU ID: say what the SKU ID cell is, if not empty
        mark = marks["sku_id"].get(i)
        if mark is None:
            issues.at(i, "sku_id", "missing_sku_id")
        else:
            rule, params = mark_problem(mark)
            issues.at(i, "sku_id", rule, **params)
    frame, editable = parse_columns(kept, fields, cells, marks, base, issues)
    check_schema(frame, countries, issues, kept)
    check_cross_row(frame, catalog, kept, base, issues)
    return _validated(frame, issues, editable, n)


def _validated(frame: pd.DataFrame, issues: _Issues, editable: list[str], rows: int) -> Validated:
    log = issues.log
    return Validated(frame, log.items, log.invalid_skus, editable, rows, dict(log.more))


def identify_rows(raw: RawSheet, catalog: pd.DataFrame, base: pd.DataFrame | None,
                  issues: _Issues) -> tuple[list[int], _Rows]:
    """Stage 1: which SKU each row is. Returns the rows whose SKU ID cell reads as empty (reported
    once the cell marks are known) and the rows to validate: known to the store, in the export,
    once in the sheet. Whole-column checks; Python only for flagged rows."""
    merged = raw.merged_marks(raw.columns["sku_id"], raw.row_numbers)
    parsed = convert_column("id", raw.column("sku_id"), merged)
    ids = parsed.values
    for i, (rule, params) in parsed.problems.items():
        issues.at(i, "sku_id", rule, **params)
    for i in parsed.notes:
        issues.at(i, "sku_id", "identifier_as_number", WARNING, sku_id=ids.iloc[i])
    present = ids.notna().to_numpy() & (ids != "").to_numpy()
    blank = np.flatnonzero(ids.notna().to_numpy() & ~present).tolist()
    known = ids.isin(catalog.index).to_numpy()
    exported = ids.isin(base.index).to_numpy() if base is not None else known
    for i in np.flatnonzero(present & ~known).tolist():
        issues.at(i, "sku_id", "unknown_sku", sku_id=ids.iloc[i])
    for i in np.flatnonzero(present & known & ~exported).tolist():
        issues.at(i, "sku_id", "not_in_export", sku_id=ids.iloc[i])
    candidate = present & known & exported
    duplicated = candidate & ids.where(candidate).duplicated(keep=False).to_numpy()
    groups: dict[str, list[int]] = {}
    for i in np.flatnonzero(duplicated).tolist():
        groups.setdefault(ids.iloc[i], []).append(i)
    for sku, found in groups.items():
        rows = ", ".join(str(raw.row_numbers[i]) for i in found)
        for i in found:
            issues.at(i, "sku_id", "duplicate_sku", sku_id=sku, rows=rows)
    keep = np.flatnonzero(candidate & ~duplicated).tolist()
    index = ids.iloc[keep].tolist()
    products = catalog["product_id"].reindex(index).to_numpy(dtype=object)
    return blank, _Rows(keep, index, [raw.row_numbers[i] for i in keep], [raw.rows[i] for i in keep],
                             products)


def _fields(raw: RawSheet, countries: list[str], issues: _Issues) -> dict[str, Field]:
    """The sheet's columns that are read (beyond sku_id); a stock column of a country the store
    does not sell in is a warning and is not."""
    fields = {}
    for key in raw.columns:
        f = field_for_key(key)
        if key == "sku_id" or f is None:
            continue
        if f.kind == "stock" and key[6:] not in countries:
            issues.add(Issue("unsupported_country", WARNING, sheet=raw.sheet,
                             cell=cell_ref(raw.columns[key], raw.header_rows), row=raw.header_rows,
                             column=raw.columns[key], field=key, value=key))
            continue
        fields[key] = f
    return fields


def _pick(rows: list[list[Any]], positions: list[int]) -> list[tuple[Any, ...]]:
    """The cells at `positions` of every row, row by row (a C-level loop)."""
    if len(positions) == 1:
        return [(row[positions[0]],) for row in rows]
    return list(map(itemgetter(*positions), rows)) if positions else []


@dataclass
class _Cells:
    """The kept rows' cells of every column read, picked once: amounts row by row (a sheet's cells
    lie in memory row by row, so checking and converting them so, as one 2-D array, is several
    times faster than column by column), the other columns as columns."""

    amounts: list[str]  # editable amount columns
    amount_rows: list[tuple[Any, ...]]
    numbers_only: bool  # every amount cell is a number: no empty cell among them, the fast path
    columns: dict[str, tuple[Any, ...]]  # every other column read

    @classmethod
    def pick(cls, raw: RawSheet, kept: _Rows, fields: Mapping[str, Field]) -> _Cells:
        amounts = [key for key, f in fields.items() if f.editable and f.kind in AMOUNT_KINDS]
        others = [key for key in fields if key not in amounts]
        rows = _pick(kept.cells, [raw.columns[k] for k in amounts])
        numbers_only = set(map(type, itertools.chain.from_iterable(rows))) <= {float}
        picked = _pick(kept.cells, [raw.columns[k] for k in others])
        columns = dict(zip(others, zip(*picked, strict=True), strict=True)) if picked else {k: () for k in others}
        return cls(amounts, rows, numbers_only, columns)

    def column(self, key: str) -> Sequence[Any]:
        if key not in self.columns:  # an amount column: all of them are turned into columns at once
            transposed = zip(*self.amount_rows, strict=True) if self.amount_rows else [()] * len(self.amounts)
            self.columns.update(zip(self.amounts, transposed, strict=True))
        return self.columns[key]


def _empty_positions(values: Sequence[Any]) -> list[int]:
    """Where a column reads as empty. Decided on the types first, at C speed: comparing each of
    100,000 numbers with "" costs as much as the rest of a column's validation."""
    types = set(map(type, values))
    if str not in types and type(None) not in types:
        return []
    if types == {str} and "" not in values:
        return []
    return [j for j, value in enumerate(values) if value is None or value == ""]


def _base_values(base: pd.DataFrame | None, index: list[str], key: str) -> list[Any] | None:
    if base is None or key not in base:
        return None
    return base[key].reindex(index).tolist()


def _cell_marks(raw: RawSheet, kept: _Rows, fields: Mapping[str, Field], cells: _Cells, blank_ids: list[int],
                base: pd.DataFrame | None) -> dict[str, dict[int, Mark]]:
    """For every column read, the cells that are not values, by position: covered by a merged
    range, or (among those that read as empty) an error value or a formula nobody computed. The
    XML is searched once, and only when some cell that matters reads as empty; a read-only cell
    that was empty in the export changes nothing and does not count. An editable cell always
    counts, even one exported empty: `#N/A` from a lookup that failed is not "no edit", and the
    seller must hear that the value they meant to give did not arrive."""
    marks: dict[str, dict[int, Mark]] = {"sku_id": raw.merged_marks(raw.columns["sku_id"], raw.row_numbers)}
    empty: dict[str, list[int]] = {"sku_id": [i for i in blank_ids if i not in marks["sku_id"]]}
    for key, f in fields.items():
        marks[key] = raw.merged_marks(raw.columns[key], kept.numbers)
        if key in cells.amounts and cells.numbers_only:
            continue
        positions = [j for j in _empty_positions(cells.column(key)) if j not in marks[key]]
        if positions and not (f.editable or f.kind == "id"):
            was = _base_values(base, kept.index, key)
            positions = [j for j in positions if was is None or shown(was[j]) not in ("", "nan", "<NA>")]
        if positions:
            empty[key] = positions
    rows = {"sku_id": raw.row_numbers}
    cells = {(rows.get(key, kept.numbers)[j], raw.columns[key]) for key, found in empty.items() for j in found}
    found = raw.value_marks(cells)
    for key, positions in empty.items():
        column, numbers = raw.columns[key], rows.get(key, kept.numbers)
        for j in positions:
            mark = found.get((numbers[j], column))
            if mark is not None:
                marks[key][j] = mark
    return marks


def parse_columns(kept: _Rows, fields: Mapping[str, Field], cells: _Cells, marks: Mapping[str, dict[int, Mark]],
                  base: pd.DataFrame | None, issues: _Issues) -> tuple[pd.DataFrame, list[str]]:
    """Stage 2: every column read, through the cell → value boundary (`convert`), into a frame
    indexed by SKU with canonical values; read-only columns only warn when edited. Returns the
    frame and the editable columns present."""
    frame = pd.DataFrame(index=pd.Index(kept.index, dtype=object))
    frame["_row"] = kept.numbers
    blocks = amount_block(cells.amount_rows, [fields[k].kind for k in cells.amounts],
                          [marks.get(k, {}) for k in cells.amounts], cells.numbers_only)
    parsed_amounts = dict(zip(cells.amounts, blocks, strict=True))
    values = cells.columns
    editable: list[str] = []
    for key, f in fields.items():
        if not f.editable and f.kind != "id":
            _read_only(issues, f, values[key], _base_values(base, kept.index, key), kept, marks.get(key, {}))
            continue
        if key in parsed_amounts:
            parsed = parsed_amounts[key]
        else:
            parsed = convert_column(f.kind, values[key], marks.get(key, {}), _base_values(base, kept.index, key))
        issues.problems(parsed, key, kept.positions, kept.index, country=key[6:])
        if not f.editable:
            frame[key] = parsed.values.to_numpy()
            continue
        editable.append(key)
        frame[key] = parsed.values.array if f.kind in AMOUNT_KINDS else parsed.values.to_numpy()
    return frame, editable


def _read_only(issues: _Issues, f: Field, values: Sequence[Any], base: list[Any] | None, kept: _Rows,
               marks: Mapping[int, Mark]) -> None:
    """An edited read-only cell is a warning, and the edit is ignored."""
    if base is None:
        return
    # Cells identical to the export are the common case: compared at C speed, not one by one.
    same = np.array(values, dtype=object) == np.array(base, dtype=object)
    for j in sorted(set(np.flatnonzero(~same).tolist()) | set(marks)):
        value = marks[j].shown if j in marks else shown(values[j])
        if value != shown(base[j]) or j in marks:
            issues.at(kept.positions[j], f.key, "read_only_changed", WARNING, sku_id=kept.index[j], base=base[j],
                      value=value)


# -- the schema ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def build_schema(keys: tuple[str, ...]) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], str]]:
    """The pandera schema for these field keys, and (column, check number) → rule. Every column
    is optional, so one schema per store (all its keys) serves any sheet, whatever columns the
    seller deleted; it is cached because building it costs more than running it on small files.
    Amounts are checked (decimals, range) as they are parsed, by `amounts`; here they only keep
    their integer type."""
    import pandera.pandas as pa  # here, not at the top: the import runs while the workbook parses

    columns: dict[str, pa.Column] = {}
    rules: dict[tuple[str, int], str] = {}
    for key in keys:
        f = field_for_key(key)
        if f is None or not f.editable:
            continue
        checks: list[tuple[pa.Check, str]] = []
        dtype: Any = "Int64" if f.kind in AMOUNT_KINDS else None
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


def schema_keys(countries: list[str]) -> tuple[str, ...]:
    return tuple(f.key for f in fields_for(countries))


def check_schema(frame: pd.DataFrame, countries: list[str], issues: _Issues, kept: _Rows) -> None:
    """Stage 3: the pandera schema on the parsed frame, lazily (every failure at once); a cell
    that fails is reported and its value dropped from the frame."""
    from pandera.errors import SchemaErrors

    schema, rules = build_schema(schema_keys(countries))
    positional = frame.reset_index(drop=True)
    try:
        schema.validate(positional, lazy=True)
    except SchemaErrors as errors:
        failed: list[tuple[int, str]] = []
        for case in errors.failure_cases.itertuples(index=False):
            if case.index is None or pd.isna(case.index) or case.check_number is None:
                continue
            rule = rules.get((case.column, int(case.check_number)))
            if rule is None:
                continue
            j = int(case.index)
            f = field_for_key(case.column)
            value = to_display(f.kind, frame.iloc[j][case.column]) if f else case.failure_case
            issues.at(kept.positions[j], case.column, rule, sku_id=kept.index[j], shown=value,
                      allowed=", ".join(LOGISTICS_ATTRIBUTES), length=len(str(case.failure_case)),
                      allowed_zh="、".join(value_word("logistics_attribute", v, "zh") for v in LOGISTICS_ATTRIBUTES))
            failed.append((j, case.column))
        for j, column in failed:
            frame.iloc[j, frame.columns.get_loc(column)] = pd.NA


def check_cross_row(frame: pd.DataFrame, catalog: pd.DataFrame, kept: _Rows, base: pd.DataFrame | None,
                    issues: _Issues) -> None:
    """Stage 4: rules between rows, and between the sheet and the store."""
    _check_products(frame, kept, issues)
    _check_barcodes(frame, kept, issues, _base_values(base, kept.index, "barcode"))
    _check_titles(frame, kept, issues)
    _check_sku_codes(frame, catalog, kept, issues)


def _check_products(frame: pd.DataFrame, kept: _Rows, issues: _Issues) -> None:
    """A row's product ID, when given, is its SKU's product in the store."""
    if "product_id" not in frame:
        return
    values = frame.pop("product_id").to_numpy(dtype=object)
    given = np.array([isinstance(v, str) and v != "" for v in values], dtype=bool)
    for j in np.flatnonzero(given & (values != kept.products)).tolist():
        issues.at(kept.positions[j], "product_id", "sku_product_mismatch", sku_id=kept.index[j],
                  expected=kept.products[j])


def _check_barcodes(frame: pd.DataFrame, kept: _Rows, issues: _Issues, base: list[Any] | None) -> None:
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
                issues.at(kept.positions[j], "barcode", problem[0], sku_id=kept.index[j], **problem[1])
                frame.iloc[j, frame.columns.get_loc("barcode")] = pd.NA


def _check_titles(frame: pd.DataFrame, kept: _Rows, issues: _Issues) -> None:
    """Title is a product field: every row of a product must carry the same title."""
    if "title" not in frame:
        return
    titles = frame["title"].to_numpy(dtype=object)
    positions = np.flatnonzero(pd.notna(titles))
    products = kept.products[positions]
    codes, _ = pd.factorize(products)
    _, first_of_code = np.unique(codes, return_index=True)  # codes number products in order of first row
    first = positions[first_of_code[codes]]
    rows = frame["_row"].to_numpy()
    for j in np.flatnonzero(titles[positions] != titles[first]).tolist():
        position, first_position = int(positions[j]), int(first[j])
        issues.at(kept.positions[position], "title", "title_inconsistent", sku_id=kept.index[position],
                  product_id=products[j], first=titles[first_position], first_row=int(rows[first_position]))


def _check_sku_codes(frame: pd.DataFrame, catalog: pd.DataFrame, kept: _Rows, issues: _Issues) -> None:
    """SKU codes stay unique in the store once the sheet's codes replace the current ones."""
    if "sku_code" not in frame:
        return
    current = catalog["sku_code"].reindex(kept.index).to_numpy(dtype=object)
    sheet = frame["sku_code"].to_numpy()
    if all(isinstance(code, str) for code in sheet) and (sheet == current).all():
        return  # no code changes: the store's codes are unique by its own index
    final = dict(zip(catalog.index, catalog["sku_code"], strict=True))
    for sku, code in zip(kept.index, frame["sku_code"], strict=True):
        if isinstance(code, str):
            final[sku] = code
    owners: dict[str, list[str]] = {}
    for sku, code in final.items():
        if code:
            owners.setdefault(code, []).append(sku)
    where = {sku: j for j, sku in enumerate(kept.index)}
    for code, skus in owners.items():
        if len(skus) < 2:
            continue
        for sku in skus:
            if sku in where and frame["sku_code"].iloc[where[sku]] == code:
                other = next(s for s in skus if s != sku)
                issues.at(kept.positions[where[sku]], "sku_code", "sku_code_duplicate", sku_id=sku, other=other)
