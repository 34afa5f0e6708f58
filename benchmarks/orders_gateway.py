"""Benchmark: JIT purchase orders against the test gateway, with no latency.

    python benchmarks/orders_gateway.py                     # 5,000 orders of 4 items, deliveries of 20 orders
    python benchmarks/orders_gateway.py --orders 500 --group 99

The test gateway (tests/ae_server.py) runs on 127.0.0.1 and holds `--orders` JIT orders waiting
for confirmation, each of `--items` items. Timed, through `AliExpressOrders` over real HTTP with
every signature checked: reading them all (pageQuery pages of 50, then item.query per order),
confirming each, creating the self-deliveries (`--group` orders share a tracking number: one
selfdelivery call per group), reading them all again with their deliveries, and the re-read an
import makes before acting (orders and deliveries, no items). The client's rate
limit is lifted, so the figures are sheetsync's own cost and the gateway's; against the platform
the rate limit sets the pace (calls ÷ limit seconds). Run from the repository's root (it imports
tests.ae_server).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sheetsync.targets.aliexpress import Client, Credentials  # noqa: E402
from sheetsync.targets.aliexpress.orders import AliExpressOrders, DeliveryRequest  # noqa: E402
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_po, make_po_item  # noqa: E402


def timed(label: str, server: Server, work: Callable[[], Any]) -> Any:
    before = len(server.gateway.requests)
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    calls = len(server.gateway.requests) - before
    print(f"  {label:<44} {seconds:7.2f} s  {calls:6,} calls  {calls / seconds:7,.0f} calls/s")
    return result


def run(orders: int, items: int, group: int) -> None:
    with Server() as server:
        g = server.gateway
        for n in range(orders):
            no = f"PO{n:07d}"
            g.po_orders[no] = make_po(no, 10, deadline=f"2026-12-{10 + n % 20:02d} 18:00:00")
            g.po_items[no] = [make_po_item(no, str(300_000 + n * items + i), 1 + i) for i in range(items)]
        client = Client(Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url),
                        rate_limit=100_000, read_timeout=30.0)
        adapter = AliExpressOrders(client, "200042")
        print(f"{orders:,} JIT orders × {items} items, deliveries of {group} orders, "
              f"{adapter.workers} threads, no latency")
        found = timed("read (pageQuery + item.query)", server, adapter.read)
        assert len(found) == orders and sum(len(o.items) for o in found) == orders * items
        numbers = [o.order_no for o in found]
        confirmed = timed("confirm each order", server, lambda: adapter.confirm(numbers))
        assert all(r.status == "applied" for r in confirmed)

        groups = [DeliveryRequest("express", tuple(numbers[at:at + group]), "SF Express", (f"SF{at:010d}",))
                  for at in range(0, orders, group)]
        delivered = timed(f"create deliveries ({len(groups):,} selfdelivery calls)", server,
                          lambda: adapter.deliver(groups))
        assert all(r.status == "applied" for r in delivered)
        again = timed("read again (+ querysSelfdelivery)", server, adapter.read)
        assert all(o.delivery is not None for o in again) and g.bad_signatures == 0
        brief = timed("re-read before acting (items=False)", server,
                      lambda: adapter.read([o.order_no for o in found], items=False))
        assert len(brief) == orders
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--group", type=int, default=20, help="orders per self-delivery (at most 99)")
    args = parser.parse_args()
    run(args.orders, args.items, args.group)


if __name__ == "__main__":
    main()
