"""Benchmark: export and import at 10k and 100k SKUs against the raw floors of the libraries.

    python benchmarks/run.py                     # 10,000 and 100,000 SKUs
    python benchmarks/run.py --sizes 10000 --no-openpyxl
    python benchmarks/run.py --sizes 100000 --countries 47   # about as many as AliExpress supports
    python benchmarks/run.py --sizes 100000 --case cleared-stock   # one stock column emptied vs unedited

Every figure is a separate process (as a seller runs it), timed by wall clock, with its peak RSS
from wait4(2). The floors are what the libraries need for the same cells and nothing else:
python-calamine reading every cell of the export, XlsxWriter (constant_memory) writing the same
cells as plain values. Data is generated here (`sheetsync init --synthetic N`), never committed.
POSIX only (wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED_COUNTRIES = 33  # templates/countries.csv

READ_FLOOR = """
import sys, time
import python_calamine
start = time.perf_counter()
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
cells = sum(len(r) for name in book.sheet_names for r in book.get_sheet_by_name(name).to_python())
print(f"{time.perf_counter() - start:.3f} {cells}")
"""

WRITE_FLOOR = """
import sys, time
import python_calamine, xlsxwriter
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
sheets = [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]
start = time.perf_counter()
out = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
for name, rows in sheets:
    ws = out.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    ws.write_string(r, c, value)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
out.close()
print(f"{time.perf_counter() - start:.3f}")
"""

# A store selling in more countries than the bundled list (the platform supports about 47): extra
# codes are added to the catalog and to a copy of the rate card (with the US brackets).
MORE_COUNTRIES = """
import sys
from pathlib import Path
from sheetsync.config import Country, bundled_countries, reference_file
from sheetsync.seed import synthetic_catalog
from sheetsync.store import Store
n, total = int(sys.argv[1]), int(sys.argv[2])
extra = ["MX", "CO", "PE", "AR", "NZ", "IE", "AT", "CH", "SE", "DK", "FI", "CZ", "SK", "GR", "HR", "SI", "EE",
         "LV", "BG", "CY", "LU", "MT", "IS", "EC", "UY", "CR", "PA"]
countries = bundled_countries()
bundled = len(countries)
countries += [Country(code, code, code) for code in extra[:total - len(countries)]]
store = Store.create(Path("shop.db"), countries)
store.insert_catalog(*synthetic_catalog(n, [c.code for c in countries]))
store.close()
lines = reference_file("freight_rates.csv").read_text(encoding="utf-8").splitlines()
us = [line for line in lines if line.startswith("US,")]
added = [line.replace("US,", f"{c.code},", 1) for c in countries[bundled:] for line in us]
Path("rates.csv").write_text("\\n".join(lines + added) + "\\n", encoding="utf-8")
"""

PANDAS_OPENPYXL = """
import sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_excel(sys.argv[1], sheet_name="Products", engine="openpyxl", header=None, dtype=object)
print(f"{time.perf_counter() - start:.3f} {frame.size}")
"""

# Edits made in the sheet's XML, so that everything else (styles, preview formulas, validations,
# hidden sheets) stays as exported: a script reads the Products sheet's XML into `xml`, with `key`
# (field key → column letters); the edit sets parts[target]; the file is written back.
SHEET_EDIT = r"""
import re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as book:
    parts = {info.filename: book.read(info) for info in book.infolist()}
rels = parts["xl/_rels/workbook.xml.rels"].decode()
rid = re.search(r'<sheet name="Products" sheetId="\d+" r:id="(rId\d+)"', parts["xl/workbook.xml"].decode()).group(1)
target = "xl/" + re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)
xml = parts[target].decode()
key = {name: letters for letters, name in re.findall(r'<c r="([A-Z]+)2"[^>]*><is><t>([a-z_A-Z]+)</t>', xml)}
%s
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
    for name, data in parts.items():
        out.writestr(name, data)
"""

# A seller's edit of 10% of the rows: a price up 5%, a stock + 1.
EDIT = SHEET_EDIT % r"""
price, stock = key["seller_price"], key["stock_US"]
def edit(match):
    column, row, attributes, value = match.groups()
    if int(row) < 3 or int(row) % 10:
        return match.group(0)
    new = round(float(value) * 1.05, 2) if column == price else int(float(value)) + 1
    return f'<c r="{column}{row}"{attributes}><v>{new}</v></c>'
