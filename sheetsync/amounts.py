"""Money, weight and size: the one parser and the one formatter of every amount sheetsync reads or
writes, so that a cell, a command-line option, the bundled sample and a platform answer all mean
the same thing by the same text.

Amounts travel in one canonical form per kind: integer cents (money), integer grams (weight),
whole centimetres (dim) and whole units (stock). `parse_amount` turns what a person or a program
wrote into that integer, or names the rule it breaks; `format_amount` writes it back as text.

The rules for text, stated once:
- Surrounding spaces are ignored. Full-width characters, as a Chinese or Japanese input method types
  them (１２．５０), are read as their ASCII forms; any other non-ASCII character (a superscript ²,
  Arabic-Indic digits) is refused.
- The decimal separator is a point or a comma (12.5, 12,50). Thousands separators are accepted
  only where they cannot be misread: with a decimal separator of the other kind (1,234.56 and
  1.234,56), or as spaces between groups of three digits (1 250). A space anywhere else (1 2) is
  refused, never dropped.
- A single separator followed by exactly three digits reads one way as thousands and another as
  decimals. It is refused as ambiguous when both readings could be meant: always for a comma
  (1,250), and for a point where the amount has fewer than three decimals and the decimal reading
  would silently drop zeros (1.000 in a stock or size cell: 1 or 1000? 12.500 as a price). 0,125
  and 0.500 are plain decimals; 12.349 as a price is too many decimals.
- No exponents (1e3), currency signs, units, NaN or Infinity.
- At most the kind's decimals (money 2, weight 3, sizes and stock 0; trailing zeros do not count,
  so 11.0 is 11), then the kind's range, both decided on the exact decimal value before anything is
  converted to an integer, so a 400-digit number costs nothing and overflows nothing.

Spreadsheet numbers (binary floats) follow the same decimals and range rules: a float within 1e-6
of a whole number of cents or grams is that number (12.3 × 100 is 1229.9999999999998: 1230 cents);
NaN and the infinities are what Excel shows as #NUM!.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import numpy as np

# Canonical units: decimals of the unit the seller types (cents per currency unit, grams per kg).
DECIMALS = {"money": 2, "weight": 3, "dim": 0, "stock": 0}
SCALE = {kind: 10**places for kind, places in DECIMALS.items()}

MONEY_MAX_CENTS = 99_999_900
WEIGHT_MAX_GRAMS = 500_000
DIM_MAX = 700
STOCK_MAX = 999_999
LIMITS = {"money": (1, MONEY_MAX_CENTS), "weight": (1, WEIGHT_MAX_GRAMS), "dim": (1, DIM_MAX),
          "stock": (0, STOCK_MAX)}

# What can be wrong with an amount, whatever its kind; `rule_for` names the rule of a kind.
FORMAT, DECIMALS_EXCEEDED, AMBIGUOUS, OUT_OF_RANGE = "format", "decimals", "ambiguous_number", "range"
ERROR_VALUE = "cell_error"  # an error literal such as #N/A, or a float Excel would show as #NUM!
NOT_FINITE_SHOWN = "#NUM!"

_RULES = {
    "money": {FORMAT: "price_format", DECIMALS_EXCEEDED: "price_decimals", OUT_OF_RANGE: "price_range"},
    "weight": {FORMAT: "weight_format", DECIMALS_EXCEEDED: "weight_decimals", OUT_OF_RANGE: "weight_range"},
    "dim": {FORMAT: "integer_format", DECIMALS_EXCEEDED: "integer_format", OUT_OF_RANGE: "dimension_range"},
    "stock": {FORMAT: "integer_format", DECIMALS_EXCEEDED: "integer_format", OUT_OF_RANGE: "stock_range"},
}

EXCEL_ERRORS = frozenset({"#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_GROUP_SPACE = "[ \u00a0\u202f\u2009]"  # space, no-break space, narrow no-break space, thin space
_SPACE_GROUPED = re.compile(rf"[+-]?\d{{1,3}}(?:{_GROUP_SPACE}\d{{3}})+(?:[.,]\d+)?", re.ASCII)
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_COMMA_DECIMAL = re.compile(r"([+-]?\d+),(\d+)", re.ASCII)
_US_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_EU_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?", re.ASCII)
_POINT_THREE = re.compile(r"[+-]?(\d{1,3})\.(\d{3})", re.ASCII)
_HUGE = 1e15  # far beyond every limit, far below where float × scale overflows


class Parsed(NamedTuple):
    """A canonical amount, or the problem (FORMAT, DECIMALS_EXCEEDED, AMBIGUOUS, OUT_OF_RANGE,
    ERROR_VALUE) that keeps the input from being one."""

    value: int | None
    problem: str | None = None


def rule_for(kind: str, problem: str) -> str:
    """The rule code a seller reads for `problem` in an amount of `kind` (format → price_format)."""
    return _RULES[kind].get(problem, problem)


def parse_decimal_text(text: str) -> tuple[Decimal | None, str | None]:
    """Text → its exact decimal value, or the problem: the separator rules of this module's doc,
    the same for every kind (`parse_amount` adds the kind's own)."""
    text = text.translate(FULL_WIDTH).strip()
    if text in EXCEL_ERRORS:
        return None, ERROR_VALUE
    if _SPACE_GROUPED.fullmatch(text):
        text = re.sub(_GROUP_SPACE, "", text)
    if not text.isascii():
        return None, FORMAT
    if _PLAIN.fullmatch(text):
        return Decimal(text), None
    match = _COMMA_DECIMAL.fullmatch(text)
    if match:
        whole, fraction = match.groups()
        if len(fraction) == 3 and whole.lstrip("+-").lstrip("0"):
            return None, AMBIGUOUS
        return Decimal(f"{whole}.{fraction}"), None
    if _US_GROUPED.fullmatch(text) and "." in text:
        return Decimal(text.replace(",", "")), None
    if _EU_GROUPED.fullmatch(text) and "," in text:
        return Decimal(text.replace(".", "").replace(",", ".")), None
    if _US_GROUPED.fullmatch(text) or _EU_GROUPED.fullmatch(text):
        return None, AMBIGUOUS
    return None, FORMAT


def _point_is_ambiguous(text: str, kind: str) -> bool:
    """1.000 where the amount has fewer than 3 decimals: thousands, or a decimal with zeros dropped?"""
    places = DECIMALS[kind]
    if places >= 3:
        return False
    match = _POINT_THREE.fullmatch(text.translate(FULL_WIDTH).strip())
    return bool(match) and match.group(1).lstrip("0") != "" and set(match.group(2)[places:]) == {"0"}


def _has_places(number: Decimal, places: int) -> bool:
    """Whether `number` has at most `places` decimals, exactly (no context rounding)."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        return False
    extra = -exponent - places
    return extra <= 0 or not any(digits[-extra:])


def from_decimal(number: Decimal, kind: str) -> Parsed:
    """An exact decimal amount of `kind` → canonical integer, decimals then range checked first."""
    if not number.is_finite():
        return Parsed(None, FORMAT)
    places = DECIMALS[kind]
    if not _has_places(number, places):
        return Parsed(None, DECIMALS_EXCEEDED)
    low, high = LIMITS[kind]
    if not Decimal(low).scaleb(-places) <= number <= Decimal(high).scaleb(-places):
        return Parsed(None, OUT_OF_RANGE)
    return Parsed(int(number.scaleb(places)))


def parse_amount(value: Any, kind: str) -> Parsed:
    """Text or a number, as a seller, a spreadsheet, a command line or a platform wrote it → the
    canonical integer of `kind` (money, weight, dim, stock), or the problem (see the module's doc).
    Never raises."""
    if isinstance(value, bool):
        return Parsed(None, FORMAT)
    if isinstance(value, int | np.integer):
        return from_decimal(Decimal(int(value)), kind)
    if isinstance(value, float | np.floating):
        values, problems = amounts_from_floats(np.array([value], dtype=np.float64), kind)
        return Parsed(None, problems[0]) if problems else Parsed(int(values[0]))
    if isinstance(value, Decimal):
        return from_decimal(value, kind)
    if not isinstance(value, str):
        return Parsed(None, FORMAT)
    if _point_is_ambiguous(value, kind):
        return Parsed(None, AMBIGUOUS)
    try:
        number, problem = parse_decimal_text(value)
    except InvalidOperation:  # cannot happen after the patterns above; kept total all the same
        return Parsed(None, FORMAT)
    if number is None:
        return Parsed(None, problem)
    return from_decimal(number, kind)


def amounts_from_floats(floats: np.ndarray, kind: str) -> tuple[np.ndarray, dict[int, str]]:
    """A column of spreadsheet numbers → canonical integers (0 where refused) and {position:
    problem}: the whole-column form of `parse_amount` for numbers, at numpy speed."""
    finite = np.isfinite(floats)
    huge = finite & (np.abs(np.where(finite, floats, 0)) > _HUGE)
    usable = finite & ~huge
    scaled = np.where(usable, floats, 0) * SCALE[kind]
    rounded = np.round(scaled)
    whole = usable & (np.abs(scaled - rounded) <= 1e-6)
    low, high = LIMITS[kind]
    ok = whole & (rounded >= low) & (rounded <= high)
    problems: dict[int, str] = {}
    if not ok.all():
        for i in np.flatnonzero(~ok).tolist():
            if not finite[i]:
                problems[i] = ERROR_VALUE
            elif usable[i] and not whole[i]:
                problems[i] = DECIMALS_EXCEEDED
            else:
                problems[i] = OUT_OF_RANGE
    return np.where(ok, rounded, 0).astype(np.int64), problems


def format_amount(kind: str, value: int) -> str:
    """A canonical amount as text a person types and a platform reads: 1250 cents → 12.50,
    347 grams → 0.347, 30 cm → 30."""
    places = DECIMALS[kind]
    if not places:
        return str(int(value))
    return f"{Decimal(int(value)).scaleb(-places):.{places}f}"
