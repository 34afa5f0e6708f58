"""Files that are not what they claim: each gets exit 2 and a sentence, never a traceback."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.errors import UnreadableWorkbook
from sheetsync.read import check_package


def import_json(store, path):
    result = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.output)


def make_zip(path, parts):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name, content, rule, words", [
    ("empty.xlsx", b"", "file_empty", "empty"),
    ("prices.xlsx", b"sku_id,seller_price\n1,2\n", "file_not_xlsx", "CSV"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "file_old_xls", "97"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le"),
     "file_encrypted", "password"),
    ("page.xlsx", b"<html><body>login</body></html>", "file_not_xlsx", "web page"),
])
def test_not_an_xlsx(store, tmp_path, name, content, rule, words):
    path = tmp_path / name
    path.write_bytes(content)
    code, result = import_json(store, path)
    assert code == 2 and result["status"] == "unreadable"
    assert result["errors"][0]["rule"] == rule
    assert words in result["errors"][0]["message"]


def test_truncated_file(store, exported, tmp_path):
    data = exported.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    code, result = import_json(store, path)
    assert code == 2 and result["errors"][0]["rule"] == "file_corrupt"


def test_other_zip_and_ods(store, tmp_path):
    code, result = import_json(store, make_zip(tmp_path / "a.xlsx", {"readme.txt": "hi"}))
    assert code == 2 and "zip archive" in result["errors"][0]["message"]
    code, result = import_json(store, make_zip(tmp_path / "b.xlsx", {"mimetype": "application/vnd.oasis"}))
    assert code == 2 and "OpenDocument" in result["errors"][0]["message"]


def test_dtd_and_entities_are_refused_before_parsing(exported, tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    source = zipfile.ZipFile(exported)
    out = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/sharedStrings.xml", bomb)
    with pytest.raises(UnreadableWorkbook, match="declares a DTD"):
        check_package(out)


def test_calamine_itself_refuses_entities(exported, tmp_path):
    """Defence in depth: even past our prolog check, the reader expands no entity."""
    import python_calamine

    source = zipfile.ZipFile(exported)
    out = tmp_path / "entity.xlsx"
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace("<worksheet", '<!DOCTYPE x [<!ENTITY e "boom">]><worksheet', 1)
    sheet = sheet.replace("<t>", "<t>&e;", 1)  # the first label cell: an inline string
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info, data)
    with pytest.raises(python_calamine.XmlError, match="unrecognized entity"):
        python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Products").to_python()


def test_zip_bomb_ratio(tmp_path):
    path = tmp_path / "bomb.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (20 * 1024 * 1024) + b"/>")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnreadableWorkbook, match="zip bomb"):
        check_package(path)


def test_not_a_sheetsync_workbook(store, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Products"
    wb.active.append(["sku_id", "seller_price"])
    wb.active.append(["12000034567894018", 3])
    wb.save(tmp_path / "plain.xlsx")
    code, result = import_json(store, tmp_path / "plain.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "not_sheetsync"
    wb.active.insert_rows(1)  # the labels row above the keys, one label the same in Chinese
    wb.active["A1"], wb.active["B1"] = "SKU ID", "Seller price"
    wb.save(tmp_path / "labels.xlsx")
    code, result = import_json(store, tmp_path / "labels.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "not_sheetsync"
    assert result["errors"][0]["message"].isascii(), result["errors"][0]["message"]
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "noproducts.xlsx")
    code, result = import_json(store, tmp_path / "noproducts.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "no_products_sheet"


def test_workbook_from_another_store(store, tmp_path):
    other = tmp_path / "other.db"
    sheetsync.init_store(other, sample=True)
    sheetsync.export_catalog(other, tmp_path / "other.xlsx")
    code, result = import_json(store, tmp_path / "other.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "other_store_nearby"  # other.db sits beside it


def test_forged_metadata_is_rejected(store, exported, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(exported)
    meta = wb["_sheetsync"]
    for row in meta.iter_rows():
        if row[0].value == "signature":
            row[1].value = "0" * 64
    wb.save(tmp_path / "forged.xlsx")
    code, result = import_json(store, tmp_path / "forged.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "not_sheetsync"


def test_missing_store_is_a_clear_error(tmp_path, exported):
    code, result = import_json(tmp_path / "nowhere.db", exported)
    assert code == 2 and f"sheetsync --store {tmp_path / 'nowhere.db'} init" in result["errors"][0]["message"]


def test_a_bug_is_one_clear_line_not_a_traceback(store, exported, monkeypatch):
    import sheetsync.pipeline

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(sheetsync.pipeline, "import_workbook", broken)
    result = CliRunner().invoke(main, ["--store", str(store), "import", str(exported)])
    assert result.exit_code == 70
    assert "internal error (KeyError" in result.output and "Traceback" not in result.output
    monkeypatch.setenv("SHEETSYNC_DEBUG", "1")
    assert isinstance(CliRunner().invoke(main, ["--store", str(store), "import", str(exported)]).exception, KeyError)


# -- what calamine shows as empty, and XML it reads its own way ---------------------------------------
SHEET = "xl/worksheets/sheet1.xml"


def rewrite(export, path, edit=None, parts=None):
    """A copy of the export with its sheet XML edited (`edit(xml) -> xml`) and parts replaced."""
    with zipfile.ZipFile(export) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == SHEET and edit:
                data = edit(data.decode()).encode()
            target.writestr(info.filename, (parts or {}).get(info.filename, data))
        for name, data in (parts or {}).items():
            if name not in source.namelist():
                target.writestr(name, data)
    return path


def replace_cell(ref, new):
    return lambda xml: re.sub(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', new.replace("{ref}", ref), xml, count=1)


@pytest.mark.parametrize("cell, rule, shown", [
    ('<c r="{ref}" t="e"><f>VLOOKUP(A3,Z:Z,2,0)</f><v>#N/A</v></c>', "cell_error", "#N/A"),
    ('<c r="{ref}"><f>A3&amp;"x"</f></c>', "formula_without_value", '=A3&"x"'),
    ('<c r="{ref}" t="str"><f>A3</f><v></v></c>', "formula_without_value", "=A3"),
    ('<c r="{ref}"><f t="shared" si="0"/></c>', "formula_without_value", "=…"),
])
def test_a_barcode_that_is_not_a_value_is_never_cleared(store, workbook, tmp_path, catalog, cell, rule, shown):
    sku = next(s for s in workbook.sku_ids if workbook.get(s, "barcode"))
    ref = workbook.coord(sku, "barcode")
    before = catalog()
    path = rewrite(workbook.path, tmp_path / "edited.xlsx", replace_cell(ref, cell))
    code, result = import_json(store, path)
    assert code == 1 and [(e["rule"], e["cell"], e["value"]) for e in result["errors"]] == [(rule, ref, shown)]
    assert catalog().equals(before)


@pytest.mark.parametrize("cell", [
    '<c r="{ref}" t="s"><v></v></c>', '<c r="{ref}" t="s"/>', '<c r="{ref}" t="str"/>',
    '<c r="{ref}" t="str"></c>', '<c r="{ref}"><v></v></c>', '<c r="{ref}" t="n"><v/></c>',
])
@pytest.mark.parametrize("exported_empty", [False, True])
def test_a_typed_cell_without_its_value_is_damaged_never_cleared(store, workbook, tmp_path, catalog, cell,
                                                                  exported_empty):
    """A cell whose XML says it holds a value (a shared string, a formula's text, a number) but
    holds none reads as empty: it is damaged, never "the seller cleared the barcode"."""
    sku = next(s for s in workbook.sku_ids if bool(workbook.get(s, "barcode")) != exported_empty)
    ref = workbook.coord(sku, "barcode")
    before = catalog()
    path = rewrite(workbook.path, tmp_path / "damaged.xlsx", replace_cell(ref, cell))
    code, result = import_json(store, path)
    assert code == 1 and [(e["rule"], e["cell"]) for e in result["errors"]] == [("cell_damaged", ref)]
    assert catalog().equals(before)


def test_a_merged_barcode_is_never_cleared(store, workbook, tmp_path, catalog):
    first, second = workbook.sku_ids[0], workbook.sku_ids[1]
    top, below = workbook.coord(first, "barcode"), workbook.coord(second, "barcode")
    workbook.ws.merge_cells(f"{top}:{below}")
    before = catalog()
    code, result = import_json(store, workbook.save(tmp_path / "merged.xlsx"))
    assert code == 1 and [(e["rule"], e["cell"]) for e in result["errors"]] == [("merged_cell", below)]
    assert catalog().equals(before)


def test_an_unchanged_empty_barcode_needs_no_explaining(store, workbook, tmp_path):
    sku = next(s for s in workbook.sku_ids if not workbook.get(s, "barcode"))
    workbook.set(sku, "seller_price", workbook.get(sku, "seller_price") + 1)
    code, result = import_json(store, workbook.save(tmp_path / "edited.xlsx"))
    assert code == 0 and result["status"] == "applied"


def test_a_cell_given_twice_takes_its_last_value(store, workbook, tmp_path, catalog):
    """What calamine, LibreOffice and openpyxl all do with a duplicated cell reference: pinned, so
    a calamine that changed it would be noticed."""
    sku = workbook.sku_ids[0]
    ref = workbook.coord(sku, "barcode")
    twice = f'<c r="{ref}" t="inlineStr"><is><t>0012345678905</t></is></c>'
    path = rewrite(workbook.path, tmp_path / "twice.xlsx",
                   lambda xml: re.sub(rf'(<c r="{ref}"[^>]*>.*?</c>)', rf"\1{twice}", xml, count=1))
    code, result = import_json(store, path)
    assert code == 0 and result["status"] == "applied"
    assert catalog().at[sku, "barcode"] == "0012345678905"


@pytest.mark.parametrize("far, words", [
    ("ZZZZZ3", "ZZZZZ3"), ("XFE3", "XFE3"), ("A99999999", "A99999999"), ("XFD1048576", "beyond column"),
])
def test_a_cell_beyond_the_grid_is_refused_not_a_crash(store, workbook, tmp_path, catalog, far, words):
    """calamine lays a sheet out from A1 to its farthest cell: one far reference asked it for tens
    of gigabytes and the process aborted (exit 134), so this runs in a process of its own."""
    ref = workbook.coord(workbook.sku_ids[0], "title")
    before = catalog()
    path = rewrite(workbook.path, tmp_path / "far.xlsx",
                   lambda xml: xml.replace(f'<c r="{ref}"', f'<c r="{far}"', 1))
    run = subprocess.run([sys.executable, "-m", "sheetsync.cli", "--store", str(store), "import", str(path), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr[-2000:]
    error = json.loads(run.stdout)["errors"][0]
    assert error["rule"] in ("file_corrupt", "file_too_large") and words in error["message"]
    assert "Products" in error["message"]
    assert catalog().equals(before)


SHARED = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
          'uniqueCount="1"><si><t>First string</t></si></sst>')


@pytest.mark.parametrize("index", ["x", "-1", "1.5", " 0", "18446744073709551616"])
def test_a_damaged_shared_string_reference_is_refused(store, workbook, tmp_path, catalog, index):
    """calamine reads each of these as the first shared string; sheetsync refuses the file."""
    ref = workbook.coord(workbook.sku_ids[0], "title")
    before = catalog()
    with zipfile.ZipFile(workbook.path) as source:
        rels = source.read("xl/_rels/workbook.xml.rels").decode()
        types = source.read("[Content_Types].xml").decode()
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    cell = replace_cell(ref, f'<c r="{{ref}}" t="s"><v>{index}</v></c>')
    path = rewrite(workbook.path, tmp_path / "shared.xlsx", cell,
                   {"xl/sharedStrings.xml": SHARED, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types})
    code, result = import_json(store, path)
    assert code == 2 and result["errors"][0]["rule"] == "file_corrupt" and ref in result["errors"][0]["message"]
    assert catalog().equals(before)


def padding(size: int) -> str:
    """An XML comment of `size` characters that does not compress away (no zip-bomb ratio)."""
    import random

    rng = random.Random(size)
    return "<!--" + "".join(rng.choice("abcdefghij0123456789") for _ in range(size - 7)) + "-->"


@pytest.mark.parametrize("where", ["after 4 KB", "across the chunk boundary", "in a long prolog"])
def test_a_dtd_anywhere_is_refused(store, exported, tmp_path, where):
    from sheetsync.read import CHUNK_BYTES

    dtd = '<!DOCTYPE x [<!ENTITY e "boom">]>'
    if where == "in a long prolog":
        edit = lambda xml: xml.replace("<worksheet", padding(5000) + dtd + "<worksheet", 1)  # noqa: E731
    elif where == "after 4 KB":
        edit = lambda xml: xml.replace('<row r="20"', dtd + '<row r="20"', 1)  # noqa: E731
    else:
        def edit(xml):
            start = xml.index("<sheetData>") + len("<sheetData>")
            fill = CHUNK_BYTES - 4 - len(xml[:start].encode())
            return xml[:start] + padding(fill) + dtd + xml[start:]
    path = rewrite(exported, tmp_path / "dtd.xlsx", edit)
    code, result = import_json(store, path)
    assert code == 2 and "declares a DTD" in result["errors"][0]["message"]


def test_a_dtd_in_a_utf16_part_is_refused(store, exported, tmp_path):
    app = ('<?xml version="1.0" encoding="UTF-16"?>' + padding(6000) + '<!DOCTYPE p [<!ENTITY e "x">]>'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           "<Application>Microsoft Excel</Application></Properties>")
    path = rewrite(exported, tmp_path / "utf16.xlsx", parts={"docProps/app.xml": app.encode("utf-16")})
    with pytest.raises(UnreadableWorkbook, match="declares a DTD"):
        check_package(path)
    code, result = import_json(store, path)
    assert code == 2 and "declares a DTD" in result["errors"][0]["message"]


@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    """A store of 5,000 SKUs and its export, whose sheet XML spans several of the pieces it is read in."""
    from sheetsync.read import CHUNK_BYTES

    work = tmp_path_factory.mktemp("big")
    sheetsync.init_store(work / "big.db", synthetic=5000)
    sheetsync.export_catalog(work / "big.db", work / "big.xlsx", preview=[])
    with zipfile.ZipFile(work / "big.xlsx") as archive:
        assert archive.getinfo(SHEET).file_size > 2 * CHUNK_BYTES
    return work / "big.db", work / "big.xlsx"


def validated(store, path):
    from sheetsync.read import read_sheet
    from sheetsync.schema import validate
    from sheetsync.store import Store

    raw = read_sheet(path)
    with Store.open(store) as handle:
        return validate(raw, handle.catalog_frame(), handle.snapshot_frame(raw.meta["export_id"]),
                        [c.code for c in handle.countries()])


def letters_of(export, key):
    with zipfile.ZipFile(export) as archive:
        return re.search(rf'<c r="([A-Z]+)2"[^>]*><is><t>{key}</t>', archive.read(SHEET).decode()).group(1)


def test_empty_cells_are_explained_in_one_pass_over_the_sheet(big_export, tmp_path):
    """A cleared stock column: every cell explained (one error value among them), the issues
    capped per rule with the rest counted, every SKU still known to be invalid."""
    import time

    from sheetsync.results import ISSUES_PER_RULE

    store, export = big_export
    letters = letters_of(export, "stock_US")

    def cleared(match):
        row = int(match.group(1))
        return match.group(0) if row < 3 else f'<c r="{letters}{row}" t="e"><v>#N/A</v></c>' if row == 1000 else ""
    path = rewrite(export, tmp_path / "cleared.xlsx",
                   lambda xml: re.sub(rf'<c r="{letters}([0-9]+)"[^>]*>(?:<v>[^<]*</v>)?</c>', cleared, xml))
    started = time.perf_counter()
    checked = validated(store, path)
    elapsed = time.perf_counter() - started
    required = [i for i in checked.issues if i.rule == "stock_required"]
    assert len(required) == ISSUES_PER_RULE and checked.more == {"stock_required": 5000 - 1 - ISSUES_PER_RULE}
    assert [(i.rule, i.cell, i.value) for i in checked.issues if i.rule == "cell_error"] == [
        ("cell_error", f"{letters}1000", "#N/A")]
    assert len(checked.invalid_skus) == 5000
    assert elapsed < 60  # the old explanation ran a regex over the whole sheet per empty cell: minutes


def test_a_few_empty_cells_far_apart_are_all_explained(big_export, tmp_path):
    """Pieces of the sheet's XML with no wanted cell are skipped; the cells at both ends of the
    sheet are still found."""
    store, export = big_export
    first, last = f"{letters_of(export, 'barcode')}5", f"{letters_of(export, 'stock_FR')}4990"

    def edit(xml):
        xml = replace_cell(first, '<c r="{ref}"><f>VLOOKUP(A5,Z:Z,2,0)</f></c>')(xml)
        return replace_cell(last, '<c r="{ref}" t="e"><v>#REF!</v></c>')(xml)
    checked = validated(store, rewrite(export, tmp_path / "far.xlsx", edit))
    assert [(i.rule, i.cell) for i in checked.issues] == [("formula_without_value", first), ("cell_error", last)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("which", ["workbook", "rates", "config", "store"])
def test_a_pipe_given_as_a_file_is_refused_not_waited_on(store, exported, tmp_path, which):
    """Opening a FIFO waits for a writer that never comes: the command hung. In a process of its
    own, so a hang fails the test instead of holding the suite."""
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    args = {"workbook": ["--store", store, "import", pipe, "--json"],
            "rates": ["--store", store, "import", exported, "--rates", pipe, "--json"],
            "config": ["--store", store, "--config", pipe, "import", exported, "--json"],
            "store": ["--store", pipe, "import", exported, "--json"]}[which]
    run = subprocess.run([sys.executable, "-m", "sheetsync.cli", *map(str, args)], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 2, run.stderr
    said = run.stdout + run.stderr
    assert "not an ordinary file" in said or "not a sheetsync catalog" in said
