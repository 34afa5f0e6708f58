"""Open an uploaded workbook safely and return its Products sheet as raw values with coordinates.

Bounds are checked on the zip directory before any XML is parsed, and every XML part's prolog is
read (however long) and refused if it declares a DTD, so no entity can be expanded. The data is
read with python-calamine, which reads values (cached results for formulas) about ten times faster
than openpyxl. Before it parses, one pass over the sheet's XML refuses a cell reference beyond the
grid (calamine would ask for memory for every cell up to it and end the process), a DTD and a cell
whose shared-string reference is damaged (calamine would read it as the first shared string); while
it parses, a pass over every other XML part on another thread refuses a DTD anywhere.
What calamine shows as an empty string but is not empty, an error
value or a formula nobody computed, is found by one more pass over the sheet's XML, run only when
validation has empty cells to explain (`RawSheet.value_marks`). Nothing here judges values: that
is `convert`'s and `schema`'s job.

A cell given twice in the XML takes its last value, as calamine, LibreOffice and openpyxl all read
it (tests/test_read.py holds calamine to that).
"""

from __future__ import annotations

import bisect
import codecs
import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import python_calamine
from defusedxml import ElementTree as SafeET

from .cells import CellKind, Cells, Mark, RawSheet, SavedBy, cell_ref, column_index, column_letter
from .errors import UnreadableWorkbook
from .fields import PRODUCTS, SHEET_META, SHEET_PRODUCTS, Field, SheetSpec
from .integrity import MARK_NAME
from .outputs import is_special
from .results import WARNING, Issue

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
MAX_RATIO = 1_000  # uncompressed / compressed, for parts over 1 MB
MAX_ROWS = 1_048_576
MAX_COLUMNS = 1_000
CHUNK_BYTES = 4 * 1024 * 1024  # XML is streamed this much at a time: memory stays bounded

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_PART = (".xml", ".rels", ".vml")
# What a damaged package raises while a part is decompressed: bad zip data, a compression method
# or encryption zipfile does not support, or a part that is not in the text encoding it claims.
_PACKAGE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                   RuntimeError, UnicodeDecodeError, KeyError)


EXCEL_LOCK_PREFIX = "~$"
_SQLITE_MAGIC = b"SQLite f"  # the first 8 bytes of "SQLite format 3"


def _sniff(path: Path, head: bytes, spec: SheetSpec = PRODUCTS) -> None:
    """Refuse what is not a zip, with a sentence saying what it looks like (and, for an empty file
    or a store, the commands of the kind of workbook `spec` reads)."""
    name = str(path)
    if not head:
        raise UnreadableWorkbook(spec.empty_rule, path=name)
    if head.startswith(_OLE_MAGIC):
        with path.open("rb") as handle:
            data = handle.read(min(path.stat().st_size, 4 * 1024 * 1024))
        if _ENCRYPTED_MARK in data:
            raise UnreadableWorkbook("file_encrypted", path=name)
        raise UnreadableWorkbook("file_old_xls", path=name)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return
    if head.startswith(_SQLITE_MAGIC):  # a store (or another database) given where a workbook belongs
        raise UnreadableWorkbook(spec.store_rule, path=name)
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


