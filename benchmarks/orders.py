"""Benchmark: `orders export` and `orders import` of 5,000 JIT orders (20,000 items) on the local
store, each a separate process timed by wall clock, as a seller runs them.

    python benchmarks/orders.py                  # 5,000 orders of 4 items
    python benchmarks/orders.py --orders 1000

The import confirms the half waiting for confirmation and delivers every order by express, 50
orders to a tracking number (100 deliveries); then the same file again (nothing to send).
Data is generated here, never committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

import sheetsync
from sheetsync.seed import synthetic_catalog, synthetic_orders
from sheetsync.store import Store


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sheetsync.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stdout[-400:]} {done.stderr[-400:]}")
    return elapsed, done.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--items", type=int, default=4)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-orders-"))
    try:
        store = folder / "shop.db"
        sheetsync.init_store(store)
        products, skus = synthetic_catalog(2000, ["US"])
        with Store.open(store) as handle:
            handle.insert_catalog(products, skus)
            handle.insert_orders(synthetic_orders(options.orders, skus, dt.datetime.now(dt.UTC), options.items))
        seconds, line = timed("--store", str(store), "orders", "export", str(folder / "orders.xlsx"))
        print(f"orders export  {seconds:6.2f} s  {line}")
        book = openpyxl.load_workbook(folder / "orders.xlsx")
        ws = book["Orders"]
        keys = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
        numbers: dict[str, int] = {}
        for row in range(3, ws.max_row + 1):
            number = numbers.setdefault(str(ws.cell(row, keys["purchase_order_no"]).value), len(numbers))
            for key, value in (("confirm", "yes"), ("delivery_type", "express"), ("carrier", "SF"),
                               ("tracking_numbers", f"SF{number // 50:010d}")):
                ws.cell(row, keys[key]).value = value
        book.save(folder / "filled.xlsx")
        for label in ("orders import", "again (no-op)"):
            seconds, line = timed("--store", str(store), "orders", "import", str(folder / "filled.xlsx"))
            print(f"{label:<14} {seconds:6.2f} s  {line}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
