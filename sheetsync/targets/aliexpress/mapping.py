"""The mapping between the platform's semi-managed products and sheetsync's rows (a contract of
shared/design/ALIEXPRESS.md): canonical values both ways, stock per JIT warehouse and the joined
country list."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

BATTERY, MAGNETIC = "274526", "274452"


def _money(text: Any) -> int:
    return int((Decimal(str(text)) * 100).to_integral_value())


def _grams(text: Any) -> int:
    return int((Decimal(str(text)) * 1000).to_integral_value())


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
            "seller_price": _money(sku.get("base_price") or 0), "weight_kg": _grams(sku.get("package_weight") or 0),
            "length_cm": int(Decimal(str(sku.get("package_length") or 0))),
            "width_cm": int(Decimal(str(sku.get("package_width") or 0))),
            "height_cm": int(Decimal(str(sku.get("package_height") or 0))),
            "logistics_attribute": logistics_from(info.get("special_product_type_list")), "stock": stock,
        })
        freight = {f["nation_code"]: _money(f["price"]) for f in sku.get("freight_fee_list") or []}
        buyer = {f["nation_code"]: _money(f["price"]) for f in sku.get("choice_sku_price_list") or []}
        for country in sorted(set(freight) | set(buyer)):
            prices.append((sku_id, country, freight.get(country), buyer.get(country)))
    row = {"product_id": product_id, "title": title, "currency": product.get("currency_code") or "USD"}
    return row, skus, prices


def shared_warehouse_problems(stock: Mapping[str, Mapping[str, int]], warehouse_of: Mapping[str, str]
                              ) -> list[tuple[str, str, str]]:
    """For one product ({sku_id: {country: qty}}): the (sku_id, country, warehouse) cells whose
    stock differs from another joined country of the same warehouse. The platform keeps one
    quantity per SKU and warehouse, and a product joins a country when any SKU has stock there."""
    joined = {c for quantities in stock.values() for c, q in quantities.items() if q > 0}
    problems = []
    for sku, quantities in stock.items():
        seen: dict[str, int] = {}
        for country in sorted(joined):
            warehouse = warehouse_of.get(country)
            if warehouse is None:
                continue
            quantity = quantities.get(country, 0)
            if warehouse in seen and seen[warehouse] != quantity:
                problems.append((sku, country, warehouse))
            seen.setdefault(warehouse, quantity)
    return problems


def desired_product(current: dict[str, Any], values: Mapping[str, Mapping[str, Any]], countries: list[str],
                    warehouse_of: Mapping[str, str]) -> dict[str, Any]:
    """The full product to send with product.edit: the platform's product as last read, with the
    wanted values ({sku_id: {field: canonical value}}) merged in. Stock becomes warehouse
    quantities and the joined country list."""
    product = json.loads(json.dumps(current))
    stock_by_sku: dict[str, dict[str, int]] = {}
    for sku in product.get("product_sku_list") or []:
        sku_id = str(sku["sku_id"])
        wanted = values.get(sku_id, {})
        info = sku.setdefault("pop_choice_product_sku_sc_item_info", {})
        for key, value in wanted.items():
            if key == "seller_price":
                sku["base_price"] = f"{Decimal(value) / 100:.2f}"
            elif key == "weight_kg":
                sku["package_weight"] = f"{Decimal(value) / 1000:.3f}"
            elif key in ("length_cm", "width_cm", "height_cm"):
                sku[f"package_{key[:-3]}"] = str(value)
            elif key == "sku_code":
                sku["sku_code"] = value
            elif key == "barcode":
                info["sc_item_bar_code"] = value
            elif key == "logistics_attribute":
                info["special_product_type_list"] = logistics_to(value)
        stock_by_sku[sku_id] = {k[6:]: v for k, v in wanted.items() if k.startswith("stock_")}
    joined = set(product.get("joined_country_list") or [])
    current_stock = {str(s["sku_id"]): {w["warehouse_code"]: int(w.get("sellable_quantity") or 0)
                                        for w in s.get("pop_choice_sku_warehouse_stock_list") or []}
                     for s in product.get("product_sku_list") or []}
    per_country = {sku: {c: (current_stock[sku].get(warehouse_of.get(c, ""), 0) if c in joined else 0)
                         for c in countries} for sku in current_stock}
    for sku, changes in stock_by_sku.items():
        per_country[sku].update(changes)
    product["joined_country_list"] = [c for c in countries if any(q.get(c, 0) > 0 for q in per_country.values())]
    for sku in product.get("product_sku_list") or []:
        sku["pop_choice_sku_warehouse_stock_list"] = warehouse_stock(per_country[str(sku["sku_id"])],
                                                                     product["joined_country_list"], warehouse_of,
                                                                     current_stock[str(sku["sku_id"])])
    return product


def warehouse_stock(per_country: Mapping[str, int], joined: list[str], warehouse_of: Mapping[str, str],
                    current: Mapping[str, int]) -> list[dict[str, Any]]:
    """A SKU's quantity per warehouse: its stock in the joined countries mapped to the warehouse
    (equal by validation); warehouses with no joined country keep their current quantity."""
    quantities = dict(current)
    for country in joined:
        warehouse = warehouse_of.get(country)
        if warehouse:
            quantities[warehouse] = int(per_country.get(country, 0))
    return [{"warehouse_code": w, "sellable_quantity": q} for w, q in sorted(quantities.items())]



def _editable(product: dict[str, Any]) -> dict[str, Any]:
    """product.edit takes the query's shape without the platform's computed prices."""
    sent = {k: v for k, v in product.items() if k in ("product_id", "currency_code", "joined_country_list",
                                                      "product_sku_list", "category_id")}
    sent["product_sku_list"] = [{k: v for k, v in s.items() if k not in ("freight_fee_list", "choice_sku_price_list")}
                                for s in product.get("product_sku_list") or []]
    return sent
