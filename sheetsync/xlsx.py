"""XlsxWriter in one place: how sheetsync's workbooks are opened and closed, and every use of
XlsxWriter's private internals, checked when this module loads.

The internals: big sheets' data rows arrive as ready-made SpreadsheetML (`sheetxml`) and go
straight into XlsxWriter's constant-memory row file, through `Worksheet._write_single_row`,
`fh`, `previous_row` and `_check_dimensions`; a cell's style is named by `Format._get_xf_index`.
That is several times faster than XlsxWriter's per-cell calls, but those names are private: a
release may change them without notice, and a silent change there makes Excel "repair" the file
and drop rows. So they are used only when the installed XlsxWriter is within the minor versions
tested (pyproject.toml pins the same range) and every one of them is present. Otherwise
(`FALLBACK_REASON` says why) the same rows are written through XlsxWriter's public calls,
write_string / write_number / write_formula / ..., which is slower and gives the same cells.
tests/test_sheetxml.py holds the fast path to XlsxWriter's own output byte for byte, and the
fallback to the same cell values.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import BinaryIO
from xml.etree import ElementTree

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.worksheet import Worksheet

from .outputs import StrPath, replacing

TESTED_MINORS = ((3, 3), (3, 3))  # XlsxWriter major.minor, first and last tested (inclusive)
OPTIONS = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
           "strings_to_urls": False}
_PRIVATE_ON_CLASSES = ((Worksheet, "_write_single_row"), (Worksheet, "_check_dimensions"), (Format, "_get_xf_index"))
_PRIVATE_ON_SHEETS = ("fh", "previous_row", "constant_memory")


def _internals_problem(version: str) -> str | None:
    """Why the private internals cannot be trusted with this XlsxWriter, or None if they can."""
    minor = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    first, last = TESTED_MINORS
    if not first <= minor <= last:
        return f"XlsxWriter {version} is outside the tested {first[0]}.{first[1]}–{last[0]}.{last[1]}"
    sheet = Worksheet()
    missing = [name for owner, name in _PRIVATE_ON_CLASSES if not callable(getattr(owner, name, None))]
    missing += [name for name in _PRIVATE_ON_SHEETS if not hasattr(sheet, name)]
    if missing:
        return f"XlsxWriter {version} lacks {', '.join(missing)}"
    return None


FALLBACK_REASON = _internals_problem(xlsxwriter.__version__)
ROW_STREAM = FALLBACK_REASON is None

# The fallback names a style by a number of its own (the format's id), found here again when the
# rows are written; formats live as long as their workbook.
_FALLBACK_STYLES: weakref.WeakValueDictionary[int, Format] = weakref.WeakValueDictionary()


def style_index(cell_format: Format | None) -> int:
    """The number that names `cell_format` in a cell's `s` attribute (0: the default style)."""
    if cell_format is None:
        return 0
    if ROW_STREAM:
        return cell_format._get_xf_index()
    _FALLBACK_STYLES[id(cell_format)] = cell_format
    return id(cell_format)


