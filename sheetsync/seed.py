"""Catalog rows to start a store with: the bundled sample, or a deterministic synthetic catalog
for benchmarks. Produces canonical values (cents, grams) ready for `Store.insert_catalog`."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .amounts import parse_amount
from .config import read_csv_rows
from .fields import LOGISTICS_ATTRIBUTES

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
