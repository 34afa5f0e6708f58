"""The mapping between the platform's semi-managed products and sheetsync's rows (a contract of
shared/design/ALIEXPRESS.md): canonical values both ways, stock per JIT warehouse and the joined
country list."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...amounts import DECIMALS, OUT_OF_RANGE, format_amount, from_decimal
from ...errors import TargetUnavailable

BATTERY, MAGNETIC = "274526", "274452"
QUERY = "aliexpress.pop.choice.product.query"


def platform_amount(value: Any, kind: str, where: str) -> int:
    """A platform's amount (decimal text, already checked by the answer's schema) → the canonical
    integer, through the one amount parser. More decimals than sheetsync keeps is a wrong answer:
    rounding would silently change the value on the next push. A value outside the sheet's range
    (a weight of 0, say) is kept as the platform holds it; the sheet then asks the seller to fix it."""
    number = Decimal(str(value if value not in (None, "") else 0))
    parsed = from_decimal(number, kind)
    if parsed.problem == OUT_OF_RANGE:
        return int(number.scaleb(DECIMALS[kind]))
    if parsed.problem is not None:
        raise TargetUnavailable("platform_bad_answer", code="BadAnswer", method=QUERY,
                                detail=f"{where} {value} has more than {DECIMALS[kind]} decimals")
    return int(parsed.value)


def logistics_from(types: list[Any] | None) -> str:
    codes = {str(t) for t in types or []}
    if BATTERY in codes and MAGNETIC in codes:
        return "built_in_battery+weak_magnetic"
    if BATTERY in codes:
        return "built_in_battery"
    if MAGNETIC in codes:
        return "weak_magnetic"
    return "general"


def logistics_to(attribute: str) -> list[str]:
    return {"general": [], "built_in_battery": [BATTERY], "weak_magnetic": [MAGNETIC],
            "built_in_battery+weak_magnetic": [BATTERY, MAGNETIC]}[attribute]


def variant_text(properties: list[dict[str, Any]] | None) -> str:
    parts = []
    for p in properties or []:
        name = p.get("sku_property_name") or p.get("property_name") or ""
        value = p.get("sku_property_value") or p.get("property_value_definition_name") or p.get("property_value") or ""
        parts.append(f"{name}: {value}" if name else str(value))
    return " / ".join(parts)


def product_rows(product: dict[str, Any], title: str, countries: list[str], warehouse_of: Mapping[str, str]
                 ) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[str, str, int, int]]]:
    """A product.query result → (product row, SKU rows with canonical values and per-country stock,
    platform prices [(sku_id, country, freight_cents, buyer_price_cents)])."""
    joined = set(product.get("joined_country_list") or [])
    product_id = str(product["product_id"])
    skus, prices = [], []
    for sku in product.get("product_sku_list") or []:
        info = sku.get("pop_choice_product_sku_sc_item_info") or {}
        by_warehouse = {w["warehouse_code"]: int(w.get("sellable_quantity") or 0)
                        for w in sku.get("pop_choice_sku_warehouse_stock_list") or []}
        stock = {c: (by_warehouse.get(warehouse_of.get(c, ""), 0) if c in joined else 0) for c in countries}
        sku_id = str(sku["sku_id"])
        skus.append({
            "product_id": product_id, "sku_id": sku_id, "sku_code": sku.get("sku_code") or "",
            "variant": variant_text(sku.get("sku_property_list")), "barcode": info.get("sc_item_bar_code") or "",
            "seller_price": platform_amount(sku.get("base_price"), "money", f"SKU {sku_id} base_price"),
            "weight_kg": platform_amount(sku.get("package_weight"), "weight", f"SKU {sku_id} package_weight"),
            **{f"{side}_cm": platform_amount(sku.get(f"package_{side}"), "dim", f"SKU {sku_id} package_{side}")
               for side in ("length", "width", "height")},
            "logistics_attribute": logistics_from(info.get("special_product_type_list")), "stock": stock,
        })
        freight = {f["nation_code"]: platform_amount(f["price"], "money", f"SKU {sku_id} freight")
                   for f in sku.get("freight_fee_list") or []}
        buyer = {f["nation_code"]: platform_amount(f["price"], "money", f"SKU {sku_id} buyer price")
                 for f in sku.get("choice_sku_price_list") or []}
        for country in sorted(set(freight) | set(buyer)):
            prices.append((sku_id, country, freight.get(country), buyer.get(country)))
    row = {"product_id": product_id, "title": title, "currency": product.get("currency_code") or "USD"}
    return row, skus, prices


def shared_warehouse_problems(stock: Mapping[str, Mapping[str, int]], warehouse_of: Mapping[str, str]
                              ) -> list[tuple[str, str, str, str, int]]:
    """For one product ({sku_id: {country: qty}}): the (sku_id, country, warehouse, other country,
    its quantity) cells whose stock differs from the first joined country of the same warehouse.
    The platform keeps one quantity per SKU and warehouse, and a product joins a country when any
    SKU has stock there."""
    joined = {c for quantities in stock.values() for c, q in quantities.items() if q > 0}
    problems = []
    for sku, quantities in stock.items():
        seen: dict[str, tuple[str, int]] = {}
        for country in sorted(joined):
            warehouse = warehouse_of.get(country)
            if warehouse is None:
                continue
            quantity = quantities.get(country, 0)
            if warehouse in seen and seen[warehouse][1] != quantity:
                problems.append((sku, country, warehouse, *seen[warehouse]))
            seen.setdefault(warehouse, (country, quantity))
    return problems


def desired_product(current: dict[str, Any], values: Mapping[str, Mapping[str, Any]], countries: list[str],
                    warehouse_of: Mapping[str, str]) -> dict[str, Any]:
    """The full product to send with product.edit: the platform's product as just read, with the
    wanted values ({sku_id: {field: canonical value}}) merged in and nothing else changed.

    Participation and warehouse stock move only for the countries whose stock the sheet changed:
    such a country is joined when any SKU of the product has stock there; a country nobody
    touched keeps its place in `joined_country_list` whatever the stock read says, so a price
    change can never withdraw a product from a country."""
    product = json.loads(json.dumps(current))
    for sku in product.get("product_sku_list") or []:
        info = sku.setdefault("pop_choice_product_sku_sc_item_info", {})
        for key, value in values.get(str(sku["sku_id"]), {}).items():
            if key == "seller_price":
                sku["base_price"] = format_amount("money", value)
            elif key == "weight_kg":
                sku["package_weight"] = format_amount("weight", value)
            elif key in ("length_cm", "width_cm", "height_cm"):
                sku[f"package_{key[:-3]}"] = format_amount("dim", value)
            elif key == "sku_code":
                sku["sku_code"] = value
            elif key == "barcode":
                info["sc_item_bar_code"] = value
            elif key == "logistics_attribute":
                info["special_product_type_list"] = logistics_to(value)
    touched = [c for c in countries if any(f"stock_{c}" in fields for fields in values.values())]
    if not touched:
        return product
    joined = list(product.get("joined_country_list") or [])
    stock = {str(s["sku_id"]): _per_country(s, joined, countries, warehouse_of)
             for s in product.get("product_sku_list") or []}
    for sku_id, fields in values.items():
        stock.setdefault(sku_id, {}).update({key[6:]: int(v) for key, v in fields.items() if key.startswith("stock_")})
    selling = {c for c in touched if any(quantities.get(c, 0) > 0 for quantities in stock.values())}
    product["joined_country_list"] = [c for c in joined if c not in touched or c in selling] + \
        [c for c in touched if c in selling and c not in joined]
    for sku in product.get("product_sku_list") or []:
        sku_id = str(sku["sku_id"])
        changed = [key[6:] for key in values.get(sku_id, {}) if key.startswith("stock_")]
        if changed:
            sku["pop_choice_sku_warehouse_stock_list"] = warehouse_stock(sku, stock[sku_id], changed, warehouse_of)
    return product


def _per_country(sku: Mapping[str, Any], joined: list[str], countries: list[str], warehouse_of: Mapping[str, str]
                 ) -> dict[str, int]:
    """A SKU's stock per country as the platform holds it: its warehouse's quantity where the
    product is joined, else 0 (the mapping contract of ALIEXPRESS.md)."""
    by_warehouse = {str(w["warehouse_code"]): int(w.get("sellable_quantity") or 0)
                    for w in sku.get("pop_choice_sku_warehouse_stock_list") or []}
    return {c: (by_warehouse.get(warehouse_of.get(c, ""), 0) if c in joined else 0) for c in countries}


def warehouse_stock(sku: Mapping[str, Any], per_country: Mapping[str, int], changed: list[str],
                    warehouse_of: Mapping[str, str]) -> list[dict[str, Any]]:
    """A SKU's warehouse list with the quantities of the countries the sheet changed (equal within
    a warehouse, by validation); every other warehouse keeps its quantity as read. A country
    stopped (0) sets its warehouse to 0 only when no other country of it still sells."""
    quantities = {str(w["warehouse_code"]): int(w.get("sellable_quantity") or 0)
                  for w in sku.get("pop_choice_sku_warehouse_stock_list") or []}
    for country in changed:
        warehouse = warehouse_of[country]
        sharing = [c for c, w in warehouse_of.items() if w == warehouse and per_country.get(c, 0) > 0]
        quantities[warehouse] = int(per_country[sharing[0]]) if sharing else 0
    return [{"warehouse_code": w, "sellable_quantity": q} for w, q in sorted(quantities.items())]


EDIT_PRODUCT_FIELDS = ("product_id", "category_id", "currency_code", "joined_country_list", "product_sku_list")
EDIT_SKU_FIELDS = ("sku_id", "sku_code", "base_price", "package_weight", "package_length", "package_width",
                   "package_height", "pop_choice_sku_warehouse_stock_list", "pop_choice_product_sku_sc_item_info")
QUERY_ONLY_ITEM_FIELDS = ("sc_item_id",)


def _editable(product: dict[str, Any]) -> dict[str, Any]:
    """What product.edit takes: the fields of the edit DTO (the public SDK's), as just read with
    the sheet's changes. Nothing else is sent: not the platform's computed prices, not the
    variant properties, not the query-only sc_item_id; category_id travels as a string."""
    sent = {k: product[k] for k in EDIT_PRODUCT_FIELDS if k in product}
    if "category_id" in sent:
        sent["category_id"] = str(sent["category_id"])
    skus = []
    for sku in product.get("product_sku_list") or []:
        kept = {k: sku[k] for k in EDIT_SKU_FIELDS if k in sku}
        if "pop_choice_product_sku_sc_item_info" in kept:
            kept["pop_choice_product_sku_sc_item_info"] = {
                k: v for k, v in kept["pop_choice_product_sku_sc_item_info"].items() if k not in QUERY_ONLY_ITEM_FIELDS}
        skus.append(kept)
    sent["product_sku_list"] = skus
    return sent
