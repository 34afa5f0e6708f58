"""Cells and sheets as read: positions (A1 references), the raw values of the Products sheet, and
the kind of every cell.

A spreadsheet cell is one of a closed set of kinds (`CellKind`). The reader (python-calamine)
returns numbers, text, booleans and dates as Python values, but shows an error value (#N/A), a
formula nobody computed, a cell covered by a merged range and a cell whose XML declares a value it
does not hold all as an empty string: those four are told apart here by `Mark`s, which the reader
finds in the sheet's XML and merged ranges. So validation sees every cell as exactly one kind and
never mistakes "not a value" for "empty".

Plain data at the bottom of the layers, so validation (L1) and the report (L2) can name any
cell without importing the reader.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .messages import say
from .results import Issue


class CellKind(StrEnum):
    EMPTY = "empty"
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"  # a date, a date and time, or a time of day
    DURATION = "duration"
    ERROR = "error"  # an error value: #N/A, #REF!, ...
    FORMULA = "formula"  # a formula with no computed value
    MERGED = "merged"  # covered by a merged range (not its top-left cell)
    DAMAGED = "damaged"  # its XML says it holds a value (a shared string, a number, text) but holds none


@dataclass(frozen=True)
class Mark:
    """What a cell is when its value cannot say: ERROR ("#N/A"), FORMULA ("=A1*2"), MERGED
    ("B3:B5", the range) or DAMAGED ('t="s"', what its XML declares), with the text to show the seller."""

    kind: CellKind
    shown: str


def classify(value: Any) -> CellKind:
    """The kind of a value as the reader returns it (marks aside). Total: anything unexpected is
    TEXT, since validation refuses text it cannot read."""
    if value is None or value == "":
        return CellKind.EMPTY
    kind = type(value)
    if kind is str:
        return CellKind.TEXT
    if kind is bool:
        return CellKind.BOOL
    if kind is float or kind is int:
        return CellKind.NUMBER
    if isinstance(value, dt.timedelta):
        return CellKind.DURATION
    if isinstance(value, dt.date | dt.time):
        return CellKind.DATE
    return CellKind.TEXT


def shown(value: Any) -> str:
    """A raw value as the seller sees it in a message: 12.0 → 12, None → "", nan → nan."""
    if value is None:
        return ""
    if type(value) is float and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


Cells = dict[tuple[int, int], Mark]  # (worksheet row, 0-based column) → mark
MarkScanner = Callable[[frozenset[tuple[int, int]]], Cells]  # cells wanted → those that are errors or formulas
MergedRange = tuple[tuple[int, int], tuple[int, int]]  # ((row, column), (row, column)), 0-based, inclusive


@dataclass(frozen=True)
class SavedBy:
    """Which program last saved a workbook (docProps/app.xml): its name, whether it is a library
    (a script wrote the file, not a person in a spreadsheet program), and what the file says of
    itself (Application, AppVersion), which stays as written."""

    name: str
    library: bool = False
    details: str = ""

    def words(self, lang: str) -> str:
        """As the report's Summary shows it, in `lang`."""
        if not self.details:
            return self.name
        return say("saved_by_library" if self.library else "saved_by_program", lang, name=self.name,
                   details=self.details)


@dataclass
class RawSheet:
    """Values as read, with enough position data to name any cell."""

    path: str
    sheet: str
    columns: dict[str, int]  # field key → 0-based column index
    rows: list[list[Any]]  # data rows, each padded to the sheet's width
    row_numbers: list[int]  # 1-based worksheet row of each data row
    header_rows: int
    header: list[list[Any]]  # the header rows as read (labels, keys)
    meta: dict[str, str]
    saved_by: SavedBy | None
    header_issues: list[Issue] = field(default_factory=list)
    lang: str = "en"
    merged: list[MergedRange] = field(default_factory=list)
    scanner: MarkScanner | None = None  # set by the reader: finds error and formula cells in the XML
    export_mark: str | None = None  # the export id the Products sheet carries (see `integrity`)
    found_marks: Cells = field(default_factory=dict)  # every error or formula cell value_marks found

    def unreadable_cells(self) -> Cells:
        """Every data cell known not to be a value: covered by a merged range, or found by
        `value_marks` to be an error value or an uncomputed formula (all of them, not only those
        listed as issues). A copy of the sheet must keep them unreadable: written as empty, a
        failed lookup in a barcode would read as "the seller cleared it" when the copy is imported."""
        cells: Cells = {}
        first, last = (self.row_numbers[0], self.row_numbers[-1]) if self.row_numbers else (0, -1)
        for (r0, c0), (r1, c1) in self.merged:
            shown_range = f"{cell_ref(c0, r0 + 1)}:{cell_ref(c1, r1 + 1)}"
            for row in range(max(r0 + 1, first), min(r1 + 1, last) + 1):
                for column in range(c0, c1 + 1):
                    if (row - 1, column) != (r0, c0):
                        cells[(row, column)] = Mark(CellKind.MERGED, shown_range)
        cells.update(self.found_marks)
        return cells

    def column(self, key: str) -> list[Any]:
        index = self.columns[key]
        return [row[index] for row in self.rows]

    def merged_marks(self, column: int, rows: Sequence[int]) -> dict[int, Mark]:
        """The cells of `column` in worksheet rows `rows` (ascending) that a merged range covers,
        by position in `rows`. Linear in the ranges plus the cells covered, however large a range."""
        found: dict[int, Mark] = {}
        for (r0, c0), (r1, c1) in self.merged:
            if not c0 <= column <= c1 or (r0, c0) == (r1, c1):
                continue
            shown_range = f"{cell_ref(c0, r0 + 1)}:{cell_ref(c1, r1 + 1)}"
            for position in range(bisect_left(rows, r0 + 1), bisect_right(rows, r1 + 1)):
                if (rows[position], column) != (r0 + 1, c0):
                    found[position] = Mark(CellKind.MERGED, shown_range)
        return found

    def value_marks(self, cells: Iterable[tuple[int, int]]) -> Cells:
        """Which of `cells` (worksheet row, 0-based column), all read as empty, are error values or
        uncomputed formulas. One pass over the sheet's XML for all of them, however many."""
        wanted = frozenset(cells)
        if not wanted or self.scanner is None:
            return {}
        found = self.scanner(wanted)
        self.found_marks.update(found)
        return found


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel letters → 0-based column index (A → 0, AB → 27)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def cell_ref(column: int, row: int) -> str:
    return f"{column_letter(column)}{row}"
