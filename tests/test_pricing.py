"""The freight and display price rule of ARCHITECTURE.md, at bracket edges, with volumetric weight,
half-up rounding, and the floats that bite (2.007 kg)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sheetsync.errors import ConfigError
from sheetsync.pricing import chargeable_grams, display_prices, freight_cents, load_rate_card, quote

HEADER = "country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\n"


def write_card(tmp_path: Path, body: str, name: str = "rates.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.fixture
def card(tmp_path: Path):
    return load_rate_card(write_card(tmp_path, "US,0.1,1.05,0,USD,6000\nUS,2,0.65,7.35,USD,6000\n"
                                                "US,500,2.10,6.95,USD,6000\nFR,1,3,0,EUR,0\n"))


def reference_freight(kg: Decimal, brackets: list[tuple[str, str, str]]) -> Decimal | None:
    """The rule written with Decimal, independently of the vectorised code."""
    grams = math.ceil(kg * 1000)
    charge = Decimal(grams) / 1000
    for max_kg, fixed, per_kg in brackets:
        if charge <= Decimal(max_kg):
            return (Decimal(fixed) + Decimal(per_kg) * charge).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return None


@pytest.mark.parametrize("grams, expected", [
    (1, "1.05"), (100, "1.05"),            # top edge of the first bracket is inside it
    (101, "1.39"),                          # 0.65 + 7.35 × 0.101 = 1.39235
    (2000, "15.35"), (2001, "16.01"),       # 2.000 in bracket 2; 2.001 → 2.10 + 6.95 × 2.001 = 16.00695
    (2007, "16.05"),                        # 2.10 + 6.95 × 2.007 = 16.04865 (float 2.007 × 1000 ≠ 2007)
    (500000, "3477.10"),
])
def test_freight_at_bracket_edges(card, grams, expected):
    assert freight_cents(np.array([grams]), card.countries["US"])[0] == int(Decimal(expected) * 100)
    brackets = [("0.1", "1.05", "0"), ("2", "0.65", "7.35"), ("500", "2.10", "6.95")]
    assert reference_freight(Decimal(grams) / 1000, brackets) == Decimal(expected)


def test_no_bracket_beyond_the_heaviest(card):
    assert freight_cents(np.array([500001]), card.countries["US"])[0] == -1


def test_half_cent_rounds_up(tmp_path):
    # 0.005 exactly at the half cent: 1.00 + 0.5 × 0.01 = 1.005 → 1.01 (Python's round() on floats says 1.0)
    card = load_rate_card(write_card(tmp_path, "US,1,1.00,0.5,USD,0\n"))
    assert freight_cents(np.array([10]), card.countries["US"])[0] == 101


def test_volumetric_weight_wins_and_rounds_up_to_the_gram():
    # 40 × 30 × 28 / 6000 = 5.6 kg > 0.45 kg; 10 × 10 × 7 / 6000 = 0.11666… kg → 117 g > 5 g
    got = chargeable_grams(np.array([450, 5]), np.array([40, 10]), np.array([30, 10]), np.array([28, 7]), 6000)
    assert got.tolist() == [5600, 117]


def test_divisor_zero_means_actual_weight_only():
    assert chargeable_grams(np.array([450]), np.array([100]), np.array([100]), np.array([100]), 0).tolist() == [450]


def test_display_prices_only_where_stock_positive(card):
    frame = pd.DataFrame({
        "seller_price": [1250, 999], "weight_kg": [2007, 100], "length_cm": [10, 10], "width_cm": [10, 10],
        "height_cm": [10, 10], "currency": ["USD", "USD"], "stock_US": [5, 0], "stock_FR": [0, 0],
    }, index=["s1", "s2"])
    result = display_prices(frame, card, ["US", "FR"])
    assert result.prices.loc["s1", "display_price_US"] == 1250 + 1605
    assert pd.isna(result.prices.loc["s2", "display_price_US"])
    assert pd.isna(result.prices.loc["s1", "display_price_FR"])
    assert result.problems == []


def test_problems_for_unpriceable_stock(card):
    frame = pd.DataFrame({
        "seller_price": [1000, 1000], "weight_kg": [600000, 100], "length_cm": [1, 1], "width_cm": [1, 1],
        "height_cm": [1, 1], "currency": ["USD", "USD"], "stock_US": [3, 0], "stock_FR": [0, 4],
        "stock_DE": [2, 0],
    }, index=["heavy", "euro"])
    result = display_prices(frame, card, ["US", "FR", "DE"])
    found = {(p.sku_id, p.country, p.rule) for p in result.problems}
    assert found == {("heavy", "US", "no_freight_bracket"), ("euro", "FR", "rate_currency_mismatch"),
                     ("heavy", "DE", "no_rate_for_country")}


def test_quote_for_one_parcel(card):
    q = quote(card, 450, (40, 30, 28), "us", 1240)
    assert (q.chargeable_grams, q.freight_cents, q.display_cents) == (5600, 4102, 1240 + 4102)  # 2.10 + 6.95 × 5.6


@pytest.mark.parametrize("body, line, words", [
    ("US,2,1,1,USD,6000\nUS,1,1,1,USD,6000\n", 3, "overlaps or is out of order"),
    ("US,2,1,1,USD,6000\nUS,2,1,1,USD,6000\n", 3, "overlaps"),
    ("US,2,1,,USD,6000\n", 2, "missing per_kg_fee"),
    ("US,1,1,1,USD,6000\nUS,2,1,1,EUR,6000\n", 3, "one currency per country"),
    ("US,abc,1,1,USD,6000\n", 2, "not a number"),
    ("US,1,1.23456,1,USD,6000\n", 2, "more than 4 decimals"),
])
def test_malformed_rate_card_names_the_line(tmp_path, body, line, words):
    path = write_card(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_rate_card(path)
    assert f"line {line}" in str(caught.value)
    assert words in str(caught.value)


def test_rate_card_header_is_checked(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("country,weight,fee\nUS,1,1\n")
    with pytest.raises(ConfigError, match="header must be"):
        load_rate_card(path)


def test_bundled_rate_card_covers_the_bundled_countries():
    from sheetsync.config import bundled_countries, reference_file

    card = load_rate_card(reference_file("freight_rates.csv"))
    assert {c.code for c in bundled_countries()} <= set(card.countries)
