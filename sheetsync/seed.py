"""Catalog rows to start a store with: the bundled sample (and its JIT orders), or a deterministic
synthetic catalog for benchmarks. Produces canonical values (cents, grams) ready for `Store.insert_catalog`."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .amounts import parse_amount
from .config import read_csv_rows
from .fields import LOGISTICS_ATTRIBUTES
from .orders.fields import CONFIRMED, TO_CONFIRM, TO_SHIP
from .orders.model import Delivery, Item, Order

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _amount(text: str, kind: str) -> int:
    """An amount of the bundled sample, read as an import reads a cell: a bad one is a bug here."""
    parsed = parse_amount(text, kind)
    if parsed.problem is not None:
        raise ValueError(f"sample data: {text!r} is not a valid {kind} amount ({parsed.problem})")
    return parsed.value


def sample_catalog(directory: Path) -> Rows:
    products = [row for _, row in read_csv_rows(directory / "products.csv")]
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    for _, row in read_csv_rows(directory / "stock.csv"):
        stock[row["sku_id"]][row["country"]] = _amount(row["stock"], "stock")
    skus = []
    for _, row in read_csv_rows(directory / "skus.csv"):
        skus.append({
            **row,
            "seller_price": _amount(row["seller_price"], "money"),
            "weight_kg": _amount(row["weight_kg"], "weight"),
            "length_cm": _amount(row["length_cm"], "dim"),
            "width_cm": _amount(row["width_cm"], "dim"),
            "height_cm": _amount(row["height_cm"], "dim"),
            "stock": stock.get(row["sku_id"], {}),
        })
    return products, skus


def _gtin13(rng: random.Random) -> str:
    body = "0" + "".join(rng.choice("0123456789") for _ in range(11))
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def synthetic_catalog(n_skus: int, countries: Sequence[str], seed: int = 7) -> Rows:
    """`n_skus` SKUs in products of 1–4 SKUs, the same for the same arguments."""
    rng = random.Random(seed)
    products: list[dict[str, Any]] = []
    skus: list[dict[str, Any]] = []
    product_id = 1005006000000000
    sku_id = 12000040000000000
    while len(skus) < n_skus:
        product_id += rng.randint(1, 999)
        size = min(rng.randint(1, 4), n_skus - len(skus))
        products.append({"product_id": str(product_id), "title": f"Synthetic product {len(products) + 1}",
                         "currency": "USD"})
        weight = rng.randint(20, 4000)
        dims = [rng.randint(3, 60) for _ in range(3)]
        attribute = rng.choice(LOGISTICS_ATTRIBUTES)
        sold = [c for c in countries if rng.random() < 0.7]
        for variant in range(size):
            sku_id += rng.randint(1, 999)
            skus.append({
                "product_id": str(product_id), "sku_id": str(sku_id),
                "sku_code": f"SYN-{len(skus) + 1:07d}", "variant": f"Option: {variant + 1}",
                "barcode": _gtin13(rng) if rng.random() < 0.8 else "",
                "seller_price": rng.randint(99, 99999), "weight_kg": weight + variant * 5,
                "length_cm": dims[0], "width_cm": dims[1], "height_cm": dims[2],
                "logistics_attribute": attribute,
                "stock": {c: (rng.randint(0, 500) if c in sold else 0) for c in countries},
            })
    return products, skus


def sample_orders(products: Sequence[dict[str, Any]], skus: Sequence[dict[str, Any]], now: dt.datetime) -> list[Order]:
    """A handful of JIT purchase orders for the sample catalog, due relative to `now`: three to
    confirm (one of several items, one due within hours), two confirmed and waiting for a delivery,
    one already in a delivery. Enough to try every step of `sheetsync orders` offline."""
    titles = {p["product_id"]: p["title"] for p in products}

    def items(*picks: tuple[int, int]) -> tuple[Item, ...]:
        return tuple(Item(skus[i]["sku_id"], skus[i]["sku_code"], titles[skus[i]["product_id"]], skus[i]["barcode"],
                          quantity) for i, quantity in picks)

    warehouse, address = "Cainiao Dongguan JIT warehouse", "Building 3, Humen Logistics Park, Dongguan, Guangdong"
    east, east_address = "Cainiao Jiaxing JIT warehouse", "No. 88 Haining Road, Jiaxing, Zhejiang"

    def due(hours: float) -> dt.datetime:
        return (now + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)

    return [
        Order("5000100000000101", TO_CONFIRM, due(70), warehouse, address, items((0, 6))),
        Order("5000100000000102", TO_CONFIRM, due(60), warehouse, address, items((2, 2), (3, 4), (5, 1))),
        Order("5000100000000103", TO_CONFIRM, due(9), east, east_address, items((6, 10))),
        Order("5000100000000104", CONFIRMED, due(40), warehouse, address, items((1, 3))),
        Order("5000100000000105", CONFIRMED, due(50), east, east_address, items((7, 5), (8, 5))),
        Order("5000100000000106", TO_SHIP, due(30), warehouse, address, items((4, 12)),
              Delivery.of("express", "YTO", ["YT7428813650212"]), "SD26120800001", 2),
    ]


def synthetic_orders(count: int, skus: Sequence[dict[str, Any]], now: dt.datetime, items: int = 4,
                     seed: int = 7) -> list[Order]:
    """`count` JIT orders of `items` items each over `skus`, half to confirm and half confirmed,
    due within a week of `now`: the same for the same arguments (benchmarks)."""
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        picks = rng.sample(range(len(skus)), min(items, len(skus)))
        orders.append(Order(f"6{n:015d}", TO_CONFIRM if n % 2 == 0 else CONFIRMED,
                            (now + dt.timedelta(hours=rng.randint(2, 168))).replace(second=0, microsecond=0),
                            "Cainiao Dongguan JIT warehouse", "Humen Logistics Park, Dongguan",
                            tuple(Item(skus[i]["sku_id"], skus[i]["sku_code"], f"Synthetic product {i}",
                                       skus[i]["barcode"], rng.randint(1, 20)) for i in picks)))
    return orders
