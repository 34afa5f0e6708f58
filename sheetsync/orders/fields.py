"""The Orders sheet's columns (ARCHITECTURE.md, "Orders workbook"): one row per order item, the
order's own fields repeated on each of its rows, and the fields a seller fills in to confirm and
deliver the order (order-level: an edit on one row applies to the whole order)."""

from __future__ import annotations

from ..fields import Field, SheetSpec

SHEET_ORDERS = "Orders"
ORDER_KEY = "purchase_order_no"

# The platform's purchase-order statuses (ALIEXPRESS.md, pageQuery `status`).
TO_CONFIRM, CONFIRMED, TO_SHIP, IN_TRANSIT, ARRIVED = 10, 15, 17, 20, 21
PARTLY_RECEIVED, RECEIVED, CANCELLED = 30, 40, -99
STATUS_WORDS: dict[int, tuple[str, str]] = {
    TO_CONFIRM: ("to confirm", "待确认"), CONFIRMED: ("confirmed", "已确认"), TO_SHIP: ("to ship", "待发货"),
    IN_TRANSIT: ("in transit", "运输中"), ARRIVED: ("arrived", "已到仓"),
    PARTLY_RECEIVED: ("partly received", "部分收货"),
    RECEIVED: ("received", "已收货"), CANCELLED: ("cancelled", "已取消"),
}
# What `orders export --status` accepts: a seller's name for a group of statuses. `to_ship` is every
# confirmed order not yet on its way: confirmed and waiting for a delivery, or with a delivery booked.
STATUS_GROUPS: dict[str, tuple[int, ...]] = {
    "to_confirm": (TO_CONFIRM,), "to_ship": (CONFIRMED, TO_SHIP), "in_transit": (IN_TRANSIT, ARRIVED),
    "received": (PARTLY_RECEIVED, RECEIVED), "cancelled": (CANCELLED,),
}
DEFAULT_STATUSES = ("to_confirm", "to_ship")
CONFIRMED_STATES = frozenset({CONFIRMED, TO_SHIP, IN_TRANSIT, ARRIVED, PARTLY_RECEIVED, RECEIVED})
DELIVERABLE_STATES = frozenset({CONFIRMED, TO_SHIP})  # a delivery can be created or changed

BOXES_MAX = 99
ORDERS_PER_DELIVERY = 99  # purchase_order_no_list of one selfdelivery call


def status_words(status: int, lang: str = "en") -> str:
    en, zh = STATUS_WORDS.get(status, (str(status), str(status)))
    return zh if lang == "zh" else en


ORDER_FIELDS: tuple[Field, ...] = (
    Field("purchase_order_no", "Order", "采购单号", "order", False, 18,
          "The JIT purchase order. Do not change.", "JIT 采购单号，请勿修改。"),
    Field("status", "Status", "状态", "status", False, 12,
          "The order's status on the platform when exported.", "导出时采购单在平台上的状态。"),
    Field("deadline", "Deadline", "截止时间", "datetime", False, 17,
          "Deliver before this time (your computer's time zone); due within 24 hours: highlighted.",
          "请在此时间前交货（本机时区）；24 小时内到期的标为黄色。"),
    Field("warehouse", "Warehouse", "收货仓库", "text", False, 20,
          "The platform warehouse to deliver to.", "需送达的平台仓库。"),
    Field("warehouse_address", "Warehouse address", "仓库地址", "text", False, 30,
          "The warehouse's address.", "仓库地址。"),
    Field("sku_id", "SKU ID", "SKU ID", "id", False, 18, "The item's SKU. Read-only.", "商品 SKU，只读。"),
    Field("sku_code", "SKU code", "商家编码", "text", False, 16,
          "Your code for the SKU. Read-only.", "商家编码，只读。"),
    Field("title", "Title", "商品标题", "text", False, 36, "The product. Read-only.", "商品名称，只读。"),
    Field("barcode", "Barcode", "条形码", "text", False, 15, "The item's barcode. Read-only.", "条形码，只读。"),
    Field("quantity", "Quantity", "数量", "count", False, 9,
          "Units of this item in the order.", "该商品在采购单中的数量。"),
    Field("confirm", "Confirm", "确认接单", "confirm", True, 10,
          "yes to confirm the whole order; empty leaves it as it is.", "填“是”确认整张采购单；留空表示不变。"),
    Field("delivery_type", "Delivery type", "发货方式", "delivery_type", True, 13,
          "express, truck or other.", "快递、卡车或其他，从下拉列表中选择。"),
    Field("carrier", "Carrier", "物流商", "carrier", True, 14,
          "The logistics company, for express.", "物流服务商（快递时必填）。"),
    Field("tracking_numbers", "Tracking numbers", "快递单号", "tracking", True, 24,
          "For express: one or more, 6–40 letters, digits or hyphens, separated by commas, spaces or line breaks.",
          "快递时必填：一个或多个，6–40 位字母、数字或连字符，以逗号、空格或换行分隔。"),
    Field("license_plate", "Licence plate", "车牌号", "plate", True, 13, "For truck.", "卡车送货时必填。"),
    Field("phone", "Phone", "联系电话", "phone", True, 14,
          "For truck: the driver's phone.", "卡车送货时必填：司机电话。"),
    Field("boxes", "Boxes", "箱数", "boxes", True, 7,
          "Number of boxes, 1–99, for the box labels.", "箱数，1–99，用于打印箱唛。", 1, BOXES_MAX),
    Field("delivery_no", "Delivery number", "发货单号", "order", False, 18,
          "The self-delivery number once delivered.", "创建发货后的发货单号。"),
)
ORDER_BY_KEY = {f.key: f for f in ORDER_FIELDS}
ORDER_LEVEL = tuple(f.key for f in ORDER_FIELDS if f.editable)  # the fields a seller fills in
DELIVERY_FIELDS = ("delivery_type", "carrier", "tracking_numbers", "license_plate", "phone")


def order_field(key: str) -> Field | None:
    return ORDER_BY_KEY.get(key)


ORDERS = SheetSpec(SHEET_ORDERS, ORDER_KEY, ORDER_FIELDS, order_field, "no_orders_sheet")
