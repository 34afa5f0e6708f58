"""The pitfalls corpus: one real workbook per failure in shared/design/PITFALLS.md, built from a
fresh export of the sample catalog, with the outcome it must have.

    python -m tests.pitfalls        # build every case, import it, print the figures

Each case either gives the right value (checked in the catalog afterwards), or an error or
warning naming the cell, or a clear refusal of the whole file (exit 2); none may raise, and an
invalid file must leave the catalog exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import openpyxl
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.errors import StoreUnavailable
from sheetsync.store import Store
from tests.test_damaged_rows import damage

SHEET_PART = "xl/worksheets/sheet1.xml"


@dataclass
class Outcome:
    status: str                      # applied | unchanged | invalid | unreadable | unavailable | interrupted
    rule: str | None = None          # the error (or, for accepted files, warning) expected
    cell: str | None = None          # where, when the rule belongs to a cell
    values: dict[tuple[str, str], Any] | None = None   # (sku_id, field) → canonical value afterwards


@dataclass
class Case:
    name: str
    section: str
    build: Callable[[Path, Path, Path], tuple[Path, Outcome]]   # (store, export, work dir) → (file, outcome)
    needs: str | None = None         # "libreoffice" when the case needs a real LibreOffice
    # What happens while the import runs (another program replacing the store, Ctrl-C), given the
    # store and the work folder: a context manager around the command.
    during: Callable[[Path, Path], AbstractContextManager[object]] | None = None


# Outcomes where nothing may be written to the catalog.
REFUSED = ("invalid", "unreadable", "unavailable", "interrupted")


class Sheet:
    """The export opened with openpyxl, addressed by row index and key."""

    def __init__(self, path: Path) -> None:
        self.wb = openpyxl.load_workbook(path)
        self.ws = self.wb["Products"]
        self.col = {self.ws.cell(2, c).value: c for c in range(1, self.ws.max_column + 1)}

    def sku(self, i: int) -> str:
        return self.ws.cell(3 + i, self.col["sku_id"]).value

    def cell(self, i: int, key: str):
        return self.ws.cell(3 + i, self.col[key])

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path


def edit(name: str, changes: Callable[[Sheet], Outcome]) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        sheet = Sheet(export)
        outcome = changes(sheet)
        return sheet.save(work / f"{name}.xlsx"), outcome
    return build


def first_with(sheet: Sheet, key: str, test: Callable[[Any], bool]) -> int:
    return next(i for i in range(sheet.ws.max_row - 2) if test(sheet.cell(i, key).value))


def repack(source: Path, path: Path, changes: dict[str, Callable[[bytes], bytes]] | None = None,
           added: dict[str, bytes] | None = None, **options: Any) -> Path:
    """A copy of the workbook `source` at `path`, its parts passed through `changes` (part name →
    bytes → bytes) and `added` parts written too (or instead)."""
    with zipfile.ZipFile(source) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    for name, change in (changes or {}).items():
        parts[name] = change(parts[name])
    parts.update(added or {})
    with zipfile.ZipFile(path, "w", **options) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


# -- identifiers and numbers -------------------------------------------------------------------------
def barcode_as_number(s: Sheet) -> Outcome:
    i = first_with(s, "barcode", lambda v: isinstance(v, str) and v.startswith("0"))
    s.cell(i, "barcode").value = int(s.cell(i, "barcode").value)
    return Outcome("invalid", "leading_zeros_lost", s.cell(i, "barcode").coordinate)


def long_barcode_as_float(s: Sheet) -> Outcome:
    s.cell(0, "barcode").value = 1.00123456789012e17
    return Outcome("invalid", "number_precision_lost", s.cell(0, "barcode").coordinate)


def gtin14_as_exact_number(s: Sheet) -> Outcome:
    i = first_with(s, "barcode", lambda v: isinstance(v, str) and len(v) == 13 and not v.startswith("0"))
    barcode = s.cell(i, "barcode").value
    s.cell(i, "barcode").value = int(barcode)  # 13 digits survive a float exactly
    return Outcome("unchanged", "identifier_as_number", s.cell(i, "barcode").coordinate,
                   {(s.sku(i), "barcode"): barcode})


def code_with_e_became_number(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    sku = Sheet(export).sku(0)
    with Store.open(store) as handle, handle.transaction():
        handle.db.execute("UPDATE skus SET sku_code = '219E01' WHERE sku_id = ?", (sku,))
    sheetsync.export_catalog(store, work / "e-code-export.xlsx")
    s = Sheet(work / "e-code-export.xlsx")
    s.cell(0, "sku_code").value = 2190.0  # what Excel makes of 219E01
    return s.save(work / "e-code.xlsx"), Outcome("invalid", "identifier_became_number",
                                                 s.cell(0, "sku_code").coordinate)


def decimal_comma(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = "19,50"
    return Outcome("applied", values={(s.sku(0), "seller_price"): 1950})


def grouped_european_number(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = "334.327,57"  # read right (334327.57), then caught by the guardrail
    return Outcome("invalid", "large_price_change", s.cell(0, "seller_price").coordinate)


def ambiguous_thousands(s: Sheet) -> Outcome:
    s.cell(0, "weight_kg").value = "1,250"
    return Outcome("invalid", "ambiguous_number", s.cell(0, "weight_kg").coordinate)


def integer_as_float(s: Sheet) -> Outcome:
    s.cell(0, "stock_US").value = 99.0
    s.cell(1, "length_cm").value = "11.0"
    return Outcome("applied", values={(s.sku(0), "stock_US"): 99, (s.sku(1), "length_cm"): 11})


def text_one_point_zero_stays_text(s: Sheet) -> Outcome:
    s.cell(0, "sku_code").value = "1.0"
    return Outcome("applied", values={(s.sku(0), "sku_code"): "1.0"})


def date_in_price(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = dt.datetime(2024, 12, 5)
    return Outcome("invalid", "date_in_number", s.cell(0, "seller_price").coordinate)


def date_in_identifier(s: Sheet) -> Outcome:
    s.cell(0, "barcode").value = dt.datetime(2024, 12, 5)
    return Outcome("invalid", "date_in_number", s.cell(0, "barcode").coordinate)


# -- formulas and cached values ----------------------------------------------------------------------
def formula_without_cache(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = "=18.9+1"  # openpyxl stores no cached result
    return Outcome("invalid", "formula_without_value", s.cell(0, "seller_price").coordinate)


def formula_with_cache(store: Path, export: Path, work: Path, libreoffice) -> tuple[Path, Outcome]:
    s = Sheet(export)
    s.cell(0, "seller_price").value = "=18.9+1"
    libreoffice.resave(s.save(work / "formula.xlsx"), work / "lo-formula")
    return work / "lo-formula" / "formula.xlsx", Outcome("applied", values={(s.sku(0), "seller_price"): 1990})


def error_value(s: Sheet) -> Outcome:
    cell = s.cell(0, "seller_price")
    cell.value, cell.data_type = "#REF!", "e"
    other = s.cell(1, "stock_US")
    other.value, other.data_type = "#N/A", "e"
    return Outcome("invalid", "cell_error", cell.coordinate)


def error_text_typed(s: Sheet) -> Outcome:
    s.cell(0, "weight_kg").value = " #VALUE! "
    return Outcome("invalid", "cell_error", s.cell(0, "weight_kg").coordinate)


# -- cells that are not what they look like (what python-calamine reads its own way) --------------------
def xml_edit(name: str, changes: Callable[[Sheet, str], tuple[str, Outcome]]
             ) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    """A case made in the sheet's XML, as a program other than a spreadsheet may write it:
    `changes(sheet, xml)` → (new xml, outcome); the sheet (openpyxl) only names cells."""
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        sheet = Sheet(export)
        outcomes = []

        def change(data: bytes) -> bytes:
            xml, outcome = changes(sheet, data.decode())
            outcomes.append(outcome)
            return xml.encode()
        path = repack(export, work / f"{name}.xlsx", {SHEET_PART: change}, compression=zipfile.ZIP_DEFLATED)
        return path, outcomes[0]
    return build


def _cell(xml: str, ref: str, new: str) -> str:
    return re.sub(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', new.replace("{ref}", ref), xml, count=1)


def error_in_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "barcode").coordinate
    return (_cell(xml, ref, '<c r="{ref}" t="e"><f>VLOOKUP(A3,Codes!A:B,2,0)</f><v>#N/A</v></c>'),
            Outcome("invalid", "cell_error", ref))


def formula_in_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "barcode").coordinate
    return _cell(xml, ref, '<c r="{ref}"><f>VLOOKUP(A3,Codes!A:B,2,0)</f></c>'), Outcome(
        "invalid", "formula_without_value", ref)


def _empty_barcode(s: Sheet) -> str:
    return s.cell(first_with(s, "barcode", lambda v: v in (None, "")), "barcode").coordinate


def error_in_empty_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = _empty_barcode(s)
    return (_cell(xml, ref, '<c r="{ref}" t="e"><f>VLOOKUP(A3,Codes!A:B,2,0)</f><v>#N/A</v></c>'),
            Outcome("invalid", "cell_error", ref))


def formula_in_empty_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = _empty_barcode(s)
    return _cell(xml, ref, '<c r="{ref}"><f>VLOOKUP(A3,Codes!A:B,2,0)</f></c>'), Outcome(
        "invalid", "formula_without_value", ref)


def empty_shared_string_in_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "barcode").coordinate
    return _cell(xml, ref, '<c r="{ref}" t="s"><v></v></c>'), Outcome("invalid", "cell_damaged", ref)


def text_type_without_value_in_barcode(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "barcode").coordinate
    return _cell(xml, ref, '<c r="{ref}" t="str"/>'), Outcome("invalid", "cell_damaged", ref)


def merged_barcode(s: Sheet) -> Outcome:
    s.ws.merge_cells(f"{s.cell(0, 'barcode').coordinate}:{s.cell(1, 'barcode').coordinate}")
    return Outcome("invalid", "merged_cell", s.cell(1, "barcode").coordinate)


def number_beyond_float(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "seller_price").coordinate
    return _cell(xml, ref, '<c r="{ref}"><v>1e400</v></c>'), Outcome("invalid", "cell_error", ref)


def nan_in_title(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "title").coordinate
    return _cell(xml, ref, '<c r="{ref}"><v>NaN</v></c>'), Outcome("invalid", "cell_error", ref)


def control_character_in_title(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "title").coordinate
    return (_cell(xml, ref, '<c r="{ref}" t="inlineStr"><is><t>Earbuds_x0007_ Pro</t></is></c>'),
            Outcome("invalid", "text_control", ref))


def cell_given_twice(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "stock_US").coordinate
    twice = f'<c r="{ref}"><v>7</v></c>'
    return (re.sub(rf'(<c r="{ref}"[^>]*>.*?</c>)', rf"\1{twice}", xml, count=1),
            Outcome("applied", values={(s.sku(0), "stock_US"): 7}))


def damaged_shared_string(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "title").coordinate
    return _cell(xml, ref, '<c r="{ref}" t="s"><v>x</v></c>'), Outcome("unreadable", "file_corrupt")


def cell_beyond_the_grid(s: Sheet, xml: str) -> tuple[str, Outcome]:
    ref = s.cell(0, "title").coordinate
    return xml.replace(f'<c r="{ref}"', '<c r="ZZZZZ3"', 1), Outcome("unreadable", "file_corrupt")


_SHARED = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="1" uniqueCount="1"><si><t>First string</t></si></sst>')


def with_shared_strings(export: Path) -> dict[str, bytes]:
    """The parts that give the export a shared-strings table, as Excel relates it."""
    with zipfile.ZipFile(export) as source:
        rels = source.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    return {"xl/sharedStrings.xml": _SHARED, "xl/_rels/workbook.xml.rels": rels}


def shared_string_case(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    path, outcome = xml_edit("shared", damaged_shared_string)(store, export, work)
    return repack(path, path, added=with_shared_strings(export), compression=zipfile.ZIP_DEFLATED), outcome


def superscript_barcode(s: Sheet) -> Outcome:
    s.cell(0, "barcode").value = "⁴⁰⁰⁶³⁸¹³³³⁹³¹"
    return Outcome("invalid", "barcode_format", s.cell(0, "barcode").coordinate)


def full_width_price(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = "１９．５０"  # typed with a Chinese input method in full-width mode
    return Outcome("applied", values={(s.sku(0), "seller_price"): 1950})


def thousands_point_in_stock(s: Sheet) -> Outcome:
    s.cell(0, "stock_US").value = "1.000"
    return Outcome("invalid", "ambiguous_number", s.cell(0, "stock_US").coordinate)


def spaced_digits_in_stock(s: Sheet) -> Outcome:
    s.cell(0, "stock_US").value = "1 2"
    return Outcome("invalid", "integer_format", s.cell(0, "stock_US").coordinate)


def many_digits_in_price(s: Sheet) -> Outcome:
    s.cell(0, "seller_price").value = "123456789012345678901234"
    return Outcome("invalid", "price_range", s.cell(0, "seller_price").coordinate)


def boolean_title(s: Sheet) -> Outcome:
    s.cell(0, "title").value = True
    return Outcome("invalid", "boolean_cell", s.cell(0, "title").coordinate)


def date_title(s: Sheet) -> Outcome:
    s.cell(0, "title").value = dt.datetime(2024, 1, 5)
    return Outcome("invalid", "date_in_text", s.cell(0, "title").coordinate)


def zero_width_title(s: Sheet) -> Outcome:
    s.cell(0, "title").value = "\u200b\u200b"
    return Outcome("invalid", "invisible_text", s.cell(0, "title").coordinate)


# -- structure ---------------------------------------------------------------------------------------
def columns_reordered(s: Sheet) -> Outcome:
    ws = s.ws
    price, stock = s.col["seller_price"], s.col["stock_US"]
    for r in range(1, ws.max_row + 1):
        a, b = ws.cell(r, price), ws.cell(r, stock)
        a.value, b.value = b.value, a.value
    ws.cell(3, stock).value = 20.5  # the price, now in the stock column's place
    return Outcome("applied", values={(s.sku(0), "seller_price"): 2050})


def column_renamed(s: Sheet) -> Outcome:
    s.ws.cell(2, s.col["seller_price"]).value = "price"
    s.ws.cell(1, s.col["seller_price"]).value = "Price"
    s.cell(0, "seller_price").value = 99.0  # in a column sheetsync no longer knows: ignored
    return Outcome("unchanged", "unknown_column", s.ws.cell(2, s.col["seller_price"]).coordinate)


def column_deleted(s: Sheet) -> Outcome:
    s.ws.delete_cols(s.col["weight_kg"])
    return Outcome("unchanged")


def column_duplicated(s: Sheet) -> Outcome:
    col = s.ws.max_column + 1
    for r in range(1, s.ws.max_row + 1):
        s.ws.cell(r, col).value = s.ws.cell(r, s.col["seller_price"]).value
    return Outcome("invalid", "duplicate_column", s.ws.cell(2, col).coordinate)


def extra_column(s: Sheet) -> Outcome:
    col = s.ws.max_column + 1
    s.ws.cell(1, col).value, s.ws.cell(2, col).value = "Supplier", "supplier"
    return Outcome("unchanged", "unknown_column", s.ws.cell(2, col).coordinate)


def labels_edited(s: Sheet) -> Outcome:
    for c in range(1, s.ws.max_column + 1):
        s.ws.cell(1, c).value = f"my label {c}"
    s.cell(0, "stock_US").value = 3
    return Outcome("applied", values={(s.sku(0), "stock_US"): 3})


def merged_cells(s: Sheet) -> Outcome:
    top = s.cell(0, "title").coordinate
    below = s.cell(1, "title").coordinate
    s.ws.merge_cells(f"{top}:{below}")
    return Outcome("invalid", "merged_cell", below)


def hidden_rows_and_columns(s: Sheet) -> Outcome:
    s.ws.row_dimensions[4].hidden = True
    s.ws.column_dimensions[openpyxl.utils.get_column_letter(s.col["stock_US"])].hidden = True
    s.cell(1, "stock_US").value = 5
    return Outcome("applied", values={(s.sku(1), "stock_US"): 5})


def products_sheet_hidden_and_moved(s: Sheet) -> Outcome:
    s.ws.sheet_state = "hidden"
    s.wb.move_sheet("Products", offset=2)
    s.wb.active = 0
    s.cell(0, "stock_US").value = 6
    return Outcome("applied", values={(s.sku(0), "stock_US"): 6})


def products_sheet_renamed(s: Sheet) -> Outcome:
    s.ws.title = "My products"
    return Outcome("unreadable", "no_products_sheet")


def blank_rows_in_the_middle(s: Sheet) -> Outcome:
    s.ws.insert_rows(6, amount=3)
    s.cell(0, "stock_US").value = 8
    return Outcome("applied", values={(s.sku(0), "stock_US"): 8})


def trailing_styled_rows_and_huge_dimension(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    s = Sheet(export)
    for r in (s.ws.max_row + 1, 1_048_576):
        s.ws.cell(r, 1).number_format = "@"
        s.ws.cell(r, 1).font = openpyxl.styles.Font(bold=True)
    path = s.save(work / "huge.xlsx")
    _patch_dimension(path, "A1:AT1048576")
    return path, Outcome("unchanged")


def declared_dimension_a1(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    s = Sheet(export)
    s.cell(0, "stock_US").value = 9
    path = s.save(work / "a1.xlsx")
    _patch_dimension(path, "A1:A1")  # as WPS writes it
    return path, Outcome("applied", values={(s.sku(0), "stock_US"): 9})


def _patch_dimension(path: Path, ref: str) -> None:
    repack(path, path, {SHEET_PART: lambda data: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(),
                                                      data)}, compression=zipfile.ZIP_DEFLATED)


def same_sku_twice(s: Sheet) -> Outcome:
    row = s.ws.max_row + 1
    for c in range(1, s.ws.max_column + 1):
        s.ws.cell(row, c).value = s.ws.cell(3, c).value
    return Outcome("invalid", "duplicate_sku", s.cell(0, "sku_id").coordinate)


def sku_and_product_mismatch(s: Sheet) -> Outcome:
    s.cell(0, "product_id").value = s.cell(10, "product_id").value
    return Outcome("invalid", "sku_product_mismatch", s.cell(0, "product_id").coordinate)


def rows_from_another_store(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    other = work / "other.db"
    sheetsync.init_store(other, synthetic=3)
    sheetsync.export_catalog(other, work / "other.xlsx")
    foreign = Sheet(work / "other.xlsx")
    s = Sheet(export)
    row = s.ws.max_row + 1
    for c in range(1, s.ws.max_column + 1):
        s.ws.cell(row, c).value = foreign.ws.cell(3, c).value
    return s.save(work / "pasted.xlsx"), Outcome("invalid", "unknown_sku", s.ws.cell(row, s.col["sku_id"]).coordinate)


def blank_cell_never_erases(s: Sheet) -> Outcome:
    s.cell(0, "weight_kg").value = None
    return Outcome("invalid", "required", s.cell(0, "weight_kg").coordinate)


def new_product_row_is_not_created(s: Sheet) -> Outcome:
    row = s.ws.max_row + 1
    for c in range(1, s.ws.max_column + 1):
        s.ws.cell(row, c).value = s.ws.cell(3, c).value
    s.ws.cell(row, s.col["sku_id"]).value = ""
    s.ws.cell(row, s.col["product_id"]).value = ""
    return Outcome("invalid", "missing_sku_id", s.ws.cell(row, s.col["sku_id"]).coordinate)


# -- other programs ----------------------------------------------------------------------------------
def resaved_by_libreoffice(store: Path, export: Path, work: Path, libreoffice) -> tuple[Path, Outcome]:
    return libreoffice.resave(export, work / "lo"), Outcome("unchanged")


def resaved_by_libreoffice_as_ods_renamed(store: Path, export: Path, work: Path, libreoffice) -> tuple[Path, Outcome]:
    ods = libreoffice.resave(export, work / "ods", fmt="ods")
    renamed = ods.with_name("renamed.xlsx")
    shutil.copy(ods, renamed)
    return renamed, Outcome("unreadable", "file_not_xlsx")


# -- security and not-an-xlsx ------------------------------------------------------------------------
def formula_text_in_title(s: Sheet) -> Outcome:
    s.cell(0, "title").value = "=HYPERLINK(\"http://x\",\"y\")"
    s.cell(1, "title").value = "=HYPERLINK(\"http://x\",\"y\")"
    s.cell(0, "title").data_type = s.cell(1, "title").data_type = "s"
    return Outcome("applied", values={(s.sku(0), "title"): "=HYPERLINK(\"http://x\",\"y\")"})


def raw_file(name: str, data: bytes, rule: str) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        path = work / name
        path.write_bytes(data)
        return path, Outcome("unreadable", rule)
    return build


def truncated(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    data = export.read_bytes()
    path = work / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path, Outcome("unreadable", "file_corrupt")


def dtd_case(name: str, part: str, change: Callable[[bytes], bytes]
             ) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    """A part that declares a DTD: the whole file is refused."""
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        return repack(export, work / f"{name}.xlsx", {part: change}), Outcome("unreadable", "file_corrupt")
    return build


entity_bomb = dtd_case("bomb", SHEET_PART, lambda data: data.replace(
    b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet', 1))
dtd_after_4kb = dtd_case("dtd-late", SHEET_PART, lambda data: data.replace(
    b'<row r="20"', b'<!DOCTYPE w [<!ENTITY a "aaaa">]><row r="20"', 1))
dtd_in_utf16 = dtd_case("dtd-utf16", "docProps/app.xml", lambda data: data.decode().replace(
    "<Properties", '<!DOCTYPE p [<!ENTITY a "a">]><Properties', 1).replace(
    'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))


def zip_bomb(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
    path = repack(export, work / "zipbomb.xlsx", added={"xl/media/padding.xml": b" " * (30 * 1024 * 1024)},
                  compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    return path, Outcome("unreadable", "file_too_large")


# -- the store damaged by another program, replaced during an import, Ctrl-C (a hostile review) -------------
def damaged_store(name: str, sql: str) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    """The export with one edit, imported into a store whose rows `sql` damaged: refused, the
    store named (exit 2), nothing written."""
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        sheet = Sheet(export)
        sheet.cell(0, "seller_price").value = 12.5
        path = sheet.save(work / f"{name}.xlsx")
        damage(store, sql)
        return path, Outcome("unavailable", "store_corrupt")
    return build


def one_price_edited(outcome: Outcome) -> Callable[[Path, Path, Path], tuple[Path, Outcome]]:
    def build(store: Path, export: Path, work: Path) -> tuple[Path, Outcome]:
        sheet = Sheet(export)
        sheet.cell(0, "seller_price").value = 12.5
        return sheet.save(work / "price.xlsx"), outcome
    return build


@contextmanager
def store_replaced_while_applying(store: Path, work: Path) -> Iterator[object]:
    """Another program (a sync tool restoring a backup) puts another copy in the store's place
    between the plan and the write."""
    from sheetsync.targets.local import LocalTarget

    backup = work / "backup.db"
    shutil.copy(store, backup)
    apply = LocalTarget.apply

    def replaced(*args: Any) -> Any:
        os.replace(backup, store)
        return apply(*args)

    with patch.object(LocalTarget, "apply", replaced) as patched:
        yield patched


@contextmanager
def ctrl_c_while_applying(store: Path, work: Path) -> Iterator[object]:
    """Ctrl-C (SIGINT to the process) as the run that writes is opened."""
    begin_run = Store.begin_run

    def interrupted(*args: Any, **kwargs: Any) -> str:
        signal.raise_signal(signal.SIGINT)
        return begin_run(*args, **kwargs)

    with patch.object(Store, "begin_run", interrupted) as stopped:
        yield stopped


FIRST_SKU = "(SELECT sku_id FROM skus ORDER BY position LIMIT 1 OFFSET 5)"

CASES = [
    Case("leading zeros lost (barcode typed as a number)", "identifiers and numbers", edit("zeros", barcode_as_number)),
    Case("18-digit code turned into a float", "identifiers and numbers", edit("float", long_barcode_as_float)),
    Case("13-digit barcode stored as an exact number", "identifiers and numbers",
         edit("exact", gtin14_as_exact_number)),
    Case("code 219E01 read as the number 2190", "identifiers and numbers", code_with_e_became_number),
    Case("decimal comma typed as text (19,50)", "identifiers and numbers", edit("comma", decimal_comma)),
    Case("grouped European number (334.327,57)", "identifiers and numbers", edit("grouped", grouped_european_number)),
    Case("ambiguous thousands separator (1,250)", "identifiers and numbers", edit("ambiguous", ambiguous_thousands)),
    Case("integers read as 99.0 and '11.0'", "identifiers and numbers", edit("dotzero", integer_as_float)),
    Case("text '1.0' stays text", "identifiers and numbers", edit("onezero", text_one_point_zero_stays_text)),
    Case("a date where a price was meant", "identifiers and numbers", edit("date", date_in_price)),
    Case("a date in an identifier column", "identifiers and numbers", edit("dateid", date_in_identifier)),
    Case("superscript digits as a barcode", "identifiers and numbers", edit("superscript", superscript_barcode)),
    Case("full-width digits from an input method (１９．５０)", "identifiers and numbers",
         edit("fullwidth", full_width_price)),
    Case("'1.000' in a stock cell (a thousand, or one?)", "identifiers and numbers",
         edit("thousandpoint", thousands_point_in_stock)),
    Case("'1 2' in a stock cell (never 12)", "identifiers and numbers", edit("spaced", spaced_digits_in_stock)),
    Case("a 24-digit price", "identifiers and numbers", edit("digits", many_digits_in_price)),
    Case("a number beyond a double (1e400)", "identifiers and numbers", xml_edit("e400", number_beyond_float)),
    Case("NaN as a title", "cells that are not values", xml_edit("nantitle", nan_in_title)),
    Case("TRUE as a title", "cells that are not values", edit("booltitle", boolean_title)),
    Case("a date as a title", "cells that are not values", edit("datetitle", date_title)),
    Case("a title of zero-width spaces", "cells that are not values", edit("zerowidth", zero_width_title)),
    Case("a control character in a title", "cells that are not values",
         xml_edit("control", control_character_in_title)),
    Case("#N/A from a failed VLOOKUP in a barcode (never 'clear')", "cells that are not values",
         xml_edit("nabarcode", error_in_barcode)),
    Case("an uncomputed formula in a barcode (never 'clear')", "cells that are not values",
         xml_edit("fbarcode", formula_in_barcode)),
    Case("#N/A in a barcode exported empty (a failed lookup, not 'no edit')", "cells that are not values",
         xml_edit("naemptybarcode", error_in_empty_barcode)),
    Case("an uncomputed formula in a barcode exported empty", "cells that are not values",
         xml_edit("femptybarcode", formula_in_empty_barcode)),
    Case("an empty shared-string index in a barcode (never 'clear')", "cells that are not values",
         xml_edit("emptysst", empty_shared_string_in_barcode)),
    Case("a text-typed barcode cell with no value (never 'clear')", "cells that are not values",
         xml_edit("strnov", text_type_without_value_in_barcode)),
    Case("merged barcode cells (never 'clear')", "cells that are not values", edit("mbarcode", merged_barcode)),
    Case("a cell given twice in the XML (the last one, as LibreOffice reads it)", "cells that are not values",
         xml_edit("twice", cell_given_twice)),
    Case("a damaged shared-string reference (read as the first string)", "cells that are not values",
         shared_string_case),
    Case("a cell reference beyond XFD1048576 (ZZZZZ3)", "cells that are not values",
         xml_edit("beyond", cell_beyond_the_grid)),
    Case("formula with no cached value (library-written)", "formulas", edit("nocache", formula_without_cache)),
    Case("formula with a cached value (LibreOffice-computed)", "formulas", formula_with_cache, "libreoffice"),
    Case("error values #REF! and #N/A", "formulas", edit("errors", error_value)),
    Case("error text typed into a number cell", "formulas", edit("errortext", error_text_typed)),
    Case("columns reordered", "structure", edit("reordered", columns_reordered)),
    Case("column key renamed", "structure", edit("renamed", column_renamed)),
    Case("column deleted", "structure", edit("deleted", column_deleted)),
    Case("column duplicated", "structure", edit("duplicated", column_duplicated)),
    Case("extra column added", "structure", edit("extra", extra_column)),
    Case("label row edited", "structure", edit("labels", labels_edited)),
    Case("merged cells", "structure", edit("merged", merged_cells)),
    Case("hidden rows and columns", "structure", edit("hidden", hidden_rows_and_columns)),
    Case("data sheet hidden and moved", "structure", edit("moved", products_sheet_hidden_and_moved)),
    Case("data sheet renamed", "structure", edit("sheetrenamed", products_sheet_renamed)),
    Case("blank rows in the middle", "structure", edit("blankrows", blank_rows_in_the_middle)),
    Case("styled empty row at 1,048,576 and that declared dimension", "structure",
         trailing_styled_rows_and_huge_dimension),
    Case("declared dimension A1:A1 (WPS)", "structure", declared_dimension_a1),
    Case("the same SKU twice", "structure", edit("twice", same_sku_twice)),
    Case("product ID and SKU ID that do not belong together", "structure", edit("mismatch", sku_and_product_mismatch)),
    Case("a row pasted from another store's export", "structure", rows_from_another_store),
    Case("a blank cell (never 'erase')", "data destruction", edit("blank", blank_cell_never_erases)),
    Case("a new row without IDs (never 'create')", "data destruction", edit("newrow", new_product_row_is_not_created)),
    Case("re-saved by LibreOffice", "other programs", resaved_by_libreoffice, "libreoffice"),
    Case("LibreOffice .ods renamed to .xlsx", "other programs", resaved_by_libreoffice_as_ods_renamed, "libreoffice"),
    Case("formula-like text stays text", "security", edit("injection", formula_text_in_title)),
    Case("XML entity bomb", "security", entity_bomb),
    Case("a DTD after the first 4 KB of a part", "security", dtd_after_4kb),
    Case("a DTD in a UTF-16 part", "security", dtd_in_utf16),
    Case("zip bomb", "security", zip_bomb),
    Case("a CSV renamed .xlsx", "not an xlsx", raw_file("csv.xlsx", b"sku_id,price\n1,2\n", "file_not_xlsx")),
    Case("an old .xls", "not an xlsx", raw_file("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
                                                 "file_old_xls")),
    Case("a password-protected workbook", "not an xlsx",
         raw_file("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64) + "EncryptionInfo".encode("utf-16-le"),
                  "file_encrypted")),
    Case("an empty file", "not an xlsx", raw_file("empty.xlsx", b"", "file_empty")),
    Case("a truncated download", "not an xlsx", truncated),
    Case("store: a NULL title (a table rebuilt by another program)", "the store and the run",
         damaged_store("nulltitle", "UPDATE products SET title = NULL WHERE rowid = 3")),
    Case("store: a text in a price column", "the store and the run",
         damaged_store("textprice", f"UPDATE skus SET seller_price = 'abc' WHERE sku_id = {FIRST_SKU}")),
    Case("store: a fraction in a weight kept in grams", "the store and the run",
         damaged_store("realweight", f"UPDATE skus SET weight_kg = 0.35 WHERE sku_id = {FIRST_SKU}")),
    Case("store: a stock that is not JSON", "the store and the run",
         damaged_store("stockjson", f"UPDATE skus SET stock = 'garbage' WHERE sku_id = {FIRST_SKU}")),
    Case("store: a stock with a text quantity", "the store and the run",
         damaged_store("stocktext",
                       f"UPDATE skus SET stock = json_set(stock, '$[0]', 'x') WHERE sku_id = {FIRST_SKU}")),
    Case("store: a SKU of no product", "the store and the run",
         damaged_store("orphan", f"UPDATE skus SET product_id = 'gone' WHERE sku_id = {FIRST_SKU}")),
    Case("store: an export snapshot that is not JSON", "the store and the run",
         damaged_store("snapshot", "UPDATE export_columns SET data = 'not json' WHERE kind = 'json'")),
    Case("store: a table missing", "the store and the run", damaged_store("notable", "DROP TABLE run_changes")),
    Case("store: the signing secret not hex", "the store and the run",
         damaged_store("secret", "UPDATE meta SET value = 'zz' WHERE key = 'secret'")),
    Case("the store file replaced by another program during the import", "the store and the run",
         one_price_edited(Outcome("unavailable", "store_replaced")), during=store_replaced_while_applying),
    Case("Ctrl-C once the import has begun writing", "the store and the run",
         one_price_edited(Outcome("interrupted", "interrupted")), during=ctrl_c_while_applying),
]


@dataclass
class Verdict:
    case: Case
    ok: bool
    detail: str
    traceback: bool
    changed_by_invalid: bool
    status: str


def run_case(case: Case, sample_store: Path, work: Path, libreoffice=None) -> Verdict:
    """Build the case's workbook, import it through the CLI, and check the outcome."""
    work.mkdir(parents=True, exist_ok=True)
    store = work / "shop.db"
    shutil.copy(sample_store, store)
    export = work / "export.xlsx"
    sheetsync.export_catalog(store, export, preview=[])
    args = (store, export, work, libreoffice) if case.needs == "libreoffice" else (store, export, work)
    path, want = case.build(*args)
    before = _catalog(store)
    with case.during(store, work) if case.during else nullcontext():
        run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"])
    crashed = (run.exception is not None and not isinstance(run.exception, SystemExit)) or run.exit_code == 70
    if crashed:
        return Verdict(case, False, repr(run.exception), True, False, "traceback")
    result = json.loads(run.stdout)
    after = _catalog(store)
    changed = not (after.equals(before) if hasattr(after, "equals") else after == before)
    problems = []
    if result["status"] != want.status:
        problems.append(f"status {result['status']} (want {want.status})")
    issues = result["errors"] + (result["warnings"] if want.status in ("applied", "unchanged") else [])
    if want.rule and not any(i["rule"] == want.rule and (want.cell is None or i["cell"] == want.cell) for i in issues):
        problems.append(f"no {want.rule} at {want.cell}: {[(i['rule'], i['cell']) for i in issues][:5]}")
    if want.status in ("applied", "unchanged") and result["errors"]:
        problems.append(f"unexpected errors {[(i['rule'], i['cell']) for i in result['errors']][:5]}")
    for (sku, key), value in (want.values or {}).items():
        if after.at[sku, key] != value:
            problems.append(f"{sku} {key} = {after.at[sku, key]!r} (want {value!r})")
    if want.status in REFUSED and changed:
        problems.append("an invalid file changed the catalog")
    if want.status == "unchanged" and changed:
        problems.append("the catalog changed")
    return Verdict(case, not problems, "; ".join(problems), False, changed and want.status in REFUSED,
                   result["status"])


