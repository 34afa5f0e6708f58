"""The field spec: every column of the Products sheet, its labels, kind and limits.

Values travel through sheetsync in one canonical form per kind, so that comparing base, sheet and
current is exact: money as integer cents, weights as integer grams, counts as int, text as str.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .amounts import DIM_MAX, MONEY_MAX_CENTS, SCALE, STOCK_MAX, WEIGHT_MAX_GRAMS, format_amount

LOGISTICS_ATTRIBUTES = ("general", "built_in_battery", "weak_magnetic", "built_in_battery+weak_magnetic")
TEMPLATE_VERSION = "1"
SHEET_PRODUCTS = "Products"
SHEET_META = "_sheetsync"
SHEET_LISTS = "_lists"
HEADER_ROWS = 2  # row 1 labels, row 2 keys; data from row 3


@dataclass(frozen=True)
class Field:
    key: str
    label_en: str
    label_zh: str
    kind: str  # id | text | code | barcode | currency | money | weight | dim | enum | stock
    editable: bool
    width: int
    help_en: str
    help_zh: str
    min_value: int | None = None
    max_value: int | None = None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


# Canonical units and their limits live in `amounts` (SCALE, MONEY_MAX_CENTS, ...), with the parser.
TITLE_MAX = 128
SKU_CODE_MAX = 20

BASE_FIELDS: tuple[Field, ...] = (
    Field("product_id", "Product ID", "商品ID", "id", False, 18,
          "AliExpress product ID. Do not change.", "速卖通商品ID，请勿修改。"),
    Field("title", "Title", "商品标题", "text", True, 48,
          "Product name, 1–128 characters, the same on every row of a product.",
          "商品名称，1–128 个字符，同一商品的每一行必须相同。"),
    Field("sku_id", "SKU ID", "SKU ID", "id", False, 18,
          "AliExpress SKU ID, the row key. Do not change.", "速卖通 SKU ID，行的唯一标识，请勿修改。"),
    Field("sku_code", "SKU code", "商家编码", "code", True, 16,
          "Your own code: up to 20 letters, digits, - _ or .; unique in the store.",
          "自定义编码：最多 20 个字母、数字、- _ 或 .，店铺内唯一。"),
    Field("variant", "Variant", "规格", "text", False, 26,
          "The SKU's attributes, e.g. Color: Red / Size: M. Read-only.", "SKU 属性，例如 颜色：红 / 尺码：M。只读。"),
    Field("barcode", "Barcode", "条形码", "barcode", True, 16,
          "EAN-8, UPC-A, EAN-13 or GTIN-14 with a valid check digit; leave empty to clear.",
          "EAN-8、UPC-A、EAN-13 或 GTIN-14，校验位须正确；留空表示清除。"),
    Field("currency", "Currency", "币种", "currency", False, 9,
          "Currency of the seller price. Read-only.", "供货价币种。只读。"),
    Field("seller_price", "Seller price", "供货价", "money", True, 12,
          "Your price without freight, 0.01–999999, at most 2 decimals.",
          "不含运费的供货价，0.01–999999，最多 2 位小数。", 1, MONEY_MAX_CENTS),
    Field("weight_kg", "Weight (kg)", "包裹重量(kg)", "weight", True, 11,
          "Package weight in kg, 0.001–500, at most 3 decimals.", "包裹重量（千克），0.001–500，最多 3 位小数。",
          1, WEIGHT_MAX_GRAMS),
    Field("length_cm", "Length (cm)", "长(cm)", "dim", True, 10,
          "Package length, whole cm 1–700.", "包裹长度，整数厘米 1–700。", 1, DIM_MAX),
    Field("width_cm", "Width (cm)", "宽(cm)", "dim", True, 10,
          "Package width, whole cm 1–700.", "包裹宽度，整数厘米 1–700。", 1, DIM_MAX),
    Field("height_cm", "Height (cm)", "高(cm)", "dim", True, 10,
          "Package height, whole cm 1–700.", "包裹高度，整数厘米 1–700。", 1, DIM_MAX),
    Field("logistics_attribute", "Logistics attribute", "物流属性", "enum", True, 22,
          "general, built_in_battery, weak_magnetic or built_in_battery+weak_magnetic.",
          "普货、带电（内置电池）、弱磁或带电+弱磁，从下拉列表中选择。"),
)

BASE_BY_KEY = {f.key: f for f in BASE_FIELDS}


def stock_field(country: str, name_en: str = "", name_zh: str = "") -> Field:
    """The stock column of `country`; its Chinese label names the country (库存 美国 US) when its
    name is known, since a Chinese seller does not read every code at a glance."""
    return Field(
        f"stock_{country}", f"Stock {country}", f"库存 {name_zh} {country}" if name_zh else f"库存 {country}",
        "stock", True, 9,
        f"JIT stock for {name_en or country}: whole number 0–999999; 0 = not sold there.",
        f"{name_zh or country} 的 JIT 库存：整数 0–999999；0 表示不在该国销售。", 0, STOCK_MAX,
    )


def display_price_field(country: str) -> Field:
    return Field(
        f"display_price_{country}", f"Display price {country}", f"前台价 {country}", "preview", False, 11,
        f"Preview: seller price + freight to {country} from the rate card, recalculated as you edit. "
        "Read-only; empty where stock is 0.",
        f"预览：供货价 + 发往 {country} 的运费（按运费表），随修改自动更新。只读；库存为 0 时为空。",
    )


def fields_for(countries: list[str], names: Mapping[str, tuple[str, str]] | None = None) -> list[Field]:
    """The columns of a store selling in `countries`; `names` (code → English and Chinese name)
    gives the stock labels their countries' names."""
    names = names or {}
    return [*BASE_FIELDS, *(stock_field(c, *names.get(c, ("", ""))) for c in countries)]


