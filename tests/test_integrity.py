"""The metadata sheet belongs to the rows beside it: a `_sheetsync` sheet moved between files is
refused, whatever its signature; a genuine file, sorted, trimmed or re-saved, still imports."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync import integrity
from sheetsync.cli import main
from sheetsync.read import export_mark
from sheetsync.store import Store
from tests.conftest import Workbook


def meta_rows(path: Path) -> dict[str, str]:
    return {r[0]: r[1] for r in openpyxl.load_workbook(path)["_sheetsync"].iter_rows(values_only=True)}


def paste_metadata(source: Path, target: Path, out: Path) -> Path:
    """What the hostile tester did: every cell of `source`'s metadata sheet over `target`'s."""
    donor = openpyxl.load_workbook(source)["_sheetsync"]
    wb = openpyxl.load_workbook(target)
    meta = wb["_sheetsync"]
    for row in donor.iter_rows():
        for cell in row:
            meta.cell(cell.row, cell.column).value = cell.value
    wb.save(out)
    return out


@pytest.fixture
def older_and_newer(store, tmp_path, catalog):
    """An older export, a price change imported from it, then a newer export of the same SKUs."""
    older = tmp_path / "older.xlsx"
    sheetsync.export_catalog(store, older)
    edit = Workbook(older)
    sku = edit.sku_ids[0]
    edit.set(sku, "seller_price", 23.45)
    assert sheetsync.import_workbook(store, edit.save(tmp_path / "edited.xlsx")).status == "applied"
    newer = tmp_path / "newer.xlsx"
    sheetsync.export_catalog(store, newer)
    assert catalog().at[sku, "seller_price"] == 2345
    return older, newer, sku


def test_a_newer_metadata_sheet_pasted_into_an_older_export_is_refused(store, tmp_path, catalog, older_and_newer):
    older, newer, sku = older_and_newer
    before = catalog()
    grafted = paste_metadata(newer, older, tmp_path / "grafted.xlsx")
    assert meta_rows(grafted)["signature"] == meta_rows(newer)["signature"]  # a genuine signature

    result = sheetsync.import_workbook(store, grafted)
    assert (result.status, result.exit_code, result.changes) == ("unreadable", 2, 0)
    (error,) = result.errors
    older_id, newer_id = meta_rows(older)["export_id"], meta_rows(newer)["export_id"]
    assert error.rule == "metadata_moved"
    assert older_id in error.message and newer_id in error.message and "two files" in error.message
    assert catalog().equals(before) and catalog().at[sku, "seller_price"] == 2345

    # through the CLI, as a seller types it: exit 2, valid JSON naming the rule
    out = CliRunner().invoke(main, ["--store", str(store), "import", str(grafted), "--json"])
    assert out.exit_code == 2 and json.loads(out.output)["errors"][0]["rule"] == "metadata_moved"
    assert catalog().equals(before)


def test_the_report_of_a_grafted_file_is_refused_too(store, tmp_path, catalog, older_and_newer):
    """The report copies the Products sheet's mark as read, so it cannot launder a grafted file."""
    older, newer, _ = older_and_newer
    before = catalog()
    grafted = paste_metadata(newer, older, tmp_path / "grafted.xlsx")
    sheetsync.import_workbook(store, grafted, report=tmp_path / "report.xlsx")
    result = sheetsync.import_workbook(store, tmp_path / "report.xlsx")
    assert (result.status, result.errors[0].rule) == ("unreadable", "metadata_moved")
    assert catalog().equals(before)


def test_stripping_the_mark_as_well_is_refused(store, tmp_path, catalog, older_and_newer):
    older, newer, _ = older_and_newer
    before = catalog()
    grafted = paste_metadata(newer, older, tmp_path / "grafted.xlsx")
    wb = openpyxl.load_workbook(grafted)
    del wb["Products"].defined_names["SheetsyncExport"]
    wb.save(tmp_path / "stripped.xlsx")
    assert export_mark(tmp_path / "stripped.xlsx") is None
    result = sheetsync.import_workbook(store, tmp_path / "stripped.xlsx")
    assert (result.status, result.errors[0].rule) == ("unreadable", "metadata_unbound")
    message = result.errors[0].message
    assert "SheetsyncExport" in message and f"sheetsync --store {store} export" in message
    assert catalog().equals(before)

    # a genuine export whose mark a program dropped: refused the same way, nothing read
    wb = openpyxl.load_workbook(newer)
    del wb["Products"].defined_names["SheetsyncExport"]
    wb.save(tmp_path / "dropped.xlsx")
    assert sheetsync.import_workbook(store, tmp_path / "dropped.xlsx").errors[0].rule == "metadata_unbound"


