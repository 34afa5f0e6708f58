"""`sheetsync demo`: the main job end to end on the bundled sample catalog, in one folder.

A new seller (or a reviewer) sees the whole round trip work on their own computer with one
command, Windows included, without a shell script: create a store, export it, edit the workbook
as a seller would in Excel, validate it, import it with a report, and be told where every file is
and what to type next. Running it again in the same folder starts that demo afresh; a folder that
holds anything else is refused, so it never overwrites a seller's real files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl

from .config import Settings
from .errors import ConfigError, SheetsyncError
from .fields import field_for_key
from .messages import message
from .outputs import replacing
from .pipeline import export_catalog, import_workbook, init_store
from .results import ImportResult
from .sheetlook import text_width
from .store import Store

STORE_NAME = "shop.db"
EXPORT_NAME = "catalog.xlsx"
EDITED_NAME = "catalog-edited.xlsx"
REPORT_NAME = "report.xlsx"
DEMO_MARK = "demo"  # the store's meta key that says a demo made it (and may remake it)
STOPPED_COUNTRY = "FR"

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoEdit:
    """One cell the demo changed in the exported workbook, as the seller would see it."""

    cell: str
    sku_id: str
    sku_code: str
    key: str
    before: str
    after: str


@dataclass
class DemoResult:
    folder: Path
    store: Path
    export: Path
    edited: Path
    report: Path
    skus: int = 0
    edits: list[DemoEdit] = field(default_factory=list)
    checked: ImportResult | None = None
    imported: ImportResult | None = None


def run_demo(folder: str | os.PathLike = "sheetsync-demo", *, lang: str = "en", say: Say = print,
             show: Callable[[ImportResult], None] | None = None) -> DemoResult:
    """Run the demo in `folder` (created if missing). `say` prints each line of what it does;
    `show` prints an import's result as the `import` command does (the CLI's own rendering),
    else its headline only."""
    base = Path(folder)
    demo = DemoResult(base, base / STORE_NAME, base / EXPORT_NAME, base / EDITED_NAME, base / REPORT_NAME)
    _prepare(base)
    shown = show or (lambda result: say(f"  {result.file}: {result.status}"))
    settings = Settings(lang=lang)

    say(message("demo_start", lang, folder=str(base)))
    demo.skus = init_store(demo.store, sample=True, settings=settings)
    with Store.open(demo.store) as store:
        store.set_meta(DEMO_MARK, "1")
    say(message("demo_created", lang, store=str(demo.store), count=demo.skus))

    summary = export_catalog(demo.store, demo.export, lang=lang, settings=settings, force=True)
    say(message("demo_exported", lang, path=str(demo.export), count=summary.rows, countries=len(summary.countries)))

    demo.edits = _edit_like_a_seller(demo.export, demo.edited)
    say(message("demo_edited", lang, path=str(demo.edited)))
    for edit in demo.edits:
        f = field_for_key(edit.key)
        label = f.label(lang) if f else edit.key
        padding = " " * max(0, 14 - text_width(label))  # a Chinese label's characters are two columns wide
        say(f"    Products!{edit.cell:<6} {edit.sku_code:<16} {label}{padding} {edit.before} → {edit.after}")

    say(message("demo_validate", lang, command=f"sheetsync --store {demo.store} validate {demo.edited}"))
    demo.checked = import_workbook(demo.store, demo.edited, dry_run=True, lang=lang, settings=settings)
    shown(demo.checked)

    say(message("demo_import", lang,
                command=f"sheetsync --store {demo.store} import {demo.edited} --report {demo.report}"))
    demo.imported = import_workbook(demo.store, demo.edited, report=demo.report, lang=lang, settings=settings)
    shown(demo.imported)

    say(message("demo_files", lang, folder=str(base), store=str(demo.store), export=str(demo.export),
                edited=str(demo.edited), report=str(demo.report)))
    say(message("demo_next", lang, history=f"sheetsync --store {demo.store} history",
                export=f"sheetsync --store {demo.store} export my-catalog.xlsx",
                run=f"sheetsync --store {demo.store} revert {demo.imported.run_id or 'RUN_ID'} --dry-run"))
    return demo


def _prepare(folder: Path) -> None:
    """Make `folder` ready for a fresh demo: new or empty, or a demo's own folder (its store is
    removed so the demo starts again). Anything else is refused before a file is touched."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError("demo_folder_in_use", folder=str(folder))
    if not folder.exists() or not any(folder.iterdir()):
        folder.mkdir(parents=True, exist_ok=True)
        return
    store = folder / STORE_NAME
    try:
        with Store.open(store) as handle:
            made_by_demo = handle.meta(DEMO_MARK) == "1"
    except SheetsyncError:
        made_by_demo = False
    if not made_by_demo:
        raise ConfigError("demo_folder_in_use", folder=str(folder))
    Store.remove(store)


def _edit_like_a_seller(source: Path, target: Path) -> list[DemoEdit]:
    """Open the export with openpyxl (as any program a seller uses would) and change three cells:
    the first SKU's price down 10%, the second SKU's weight up 10 grams, and stock to 0 in France
    for the first other SKU selling there; saved as a copy, the export itself left as it was."""
    book = openpyxl.load_workbook(source)
    sheet = book["Products"]
    column = {sheet.cell(2, c).value: c for c in range(1, sheet.max_column + 1)}
    edits: list[DemoEdit] = []

    def change(row: int, key: str, value: Decimal | int) -> None:
        cell = sheet.cell(row, column[key])
        before = cell.value
        cell.value = float(value) if isinstance(value, Decimal) else value
        edits.append(DemoEdit(cell.coordinate, str(sheet.cell(row, column["sku_id"]).value),
                              str(sheet.cell(row, column["sku_code"]).value or ""), key, _shown(key, before),
                              _shown(key, value)))

    price = Decimal(str(sheet.cell(3, column["seller_price"]).value))
    change(3, "seller_price", (price * Decimal("0.9")).quantize(Decimal("0.01")))
    weight = Decimal(str(sheet.cell(4, column["weight_kg"]).value))
    change(4, "weight_kg", weight + Decimal("0.010"))
    stock = f"stock_{STOPPED_COUNTRY}"
    row = next(r for r in range(5, sheet.max_row + 1) if (sheet.cell(r, column[stock]).value or 0) > 0)
    change(row, stock, 0)
    with replacing(target) as stream:
        book.save(stream)
    return edits


def _shown(key: str, value: object) -> str:
    """A cell's number as the template formats it (a price to the cent, a weight to the gram)."""
    places = {"seller_price": 2, "weight_kg": 3}.get(key, 0)
    return f"{Decimal(str(value or 0)):.{places}f}"
