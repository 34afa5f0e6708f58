"""Open an uploaded workbook safely and return its Products sheet as raw values with coordinates.

Bounds are checked on the zip directory before any XML is parsed, XML prologs are refused if they
declare a DTD (no entity can be expanded), and the data is read with python-calamine, which reads
values (cached results for formulas) about ten times faster than openpyxl. Nothing here judges
values: that is `schema`'s job.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import python_calamine
from defusedxml import ElementTree as SafeET

from .cells import Explainer, RawSheet, cell_ref, column_letter
from .errors import UnreadableWorkbook
from .fields import BASE_FIELDS, SHEET_META, SHEET_PRODUCTS, field_for_key
from .integrity import MARK_NAME
from .results import WARNING, Issue

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
MAX_RATIO = 1_000  # uncompressed / compressed, for parts over 1 MB
MAX_ROWS = 1_048_576
MAX_COLUMNS = 1_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _sniff(path: Path, head: bytes) -> None:
    """Refuse what is not a zip, with a sentence saying what it looks like."""
    name = str(path)
    if not head:
        raise UnreadableWorkbook("file_empty", path=name)
    if head.startswith(_OLE_MAGIC):
        with path.open("rb") as handle:
            data = handle.read(min(path.stat().st_size, 4 * 1024 * 1024))
        if _ENCRYPTED_MARK in data:
            raise UnreadableWorkbook("file_encrypted", path=name)
        raise UnreadableWorkbook("file_old_xls", path=name)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"<":
        kind = "html" if b"html" in text[:200].lower() else "xml"
    elif text[:5] == b"%PDF-":
        kind = "pdf"
    else:
        try:
            text.decode("utf-8")
            kind = "csv"
        except UnicodeDecodeError:
            kind = "other"
    raise UnreadableWorkbook("file_not_xlsx", path=name, kind=kind)


def check_package(path: Path) -> None:
    """Bound the zip before parsing anything: size, parts, expansion ratio, and no DTDs in XML."""
    name = str(path)
    if not path.exists():
        raise UnreadableWorkbook("file_missing", path=name)
    size = path.stat().st_size
    with path.open("rb") as handle:
        _sniff(path, handle.read(8))
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook("file_too_large", path=name,
                                 detail=f"{size // 1024 // 1024} MB, more than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise UnreadableWorkbook("file_too_large", path=name, detail=f"{len(infos)} parts in the zip")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise UnreadableWorkbook("file_too_large", path=name,
                                         detail=f"{total // 1024 // 1024} MB once uncompressed")
            for info in infos:
                ratio = info.file_size // max(info.compress_size, 1)
                if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                    raise UnreadableWorkbook("file_too_large", path=name,
                                             detail=f"{info.filename} expands {ratio} times (a zip bomb?)")
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                kind = "ods" if "mimetype" in names else "zip"
                raise UnreadableWorkbook("file_not_xlsx", path=name, kind=kind)
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(info) as part:
                        if _DTD.search(part.read(4096)):
                            raise UnreadableWorkbook("file_corrupt", path=name,
                                                     detail=f"{info.filename} declares a DTD, which sheetsync refuses")
    except zipfile.BadZipFile as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc)) from exc
    except (zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc)) from exc


_APPLICATIONS = (  # libraries first: openpyxl calls itself "Microsoft Excel Compatible / Openpyxl"
    ("openpyxl", "a library (openpyxl)"), ("xlsxwriter", "a library (XlsxWriter)"),
    ("libreoffice", "LibreOffice"), ("openoffice", "OpenOffice"), ("wps", "WPS Office"),
    ("kingsoft", "WPS Office"), ("google", "Google Sheets"), ("microsoft excel", "Excel"),
)


def saved_by(path: Path) -> str | None:
    """Which program last saved the file, from docProps/app.xml (Application, AppVersion)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "docProps/app.xml" not in archive.namelist():
                return None
            root = SafeET.fromstring(archive.read("docProps/app.xml"))
    except Exception:
        return None
    values = {el.tag.rsplit("}", 1)[-1]: (el.text or "").strip() for el in root}
    application = values.get("Application", "")
    for needle, label in _APPLICATIONS:
        if needle in application.lower():
            version = values.get("AppVersion")
            return f"{label} ({application}{', ' + version if version else ''})"
    return application or None


