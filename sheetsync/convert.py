"""The one boundary between a cell and a value: every kind of cell (`cells.CellKind`) → for every
kind of field (`fields.Field.kind`) → a canonical value or the rule it breaks. Total by
construction: no value a reader can return makes it raise (tests/test_convert.py generates them).

`convert_cell` is the definition, one cell at a time. The column functions give the same answers
for whole columns, with a vectorised path for the common case (a numeric column of numbers, a text
column of text) and `convert_cell` for anything else.

The rules, by cell kind (field kinds: id = sku_id/product_id, code = sku_code, text = title):
- ERROR, FORMULA, MERGED, DAMAGED (from `cells.Mark`): `cell_error`, `formula_without_value`,
  `merged_cell`, `cell_damaged` for every field. Never empty: an empty barcode clears the barcode, so a #N/A read as
  empty would erase it.
- EMPTY: `required` (`stock_required` for stock), except id (identity decides) and barcode (empty
  clears it).
- NUMBER: amounts through `amounts.parse_amount` (range before conversion). NaN and infinities are
  `cell_error` #NUM! everywhere. Identifiers and text take the number's digits when it is a whole
  number a float holds exactly (below 2^53), else `number_precision_lost`; a code that lost leading
  zeros or became a number is named as such.
- TEXT: amounts through `amounts.parse_amount`. Identifiers are stripped and read with full-width
  characters as ASCII (１２３ → 123); id and barcode must then be ASCII digits. Text fields are
  stripped and refuse control characters, line and paragraph separators and bidirectional
  overrides (`text_control`) and content made only of invisible characters such as zero-width
  spaces (`invisible_text`).
- BOOL: `<kind>_format` for amounts, `boolean_cell` elsewhere: TRUE is never a title.
- DATE and DURATION: `date_in_number` for amounts and digit identifiers, `date_in_text` for text,
  codes and lists: a date is never stored as "2024-01-05 00:00:00".
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .amounts import ERROR_VALUE, FULL_WIDTH, NOT_FINITE_SHOWN, amounts_from_floats, parse_amount, rule_for
from .cells import CellKind, Mark, classify
from .messages import choice_from_word

AMOUNT_KINDS = ("money", "weight", "dim", "stock")
_EXACT_FLOAT_LIMIT = 2**53
_NO_PARAMS: Mapping[str, Any] = {}
MARK_RULES = {CellKind.ERROR: "cell_error", CellKind.FORMULA: "formula_without_value", CellKind.MERGED: "merged_cell",
              CellKind.DAMAGED: "cell_damaged"}

Problem = tuple[str, Mapping[str, Any]]  # (rule, params); params may carry "value", the text to show


# Refused anywhere in text: control characters (C0, DEL, C1), the two noncharacters, the line and
# paragraph separators (a line break by another name) and the bidirectional embeddings, overrides
# and isolates, which reorder what a buyer sees without showing themselves ("Trojan Source").
# Invisible, fine inside visible text (ZWJ joins emoji, LRM/RLM mark direction in Arabic and Hebrew)
# but refused as all of it: every format character (Unicode category Cf) and every other default
# ignorable code point of Unicode 18 (variation selectors, Mongolian free variation selectors,
# Khmer inherent vowels, Hangul fillers, the combining grapheme joiner, the reserved U+2065,
# U+FFF0-FFF8 and U+E0000-E0FFF), the blank Braille pattern, and the spaces.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
FORMAT_CHARACTERS = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
                     "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
                     "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_BLANK_SYMBOLS = ("\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u2800\u3164\ufe00-\ufe0f\uffa0"
                  "\ufff0-\ufff8\U000e0000-\U000e0fff")
_SPACES = " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\t\n\r\x0b\x0c"
_UNUSUAL = re.compile(f"[{FORMAT_CHARACTERS}{_BLANK_SYMBOLS}]")
_ONLY_INVISIBLE = re.compile(f"[{FORMAT_CHARACTERS}{_BLANK_SYMBOLS}{_SPACES}]+")


@dataclass
class ParsedColumn:
    values: pd.Series  # canonical values; <NA> where refused ("" for an empty id or barcode)
    problems: dict[int, Problem] = field(default_factory=dict)  # position → error
    notes: dict[int, Problem] = field(default_factory=dict)  # position → warning


@dataclass(frozen=True)
class Converted:
    value: Any  # the canonical value, or None when refused
    problem: Problem | None = None
    note: Problem | None = None


def _refused(rule: str, params: Mapping[str, Any] = _NO_PARAMS) -> Converted:
    return Converted(None, (rule, params))


_NOT_FINITE = _refused("cell_error", {"value": NOT_FINITE_SHOWN})


def _not_finite(value: float | int) -> bool:
    return type(value) is float and not math.isfinite(value)


def mark_problem(mark: Mark) -> Problem:
    return MARK_RULES[mark.kind], {"value": mark.shown, "range": mark.shown}


def convert_cell(kind: str, value: Any, mark: Mark | None = None, base: Any = None) -> Converted:
    """One cell of a field of `kind` → its canonical value, or the rule it breaks (see the module's
    doc). `base` is the exported value, to say what a number did to a code. Never raises."""
    if mark is not None:
        return Converted(None, mark_problem(mark))
    cell = classify(value)
    if cell is CellKind.TEXT and not isinstance(value, str):
        value = str(value)  # something no reader returns today: judged as the text it shows
    if kind in AMOUNT_KINDS:
        return _amount(kind, cell, value)
    if kind in ("id", "code", "barcode"):
        return _identifier(kind, cell, value, base)
    return _text(kind, cell, value)


def _amount(kind: str, cell: CellKind, value: Any) -> Converted:
    if cell is CellKind.EMPTY:
        return _refused("stock_required" if kind == "stock" else "required")
    if cell in (CellKind.DATE, CellKind.DURATION):
        return _refused("date_in_number")
    if cell is CellKind.BOOL:
        return _refused(rule_for(kind, "format"))
    if cell is CellKind.NUMBER and _not_finite(value):
        return _NOT_FINITE
    parsed = parse_amount(value, kind)
    if parsed.problem is None:
        return Converted(parsed.value)
    return _refused(rule_for(kind, parsed.problem))


def number_digits(value: float | int) -> str | None:
    """A number where text was meant → its digits, when it is a whole number held exactly."""
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or abs(value) >= _EXACT_FLOAT_LIMIT:
            return None
        value = int(value)
    return str(value)


def ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _identifier(kind: str, cell: CellKind, value: Any, base: Any) -> Converted:
    if cell is CellKind.EMPTY:
        return _refused("required") if kind == "code" else Converted("")
    if cell is CellKind.TEXT:
        text = value.strip()
        if kind != "code":
            text = text.translate(FULL_WIDTH).strip()
            if kind == "id" and not ascii_digits(text):
                return _refused("identifier_format")
        if not text:
            return _refused("required") if kind == "code" else Converted("")
        return Converted(text)
    if cell is CellKind.NUMBER:
        if _not_finite(value):
            return _NOT_FINITE
        digits = number_digits(value)
        base_text = None if base is None or base == "" or (isinstance(base, float) and math.isnan(base)) else str(base)
        if digits is None:
            return _refused("number_precision_lost")
        if kind == "id" and not ascii_digits(digits):
            return _refused("identifier_format")
        if base_text and base_text != digits and base_text.lstrip("0") == digits:
            return _refused("leading_zeros_lost", {"base": base_text})
        if base_text and not base_text.isdigit():
            return _refused("identifier_became_number", {"base": base_text})
        return Converted(digits, note=("identifier_as_number", _NO_PARAMS))
    if cell in (CellKind.DATE, CellKind.DURATION):
        return _refused("date_in_text" if kind == "code" else "date_in_number")
    return _refused("boolean_cell")


def text_problem(text: str) -> Problem | None:
    """What keeps stripped text from being a title: empty, control characters, only invisible ones."""
    if not text:
        return "required", _NO_PARAMS
    control = _CONTROL.search(text)
    if control:
        return "text_control", {"code": f"U+{ord(control.group()):04X}"}
    if _ONLY_INVISIBLE.fullmatch(text):
        return "invisible_text", _NO_PARAMS
    return None


def _text(kind: str, cell: CellKind, value: Any) -> Converted:
    if cell is CellKind.EMPTY:
        return _refused("required")
    if cell is CellKind.NUMBER:
        if _not_finite(value):
            return _NOT_FINITE
        digits = number_digits(value)
        if digits is None and isinstance(value, float) and value.is_integer():
            return _refused("number_precision_lost")
        text = digits if digits is not None else repr(value)
    elif cell is CellKind.TEXT:
        text = value.strip()
        problem = text_problem(text)
        if problem:
            return Converted(None, problem)
    elif cell is CellKind.BOOL:
        return _refused("boolean_cell")
    else:
        return _refused("date_in_text")
    return Converted(choice(text) if kind == "enum" else text)


def choice(text: str) -> str:
    """A dropdown cell's value (the catalog's one dropdown, the logistics attribute): the choice it
    names in either language (普货 is general), else the text folded as before (case and spaces
    dropped) for the schema to refuse."""
    return choice_from_word("logistics_attribute", text) or text.lower().replace(" ", "")


# -- whole columns -------------------------------------------------------------------------------
def _column(kind: str, values: Sequence[Any], marks: Mapping[int, Mark], base: Sequence[Any] | None,
            missing: Any) -> ParsedColumn:
    """`convert_cell` on every cell: the definition the fast paths below must agree with."""
    out: list[Any] = []
    problems: dict[int, Problem] = {}
    notes: dict[int, Problem] = {}
    for i, value in enumerate(values):
        converted = convert_cell(kind, value, marks.get(i), base[i] if base is not None else None)
        if converted.problem is not None:
            problems[i] = converted.problem
            out.append(missing)
        else:
            out.append(converted.value)
            if converted.note is not None:
                notes[i] = converted.note
    return ParsedColumn(_series(kind, out), problems, notes)


def _series(kind: str, values: list[Any]) -> pd.Series:
    if kind in AMOUNT_KINDS:
        return pd.Series(values, dtype="Int64")
    return pd.Series(values, dtype=object)


def amount_column(values: Sequence[Any], kind: str, marks: Mapping[int, Mark] = _NO_PARAMS) -> ParsedColumn:
    """Amounts (money, weight, dim, stock) → canonical integers. Numbers only: at numpy speed."""
    if not marks and set(map(type, values)) == {float}:
        return _amounts_from_floats(np.array(values, dtype=np.float64), kind)
    return _column(kind, values, marks, None, None)


def _amounts_from_floats(floats: np.ndarray, kind: str) -> ParsedColumn:
    values, found = amounts_from_floats(floats, kind)
    problems: dict[int, Problem] = {
        i: ("cell_error", {"value": NOT_FINITE_SHOWN}) if problem == ERROR_VALUE else (rule_for(kind, problem),
                                                                                       _NO_PARAMS)
        for i, problem in found.items()}
    mask = np.zeros(len(values), dtype=bool)
    mask[list(problems)] = True
    return ParsedColumn(pd.Series(pd.arrays.IntegerArray(values, mask=mask)), problems)


def amount_block(rows: Sequence[Sequence[Any]], kinds: Sequence[str], marks: Sequence[Mapping[int, Mark]],
                 numbers_only: bool | None = None) -> list[ParsedColumn]:
    """Several amount columns at once, from rows holding just those columns. A sheet's cells lie
    in memory row by row, so checking and converting them row by row (one pass, one 2-D array) is
    several times faster than column by column; a column with anything but numbers, or with a
    marked cell, goes through `amount_column`. `numbers_only` says, when the caller knows, whether
    every cell is a float."""
    if numbers_only is None:
        numbers_only = set(map(type, itertools.chain.from_iterable(rows))) <= {float}
    if rows and not any(marks) and numbers_only:
        floats = np.array(rows, dtype=np.float64)
        return [_amounts_from_floats(floats[:, j], kind) for j, kind in enumerate(kinds)]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(kinds)
    return [amount_column(column, kind, column_marks)
            for column, kind, column_marks in zip(columns, kinds, marks, strict=True)]


def identifier_column(values: Sequence[Any], kind: str, marks: Mapping[int, Mark] = _NO_PARAMS,
                      base: Sequence[Any] | None = None) -> ParsedColumn:
    """Identifiers: id (digits), code (sku_code, required) or barcode (empty clears). Text only,
    without marks: stripped and checked in a few C-level calls."""
    if not marks and set(map(type, values)) == {str}:
        out = [v.strip() for v in values]
        joined = "".join(out)
        if all(out) if kind == "code" else (ascii_digits(joined) or not joined):
            return ParsedColumn(pd.Series(out, dtype=object))
    return _column(kind, values, marks, base, pd.NA)


def text_column(values: Sequence[Any], kind: str = "text", marks: Mapping[int, Mark] = _NO_PARAMS) -> ParsedColumn:
    """Text (title) or a list choice (enum). Text only, without marks: stripped, and looked at
    one by one only where something is empty or holds a control or an unusual invisible character."""
    if not marks and set(map(type, values)) == {str}:
        out: list[Any] = [v.strip() for v in values]
        joined = "".join(out)
        if all(out) and not _CONTROL.search(joined) and not _UNUSUAL.search(joined):
            if kind == "enum":
                out = [choice(v) for v in out]
            return ParsedColumn(pd.Series(out, dtype=object))
    return _column(kind, values, marks, None, pd.NA)


def convert_column(kind: str, values: Sequence[Any], marks: Mapping[int, Mark] = _NO_PARAMS,
                   base: Sequence[Any] | None = None) -> ParsedColumn:
    """Any editable or identifier field's column, by field kind."""
    if kind in AMOUNT_KINDS:
        return amount_column(values, kind, marks)
    if kind in ("id", "code", "barcode"):
        return identifier_column(values, kind, marks, base)
    return text_column(values, kind, marks)
