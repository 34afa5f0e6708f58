"""Nothing lost: conflicts, guardrails, template integrity, crash and resume, undo, concurrency."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.config import Settings
from sheetsync.results import Change
from sheetsync.store import Store
from tests.conftest import Workbook


def set_in_store(store, sku, field, value):
    """A change made elsewhere (another user, another tool) after the export."""
    with Store.open(store) as handle:
        handle.write_values([Change(sku, "", field, None, value)])


# -- conflicts ---------------------------------------------------------------------------------------
def test_conflict_names_the_cell_with_three_values(store, workbook, tmp_path, catalog):
    sku = workbook.sku_ids[0]
    set_in_store(store, sku, "seller_price", 1999)      # changed elsewhere: 18.90 → 19.99
    cell = workbook.set(sku, "seller_price", 19.50)      # and by the seller: 18.90 → 19.50
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "c.xlsx"))
    assert (result.status, result.exit_code) == ("invalid", 1)
    (conflict,) = result.errors
    assert (conflict.rule, conflict.cell, conflict.base, conflict.current, conflict.value) == (
        "conflict", cell, "18.90", "19.99", "19.50")
    assert "18.90" in conflict.message and "19.99" in conflict.message and "--force" in conflict.message
    assert catalog().at[sku, "seller_price"] == 1999
    forced = sheetsync.import_workbook(store, tmp_path / "c.xlsx", force=True)
    assert forced.status == "applied" and [w.rule for w in forced.warnings] == ["conflict"]
    assert catalog().at[sku, "seller_price"] == 1950


def test_untouched_fields_keep_changes_made_elsewhere(store, workbook, tmp_path, catalog):
    sku = workbook.sku_ids[0]
    set_in_store(store, sku, "weight_kg", 999)
    set_in_store(store, sku, "stock_US", 4321)
    workbook.set(sku, "seller_price", 19.50)
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "e.xlsx"))
    assert result.status == "applied" and result.changes == 1
    now = catalog()
    assert (now.at[sku, "weight_kg"], now.at[sku, "stock_US"], now.at[sku, "seller_price"]) == (999, 4321, 1950)


def test_same_change_made_elsewhere_is_already_applied(store, workbook, tmp_path):
    sku = workbook.sku_ids[0]
    set_in_store(store, sku, "seller_price", 1950)
    workbook.set(sku, "seller_price", 19.50)
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "e.xlsx"))
    assert (result.status, result.changes, result.already_applied) == ("unchanged", 0, 1)


# -- guardrails --------------------------------------------------------------------------------------
def test_fat_finger_price_and_stock_jump(store, workbook, tmp_path, catalog):
    a, b = workbook.sku_ids[0], workbook.sku_ids[1]
    price = workbook.set(a, "seller_price", 1890)       # 18.90 typed as 1890
    stock = workbook.set(b, "stock_US", 500000)
    path = workbook.save(tmp_path / "big.xlsx")
    result = sheetsync.import_workbook(store, path)
    assert {(e.cell, e.rule) for e in result.errors} == {(price, "large_price_change"), (stock, "large_stock_change")}
    assert catalog().at[a, "seller_price"] == 1890
    result = sheetsync.import_workbook(store, path, allow_large_changes=True)
    assert result.status == "applied" and {w.rule for w in result.warnings} == {"large_price_change",
                                                                                 "large_stock_change"}
    assert catalog().at[a, "seller_price"] == 189000


def test_guardrail_thresholds_come_from_settings(store, workbook, tmp_path):
    workbook.set(workbook.sku_ids[0], "seller_price", 20.90)  # +10.6 %
    path = workbook.save(tmp_path / "p.xlsx")
    strict = sheetsync.import_workbook(store, path, dry_run=True, settings=Settings(max_price_change_pct=10))
    assert [e.rule for e in strict.errors] == ["large_price_change"]
    assert sheetsync.import_workbook(store, path, dry_run=True).status == "dry_run"


# -- template integrity ------------------------------------------------------------------------------
def test_sorted_filtered_and_partly_deleted_sheets_are_accepted(store, exported, tmp_path, catalog):
    import openpyxl

    wb = openpyxl.load_workbook(exported)
    ws = wb["Products"]
    keys = [c.value for c in ws[2]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    rows.sort(key=lambda r: r[keys.index("seller_price")])       # sorted by price
    rows = rows[::2]                                               # half of them deleted
    ws.delete_rows(3, ws.max_row)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value
    ws.row_dimensions[4].hidden = True                            # and a filtered-out row
    sku = rows[0][keys.index("sku_id")]
    ws.cell(3, keys.index("stock_US") + 1).value = 3
    wb.save(tmp_path / "sorted.xlsx")
    result = sheetsync.import_workbook(store, tmp_path / "sorted.xlsx")
    assert result.status == "applied", [(e.cell, e.message) for e in result.errors]
    assert result.rows == len(rows) and catalog().at[sku, "stock_US"] == 3


def test_rows_from_another_store_and_changed_ids_are_rejected(store, workbook, tmp_path):
    other = tmp_path / "other.db"
    sheetsync.init_store(other, synthetic=5)
    with Store.open(other) as handle:
        foreign = handle.catalog_frame().index[0]
    changed = workbook.set(workbook.sku_ids[0], "sku_id", foreign)
    moved = workbook.set(workbook.sku_ids[1], "sku_id", workbook.sku_ids[10])  # an ID of another product
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "x.xlsx"))
    found = {(e.cell, e.rule) for e in result.errors}
    assert (changed, "unknown_sku") in found
    assert {(moved, "duplicate_sku")} <= found or any(e.rule == "sku_product_mismatch" for e in result.errors)


def test_metadata_from_another_export_fails_the_signature(store, exported, tmp_path):
    import openpyxl

    sheetsync.export_catalog(store, tmp_path / "second.xlsx")
    second = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "second.xlsx")["_sheetsync"].iter_rows(
        values_only=True)}
    wb = openpyxl.load_workbook(exported)
    for row in wb["_sheetsync"].iter_rows():
        if row[0].value == "export_id":
            row[1].value = second["export_id"]  # export id swapped, signature left as it was
    wb.save(tmp_path / "swapped.xlsx")
    result = sheetsync.import_workbook(store, tmp_path / "swapped.xlsx")
    assert (result.status, result.errors[0].rule) == ("unreadable", "not_sheetsync")


# -- crash and resume ------------------------------------------------------------------------------
KILL_AFTER = textwrap.dedent("""
    import os, signal, sys
    import sheetsync
    from sheetsync.store import Store

    store = Store.open(sys.argv[1])
    writes = 0

    def die_after(change):
        global writes
        writes += 1
        if writes == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)

    store.after_write = die_after
    sheetsync.import_workbook(store, sys.argv[2])
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_import_finishes_on_the_next_run_and_applies_nothing_twice(store, workbook, tmp_path, catalog):
    ids = workbook.sku_ids
    for i in range(6):
        workbook.set(ids[i], "seller_price", workbook.get(ids[i], "seller_price") + 1)
        workbook.set(ids[i], "stock_UK", 7)
    path = workbook.save(tmp_path / "many.xlsx")
    clean = tmp_path / "clean.db"
    shutil.copy(store, clean)
    assert sheetsync.import_workbook(clean, path).status == "applied"
    before = catalog()
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER, str(store), str(path), "5"])
    assert killed.returncode == -9
    assert catalog().equals(before)  # the transaction never committed: nothing half-applied
    result = sheetsync.import_workbook(store, path)
    assert result.status == "applied" and result.applied == result.changes == 12
    with Store.open(clean) as handle:
        assert catalog().equals(handle.catalog_frame())
    assert sheetsync.import_workbook(store, path).status == "unchanged"