parts[target] = re.sub(rf'<c r="({price}|{stock})(\d+)"([^>]*)><v>([^<]*)</v></c>', edit, xml).encode()
"""

# The seller empties a whole stock column (stock_US): every one of its cells must be explained (an
# empty cell, not an error value or a formula) and reported, in one pass however many there are.
CLEAR_COLUMN = SHEET_EDIT % r"""
stock = key["stock_US"]
def clear(match):
    return match.group(0) if int(match.group(1)) < 3 else ""
parts[target] = re.sub(rf'<c r="{stock}(\d+)"[^>]*>(?:<v>[^<]*</v>)?</c>', clear, xml).encode()
"""


def run_child(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """Like measure, but reaps the child with wait4 so the RSS is this child's alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def prepare(n: int, work: Path, countries: int) -> list[str]:
    """A store of `n` synthetic SKUs selling in `countries`; returns the rate-card options to use."""
    if countries > BUNDLED_COUNTRIES:
        run_child([sys.executable, "-c", MORE_COUNTRIES, str(n), str(countries)], work)
        return ["--rates", "rates.csv"]
    run_child([sys.executable, "-m", "sheetsync.cli", "--store", "shop.db", "init", "--synthetic", str(n)], work)
    return []


def bench_cleared_stock(n: int, work: Path, countries: int, repeat: int = 3) -> list[tuple[str, float, float, str]]:
    """The unedited export and the same with one stock column emptied, imported alternately
    `repeat` times each (the fastest run of each is kept: the machine may be shared)."""
    exe = [sys.executable, "-m", "sheetsync.cli", "--store", "shop.db"]
    rates = prepare(n, work, countries)
    run_child([*exe, "export", "export.xlsx", *rates], work)
    run_child([sys.executable, "-c", CLEAR_COLUMN, "export.xlsx", "cleared.xlsx"], work)
    best: dict[str, tuple[float, float, str]] = {}
    for _ in range(repeat):
        for name, path, ok in (("import, unedited", "export.xlsx", (0,)),
                               ("import, one stock column cleared", "cleared.xlsx", (1,))):
            t, rss, out = run_child([*exe, "import", path, "--json", *rates], work, ok)
            if name not in best or t < best[name][0]:
                answer = json.loads(out)
                more = sum(answer["more_errors"].values()) if answer.get("more_errors") else 0
                note = f"{len(answer['errors']):,} errors listed" if answer["errors"] else ""
                note += f", {more:,} more counted" if more else ""
                best[name] = (t, rss, note)
    rows = [(name, t, rss, note) for name, (t, rss, note) in best.items()]
    ratio = best["import, one stock column cleared"][0] / best["import, unedited"][0]
    rows.append(("  cleared / unedited", ratio, 0.0, "at most 2× wanted"))
    return rows