def check_package(path: Path, spec: SheetSpec = PRODUCTS) -> None:
    """Bound the zip before parsing anything: size, parts, expansion ratio, and no DTDs in XML.
    `spec`: the kind of workbook expected, whose commands a refusal names."""
    name = str(path)
    if path.name.startswith(EXCEL_LOCK_PREFIX):  # Excel's owner file beside a workbook it has open
        raise UnreadableWorkbook("file_excel_lock", path=name, original=path.name[len(EXCEL_LOCK_PREFIX):])
    if not path.exists():
        raise UnreadableWorkbook("file_missing", path=name)
    if is_special(path):
        raise UnreadableWorkbook("input_not_file", path=name)
    size = path.stat().st_size
    with path.open("rb") as handle:
        _sniff(path, handle.read(8), spec)
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook("file_too_large", path=name,
                                 detail_key="read_file_size", size=size // 1024 // 1024,
                                 limit=MAX_FILE_BYTES // 1024 // 1024)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise UnreadableWorkbook("file_too_large", path=name, detail_key="read_parts",
                                         count=len(infos))
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise UnreadableWorkbook("file_too_large", path=name,
                                         detail_key="read_uncompressed", size=total // 1024 // 1024)
            for info in infos:
                ratio = info.file_size // max(info.compress_size, 1)
                if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                    raise UnreadableWorkbook("file_too_large", path=name,
                                             detail_key="read_zip_bomb", part=info.filename, ratio=ratio)
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                kind = "ods" if "mimetype" in names else "zip"
                raise UnreadableWorkbook("file_not_xlsx", path=name, kind=kind)
            for info in infos:
                if info.filename.endswith(_XML_PART) and _prolog_declares_dtd(_xml_chunks(archive, info)):
                    raise _dtd_refused(name, info.filename)
    except _PACKAGE_ERRORS as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc) or exc.__class__.__name__) from exc


_APPLICATIONS = (  # libraries first: openpyxl calls itself "Microsoft Excel Compatible / Openpyxl"
    ("openpyxl", "openpyxl", True), ("xlsxwriter", "XlsxWriter", True),
    ("libreoffice", "LibreOffice", False), ("openoffice", "OpenOffice", False), ("wps", "WPS Office", False),
    ("kingsoft", "WPS Office", False), ("google", "Google Sheets", False), ("microsoft excel", "Excel", False),
)


def saved_by(path: Path) -> SavedBy | None:
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
    for needle, name, library in _APPLICATIONS:
        if needle in application.lower():
            version = values.get("AppVersion")
            return SavedBy(name, library, f"{application}{', ' + version if version else ''}")
    return SavedBy(application) if application else None


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


def _dtd_refused(path: str, part: str) -> UnreadableWorkbook:
    return UnreadableWorkbook("file_corrupt", path=path, detail_key="read_dtd", part=part)