def test_the_mark_moves_with_the_products_sheet_not_the_metadata(store, exported, tmp_path):
    """A workbook whose sheets were reordered keeps the mark on Products (localSheetId follows it);
    the same name scoped to another sheet is not a mark."""
    export_id = meta_rows(exported)["export_id"]
    wb = openpyxl.load_workbook(exported)
    wb.move_sheet("Products", offset=2)
    wb.save(tmp_path / "moved.xlsx")
    assert export_mark(tmp_path / "moved.xlsx") == export_id
    assert sheetsync.import_workbook(store, tmp_path / "moved.xlsx").status == "unchanged"

    wb = openpyxl.load_workbook(exported)
    name = wb["Products"].defined_names.pop("SheetsyncExport")
    wb["Instructions"].defined_names["SheetsyncExport"] = name
    wb.save(tmp_path / "elsewhere.xlsx")
    assert export_mark(tmp_path / "elsewhere.xlsx") is None


def test_sorted_and_trimmed_rows_keep_the_binding(store, workbook, tmp_path, catalog):
    ws = workbook.ws
    keys = [c.value for c in ws[2]]
    rows = sorted(([c.value for c in r] for r in ws.iter_rows(min_row=3)),
                  key=lambda r: -r[keys.index("seller_price")])[::3]
    ws.delete_rows(3, ws.max_row)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value
    sku = rows[0][keys.index("sku_id")]
    price = ws.cell(3, keys.index("seller_price") + 1)
    price.value = round(price.value + 1, 2)
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "sorted.xlsx"))
    assert (result.status, result.changes, result.rows) == ("applied", 1, len(rows))
    assert catalog().at[sku, "seller_price"] == round(price.value * 100)


def test_a_file_exported_before_the_mark_existed_still_imports(store, exported, tmp_path, catalog):
    """Metadata signed with the legacy scheme and no mark on Products: as before the binding. Only
    the store's secret makes such a signature, so newer metadata cannot pass for one."""
    with Store.open(store) as handle:
        meta = meta_rows(exported)
        legacy = integrity.expected(handle.secret, handle.store_id, meta["export_id"],
                                    handle.snapshot_frame(meta["export_id"]).index).legacy
    edit = Workbook(exported)
    del edit.ws.defined_names["SheetsyncExport"]
    for row in edit.wb["_sheetsync"].iter_rows():
        if row[0].value == "signature":
            row[1].value = legacy
    sku = edit.sku_ids[1]
    edit.set(sku, "seller_price", 21.5)
    result = sheetsync.import_workbook(store, edit.save(tmp_path / "legacy.xlsx"))
    assert (result.status, result.changes) == ("applied", 1)
    assert catalog().at[sku, "seller_price"] == 2150

    # legacy metadata pasted beside a newer, marked Products sheet
    newer = tmp_path / "newer.xlsx"
    sheetsync.export_catalog(store, newer)
    grafted = paste_metadata(tmp_path / "legacy.xlsx", newer, tmp_path / "grafted.xlsx")
    assert sheetsync.import_workbook(store, grafted).errors[0].rule == "metadata_moved"


@pytest.mark.parametrize("signature", ["", "0" * 64, "签名" * 32, None])
def test_a_forged_or_odd_signature_is_not_sheetsync(signature):
    wanted = integrity.expected(b"secret", "store", "e1", ["1", "2"])
    with pytest.raises(sheetsync.SheetsyncError) as caught:
        integrity.check(wanted, signature, "e1", "x.xlsx")
    assert caught.value.rule == "not_sheetsync"
    integrity.check(wanted, wanted.bound, "e1", "x.xlsx")  # the genuine pair passes