class RowStreamWorksheet(Worksheet):
    """A worksheet whose data rows can arrive as ready-made XML (constant-memory mode)."""

    def append_rows_xml(self, first_row: int, last_row: int, last_col: int, chunks: Iterable[str]) -> None:
        """Write rows `first_row`..`last_row` (0-based), rendered by `sheetxml.rows_xml`, after the
        rows written so far through XlsxWriter's own calls. Constant-memory mode writes rows to
        its temporary file in order, so the pending row is flushed first, and XlsxWriter is told
        where the data ends (for the sheet's dimension) and that no row up to there is still open.
        Comments on these rows are XlsxWriter's (kept apart from the cells) and must be written
        before: afterwards it refuses them as rows already written."""
        if not getattr(self, "constant_memory", True):
            raise ValueError("rows as XML need constant_memory mode")
        if not ROW_STREAM:
            for chunk in chunks:
                _write_rows_publicly(self, chunk)
            return
        if first_row < self.previous_row:
            raise ValueError(f"row {first_row + 1} is before rows already written")
        self._write_single_row(first_row)
        for chunk in chunks:
            self.fh.write(chunk)
        self._check_dimensions(last_row, last_col)
        self.previous_row = last_row + 1


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _write_rows_publicly(ws: Worksheet, chunk: str) -> None:
    """The fallback: rows made by `sheetxml` read back and written cell by cell through
    XlsxWriter's public calls, each in its own kind and style. A cell XlsxWriter refuses (its row
    already written, or beyond the sheet) stops the run, as the row stream does."""
    columns: dict[str, int] = {}
    styles: dict[str | None, Format | None] = {}
    for row_element in ElementTree.fromstring(f"<rows>{chunk}</rows>"):
        row = int(row_element.get("r", "0")) - 1
        for cell in row_element:
            letters = cell.get("r", "").rstrip("0123456789")
            col = columns.get(letters)
            if col is None:
                col = columns[letters] = xl_cell_to_rowcol(f"{letters}1")[1]
            style = cell.get("s")
            if style not in styles:
                styles[style] = _FALLBACK_STYLES.get(int(style or 0))
            written = _write_cell_publicly(ws, row, col, cell, styles[style])
            if written == -1:
                raise ValueError(f"cell {cell.get('r')} is in a row already written or beyond the sheet")


def _write_cell_publicly(ws: Worksheet, row: int, col: int, cell: ElementTree.Element,
                         cell_format: Format | None) -> int:
    kind = cell.get("t")
    if kind == "inlineStr":
        text = cell.findtext("is/t") or ""
        if "_x" in text:
            text = _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)
        return ws.write_string(row, col, text, cell_format)
    value = cell.findtext("v")
    formula = cell.findtext("f")
    if formula is not None:
        cached = (value or "") if kind in ("str", "e") else _number(value)  # text, an error value, or a number
        return ws.write_formula(row, col, formula, cell_format, cached)
    if kind == "b":
        return ws.write_boolean(row, col, value == "1", cell_format)
    if value is not None:
        return ws.write_number(row, col, _number(value), cell_format)
    return ws.write_blank(row, col, None, cell_format)


def _number(text: str | None) -> int | float | str:
    """A cell's number as written ("" for a formula whose result was never computed)."""
    if not text:
        return ""
    number = float(text)
    return int(number) if number.is_integer() and "." not in text and "E" not in text.upper() else number


@contextlib.contextmanager
def output_workbook(path: StrPath) -> Iterator[xlsxwriter.Workbook]:
    """A constant-memory workbook that becomes `path` when the block ends, whole (see
    `outputs.replacing`): an error or Ctrl-C half way leaves the previous file as it was, and a
    write that fails is an `OutputFailed`. XlsxWriter's scratch files live in a folder of their
    own, removed whatever happens."""
    with (replacing(path) as stream,
          tempfile.TemporaryDirectory(prefix="sheetsync-", ignore_cleanup_errors=True) as scratch):
        zip_stream = _DetachableStream(stream)
        try:
            book = xlsxwriter.Workbook(zip_stream, {**OPTIONS, "tmpdir": scratch})
            yield book
            book.close()
        except FileCreateError as exc:  # XlsxWriter wraps the OSError (disk full, ...): unwrap it
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
            raise cause from None
        finally:
            zip_stream.detach()


class _DetachableStream:
    """The output file as XlsxWriter's zip writer sees it. When a write fails XlsxWriter leaves its
    ZipFile open, and the zip closes itself whenever it is collected: by then on a file already
    closed and removed, printing a traceback after sheetsync's own message. Once detached, this
    stream takes whatever still comes and drops it, keeping count of the position."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream: BinaryIO | None = stream
        self._position = 0

    def detach(self) -> None:
        self._stream = None

    def write(self, data: bytes) -> int:
        if self._stream is not None:
            return self._stream.write(data)
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._stream is not None:
            return self._stream.seek(offset, whence)
        self._position = offset if whence == 0 else self._position + offset
        return self._position

    def tell(self) -> int:
        return self._position if self._stream is None else self._stream.tell()

    def flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    def seekable(self) -> bool:
        return True
