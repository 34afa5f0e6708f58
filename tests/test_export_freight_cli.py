"""`export` and `freight` as a seller types them: an export refuses a name Excel will not open and
never writes over edits not imported yet; freight takes the country and size spellings sellers
use, says when a parcel is too heavy (exit 1) and answers in JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync.cli import main
from tests.conftest import Workbook
from tests.test_orders import OrdersBook


def cli(*args: str) -> tuple[int, str]:
    run = CliRunner().invoke(main, list(args))
    return run.exit_code, run.output


@pytest.mark.parametrize("name", ["catalog.xls", "catalog.csv", "catalog", "catalog.xlsx.bak"])
def test_export_refuses_a_name_that_is_not_xlsx(store, tmp_path, name):
    code, out = cli("--store", str(store), "export", str(tmp_path / name))
    assert code == 2
    assert "does not end in .xlsx" in out and "Nothing was done" in out
    assert not (tmp_path / name).exists()


def test_export_accepts_an_upper_case_extension(store, tmp_path):
    code, out = cli("--store", str(store), "export", str(tmp_path / "CATALOG.XLSX"))
    assert code == 0, out


@pytest.mark.parametrize("preview", [None, "BR,SA,US"])
def test_export_names_the_preview_countries_in_the_sheets_order(store, tmp_path, preview):
    path = tmp_path / "catalog.xlsx"
    code, out = cli("--store", str(store), "export", str(path), *(["--preview", preview] if preview else []))
    assert code == 0, out
    keys = [c.value for c in openpyxl.load_workbook(path)["Products"][2]]
    columns = [key.removeprefix("display_price_") for key in keys if key.startswith("display_price_")]
    assert len(columns) == 3
    assert f"live display prices for {', '.join(columns)} (export" in out


def edit_price(path: Path, value: object) -> bytes:
    wb = Workbook(path)
    wb.set(wb.sku_ids[0], "seller_price", value)
    wb.save(path)
    return path.read_bytes()


def test_export_never_writes_over_edits_not_imported_yet(store, tmp_path):
    path = tmp_path / "catalog.xlsx"
    assert cli("--store", str(store), "export", str(path))[0] == 0
    edited = edit_price(path, 19.99)

    code, out = cli("--store", str(store), "export", str(path))
    assert code == 2
    assert "holding edits that were never imported (changes: 1, cells with errors: 0)" in " ".join(out.split())
    assert f"sheetsync --store {store} import {path}" in out and "--force" in out
    assert path.read_bytes() == edited  # the seller's edit is still there

    assert cli("--store", str(store), "import", str(path))[0] == 0
    assert cli("--store", str(store), "export", str(path))[0] == 0  # imported: nothing to lose


def test_export_never_writes_over_a_cell_typed_wrong_either(store, tmp_path):
    path = tmp_path / "catalog.xlsx"
    cli("--store", str(store), "export", str(path))
    edit_price(path, "12,5O")
    code, out = cli("--store", str(store), "export", str(path))
    assert code == 2 and "cells with errors: 1" in " ".join(out.split())


def test_export_writes_over_an_export_nobody_edited(store, tmp_path):
    path = tmp_path / "catalog.xlsx"
    assert cli("--store", str(store), "export", str(path))[0] == 0
    assert cli("--store", str(store), "export", str(path))[0] == 0


def test_export_refuses_new_edits_made_after_an_import(store, tmp_path):
    path = tmp_path / "catalog.xlsx"
    cli("--store", str(store), "export", str(path))
    edit_price(path, 19.99)
    assert cli("--store", str(store), "import", str(path))[0] == 0
    edit_price(path, 18.5)  # kept editing the same file after importing it
    assert cli("--store", str(store), "export", str(path))[0] == 2


def test_export_force_writes_over_edits_not_imported(store, tmp_path):
    from sheetsync.read import read_metadata

    path = tmp_path / "catalog.xlsx"
    cli("--store", str(store), "export", str(path))
    edit_price(path, 19.99)
    first = read_metadata(path)["export_id"]
    code, out = cli("--store", str(store), "export", str(path), "--force")
    assert code == 0, out
    assert read_metadata(path)["export_id"] != first


def test_export_replaces_a_file_that_is_not_this_stores_export(store, tmp_path):
    other = tmp_path / "other.db"
    assert cli("--store", str(other), "init", "--sample")[0] == 0
    path = tmp_path / "catalog.xlsx"
    assert cli("--store", str(other), "export", str(path))[0] == 0
    assert cli("--store", str(store), "export", str(path))[0] == 0  # another store's file
    Path(tmp_path / "notes.xlsx").write_bytes(b"not a workbook")
    assert cli("--store", str(store), "export", str(tmp_path / "notes.xlsx"))[0] == 0


def test_export_refusal_in_chinese(store, tmp_path):
    path = tmp_path / "catalog.xlsx"
    cli("--store", str(store), "export", str(path))
    edit_price(path, 19.99)
    code, out = cli("--store", str(store), "export", str(path), "--lang", "zh")
    assert code == 2 and "从未导入的修改" in out
    code, out = cli("--store", str(store), "export", str(tmp_path / "catalog.ods"), "--lang", "zh")
    assert code == 2 and "扩展名不是 .xlsx" in out


def test_the_library_refuses_too_and_takes_force(store, tmp_path):
    import sheetsync

    path = tmp_path / "catalog.xlsx"
    sheetsync.export_catalog(store, path)
    edit_price(path, 19.99)
    with pytest.raises(sheetsync.SheetsyncError) as refused:
        sheetsync.export_catalog(store, path)
    assert refused.value.rule == "export_not_imported" and refused.value.exit_code == 2
    assert sheetsync.export_catalog(store, path, force=True).path == str(path)


def edit_order(path: Path) -> bytes:
    """Confirm the first order waiting for it, as a seller would in Excel."""
    book = OrdersBook(path)
    book.fill(book.with_status("to confirm")[0], confirm="yes")
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(("over", "command"), [("orders", "orders"), ("orders", "catalog"), ("catalog", "orders")])
def test_no_export_writes_over_edits_not_imported_whatever_the_kinds(store, tmp_path, over, command):
    """One check for every export: an orders export over edited orders, a catalog export over
    edited orders, an orders export over an edited catalog: each refused (exit 2) and the edits kept."""
    path = tmp_path / "work.xlsx"
    exports = {"orders": ["orders", "export"], "catalog": ["export"]}
    assert cli("--store", str(store), *exports[over], str(path))[0] == 0
    edited = edit_order(path) if over == "orders" else edit_price(path, 19.99)

    code, out = cli("--store", str(store), *exports[command], str(path))
    assert code == 2, out
    words = " ".join(out.split())
    assert "holding edits that were never imported" in words and "--force" in words
    assert (f"orders import {path}" if over == "orders" else f"--store {store} import {path}") in words
    assert path.read_bytes() == edited

    code, out = cli("--store", str(store), *exports[command], str(path), "--force")
    assert code == 0, out
    assert path.read_bytes() != edited


def test_an_orders_export_replaces_orders_nobody_edited_or_already_imported(store, tmp_path):
    path = tmp_path / "orders.xlsx"
    assert cli("--store", str(store), "orders", "export", str(path))[0] == 0
    assert cli("--store", str(store), "orders", "export", str(path))[0] == 0  # nobody edited it
    edit_order(path)
    assert cli("--store", str(store), "orders", "import", str(path))[0] == 0
    assert cli("--store", str(store), "orders", "export", str(path))[0] == 0  # imported: nothing to lose


def test_an_export_whose_edits_cannot_be_checked_is_refused_saying_why(store, tmp_path, monkeypatch):
    """Orders exported from the platform go back to it: while it cannot be used (here: the store is
    not connected to a seller) nobody can tell whether they hold edits, so they are kept."""
    for name in [n for n in os.environ if n.startswith("SHEETSYNC_AE_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "orders.xlsx"
    assert cli("--store", str(store), "orders", "export", str(path))[0] == 0
    book = openpyxl.load_workbook(path)
    meta = book["_sheetsync"]
    next(row for row in meta.iter_rows() if row[0].value == "target")[1].value = "aliexpress"
    book.save(path)
    kept = path.read_bytes()

    for command in (["orders", "export"], ["export"]):
        code, out = cli("--store", str(store), *command, str(path))
        assert code == 2, out
        words = " ".join(out.split())
        assert "could not check whether it holds edits never imported" in words
        assert f"orders import {path}" in words and "--force" in words
        assert path.read_bytes() == kept
    code, out = cli("--store", str(store), "export", str(path), "--lang", "zh")
    assert code == 2 and "无法确认其中是否有从未导入的修改" in out and "使用速卖通前" in out, out  # reason in zh too
    assert cli("--store", str(store), "orders", "export", str(path), "--force")[0] == 0


def freight(*args: str) -> tuple[int, str, str]:
    run = CliRunner().invoke(main, ["freight", *args])
    return run.exit_code, run.stdout, run.stderr


def table(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}


@pytest.mark.parametrize("dims", ["40x30x28", "40*30*28", "40×30×28", "40X30X28", "40 x 30 x 28"])
def test_freight_reads_a_size_however_it_is_written(dims):
    code, out, _ = freight("--weight", "0.45", "--dims", dims, "--country", "US", "--seller-price", "12.40")
    assert code == 0, out
    assert table(out)["US"] == ["4.200", "34.05", "46.45", "USD"]


def test_freight_takes_comma_lists_and_repeats_once_each():
    code, out, _ = freight("--weight", "0.45", "--country", "us, DE", "--country", "FR,us")
    assert code == 0
    assert list(table(out)) == ["US", "DE", "FR"]


def test_freight_reads_gb_as_uk_and_says_so():
    code, out, err = freight("--weight", "0.45", "--country", "GB")
    assert code == 0
    assert list(table(out)) == ["UK"]
    assert "GB is UK in the rate card" in err
    code, out, err = freight("--weight", "0.45", "--country", "United Kingdom,英国")
    assert code == 0 and list(table(out)) == ["UK"] and err == ""


def test_freight_reads_uk_as_gb_for_a_rate_card_written_with_iso_codes(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\n"
                     "GB,2,1.00,2.00,GBP,0\n", encoding="utf-8")
    code, out, err = freight("--weight", "1", "--country", "UK", "--rates", str(rates))
    assert code == 0, out
    assert table(out)["GB"] == ["1.000", "3.00", "-", "GBP"]
    assert "UK is GB" in err


def test_freight_names_an_unknown_country_and_what_the_card_covers():
    code, _, err = freight("--weight", "1", "--country", "XX")
    assert code == 2
    assert "no rows for XX" in err and "US" in err


def test_too_heavy_exits_1_and_names_the_heaviest_bracket():
    code, out, err = freight("--weight", "31", "--country", "US,DE")
    assert code == 1
    assert table(out)["US"][1] == "too" and table(out)["DE"][1] == "too"
    assert "Too heavy for US, DE" in err and "31.000 kg" in err and "30.000 kg" in err
    code, _, _ = freight("--weight", "29", "--country", "US,DE")
    assert code == 0


def test_freight_json():
    run = CliRunner().invoke(main, ["freight", "--weight", "0.45", "--dims", "40*30*28", "--country", "US,GB",
                                    "--seller-price", "12.40", "--json"])
    assert run.exit_code == 0
    data = json.loads(run.stdout)
    assert data["weight_kg"] == 0.45 and data["dims_cm"] == [40, 30, 28] and data["seller_price"] == 12.4
    assert data["quotes"][0] == {"country": "US", "chargeable_kg": 4.2, "freight": 34.05, "display": 46.45,
                                 "currency": "USD", "too_heavy": False}
    assert data["quotes"][1]["country"] == "UK" and data["too_heavy"] == []
    assert any("GB is UK" in note for note in data["notes"])


def test_freight_json_too_heavy_exits_1():
    run = CliRunner().invoke(main, ["freight", "--weight", "31", "--country", "US", "--json"])
    assert run.exit_code == 1
    data = json.loads(run.stdout)
    assert data["too_heavy"] == ["US"] and data["quotes"][0]["freight"] is None and data["quotes"][0]["too_heavy"]
