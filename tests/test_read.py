"""Files that are not what they claim: each gets exit 2 and a sentence, never a traceback."""

from __future__ import annotations

import io
import json
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
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "noproducts.xlsx")
    code, result = import_json(store, tmp_path / "noproducts.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "no_products_sheet"


def test_workbook_from_another_store(store, tmp_path):
    other = tmp_path / "other.db"
    sheetsync.init_store(other, sample=True)
    sheetsync.export_catalog(other, tmp_path / "other.xlsx")
    code, result = import_json(store, tmp_path / "other.xlsx")
    assert code == 2 and result["errors"][0]["rule"] == "other_store"


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
    assert code == 2 and "sheetsync init" in result["errors"][0]["message"]


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
