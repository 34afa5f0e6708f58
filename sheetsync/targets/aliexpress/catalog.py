"""The AliExpress push target: reads products as canonical rows and writes one product per call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import AmbiguousWrite, Client
from .mapping import _editable, desired_product, product_rows


@dataclass
class PushOutcome:
    status: str  # applied | rejected | failed
    code: str | None = None
    message: str | None = None


class AliExpressTarget:
    """Reads products as canonical rows and writes one product per call, full state each time
    (absolute quantities, the whole SKU list as last read), so a resend can never add twice."""

    name = "aliexpress"

    def __init__(self, client: Client, countries: list[str], warehouse_of: Mapping[str, str]) -> None:
        self.client = client
        self.countries = countries
        self.warehouse_of = warehouse_of

    def read(self, product_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The product as the platform has it now, and its SKUs as canonical values by field key."""
        raw = self.client.product(product_id)
        _, skus, _ = product_rows(raw, "", self.countries, self.warehouse_of)
        values = {}
        for sku in skus:
            row = {k: v for k, v in sku.items() if k not in ("stock", "product_id", "sku_id", "variant")}
            row.update({f"stock_{c}": q for c, q in sku["stock"].items()})
            values[sku["sku_id"]] = row
        return raw, values

    def write(self, product_id: str, raw: dict[str, Any], wanted: Mapping[str, Mapping[str, Any]]) -> PushOutcome:
        """Send the wanted values ({sku_id: {field: value}}) for one product; after an ambiguous
        failure, re-read and report applied only if the platform now holds them."""
        desired = desired_product(raw, wanted, self.countries, self.warehouse_of)
        stock_only = all(k.startswith("stock_") for fields in wanted.values() for k in fields)
        same_countries = set(desired["joined_country_list"]) == set(raw.get("joined_country_list") or [])
        try:
            if stock_only and same_countries:
                result = self.client.update_stocks(product_id, [
                    {"sku_id": s["sku_id"],
                     "pop_choice_sku_warehouse_stock_list": s["pop_choice_sku_warehouse_stock_list"]}
                    for s in desired["product_sku_list"] if str(s["sku_id"]) in wanted])
            else:
                result = self.client.edit_product(_editable(desired))
        except AmbiguousWrite as exc:
            _, now = self.read(product_id)
            if all(now.get(sku, {}).get(k) == v for sku, fields in wanted.items() for k, v in fields.items()):
                return PushOutcome("applied")
            return PushOutcome("failed", exc.code, exc.text)
        if result.success:
            return PushOutcome("applied")
        return PushOutcome("rejected", result.code, result.message)
