"""The live display-price preview: formulas that reproduce the engine to the cent, proven by
letting LibreOffice recalculate thousands of SKUs on bracket edges and half-cent boundaries."""

from __future__ import annotations

import random

import openpyxl
import pandas as pd
import pytest
import python_calamine

import sheetsync
from sheetsync.config import bundled_countries
from sheetsync.pricing import display_prices, load_rate_card
from sheetsync.store import Store
from tests.libreoffice import libreoffice  # noqa: F401  (fixture)

RATES = """country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor
US,0.1,1.05,0,USD,6000
US,2,0.65,7.35,USD,6000
US,30,2.10,6.95,USD,6000
FR,0.5,1.00,0.5,USD,5000
FR,5,1.2,1.15,USD,5000
FR,20,3.3335,0.0005,USD,5000
ES,1,0.99,0.25,USD,0
ES,10,2.5,0.45,USD,0
"""
EDGES = [100, 500, 1000, 2000, 5000, 10000, 20000, 30000]


def edge_catalog(n: int, seed: int = 11):
    """SKUs whose weights and volumes sit on and around every bracket edge, with prices and fees
    that land on half cents."""
    rng = random.Random(seed)
    weights = sorted({g + d for g in EDGES for d in (-1, 0, 1)} | {347, 1005, 2007, 2675, 10, 1})
    volumes = [(20, 20, 30), (10, 10, 7), (50, 40, 30), (25, 20, 10), (1, 1, 1), (60, 50, 50), (40, 30, 28)]
    products, skus = [], []
    for i in range(n):
        pid, sid = str(1005007000000000 + i), str(12000050000000000 + i)
        products.append({"product_id": pid, "title": f"Edge {i}", "currency": "USD"})
        weight = weights[i % len(weights)] if i < 4 * len(weights) else rng.randint(1, 32000)
        dims = volumes[i % len(volumes)] if i % 3 else (rng.randint(1, 70), rng.randint(1, 70), rng.randint(1, 70))
        price = rng.choice([1, 5, 105, 1005, 2675, 9999, 99999, 1234567]) if i % 2 else rng.randint(1, 999999)
        stock = {c: 0 for c in ("US", "FR", "ES")}
        for c in stock:
            stock[c] = 0 if rng.random() < 0.15 else rng.randint(1, 50)
        skus.append({"product_id": pid, "sku_id": sid, "sku_code": f"E{i}", "variant": "", "barcode": "",
                     "seller_price": price, "weight_kg": weight, "length_cm": dims[0], "width_cm": dims[1],
                     "height_cm": dims[2], "logistics_attribute": "general", "stock": stock})
    return products, skus


def test_formulas_have_cached_engine_values(store, tmp_path):
    sheetsync.export_catalog(store, tmp_path / "p.xlsx", preview=["DE", "US"])
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx", data_only=True)
    ws = wb["Products"]
    keys = [c.value for c in ws[2]]
    # right after the size columns, in the order of the stock columns (US before DE), not as asked
    assert keys.index("display_price_US") == keys.index("height_cm") + 1
    assert [k for k in keys if k.startswith("display_price_")] == ["display_price_US", "display_price_DE"]
    assert keys.index("stock_US") < keys.index("stock_DE")
    column = keys.index("display_price_US") + 1
    assert wb["_rates"].sheet_state == "hidden"
    with Store.open(store) as handle:
        frame = handle.catalog_frame()
    card = load_rate_card(sheetsync.config.reference_file("freight_rates.csv"))
    engine = display_prices(frame, card, ["US"]).prices["display_price_US"]
    cached = [ws.cell(r, column).value for r in range(3, ws.max_row + 1)]
    assert [None if pd.isna(v) else round(v / 100, 2) for v in engine] == [v if v != "" else None for v in cached]
    formulas = openpyxl.load_workbook(tmp_path / "p.xlsx")["Products"]
    cell = formulas.cell(3, column)
    assert cell.value.startswith("=IF(N(") and cell.protection.locked


def test_default_preview_is_the_biggest_markets(store, tmp_path):
    summary = sheetsync.export_catalog(store, tmp_path / "p.xlsx")
    assert len(summary.preview) == 3
    assert sheetsync.export_catalog(store, tmp_path / "n.xlsx", preview=[]).preview == []


@pytest.mark.libreoffice
def test_libreoffice_recalculates_every_preview_cell_like_the_engine(tmp_path, libreoffice):  # noqa: F811
    store = tmp_path / "edges.db"
    sheetsync.init_store(store)
    with Store.open(store) as handle:
        handle.insert_catalog(*edge_catalog(2400))
        frame = handle.catalog_frame()
    assert {c.code for c in bundled_countries()} >= {"US", "FR", "ES"}
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    sheetsync.export_catalog(store, tmp_path / "edges.xlsx", preview=["US", "FR", "ES"], rates=rates)

    # Drop every cached formula result (openpyxl keeps none), so each value read back was computed
    # by LibreOffice itself while loading (the test profile recalculates on load).
    wb = openpyxl.load_workbook(tmp_path / "edges.xlsx")
    wb.save(tmp_path / "uncached.xlsx")
    recalculated = libreoffice.resave(tmp_path / "uncached.xlsx", tmp_path / "lo")

    sheet = python_calamine.CalamineWorkbook.from_path(str(recalculated)).get_sheet_by_name("Products")
    rows = sheet.to_python(skip_empty_area=False)
    keys = rows[1]
    engine = display_prices(frame, load_rate_card(rates), ["US", "FR", "ES"]).prices
    mismatches, compared = [], 0
    for country in ("US", "FR", "ES"):
        col = keys.index(f"display_price_{country}")
        stock = frame[f"stock_{country}"].tolist()
        for i, row in enumerate(rows[2:]):
            got = row[col]
            want = engine.iloc[i][f"display_price_{country}"]
            if stock[i] == 0:
                expected = ""
            elif pd.isna(want):
                expected = "n/a"
            else:
                expected = int(want)
            value = round(got * 100) if isinstance(got, float) else got
            compared += 1
            if value != expected:
                mismatches.append((frame.index[i], country, got, expected))
    assert compared == 2400 * 3
    assert mismatches == []
    preview = [keys.index(f"display_price_{c}") for c in ("US", "FR", "ES")]
    assert sum(1 for r in rows[2:] for c in preview if r[c] == "n/a") > 0  # some beyond the heaviest bracket


def test_why_the_formula_rounds_before_rounding_up():
    """IEEE doubles put 2.007 × 1000 just above 2007: a bare ROUNDUP would charge 2,008 g. The
    formula's ROUND(…, 6) guard gives the engine's integer grams for every weight to 5 kg."""
    import math

    assert math.ceil(2.007 * 1000) == 2008
    assert all(math.ceil(round((g / 1000) * 1000, 6)) == g for g in range(1, 5001))