# -- history and revert ----------------------------------------------------------------------------
def test_revert_restores_the_catalog(store, workbook, tmp_path, catalog):
    before = catalog()
    ids = workbook.sku_ids
    workbook.set(ids[0], "seller_price", 19.5)
    workbook.set(ids[1], "title", "Renamed earbuds")
    workbook.set(ids[0], "title", "Renamed earbuds")
    workbook.set(ids[2], "stock_US", 0)
    workbook.set(ids[3], "barcode", None)
    run_id = sheetsync.import_workbook(store, workbook.save(tmp_path / "e.xlsx")).run_id
    assert not catalog().equals(before)
    runner = CliRunner()
    listed = runner.invoke(main, ["--store", str(store), "history"])
    assert run_id in listed.output and "applied" in listed.output
    dry = json.loads(runner.invoke(main, ["--store", str(store), "revert", run_id, "--dry-run", "--json"]).output)
    assert dry["status"] == "dry_run" and dry["changes"] == 4
    done = runner.invoke(main, ["--store", str(store), "revert", run_id, "--json"])
    assert done.exit_code == 0 and json.loads(done.output)["status"] == "applied"
    assert catalog().equals(before)
    again = json.loads(runner.invoke(main, ["--store", str(store), "revert", run_id, "--json"]).output)
    assert again["status"] == "unchanged"