def export_mark(path: Path, sheet: str = SHEET_PRODUCTS) -> str | None:
    """The export id the Products sheet carries (see `integrity`): the text constant of the defined
    name SheetsyncExport scoped to that sheet, from xl/workbook.xml. None when there is none."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = SafeET.fromstring(archive.read("xl/workbook.xml"))
    except Exception:
        return None
    sheets = [el.get("name") for el in book.iter() if el.tag.rsplit("}", 1)[-1] == "sheet"]
    if sheet not in sheets:
        return None
    scope = str(sheets.index(sheet))
    for el in book.iter():
        if (el.tag.rsplit("}", 1)[-1] == "definedName" and (el.get("name") or "").lower() == MARK_NAME.lower()
                and el.get("localSheetId") == scope):
            text = (el.text or "").strip().removeprefix("=")
            if len(text) >= 2 and text[0] == text[-1] == '"':
                return text[1:-1].replace('""', '"')
            return text or None
    return None


def _explainer(path: Path, sheet: str, merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> Explainer:
    """Explain empty cells from merged ranges first, then from the sheet's XML, which is read only
    when some required cell came back empty."""

    def explain(cells: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str]]:
        found: dict[tuple[int, int], tuple[str, str]] = {}
        for row, col in cells:
            for (r0, c0), (r1, c1) in merged:
                if r0 <= row - 1 <= r1 and c0 <= col <= c1 and (row - 1, col) != (r0, c0):
                    found[(row, col)] = ("merged", f"{cell_ref(c0, r0 + 1)}:{cell_ref(c1, r1 + 1)}")
        rest = [c for c in cells if c not in found]
        if rest:
            xml = _sheet_xml(path, sheet)
            for row, col in rest:
                explained = _explain_cell(xml, cell_ref(col, row))
                if explained:
                    found[(row, col)] = explained
        return found
    return explain


def _sheet_xml(path: Path, sheet: str) -> str:
    """The XML text of a worksheet, found through the workbook's relationships."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = SafeET.fromstring(archive.read("xl/workbook.xml"))
            rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {el.get("Id"): el.get("Target") for el in rels}
            for el in book.iter():
                if el.tag.endswith("}sheet") and el.get("name") == sheet:
                    rid = next(v for k, v in el.attrib.items() if k.endswith("}id"))
                    target = targets[rid].lstrip("/")
                    part = target if target.startswith("xl/") else f"xl/{target}"
                    return archive.read(part).decode("utf-8", errors="replace")
    except (KeyError, StopIteration, zipfile.BadZipFile, SafeET.ParseError):
        return ""
    return ""


def _explain_cell(xml: str, ref: str) -> tuple[str, str] | None:
    match = re.search(rf'<(?:\w+:)?c r="{ref}"([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', xml, re.DOTALL)
    if not match:
        return None
    attributes, body = match.group(1), match.group(2) or ""
    formula = re.search(r"<(?:\w+:)?f[^>]*>(.*?)</(?:\w+:)?f>", body, re.DOTALL)
    value = re.search(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", body, re.DOTALL)
    if 't="e"' in attributes:
        return "error", value.group(1) if value else "#ERROR"
    if formula and (value is None or value.group(1) == ""):
        return "formula", "=" + formula.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return None


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[int, str], str]:
    """Locate the header: the keys row (row 2 as exported), else labels in either language.
    Returns the number of header rows, {column index: field key}, and the label language seen."""
    labels = {}
    for f in BASE_FIELDS:
        labels[f.label_en.lower()] = (f.key, "en")
        labels[f.label_zh.lower()] = (f.key, "zh")
    texts_by_row = [[str(v).strip() if v not in (None, "") else "" for v in row] for row in rows[:5]]
    for row_index, texts in enumerate(texts_by_row):
        if "sku_id" in texts:
            keys = {i: t for i, t in enumerate(texts) if t}
            lang = "en"
            above = texts_by_row[row_index - 1] if row_index > 0 else []
            if any(labels.get(t.lower(), ("", ""))[1] == "zh" for t in above):
                lang = "zh"
            return row_index + 1, keys, lang
    for row_index, texts in enumerate(texts_by_row):
        matched = {}
        lang_votes = {"en": 0, "zh": 0}
        for i, text in enumerate(texts):
            low = text.lower()
            stock = re.fullmatch(r"(stock|库存)\s+([a-z]{2})", low)
            if low in labels:
                key, lang = labels[low]
                matched[i] = key
                lang_votes[lang] += 1
            elif stock:
                matched[i] = f"stock_{stock.group(2).upper()}"
                lang_votes["zh" if stock.group(1) == "库存" else "en"] += 1
            elif text:
                matched[i] = text
        if "sku_id" in matched.values():
            lang = "zh" if lang_votes["zh"] > lang_votes["en"] else "en"
            return row_index + 1, matched, lang
    return 0, {}, "en"


