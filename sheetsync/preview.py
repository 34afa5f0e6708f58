"""Spreadsheet formulas for the live display-price preview, reproducing `pricing` exactly.

The rate card goes to a hidden sheet, one block of rows per country: lower bound of the bracket
in grams (the previous bracket's max + 1), max grams, fixed fee and per-kg fee in 1e-4 units, so
the formula only ever does integer arithmetic that binary floating point does exactly:

    g      = MAX(ROUNDUP(ROUND(weight×1000, 6), 0), ROUNDUP(ROUND(L×W×H×1000/divisor, 6), 0))
    cents  = INT((LOOKUP(g, lower, fixed)×1000 + LOOKUP(g, lower, per_kg)×g + 50000) / 100000)
    price  = (ROUND(seller_price×100, 0) + cents) / 100

ROUND(…, 6) before ROUNDUP absorbs the float error of 2.007×1000 = 2006.9999999999998 (and of
0.347×1000 = 347.00000000000006) without hiding a real fraction: the volumetric fraction is at
least 1/divisor, far above 1e-6 for any divisor in use. The integer sums stay below 2**53, and an
integer quotient of exactly representable integers is exact, so INT never misjudges a half cent.
Only functions that Excel, LibreOffice and WPS share: IF, N, MAX, ROUND, ROUNDUP, INT, LOOKUP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .pricing import RateCard

SHEET_RATES = "_rates"
RATE_HEADER = ("country", "lower_g", "max_g", "fixed_e4", "per_kg_e4", "divisor")


@dataclass(frozen=True)
class RateBlock:
    country: str
    first_row: int  # 1-based rows of this country's block on the rates sheet
    last_row: int
    max_grams: int
    divisor: int


def rate_rows(card: RateCard, countries: Sequence[str]) -> tuple[list[tuple], dict[str, RateBlock]]:
    """Rows for the hidden rates sheet (after a header row) and where each country's block is."""
    rows: list[tuple] = []
    blocks: dict[str, RateBlock] = {}
    for country in countries:
        rates = card.countries.get(country)
        if rates is None:
            continue
        first = len(rows) + 2
        lower = 0
        for max_g, fixed, per_kg in zip(rates.max_grams.tolist(), rates.fixed_e4.tolist(), rates.per_kg_e4.tolist(),
                                        strict=True):
            rows.append((country, lower, max_g, fixed, per_kg, rates.divisor))
            lower = max_g + 1
        blocks[country] = RateBlock(country, first, len(rows) + 1, int(rates.max_grams[-1]), rates.divisor)
    return rows, blocks


def display_price_formula(block: RateBlock, row: int | str, cells: dict[str, str], not_priced: str = "n/a") -> str:
    """The formula for one preview cell on worksheet row `row` (1-based; a placeholder string
    gives a template for many rows). `cells` maps field keys
    to column letters: seller_price, weight_kg, length_cm, width_cm, height_cm, stock_<CC>."""
    def at(key: str) -> str:
        return f"{cells[key]}{row}"

    grams = f"ROUNDUP(ROUND({at('weight_kg')}*1000,6),0)"
    if block.divisor:
        volume = f"{at('length_cm')}*{at('width_cm')}*{at('height_cm')}"
        grams = f"MAX({grams},ROUNDUP(ROUND({volume}*1000/{block.divisor},6),0))"
    lower = f"{SHEET_RATES}!$B${block.first_row}:$B${block.last_row}"
    fixed = f"{SHEET_RATES}!$D${block.first_row}:$D${block.last_row}"
    per_kg = f"{SHEET_RATES}!$E${block.first_row}:$E${block.last_row}"
    cents = f"INT((LOOKUP({grams},{lower},{fixed})*1000+LOOKUP({grams},{lower},{per_kg})*{grams}+50000)/100000)"
    price = f"(ROUND({at('seller_price')}*100,0)+{cents})/100"
    stock = at(f"stock_{block.country}")
    return f'=IF(N({stock})>0,IF({grams}<={block.max_grams},{price},"{not_priced}"),"")'