_ENCODINGS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xfe\xff", "utf-16-be"),
              (b"\xff\xfe", "utf-16-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
              (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"))


def _xml_chunks(archive: zipfile.ZipFile, part: str | zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's XML as UTF-8, CHUNK_BYTES at a time. XML may also be UTF-16 or UTF-32 (told by its
    first bytes): such a part is decoded as it streams, so no encoding hides a DTD from the scans."""
    with archive.open(part) as stream:
        first = stream.read(CHUNK_BYTES)
        encoding = next((name for start, name in _ENCODINGS if first.startswith(start)), None)
        decoder = codecs.getincrementaldecoder(encoding)() if encoding else None
        chunk = first
        while chunk:
            yield decoder.decode(chunk).encode("utf-8") if decoder else chunk
            chunk = stream.read(CHUNK_BYTES)
        if decoder:
            yield decoder.decode(b"", final=True).encode("utf-8")


_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)


def _prolog_declares_dtd(chunks: Iterator[bytes]) -> bool:
    """Whether the prolog (what comes before the root element: the XML declaration, comments,
    processing instructions and, where a parser would honour it, a DTD) declares a DTD. Read as
    far as it goes, however long; usually the first chunk holds all of it."""
    seen = bytearray()
    for chunk in chunks:
        seen += chunk
        position = 0
        while item := _PROLOG_ITEM.match(seen, position):
            position = item.end()
        rest = bytes(seen[position:position + 16]).lstrip()
        if rest.startswith(b"<!") and not rest.startswith(b"<!--"):
            return bool(_DTD.match(rest)) or len(rest) < 9
        if rest[:1] == b"<" and rest[1:2] not in (b"", b"?", b"!"):
            return False  # the root element: the prolog is over
    return bool(_DTD.search(seen))


class _DoctypeWatch:
    """Finds <!DOCTYPE or <!ENTITY anywhere in a stream of chunks, also when one is split between two
    chunks (the last 8 bytes of each chunk are looked at again with the next)."""

    def __init__(self) -> None:
        self.tail = b""

    def found_in(self, chunk: bytes) -> bool:
        seam = self.tail + chunk[:8]
        self.tail = chunk[-8:]
        return (b"<!" in seam and _DTD.search(seam) is not None) or (b"<!" in chunk and _DTD.search(chunk) is not None)


def _segments(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A worksheet's XML in pieces that end with a row (or, for a row longer than 16 MB, a cell), so
    that no cell is ever split between two pieces."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b"row>") + 4
        if cut < 4 and len(data) > 16 * 1024 * 1024:
            cut = data.rfind(b"c>") + 2
        if cut < 4:
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry


# A cell with a shared-string type whose <v> is not a plain index: calamine reads it as string 0.
_BAD_SHARED_STRING = re.compile(rb"""t\s*=\s*["']s["'][^>]*>\s*<(?:[\w.-]+:)?v>(?!\d{1,9}</)""")
_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
_FORMULA_END = re.compile(rb"f>(?:<(?:[\w.-]+:)?v>\s*</(?:[\w.-]+:)?v>)?</(?:[\w.-]+:)?c>")
_SELF_CLOSED_END = re.compile(rb"/>(?:<(?:[\w.-]+:)?v>\s*</(?:[\w.-]+:)?v>)?</(?:[\w.-]+:)?c>")
# A cell declaring a value it does not hold: text (t="s" or t="str") with no <v>, or an empty <v>.
_TEXT_WITHOUT_VALUE = re.compile(rb"""t\s*=\s*["']s(?:tr)?["'][^>]*?(?:/>|>\s*</(?:[\w.-]+:)?c>)""")
# (Anchored on the "v" rather than the "<": the engine then tries it at one place in a few instead
# of at every tag, 3.5x faster over a 100k-SKU sheet; a candidate is only a place to look, the
# cell itself decides.)
_EMPTY_VALUE = re.compile(rb"v(?:\s*/>|>\s*</(?:[\w.-]+:)?v>)")
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.DOTALL)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?v>)", re.DOTALL)
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _cell_around(segment: bytes, position: int) -> tuple[dict[str, str], bytes] | None:
    """The cell element whose XML contains `position`: its attributes and its body."""
    start = position + 1
    for _ in range(8):  # a cell holds at most a formula, a value and an inline string's few tags
        start = segment.rfind(b"<", 0, start)
        if start < 0:
            return None
        if _CELL_START.match(segment, start):
            cell = _CELL.match(segment, start)
            if cell is None or cell.end() <= position:
                return None
            attributes = {m.group(1).decode("utf-8", "replace").rsplit(":", 1)[-1]:
                          (m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8", "replace")
                          for m in _ATTRIBUTE.finditer(cell.group(1))}
            return attributes, cell.group(2) or b""
    return None


def _text(xml: bytes | None) -> str:
    return html.unescape((xml or b"").decode("utf-8", "replace")).strip()


def _value_mark(attributes: dict[str, str], body: bytes) -> Mark | None:
    """ERROR for an error value, FORMULA for a formula with no value, DAMAGED for a cell that
    declares a value (a <v> element, or a text type) and holds none; None for anything else."""
    value = _VALUE.search(body)
    shown = _text(value.group(1)) if value else ""
    kind = attributes.get("t", "n")
    if kind == "e":
        return Mark(CellKind.ERROR, shown or "#ERROR")
    formula = _FORMULA.search(body)
    if formula and not shown:
        return Mark(CellKind.FORMULA, "=" + (_text(formula.group(1)) or "…"))
    if not formula and not shown and (value is not None or kind in ("s", "str")):
        return Mark(CellKind.DAMAGED, f't="{kind}"')
    return None


class _Unlocatable(Exception):
    """A cell that matters has no usable reference (r="..."), so its place is unknown."""


def _cell_position(attributes: dict[str, str]) -> tuple[int, int]:
    ref = _REF.fullmatch(attributes.get("r", ""))
    if ref is None:
        raise _Unlocatable(attributes.get("r", ""))
    return int(ref.group(2)), column_index(ref.group(1).upper())


_PLAIN_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')


def _elsewhere(segment: bytes, position: int, letters: frozenset[bytes]) -> bool:
    """Whether the cell at `position` is, at a glance, in a column not wanted: an unprefixed
    <c r="..." (as every spreadsheet writes it) a few bytes back. Anything else is looked at fully."""
    start = segment.rfind(b"<c ", max(0, position - 4096), position)
    plain = _PLAIN_COLUMN.match(segment, start) if start >= 0 else None
    return plain is not None and segment.find(b"</c>", start, position) < 0 and plain.group(1) not in letters


def _value_marks(segment: bytes, columns: frozenset[int], found: Cells) -> None:
    """Error values, uncomputed formulas and damaged cells among the cells of `columns` in one piece of XML."""
    letters = frozenset(column_letter(column).encode() for column in columns)
    candidates = [m.start() for m in _ERROR_TYPE.finditer(segment)]
    candidates += [m.start() for m in _FORMULA_END.finditer(segment)]
    candidates += [m.start() for m in _SELF_CLOSED_END.finditer(segment)]
    candidates += [m.start() for m in _TEXT_WITHOUT_VALUE.finditer(segment)]
    candidates += [m.start() for m in _EMPTY_VALUE.finditer(segment)]
    for position in candidates:
        if _elsewhere(segment, position, letters):
            continue  # e.g. the preview formulas, whose value is empty where a SKU is not sold
        cell = _cell_around(segment, position)
        if cell is None:
            continue
        mark = _value_mark(*cell)
        if mark is not None:
            row, column = _cell_position(cell[0])
            if column in columns:
                found[(row, column)] = mark


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The name of a worksheet's XML part, through the workbook and its relationships."""
    book = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {el.get("Id"): el.get("Target") or "" for el in rels}
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and el.get("name") == sheet:
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            target = targets.get(rid, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            return part if part in archive.NameToInfo else None
    return None


# A reference far out (a column of three letters or more, a row of seven digits or more), found at
# C speed from the literal r=" (which also matches xmlns:r=", looked at and passed over).
_FAR_REFERENCE = re.compile(rb'r="\$?(?:[A-Za-z]{3}|[A-Za-z]{0,2}\$?[0-9]{7})[^"]{0,24}"')
_EXCEL_COLUMNS = 16_384  # XFD


def _check_references(chunk: bytes, name: str, sheet: str) -> None:
    """Refuse a cell or row reference beyond Excel's grid (XFD1048576) or beyond what sheetsync
    reads (MAX_COLUMNS): the reader lays a sheet out as one block from A1 to its farthest cell, so
    one far reference would make it ask for more memory than there is and end the process."""
    for match in _FAR_REFERENCE.finditer(chunk):
        if chunk[match.start() - 1:match.start()] not in (b" ", b"\t", b"\n", b"\r"):
            continue  # xmlns:r="..." and other attributes ending in r
        ref = match.group()[3:-1].decode("ascii", "replace")
        parsed = _REF.fullmatch(ref)
        row, column = (int(parsed.group(2)), column_index(parsed.group(1).upper())) if parsed else (0, _EXCEL_COLUMNS)
        if ref.isdigit():
            row, column = int(ref), 0  # a row's own number
        if (not parsed and not ref.isdigit()) or row > MAX_ROWS or column >= _EXCEL_COLUMNS:
            raise UnreadableWorkbook("file_corrupt", path=name,
                                     detail_key="read_beyond_grid", sheet=sheet, ref=ref, last=f"XFD{MAX_ROWS}")
        if column >= MAX_COLUMNS:
            raise UnreadableWorkbook("file_too_large", path=name,
                                     detail_key="read_beyond_columns", sheet=sheet, ref=ref,
                                     column=column_letter(MAX_COLUMNS - 1))


def _scan_sheet(path: Path, sheet: str) -> str | None:
    """The pass over the sheet's own XML, before calamine reads it: a reference beyond the grid, a
    DTD and a damaged shared-string reference refuse the file. Returns the sheet's part (None when
    the workbook has no such sheet, which calamine reports)."""
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return None
            shared = any(n.lower().endswith("sharedstrings.xml") for n in archive.NameToInfo)
            watch = _DoctypeWatch()
            for chunk in _segments(_xml_chunks(archive, part)):
                if watch.found_in(chunk):
                    raise _dtd_refused(name, part)
                _check_references(chunk, name, sheet)
                if shared and (bad := _BAD_SHARED_STRING.search(chunk)):
                    cell = _cell_around(chunk, bad.start())
                    where = cell[0].get("r", "?") if cell else "?"
                    raise UnreadableWorkbook("file_corrupt", path=name,
                                             detail_key="read_shared_string", cell=where)
            return part
    except UnreadableWorkbook:
        raise
    except (*_PACKAGE_ERRORS, SafeET.ParseError, ValueError) as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc) or exc.__class__.__name__) from exc


def _scan_other_parts(path: Path, sheet_part: str | None) -> None:
    """The pass that runs while calamine parses: a DTD anywhere in any other XML part refuses the file."""
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(_XML_PART) or info.filename == sheet_part:
                    continue
                watch = _DoctypeWatch()
                for chunk in _xml_chunks(archive, info):
                    if watch.found_in(chunk):
                        raise _dtd_refused(name, info.filename)
    except UnreadableWorkbook:
        raise
    except (*_PACKAGE_ERRORS, SafeET.ParseError, ValueError) as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc) or exc.__class__.__name__) from exc


