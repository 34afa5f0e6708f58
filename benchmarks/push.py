"""Benchmark: a push to AliExpress at the platform's pace.

    python benchmarks/push.py                      # 300 changed products, limits 4 and 20 calls a second
    python benchmarks/push.py --products 100 --limits 10

The test gateway (tests/ae_server.py) runs on 127.0.0.1 and answers every /sync call after
`--latency` seconds (200 ms by default, a distant gateway). A store pulled from it gets one stock
change per product; the import then re-reads each product and writes it (one call each: 2 calls a
product). The figures are measured at the gateway, from the arrival time of each call: the calls a
second reached over the push, and the most calls that arrived in any one-second window, which must
never exceed the limit. Run from the repository's root (it imports tests.ae_server).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sheetsync  # noqa: E402
from sheetsync.targets.aliexpress import Client, Credentials  # noqa: E402
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_product, make_sku  # noqa: E402


def edited_export(store: Path, folder: Path, products: int) -> Path:
    """Export the store and change every product's US stock (one SKU each)."""
    exported = folder / "catalog.xlsx"
    sheetsync.export_catalog(store, exported, preview=[])
    book = openpyxl.load_workbook(exported)
    sheet = book["Products"]
    keys = {sheet.cell(2, c).value: c for c in range(1, sheet.max_column + 1)}
    for row in range(3, 3 + products):
        sheet.cell(row, keys["stock_US"]).value = 7
    path = folder / "edited.xlsx"
    book.save(path)
    return path


def most_in_one_second(times: list[float]) -> int:
    """The most arrivals in any half-open one-second window [t, t + 1)."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def push(limit: float, products: int, latency: float) -> dict[str, float]:
    with Server() as server, tempfile.TemporaryDirectory() as scratch:
        g = server.gateway
        for n in range(products):
            g.products[f"1005{n:05d}"] = make_product(f"1005{n:05d}", f"Item {n}", [
                make_sku(f"2{n:05d}", f"IT-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])
        store = Path(scratch) / "shop.db"
        sheetsync.init_store(store)

        def client(rate: float) -> Client:
            credentials = Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url)
            return Client(credentials, rate_limit=rate)

        sheetsync.pull(store, client=client(1000))
        path = edited_export(store, Path(scratch), products)
        g.latency = latency
        first = len(g.requests)
        started = time.perf_counter()
        result = sheetsync.import_workbook(store, path, client=client(limit))
        seconds = time.perf_counter() - started
        assert (result.status, result.applied) == ("applied", products), (result.status, result.errors[:3])
        arrivals = sorted(float(r["_at"]) for r in g.requests[first:] if r["_path"] == "/sync")
        span = arrivals[-1] - arrivals[0]
        return {"limit": limit, "calls": len(arrivals), "seconds": seconds,
                "rate": (len(arrivals) - 1) / span, "window": most_in_one_second(arrivals),
                "in_flight": g.most_in_flight}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--limits", type=float, nargs="+", default=[4, 20])
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    print(f"{args.products} changed products, {args.latency * 1000:g} ms a call at the gateway")
    print(f"{'limit/s':>8} {'calls':>6} {'seconds':>8} {'calls/s':>8} {'of limit':>9} {'most in 1 s':>12} "
          f"{'at once':>8}")
    for limit in args.limits:
        figures = push(limit, args.products, args.latency)
        print(f"{limit:>8g} {figures['calls']:>6} {figures['seconds']:>8.1f} {figures['rate']:>8.2f} "
              f"{figures['rate'] / limit:>9.0%} {figures['window']:>12} {figures['in_flight']:>8}", flush=True)
        if figures["window"] > limit:
            sys.exit(f"the limit was exceeded: {figures['window']} calls in one second")


if __name__ == "__main__":
    main()