def bench(n: int, work: Path, with_openpyxl: bool, countries: int) -> list[tuple[str, float, float, str]]:
    exe = [sys.executable, "-m", "sheetsync.cli", "--store", "shop.db"]
    py = [sys.executable, "-c"]
    rows: list[tuple[str, float, float, str]] = []
    rates = prepare(n, work, countries)
    t, rss, _ = run_child([*exe, "export", "export.xlsx", *rates], work)
    rows.append(("export", t, rss, ""))
    _, rss_w, out = run_child([*py, WRITE_FLOOR, "export.xlsx", "floor.xlsx"], work)
    write_floor = float(out)
    rows.append(("  floor: xlsxwriter writes the same cells", write_floor, rss_w, "in-process write time"))
    _, rss_r, out = run_child([*py, READ_FLOOR, "export.xlsx"], work)
    read_floor, cells = float(out.split()[0]), int(out.split()[1])
    rows.append(("  floor: python-calamine reads every cell", read_floor, rss_r, f"{cells:,} cells"))
    t, rss, _ = run_child([*exe, "import", "export.xlsx", "--json", *rates], work)
    rows.append(("import, unedited", t, rss, ""))
    run_child([*py, EDIT, "export.xlsx", "edited.xlsx"], work)
    t, rss, out = run_child([*exe, "import", "edited.xlsx", "--dry-run", "--json", *rates], work)
    planned = json.loads(out)
    rows.append(("import, 10% rows edited (dry run)", t, rss, f"{planned['changes']:,} changes planned"))
    t_rep, rss_rep, _ = run_child([*exe, "import", "edited.xlsx", "--dry-run", "--json", "--report", "report.xlsx",
                                   *rates], work)
    rows.append(("import, 10% edited, with --report", t_rep, rss_rep, ""))
    t, rss, out = run_child([*exe, "import", "edited.xlsx", "--json", *rates], work)
    rows.append(("import, 10% edited, applied", t, rss, f"{json.loads(out)['applied']:,} applied"))
    _, _, out = run_child([*py, WRITE_FLOOR, "report.xlsx", "report-floor.xlsx"], work)
    rows.append(("  floor: xlsxwriter writes the report's cells", float(out), 0.0, "in-process write time"))
    if with_openpyxl:
        _, rss_p, out = run_child([*py, PANDAS_OPENPYXL, "export.xlsx"], work)
        rows.append(("  pandas + openpyxl read_excel", float(out.split()[0]), rss_p, "in-process read time"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the slow pandas+openpyxl comparison")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--countries", type=int, default=BUNDLED_COUNTRIES,
                        help="countries the store sells in (up to 60; beyond the bundled 33, codes and rate-card "
                             "rows are added)")
    parser.add_argument("--case", choices=["all", "cleared-stock"], default="all",
                        help="all: every figure below; cleared-stock: only the import of an export with one stock "
                             "column emptied against the unedited one")
    options = parser.parse_args()
    if not BUNDLED_COUNTRIES <= options.countries <= 60:
        parser.error(f"--countries must be between {BUNDLED_COUNTRIES} (the bundled list) and 60")
    if options.case == "cleared-stock":
        for n in options.sizes:
            work = Path(tempfile.mkdtemp(prefix=f"sheetsync-bench-{n}-"))
            try:
                rows = bench_cleared_stock(n, work, options.countries)
            finally:
                if not options.keep:
                    shutil.rmtree(work, ignore_errors=True)
            print(f"\n{n:,} SKUs × {options.countries} countries ({os.cpu_count()} cores)")
            print(f"{'operation':<46}{'seconds':>9}{'peak RSS MB':>13}  note")
            for name, t, rss, note in rows:
                figure = f"{t:>8.2f}×" if name.strip().startswith("cleared") else f"{t:>9.2f}"
                print(f"{name:<46}{figure}{rss:>13.0f}  {note}")
        return
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for n in options.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"sheetsync-bench-{n}-"))
        try:
            rows = bench(n, work, not options.no_openpyxl, options.countries)
        finally:
            if not options.keep:
                shutil.rmtree(work, ignore_errors=True)
        results[n] = {name: (t, rss) for name, t, rss, _ in rows}
        floor_r = results[n]["  floor: python-calamine reads every cell"][0]
        floor_w = results[n]["  floor: xlsxwriter writes the same cells"][0]
        print(f"\n{n:,} SKUs × {options.countries} countries ({os.cpu_count()} cores)")
        print(f"{'operation':<46}{'seconds':>9}{'peak RSS MB':>13}  {'ratio':>7}  note")
        for name, t, rss, note in rows:
            ratio = ""
            if name.startswith("import"):
                ratio = f"{t / floor_r:.1f}× read"
            elif name == "export":
                ratio = f"{t / floor_w:.1f}× write"
            elif "pandas" in name:
                ratio = f"{t / results[n]['import, unedited'][0]:.1f}× ours"
            print(f"{name:<46}{t:>9.2f}{rss:>13.0f}  {ratio:>9}  {note}")
        timings = results[n]
        report_time = timings["import, 10% edited, with --report"][0] - timings["import, 10% rows edited (dry run)"][0]
        floor_report = results[n]["  floor: xlsxwriter writes the report's cells"][0]
        print(f"{'report writing (difference of the two runs)':<46}{report_time:>9.2f}{'':>13}  "
              f"{report_time / floor_report:>7.1f}× its write floor")
    if len(results) > 1:
        small, large = min(results), max(results)
        for name in ("export", "import, unedited"):
            cost = results[large][name][0] / results[small][name][0]
            print(f"{name}: {large // small}× the SKUs cost {cost:.1f}× the time")


if __name__ == "__main__":
    main()