def _row_number(segment: bytes, start: int) -> int | None:
    end = segment.find(b'"', start + 8, start + 20)
    number = segment[start + 8:end]
    return int(number) if end > 0 and number.isdigit() else None


def _rows_in(segment: bytes) -> tuple[int, int] | None:
    """The first and last row numbers of a piece of XML, when every row in it starts <row r="N"
    (as Excel, LibreOffice, XlsxWriter and openpyxl write them); None when that cannot be relied
    on. Counted and found at C speed."""
    rows = segment.count(b"<row")
    if not rows or rows != segment.count(b'<row r="'):
        return None
    first, last = _row_number(segment, segment.find(b'<row r="')), _row_number(segment, segment.rfind(b'<row r="'))
    return None if first is None or last is None else (first, last)


def _mark_scanner(path: Path, part: str):
    """Finds which of the wanted cells are error values or uncomputed formulas: one pass over the
    sheet's XML, looking closely only at the pieces whose rows hold a wanted cell."""

    def scan(cells: frozenset[tuple[int, int]]) -> Cells:
        found: Cells = {}
        rows = sorted({row for row, _ in cells})
        columns = frozenset(column for _, column in cells)
        after: int | None = 0  # rows ascend (Excel writes them so); once they do not, every piece is read
        try:
            with zipfile.ZipFile(path) as archive:
                for segment in _segments(_xml_chunks(archive, part)):
                    span = _rows_in(segment) if after is not None else None
                    if after is None or span is None or span[0] < after or span[1] < span[0]:
                        after = None
                    elif bisect.bisect_left(rows, after) == bisect.bisect_right(rows, span[1]):
                        after = span[1]
                        continue  # no wanted cell in these rows (cells split off a row belong to `after`)
                    else:
                        after = span[1]
                    _value_marks(segment, columns, found)
        except _Unlocatable as exc:
            raise UnreadableWorkbook("file_corrupt", path=str(path),
                                     detail_key="read_no_reference", ref=exc.args[0] or "-") from None
        except _PACKAGE_ERRORS as exc:
            raise UnreadableWorkbook("file_corrupt", path=str(path), detail=str(exc) or exc.__class__.__name__) from exc
        return {cell: mark for cell, mark in found.items() if cell in cells}
    return scan