def test_revert_conflicts_when_changed_again(store, workbook, tmp_path, catalog):
    sku = workbook.sku_ids[0]
    workbook.set(sku, "seller_price", 19.5)
    run_id = sheetsync.import_workbook(store, workbook.save(tmp_path / "e.xlsx")).run_id
    set_in_store(store, sku, "seller_price", 2222)
    result = sheetsync.revert(store, run_id)
    assert result.status == "invalid" and [(e.rule, e.base, e.current) for e in result.errors] == [
        ("conflict", "19.50", "22.22")]
    assert catalog().at[sku, "seller_price"] == 2222
    assert sheetsync.revert(store, run_id, force=True).status == "applied"
    assert catalog().at[sku, "seller_price"] == 1890
    assert sheetsync.revert(store, "no-such-run").errors[0].rule == "unknown_run"


# -- concurrency -----------------------------------------------------------------------------------
HOLD_LOCK = textwrap.dedent("""
    import sys
    import sheetsync
    from sheetsync.store import Store

    store = Store.open(sys.argv[1])

    def hold(change):
        print("holding", flush=True)
        sys.stdin.readline()   # the test says when to let go
        store.after_write = None

    store.after_write = hold
    print(sheetsync.import_workbook(store, sys.argv[2]).status, flush=True)
""")


def test_two_imports_never_interleave_and_lose_nothing(store, exported, tmp_path, catalog):
    first, second = Workbook(exported), Workbook(exported)
    a, b = first.sku_ids[0], first.sku_ids[1]
    first.set(a, "seller_price", 19.5)
    second.set(b, "stock_US", 77)
    first_path = first.save(tmp_path / "first.xlsx")
    second_path = second.save(tmp_path / "second.xlsx")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store), str(first_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"   # the first import is inside its transaction
        blocked = sheetsync.import_workbook(store, second_path, settings=Settings(lock_timeout=0.2))
        assert blocked.status == "unavailable" and blocked.errors[0].rule == "store_busy"
        assert "try again" in blocked.errors[0].message
    finally:
        holder.stdin.write("go\n")
        holder.stdin.flush()
    assert holder.stdout.readline().strip() == "applied"
    holder.wait(timeout=60)
    assert sheetsync.import_workbook(store, second_path).status == "applied"
    now = catalog()
    assert now.at[a, "seller_price"] == 1950 and now.at[b, "stock_US"] == 77


def test_the_cycle_collector_is_resumed_whatever_happens(store, exported, tmp_path):
    """Import and export pause Python's cycle collector for speed; the host process gets it back,
    after a success, after a refused file, and after an exception, and a caller's own pause stands."""
    import gc

    assert gc.isenabled()
    assert sheetsync.import_workbook(store, exported).status == "unchanged"
    assert gc.isenabled()
    (tmp_path / "junk.xlsx").write_bytes(b"not a workbook")
    assert sheetsync.import_workbook(store, tmp_path / "junk.xlsx").status == "unreadable"
    assert gc.isenabled()
    with pytest.raises(sheetsync.SheetsyncError):
        sheetsync.export_catalog(store, tmp_path / "x.xlsx", preview=["ZZ"])
    assert gc.isenabled()
    gc.disable()
    try:
        sheetsync.export_catalog(store, tmp_path / "y.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
