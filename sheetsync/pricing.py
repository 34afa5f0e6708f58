"""Freight and display price, exact to the cent.

Everything is integer arithmetic: weights in grams, fees in ten-thousandths of the currency unit,
freight before rounding in units of 1e-7. Binary floats never touch money, so the result is the
same as Decimal arithmetic with half-up rounding, at numpy speed for whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from .config import bundled_countries, csv_header, read_csv_rows
from .errors import ConfigError
from .outputs import is_special

RATE_COLUMNS = ["country", "max_weight_kg", "fixed_fee", "per_kg_fee", "currency", "volumetric_divisor"]
FEE_SCALE = 10_000  # fees are kept in 1e-4 units
_ROUNDING_UNIT = 100_000  # 1e-7 units per cent


@dataclass(frozen=True)
class CountryRates:
    country: str
    currency: str
    divisor: int
    max_grams: np.ndarray  # ascending
    fixed_e4: np.ndarray
    per_kg_e4: np.ndarray


@dataclass(frozen=True)
class RateCard:
    path: str
    countries: dict[str, CountryRates]


@dataclass(frozen=True)
class PricingProblem:
    """A SKU that cannot be priced for a country where it has stock; `params` always hold the
    country and the stock."""

    sku_id: str
    country: str
    rule: str
    params: dict


# Upper bounds of a rate card's numbers: far beyond any real tariff, and small enough that the
# integer arithmetic of pricing (grams, 1e-4 fee units, int64) can never overflow.
RATE_LIMITS = {"max_weight_kg": Decimal(10_000), "fixed_fee": Decimal(1_000_000), "per_kg_fee": Decimal(1_000_000),
               "volumetric_divisor": Decimal(10_000_000)}


def _decimal(text: str, what: str, places: int, path: str, line: int, allow_zero: bool = True) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError("rates_line", path=path, line=line, detail_key="rates_not_number", column=what,
                          value=repr(text)) from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError("rates_line", path=path, line=line, detail_key="rates_not_positive", column=what)
    if value > RATE_LIMITS[what]:
        raise ConfigError("rates_line", path=path, line=line, detail_key="rates_too_large", column=what,
                          value=text, limit=str(RATE_LIMITS[what]))
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ConfigError("rates_line", path=path, line=line, detail_key="rates_decimals", column=what,
                          places=places)
    return value


def load_rate_card(path: str | Path) -> RateCard:
    """Read and check a rate card; every problem names the file's line."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise ConfigError("rates_missing", path=name)
    if is_special(path):
        raise ConfigError("input_not_file", path=name)
    try:
        header = csv_header(path)
        rows = read_csv_rows(path)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError("rates_line", path=name, line=1, detail_key="rates_not_utf8", error=str(exc)) from exc
    if header != RATE_COLUMNS:
        raise ConfigError("rates_header", path=name, expected=",".join(RATE_COLUMNS))
    brackets: dict[str, list[tuple[int, int, int, int]]] = {}
    currency: dict[str, tuple[str, int]] = {}
    divisor: dict[str, int] = {}
    for line, row in rows:
        missing = [c for c in RATE_COLUMNS if not row.get(c)]
        if missing:
            raise ConfigError("rates_line", path=name, line=line, detail_key="rates_missing_columns",
                              columns=", ".join(missing))
        country = row["country"].upper()
        max_weight = _decimal(row["max_weight_kg"], "max_weight_kg", 3, name, line, allow_zero=False)
        fixed = _decimal(row["fixed_fee"], "fixed_fee", 4, name, line)
        per_kg = _decimal(row["per_kg_fee"], "per_kg_fee", 4, name, line)
        div = _decimal(row["volumetric_divisor"], "volumetric_divisor", 0, name, line)
        code = row["currency"].upper()
        if len(code) != 3 or not code.isalpha():
            raise ConfigError("rates_line", path=name, line=line, detail_key="rates_currency",
                              value=repr(code))
        if country in currency and currency[country][0] != code:
            raise ConfigError("rates_line", path=name, line=line,
                              detail_key="rates_two_currencies", country=country, first=currency[country][0],
                              first_line=currency[country][1], value=code)
        currency.setdefault(country, (code, line))
        if country in divisor and divisor[country] != int(div):
            raise ConfigError("rates_line", path=name, line=line,
                              detail_key="rates_two_divisors", country=country)
        divisor[country] = int(div)
        grams = int(max_weight * 1000)
        previous = brackets.setdefault(country, [])
        if previous and grams <= previous[-1][0]:
            raise ConfigError("rates_line", path=name, line=line,
                              detail_key="rates_bracket_order", weight=str(max_weight), country=country)
        previous.append((grams, int(fixed * FEE_SCALE), int(per_kg * FEE_SCALE), line))
    if not brackets:
        raise ConfigError("rates_line", path=name, line=1, detail_key="rates_empty")
    return RateCard(name, {
        country: CountryRates(
            country, currency[country][0], divisor[country],
            np.array([b[0] for b in rows_], dtype=np.int64),
            np.array([b[1] for b in rows_], dtype=np.int64),
            np.array([b[2] for b in rows_], dtype=np.int64))
        for country, rows_ in brackets.items()
    })


