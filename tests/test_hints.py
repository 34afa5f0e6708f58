"""Issue 15, item 7: a message leads somewhere. A wrong --store names the store the seller
meant, Excel's lock file and a store given as a workbook say what they are, and every
command suggested repeats the seller's --store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from tests.conftest import exported_with_edits


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def imported_json(*args: object) -> tuple[int, dict]:
    code, output = run(*args, "--json")
    return code, json.loads(output)


@pytest.fixture
def edited(store: Path, tmp_path: Path) -> Path:
    return exported_with_edits(store, tmp_path, {})


def test_excel_lock_file_given_as_the_workbook_says_the_workbook_is_open(store, edited, tmp_path):
    lock = tmp_path / "~$edited.xlsx"
    lock.write_bytes(b"\x0bseller     " + b"\x00" * 150)
    code, result = imported_json("import", lock, "--store", store)
    assert code == 2 and result["status"] == "unreadable"
    assert "edited.xlsx is open in Excel. Save and close it first" in result["errors"][0]["message"]


def test_a_store_given_as_the_workbook_says_to_pass_it_with_store(store):
    code, output = run("import", store, "--store", store)
    assert code == 2
    assert "is a catalog file (a sheetsync store), not a workbook: pass it with --store" in output


def test_a_mistyped_store_names_the_catalog_in_the_current_folder(store, edited, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, result = imported_json("import", "edited.xlsx", "--store", "shpo.db")
    assert code == 2 and result["status"] == "unavailable"
    message = result["errors"][0]["message"]
    assert "No catalog at shpo.db. Did you mean --store shop.db?" in message
    assert "`sheetsync --store shpo.db init`" in message  # the command for the store they typed
    assert not (tmp_path / "shpo.db").exists()


def test_a_missing_default_store_names_the_catalog_beside_the_workbook(store, edited, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SHEETSYNC_STORE", raising=False)
    code, output = run("import", edited)
    assert code == 2 and "No catalog at sheetsync.db. Did you mean --store" in output
    assert f"--store {store}?" in output

    code, output = run("history")  # any command: the current folder is searched
    assert code == 2 and "No catalog at sheetsync.db." in output


def test_a_workbook_of_another_store_nearby_names_that_store(store, tmp_path, monkeypatch):
    other = tmp_path / "other" / "acme.db"
    other.parent.mkdir()
    sheetsync.init_store(other, sample=True)
    sheetsync.export_catalog(other, other.parent / "acme.xlsx")
    monkeypatch.chdir(tmp_path)
    code, result = imported_json("import", "other/acme.xlsx", "--store", "shop.db")
    assert code == 2
    assert result["errors"][0]["message"] == ("other/acme.xlsx was exported from the store other/acme.db, not from "
                                              "shop.db: did you mean --store other/acme.db?")

    shutil.move(other, tmp_path / "far.db.bak")
    code, result = imported_json("import", "other/acme.xlsx", "--store", "shop.db")
    assert code == 2 and result["errors"][0]["rule"] == "other_store"
    assert "not from shop.db" in result["errors"][0]["message"]


def test_suggested_commands_repeat_the_sellers_store(store, tmp_path):
    path = exported_with_edits(store, tmp_path, {})
    path.write_bytes(b"")  # unreadable: the next step is an export
    code, _ = run("--store", store, "import", path, "--report", tmp_path / "r.xlsx")
    assert code == 2
    summary = {row[0].value: row[1].value for row in openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"].iter_rows()
               if len(row) > 1}
    assert f"`sheetsync --store {store} export catalog.xlsx`" in summary["What to do next"]


def test_several_catalogs_nearby_suggest_the_one_the_workbook_came_from_else_list_them(store, tmp_path,
                                                                                      monkeypatch):
    """shop.db exported the workbook; s2.db and s3.db (found first) are other catalogs beside it."""
    sheetsync.export_catalog(store, tmp_path / "x.xlsx", preview=[])
    sheetsync.export_orders(store, tmp_path / "orders.xlsx")
    for name in ("s2.db", "s3.db"):
        sheetsync.init_store(tmp_path / name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sheetsync.init_store(elsewhere / "far.db")
    sheetsync.export_catalog(elsewhere / "far.db", tmp_path / "far.xlsx")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_STORE", raising=False)

    for command in (["import", "x.xlsx"], ["orders", "import", "orders.xlsx"]):
        code, output = run(*command)
        assert code == 2 and "No catalog at sheetsync.db. Did you mean --store shop.db?" in output, output
        code, output = run(*command, "--store", "shop.db")  # following it works
        assert code == 0, output

    listed = "The catalogs nearby are s2.db, s3.db, shop.db: pass the one you meant with --store."
    code, output = run("import", "far.xlsx")  # from none of them
    assert code == 2 and listed in " ".join(output.split()), output
    code, output = run("history")  # no workbook to tell
    assert code == 2 and listed in " ".join(output.split()), output