def field_for_key(key: str) -> Field | None:
    if key in BASE_BY_KEY:
        return BASE_BY_KEY[key]
    if key.startswith("stock_") and len(key) == 8 and key[6:].isalpha() and key[6:].isupper():
        return stock_field(key[6:])
    return None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def needs_quote(text: str) -> bool:
    """Text a spreadsheet would run as a formula (CWE-1236), including full-width signs."""
    return text.startswith(FORMULA_START)


def to_display(kind: str, value: object) -> str:
    """A canonical value as the seller would type it: cents → 12.50, grams → 0.347."""
    if value is None:
        return ""
    if kind in ("money", "weight"):
        return format_amount(kind, int(value))
    return str(value)


def to_cell_number(kind: str, value: int) -> float | int:
    """A canonical number as a worksheet number (xlsx stores doubles; shortest repr keeps it exact)."""
    if SCALE.get(kind, 1) != 1:
        return float(Decimal(int(value)) / SCALE[kind])
    return int(value)


def to_cell_numbers(kind: str, values: np.ndarray) -> list[float | int | None]:
    """A whole column of canonical numbers (NaN where missing) as worksheet numbers, None where
    missing. Dividing an exact integer is correctly rounded, so each number is the same double
    to_cell_number gives."""
    scale = SCALE.get(kind, 1)
    if scale == 1 and values.dtype.kind in "iu":
        return values.tolist()
    return [None if number != number else number for number in (values / scale).tolist()]


@dataclass(frozen=True)
class SheetSpec:
    """What the reader needs to know of a kind of workbook (the catalog's Products, the JIT
    orders' Orders): so one reader, with its safety checks, reads both. `key` marks the keys row
    (and, found in a cell, a data row); `fields` give the labels a sheet without its keys row is
    read by; `lookup` names a column's field (None: not one of this sheet's columns)."""

    name: str
    key: str
    fields: tuple[Field, ...]
    lookup: Callable[[str], Field | None]
    missing_rule: str  # the refusal when the workbook has no such sheet
    ignored_prefixes: tuple[str, ...] = ()  # columns never imported (the live preview)


PRODUCTS = SheetSpec(SHEET_PRODUCTS, "sku_id", BASE_FIELDS, field_for_key, "no_products_sheet", ("display_price_",))