def _find_header(rows: list[list[Any]], spec: SheetSpec = PRODUCTS) -> tuple[int, dict[int, str], str]:
    """Locate the header: the keys row (row 2 as exported), else labels in either language.
    Returns the number of header rows, {column index: field key}, and the label language seen."""
    labels = {}
    for f in spec.fields:  # a label both languages share ("SKU ID") says nothing of the language
        labels[f.label_zh.lower()] = (f.key, "zh")
        labels[f.label_en.lower()] = (f.key, "en")
    texts_by_row = [[str(v).strip() if v not in (None, "") else "" for v in row] for row in rows[:5]]
    for row_index, texts in enumerate(texts_by_row):
        if spec.key in texts:
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
            stock = re.fullmatch(r"(stock|库存)\s+(?:\S+\s+)?([a-z]{2})", low)  # 库存 美国 US too
            if low in labels:
                key, lang = labels[low]
                matched[i] = key
                lang_votes[lang] += 1
            elif stock:
                matched[i] = f"stock_{stock.group(2).upper()}"
                lang_votes["zh" if stock.group(1) == "库存" else "en"] += 1
            elif text:
                matched[i] = text
        if spec.key in matched.values():
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


def read_sheet(path: str | Path, checked: bool = False, spec: SheetSpec = PRODUCTS) -> RawSheet:
    """Read the Products sheet of a workbook (or the sheet `spec` names: the JIT orders' Orders)
    after the safety checks (skipped when the caller ran check_package already). Raises
    UnreadableWorkbook when the file cannot be a sheetsync workbook; everything else is left to
    validation. The sheet's own XML is scanned before calamine sees it (one far cell reference
    would end the process inside calamine); the pass over every other XML part runs on another
    thread while calamine parses (it releases the GIL)."""
    path = Path(path)
    if not checked:
        check_package(path, spec)
    name = str(path)
    part = _scan_sheet(path, spec.name)
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(_scan_other_parts, path, part)
        try:
            sheet_name, values, merged, meta = _parse(path, spec)
            failure = None
        except UnreadableWorkbook as exc:
            failure = exc
        scanning.result()  # its refusal (a DTD) comes first
    if failure is not None:
        raise failure
    if part is None:
        raise UnreadableWorkbook("file_corrupt", path=name, detail_key="read_part_missing",
                                 sheet=sheet_name)
    header_rows, keys, lang = _find_header(values, spec)
    if not header_rows:
        raise UnreadableWorkbook(spec.missing_rule, path=name)
    broken = _broken_keys(values, header_rows, keys, spec)
    columns, issues = _map_columns({i: k for i, k in keys.items() if i not in broken}, header_rows, spec)
    rows, numbers = [], []
    key_column = columns.get(spec.key, 0)
    for offset, row in enumerate(values[header_rows:]):
        # Most rows carry a SKU ID: decided on one cell; only the others are scanned for any value.
        if (row[key_column] != "" and not (type(row[key_column]) is str and row[key_column].isspace())) or any(
                v != "" and v is not None and not (type(v) is str and v.isspace()) for v in row):
            rows.append(row)
            numbers.append(header_rows + offset + 1)
    raw = RawSheet(name, sheet_name, columns, rows, numbers, header_rows, values[:header_rows], meta,
                   saved_by(path), issues,
                   meta.get("lang", lang) if meta.get("lang") in ("en", "zh") else lang,
                   merged, _mark_scanner(path, part), export_mark(path, sheet_name))
    marks = raw.value_marks([(header_rows, i) for i in broken if values[header_rows - 1][i] in ("", None)])
    for index, f in broken.items():
        mark = marks.get((header_rows, index))
        found = mark.shown if mark else keys.get(index, "")
        raw.header_issues.append(Issue("key_cell_broken", sheet=spec.name, cell=cell_ref(index, header_rows),
                                       row=header_rows, column=index, field=f.key, value=found or "(empty)",
                                       params={"key": f.key, "label": f.label_en, "label_zh": f.label_zh}))
    return raw


