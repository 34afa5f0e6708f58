"""Render the README's pictures with LibreOffice: an exported template and a report.

Run from the repository root with sheetsync installed and LibreOffice + poppler-utils present:
    python docs/render_pictures.py
Writes docs/template.png and docs/report.png. For CJK titles install a CJK font (fonts-wqy-zenhei).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sheetsync
from sheetsync.config import bundled_countries, sample_data_dir
from sheetsync.seed import sample_catalog
from sheetsync.store import Store
from tests.libreoffice import LibreOffice

DOCS = Path(__file__).resolve().parent


def one_page(path: Path, out: Path, sheet: str, rows: int) -> None:
    """A copy that prints `sheet`'s first rows landscape on one page, for a readable picture."""
    wb = openpyxl.load_workbook(path)
    for other in wb.worksheets:
        if other.title != sheet:
            other.sheet_state = "hidden"
    ws = wb[sheet]
    wb.active = wb.worksheets.index(ws)
    ws.print_area = f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{rows}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(out)


def render(lo: LibreOffice, source: Path, png: Path, work: Path, height: int) -> None:
    """First PDF page at 170 dpi, cropped to the printed area's top (`height` pixels)."""
    pdf = lo.resave(source, work / "pdf", fmt="pdf")
    subprocess.run(["pdftoppm", "-r", "170", "-f", "1", "-l", "1", "-x", "110", "-y", "115", "-W", "1610", "-H",
                    str(height), "-png", "-singlefile", str(pdf), str(png.with_suffix(""))], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        lo = LibreOffice(work / "profile")
        store = work / "shop.db"
        # A store of four countries keeps the picture readable; the sample's other stock is dropped.
        countries = [c for c in bundled_countries() if c.code in ("US", "FR", "ES", "DE")]
        with Store.create(store, countries) as handle:
            handle.insert_catalog(*sample_catalog(sample_data_dir()))
        sheetsync.export_catalog(store, work / "catalog.xlsx", preview=["US", "FR", "ES"])
        one_page(work / "catalog.xlsx", work / "template-view.xlsx", "Products", 24)
        render(lo, work / "template-view.xlsx", DOCS / "template.png", work, 300)

        wb = openpyxl.load_workbook(work / "catalog.xlsx")
        ws = wb["Products"]
        col = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
        ws.cell(3, col["seller_price"]).value = "12,5O"
        ws.cell(5, col["stock_US"]).value = -5
        ws.cell(6, col["weight_kg"]).value = "heavy"
        ws.cell(7, col["logistics_attribute"]).value = "battery"
        ws.cell(8, col["variant"]).value = "Color: Gold"
        wb.save(work / "bad.xlsx")
        sheetsync.import_workbook(store, work / "bad.xlsx", report=work / "report.xlsx")
        one_page(work / "report.xlsx", work / "report-view.xlsx", "Errors", 8)
        render(lo, work / "report-view.xlsx", DOCS / "report.png", work, 140)
    shutil.rmtree(work, ignore_errors=True)
    print("wrote", DOCS / "template.png", DOCS / "report.png")


if __name__ == "__main__":
    main()