def chargeable_grams(weight_g: np.ndarray, length: np.ndarray, width: np.ndarray, height: np.ndarray,
                     divisor: int) -> np.ndarray:
    """max(weight, L×W×H / divisor) in grams, the volumetric part rounded up to the gram."""
    weight_g = np.asarray(weight_g, dtype=np.int64)
    if divisor <= 0:
        return weight_g
    volume = np.asarray(length, dtype=np.int64) * np.asarray(width, dtype=np.int64) * np.asarray(height, dtype=np.int64)
    volumetric = -((-volume * 1000) // divisor)  # ceiling division on integers
    return np.maximum(weight_g, volumetric)


def freight_cents(grams: np.ndarray, rates: CountryRates) -> np.ndarray:
    """Freight per SKU in cents; -1 where no bracket is heavy enough."""
    grams = np.asarray(grams, dtype=np.int64)
    index = np.searchsorted(rates.max_grams, grams, side="left")
    fits = index < len(rates.max_grams)
    safe = np.where(fits, index, 0)
    raw = rates.fixed_e4[safe] * 1000 + rates.per_kg_e4[safe] * grams  # 1e-7 units
    cents = (raw + _ROUNDING_UNIT // 2) // _ROUNDING_UNIT
    return np.where(fits, cents, -1)


@dataclass
class Pricing:
    """Display prices in cents (sku × country, <NA> where not sold or not priceable) and the
    chargeable weight per SKU for the report."""

    prices: pd.DataFrame
    chargeable_grams: pd.Series
    problems: list[PricingProblem]


def display_prices(frame: pd.DataFrame, card: RateCard, countries: list[str]) -> Pricing:
    """Display price = seller price + freight for every SKU and every country where its stock > 0.

    `frame` is the validated frame: canonical ints in seller_price (cents), weight_kg (grams),
    *_cm and stock_<CC>, indexed by sku_id.
    """
    index = frame.index
    columns: dict[str, pd.api.extensions.ExtensionArray] = {}
    problems: list[PricingProblem] = []
    weight = frame["weight_kg"].to_numpy(dtype=np.int64)
    dims = [frame[c].to_numpy(dtype=np.int64) for c in ("length_cm", "width_cm", "height_cm")]
    seller = frame["seller_price"].to_numpy(dtype=np.int64)
    currencies = frame["currency"].to_numpy()
    charge_by_divisor: dict[int, np.ndarray] = {}
    other_currency: dict[str, np.ndarray] = {}  # comparing 100k strings per country added up
    first_divisor = None
    for country in countries:
        column = f"stock_{country}"
        stock = frame[column].to_numpy(dtype=np.int64) if column in frame else np.zeros(len(frame), dtype=np.int64)
        selling = stock > 0
        rates = card.countries.get(country)
        out = np.full(len(frame), -1, dtype=np.int64)
        if rates is None:
            for i in np.flatnonzero(selling):
                problems.append(PricingProblem(index[i], country, "no_rate_for_country",
                                               {"country": country, "stock": int(stock[i])}))
        else:
            if first_divisor is None:
                first_divisor = rates.divisor
            if rates.divisor not in charge_by_divisor:
                charge_by_divisor[rates.divisor] = chargeable_grams(weight, *dims, rates.divisor)
            grams = charge_by_divisor[rates.divisor]
            freight = freight_cents(grams, rates)
            if rates.currency not in other_currency:
                other_currency[rates.currency] = currencies != rates.currency
            wrong_currency = selling & other_currency[rates.currency]
            no_bracket = selling & (freight < 0) & ~wrong_currency
            priced = selling & (freight >= 0) & ~wrong_currency
            out[priced] = seller[priced] + freight[priced]
            for i in np.flatnonzero(no_bracket):
                problems.append(PricingProblem(index[i], country, "no_freight_bracket",
                                               {"country": country, "stock": int(stock[i]),
                                                "weight": f"{Decimal(int(grams[i])) / 1000:.3f}"}))
            for i in np.flatnonzero(wrong_currency):
                problems.append(PricingProblem(index[i], country, "rate_currency_mismatch",
                                               {"country": country, "rate_currency": rates.currency,
                                                "currency": currencies[i], "stock": int(stock[i])}))
        columns[f"display_price_{country}"] = pd.arrays.IntegerArray(out, mask=out < 0)
    charge = weight if first_divisor is None else charge_by_divisor[first_divisor]
    return Pricing(pd.DataFrame(columns, index=index), pd.Series(charge, index=index, name="chargeable_weight_kg"),
                   problems)


def freight_check(frame: pd.DataFrame, card: RateCard, countries: list[str],
                  platform: list[tuple[str, str, int | None, int | None]]) -> pd.DataFrame:
    """Where the rate card's freight differs from what the platform charges (its freight_fee_list
    after a pull): sku_id, country, chargeable weight, bracket, both freights and the difference,
    in cents. Only SKUs and countries that both sides price."""
    pricing = display_prices(frame, card, countries)
    seller = frame["seller_price"].to_numpy(dtype=np.int64)
    grams = pricing.chargeable_grams
    rows = []
    position = {sku: i for i, sku in enumerate(frame.index)}
    for sku, country, platform_freight, _ in platform:
        i = position.get(sku)
        column = f"display_price_{country}"
        if i is None or platform_freight is None or column not in pricing.prices:
            continue
        ours = pricing.prices[column].iloc[i]
        if pd.isna(ours):
            continue
        estimate = int(ours) - int(seller[i])
        if estimate != platform_freight:
            rates = card.countries[country]
            bracket = int(np.searchsorted(rates.max_grams, int(grams.iloc[i]), side="left"))
            rows.append((sku, country, int(grams.iloc[i]), int(rates.max_grams[bracket]), estimate,
                         int(platform_freight), estimate - int(platform_freight)))
    return pd.DataFrame(rows, columns=["sku_id", "country", "chargeable_g", "bracket_max_g", "rate_card_freight",
                                       "platform_freight", "difference"])


@dataclass(frozen=True)
class Quote:
    country: str
    chargeable_grams: int
    freight_cents: int | None
    display_cents: int | None
    currency: str


# ISO codes a seller types for countries the platform writes otherwise (AliExpress: UK, not GB),
# in both directions so that a rate card written with either code is found.
COUNTRY_ALIASES = {"GB": "UK", "UK": "GB"}


def find_country(rates: RateCard, text: str) -> str | None:
    """The rate card's code for what a seller typed: the code itself in any case, its other
    spelling (GB for UK), or the country's English or Chinese name (United Kingdom, 英国)."""
    typed = text.strip()
    code = typed.upper()
    if code in rates.countries:
        return code
    if COUNTRY_ALIASES.get(code) in rates.countries:
        return COUNTRY_ALIASES[code]
    for country in bundled_countries():
        if typed.casefold() in (country.name_en.casefold(), country.name_zh):
            return find_country(rates, country.code) if country.code != code else None
    return None


def heaviest_grams(rates: RateCard, country: str) -> int:
    """The rate card's last bracket for a country: a parcel heavier than this cannot be priced."""
    return int(rates.countries[country].max_grams[-1])


def quote(rates: RateCard, weight_g: int, dims: tuple[int, int, int] | None, country: str,
          seller_cents: int | None) -> Quote:
    """Freight (and display price when a seller price is given) for one parcel to one country."""
    country_rates = rates.countries.get(country.upper())
    if country_rates is None:
        raise ConfigError("no_rate_for_country", country=country.upper(), stock="-")
    length, width, height = dims or (0, 0, 0)
    grams = int(chargeable_grams(np.array([weight_g]), np.array([length]), np.array([width]),
                                 np.array([height]), country_rates.divisor if dims else 0)[0])
    freight = int(freight_cents(np.array([grams]), country_rates)[0])
    if freight < 0:
        return Quote(country_rates.country, grams, None, None, country_rates.currency)
    display = None if seller_cents is None else seller_cents + freight
    return Quote(country_rates.country, grams, freight, display, country_rates.currency)