def read_meta(workbook: python_calamine.CalamineWorkbook) -> dict[str, str]:
    if SHEET_META not in workbook.sheet_names:
        return {}
    rows = workbook.get_sheet_by_name(SHEET_META).to_python(skip_empty_area=False)
    meta = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            value = row[1]
            meta[row[0].strip()] = "" if value is None else str(value).strip()
    return meta


def read_metadata(path: str | Path) -> dict[str, str]:
    """Only the hidden metadata sheet (export id, store id, signature), for a caller that wants
    it before the whole sheet is parsed. Run check_package first."""
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            return read_meta(workbook)
    except Exception:  # a damaged file is reported by read_sheet
        return {}


def read_sheet(path: str | Path, checked: bool = False) -> RawSheet:
    """Read the Products sheet of a workbook after the safety checks (skipped when the caller ran
    check_package already). Raises UnreadableWorkbook when the file cannot be a sheetsync
    workbook; everything else is left to validation."""
    path = Path(path)
    if not checked:
        check_package(path)
    name = str(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc).splitlines()[0][:200]) from exc
    with workbook:
        sheet_name = SHEET_PRODUCTS if SHEET_PRODUCTS in workbook.sheet_names else None
        if sheet_name is None:
            raise UnreadableWorkbook("no_products_sheet", path=name)
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            if sheet.total_height > MAX_ROWS or sheet.width > MAX_COLUMNS:
                raise UnreadableWorkbook("file_too_large", path=name,
                                         detail=f"{sheet.total_height} rows × {sheet.width} columns")
            values = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
            meta = read_meta(workbook)
        except UnreadableWorkbook:
            raise
        except Exception as exc:
            raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc).splitlines()[0][:200]) from exc
    header_rows, keys, lang = _find_header(values)
    if not header_rows:
        raise UnreadableWorkbook("no_products_sheet", path=name)
    columns, issues = _map_columns(keys, header_rows)
    rows, numbers = [], []
    key_column = columns.get("sku_id", 0)
    for offset, row in enumerate(values[header_rows:]):
        # Most rows carry a SKU ID: decided on one cell; only the others are scanned for any value.
        if (row[key_column] != "" and not (type(row[key_column]) is str and row[key_column].isspace())) or any(
                v != "" and v is not None and not (type(v) is str and v.isspace()) for v in row):
            rows.append(row)
            numbers.append(header_rows + offset + 1)
    return RawSheet(name, sheet_name, columns, rows, numbers, header_rows, values[:header_rows], meta,
                    saved_by(path), issues,
                    meta.get("lang", lang) if meta.get("lang") in ("en", "zh") else lang,
                    _explainer(path, sheet_name, merged), export_mark(path, sheet_name))


def _map_columns(keys: dict[int, str], header_rows: int) -> tuple[dict[str, int], list[Issue]]:
    columns: dict[str, int] = {}
    issues = []
    seen: dict[str, list[int]] = {}
    for index, key in sorted(keys.items()):
        if key.startswith("display_price_"):
            continue  # preview formulas: read-only and recomputed, never imported
        if field_for_key(key) is None:
            issues.append(Issue("unknown_column", WARNING, cell=cell_ref(index, header_rows), row=header_rows,
                                column=index, value=key))
            continue
        seen.setdefault(key, []).append(index)
        columns.setdefault(key, index)
    for key, indexes in seen.items():
        if len(indexes) > 1:
            letters = ", ".join(column_letter(i) for i in indexes)
            issues.append(Issue("duplicate_column", cell=cell_ref(indexes[1], header_rows), row=header_rows,
                                column=indexes[1], field=key, value=key, params={"columns": letters}))
    return columns, issues