def _broken_keys(values: list[list[Any]], header_rows: int, keys: dict[int, str],
                 spec: SheetSpec) -> dict[int, Field]:
    """The key cells (row 2) under a label of this sheet (row 1) that no longer hold its key: an
    error value such as #REF!, a formula, a number or other text pasted over it. Columns are
    found by their keys, so such a column would be left unread, its edits lost without a word, or
    the order's other cells blamed: the cell is named instead (an error for every kind of sheet)."""
    if header_rows < 2:
        return {}
    labels = {}
    for f in spec.fields:
        labels[f.label_en.strip().lower()] = f
        labels[f.label_zh.strip().lower()] = f
    broken = {}
    for index, label in enumerate(values[header_rows - 2]):
        f = labels.get(str(label).strip().lower()) if isinstance(label, str) else None
        if f is not None and keys.get(index) != f.key:
            broken[index] = f
    return broken


def _parse(path: Path, spec: SheetSpec = PRODUCTS) -> tuple[str, list[list[Any]], list[Any], dict[str, str]]:
    """The sheet's values and merged ranges, and the metadata sheet, through calamine."""
    name = str(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(name)
    except Exception as exc:
        raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc).splitlines()[0][:200]) from exc
    with workbook:
        if spec.name not in workbook.sheet_names:  # the other kind of sheetsync workbook: its own command
            other = spec.other_sheet in workbook.sheet_names and SHEET_META in workbook.sheet_names
            raise UnreadableWorkbook(spec.other_rule if other else spec.missing_rule, path=name)
        try:
            sheet = workbook.get_sheet_by_name(spec.name)
            if sheet.total_height > MAX_ROWS or sheet.width > MAX_COLUMNS:
                raise UnreadableWorkbook("file_too_large", path=name,
                                         detail_key="read_grid_size", rows=sheet.total_height,
                                         columns=sheet.width)
            values = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
            meta = read_meta(workbook)
        except UnreadableWorkbook:
            raise
        except Exception as exc:
            raise UnreadableWorkbook("file_corrupt", path=name, detail=str(exc).splitlines()[0][:200]) from exc
    return spec.name, values, merged, meta


def _map_columns(keys: dict[int, str], header_rows: int,
                 spec: SheetSpec = PRODUCTS) -> tuple[dict[str, int], list[Issue]]:
    columns: dict[str, int] = {}
    issues = []
    seen: dict[str, list[int]] = {}
    for index, key in sorted(keys.items()):
        if key.startswith(spec.ignored_prefixes):
            continue  # preview formulas: read-only and recomputed, never imported
        if spec.lookup(key) is None:
            issues.append(Issue("unknown_column", WARNING, sheet=spec.name, cell=cell_ref(index, header_rows),
                                row=header_rows, column=index, value=key))
            continue
        seen.setdefault(key, []).append(index)
        columns.setdefault(key, index)
    for key, indexes in seen.items():
        if len(indexes) > 1:
            letters = ", ".join(column_letter(i) for i in indexes)
            issues.append(Issue("duplicate_column", sheet=spec.name, cell=cell_ref(indexes[1], header_rows),
                                row=header_rows, column=indexes[1], field=key, value=key,
                                params={"columns": letters}))
    return columns, issues