def _catalog(store: Path) -> Any:
    """The catalog as a frame; a store that cannot be read as one (damaged on purpose) as its bytes."""
    try:
        with Store.open(store) as handle:
            return handle.catalog_frame()
    except StoreUnavailable:
        return store.read_bytes()


def main_figures() -> int:
    from tests.libreoffice import SOFFICE, LibreOffice

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        sample = work / "sample.db"
        sheetsync.init_store(sample, sample=True)
        office = LibreOffice(work / "lo-profile") if SOFFICE else None
        verdicts = []
        for n, case in enumerate(CASES):
            if case.needs == "libreoffice" and office is None:
                continue
            verdicts.append(run_case(case, sample, work / f"case{n}", office))
    print(f"{'case':<62}{'section':<26}{'outcome':<12}ok")
    for v in verdicts:
        print(f"{v.case.name:<62}{v.case.section:<26}{v.status:<12}{'yes' if v.ok else 'NO: ' + v.detail}")
    rejected = sum(1 for v in verdicts if v.ok and v.status in REFUSED)
    accepted = sum(1 for v in verdicts if v.ok and v.status in ("applied", "unchanged"))
    print(f"\ncases {len(verdicts)}, rejected with a clear error {rejected}, accepted with the right values "
          f"{accepted}, tracebacks {sum(v.traceback for v in verdicts)}, "
          f"catalog changed by an invalid file {sum(v.changed_by_invalid for v in verdicts)}, "
          f"failing {sum(not v.ok for v in verdicts)}")
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main_figures())
