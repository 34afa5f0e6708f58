"""Cells and sheets as read: positions (A1 references) and the raw values of the Products sheet.

Plain data at the bottom of the layers, so validation (L1) and the report (L2) can name any
cell without importing the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .results import Issue

Explainer = Callable[[list[tuple[int, int]]], dict[tuple[int, int], tuple[str, str]]]


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
    saved_by: str | None
    header_issues: list[Issue] = field(default_factory=list)
    lang: str = "en"
    explainer: Explainer | None = None  # set by the reader: why cells read as empty
    export_mark: str | None = None  # the export id the Products sheet carries (see `integrity`)

    def column(self, key: str) -> list[Any]:
        index = self.columns[key]
        return [row[index] for row in self.rows]

    def explain_blanks(self, cells: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str]]:
        """Why cells read as empty: ("merged", "B3:B5"), ("formula", "=A1*2") for a formula
        nobody computed, or ("error", "#REF!"). Cells are (worksheet row, 0-based column)."""
        return self.explainer(cells) if self.explainer else {}


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_ref(column: int, row: int) -> str:
    return f"{column_letter(column)}{row}"
