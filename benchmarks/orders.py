"""Benchmark: `orders export` and `orders import` of 5,000 JIT orders (20,000 items), on the local
store or against the test gateway.

    python benchmarks/orders.py                       # local store: 5,000 orders of 4 items
    python benchmarks/orders.py --target aliexpress   # the same orders served by the test gateway
    python benchmarks/orders.py --orders 1000

The import confirms the half waiting for confirmation and delivers every order by express, 50
orders to a tracking number (100 deliveries); then the same file again (nothing to send).

`--target local`: each command a separate process timed by wall clock, as a seller runs them.
`--target aliexpress`: the test gateway (tests/ae_server.py, every signature checked, no latency)
runs in a process of its own, as the platform is another machine, and holds the same orders;
export and import go through the library API (`sheetsync.export_orders`, `import_orders`) in this
process with a client whose rate limit is lifted, so the figures are sheetsync's own cost and the
gateway's (against the platform the rate limit sets the pace: calls ÷ limit seconds). The calls
each step made are counted by the client. Run from the repository's root (it imports
tests.ae_server). Data is generated here, never committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sheetsync  # noqa: E402
from sheetsync.orders.model import Order  # noqa: E402
from sheetsync.seed import synthetic_catalog, synthetic_orders  # noqa: E402
from sheetsync.store import Store  # noqa: E402

CATALOG_SKUS = 2000
CHINA = dt.timezone(dt.timedelta(hours=8))


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sheetsync.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stdout[-400:]} {done.stderr[-400:]}")
    return elapsed, " |".join(done.stdout.splitlines()[:2])  # the headline, and an import's counts


def fill(exported: Path, filled: Path) -> None:
    """Every order confirmed and delivered by express, 50 orders to a tracking number."""
    book = openpyxl.load_workbook(exported)
    ws = book["Orders"]
    keys = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
    numbers: dict[str, int] = {}
    for row in range(3, ws.max_row + 1):
        number = numbers.setdefault(str(ws.cell(row, keys["purchase_order_no"]).value), len(numbers))
        for key, value in (("confirm", "yes"), ("delivery_type", "express"), ("carrier", "SF"),
                           ("tracking_numbers", f"SF{number // 50:010d}")):
            ws.cell(row, keys[key]).value = value
    book.save(filled)


def the_orders(count: int, items: int, now: dt.datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                                     list[Order]]:
    products, skus = synthetic_catalog(CATALOG_SKUS, ["US"])
    return products, skus, synthetic_orders(count, skus, now, items)


def local(options: argparse.Namespace, folder: Path) -> None:
    store = folder / "shop.db"
    sheetsync.init_store(store)
    products, skus, orders = the_orders(options.orders, options.items, dt.datetime.now(dt.UTC))
    with Store.open(store) as handle:
        handle.insert_catalog(products, skus)
        handle.insert_orders(orders)
    seconds, line = timed("--store", str(store), "orders", "export", str(folder / "orders.xlsx"))
    print(f"orders export  {seconds:6.2f} s  {line}")
    fill(folder / "orders.xlsx", folder / "filled.xlsx")
    for label in ("orders import", "again (no-op)"):
        seconds, line = timed("--store", str(store), "orders", "import", str(folder / "filled.xlsx"))
        print(f"{label:<14} {seconds:6.2f} s  {line}")


def serve(options: argparse.Namespace) -> None:
    """The test gateway holding the benchmark's orders, until standard input closes."""
    from tests.ae_server import Server, make_po, make_po_item

    _, _, orders = the_orders(options.orders, options.items, dt.datetime.fromisoformat(options.now))
    with Server() as server:
        g = server.gateway
        for order in orders:
            no = order.purchase_order_no
            g.po_orders[no] = make_po(no, order.status,
                                      deadline=order.deadline.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                                      warehouse=("DGJIT01", order.warehouse, order.warehouse_address))
            g.po_items[no] = [make_po_item(no, item.sku_id, item.quantity, item.title, item.barcode)
                              for item in order.items]
        print(server.url, flush=True)
        sys.stdin.read()


def platform(options: argparse.Namespace, folder: Path) -> None:
    from sheetsync.targets.aliexpress import Client, Credentials, auth
    from tests.ae_server import APP_KEY, APP_SECRET

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store = folder / "shop.db"
    sheetsync.init_store(store)
    products, skus, _ = the_orders(options.orders, options.items, now)
    with Store.open(store) as handle:
        handle.insert_catalog(products, skus)  # the SKU codes the orders' items are filled in from
        handle.set_meta(auth.SELLER_ID_KEY, "200042")
    gateway = subprocess.Popen([sys.executable, __file__, "--serve", "--orders", str(options.orders), "--items",
                                str(options.items), "--now", now.isoformat()], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert gateway.stdout is not None
        url = gateway.stdout.readline().strip()
        client = Client(Credentials(APP_KEY, APP_SECRET, "token-1", "refresh-1", url), rate_limit=100_000,
                        read_timeout=60.0)
        print(f"{options.orders:,} JIT orders × {options.items} items on the test gateway ({url}, its own "
              f"process, no latency), through the library API")

        def step(label: str, work: Callable[[], Any], line: Callable[[Any], str]) -> None:
            before = client.calls
            started = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - started
            calls = client.calls - before
            print(f"{label:<14} {seconds:6.2f} s  {calls:6,} calls  {line(result)}")

        step("orders export", lambda: sheetsync.export_orders(store, folder / "orders.xlsx", target="aliexpress",
                                                              client=client),
             lambda done: f"{done.orders:,} orders, {done.rows:,} rows")
        fill(folder / "orders.xlsx", folder / "filled.xlsx")

        def imported(result: Any) -> str:
            if result.exit_code != 0:
                raise SystemExit(f"import ended {result.status}: {[e.message for e in result.errors][:3]}")
            return (f"{result.status}: {sum(a.kind == 'confirm' for a in result.actions):,} confirmations, "
                    f"{sum(a.kind == 'selfdelivery' for a in result.actions):,} deliveries, "
                    f"{result.already_applied:,} already applied")

        for label in ("orders import", "again (no-op)"):
            step(label, lambda: sheetsync.import_orders(store, folder / "filled.xlsx", target="aliexpress",
                                                        client=client), imported)
        client.close()
    finally:
        if gateway.stdin is not None:
            gateway.stdin.close()
        gateway.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--target", choices=("local", "aliexpress"), default="local")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the gateway's process
    parser.add_argument("--now", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options)
        return
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-orders-"))
    try:
        (platform if options.target == "aliexpress" else local)(options, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
