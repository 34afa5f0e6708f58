"""Orders ↔ the rows of an Orders sheet as written: one row per item, the order's fields on each.
The rows an export wrote are kept as they are (the `base` of the change rule); the orders they
describe are read back from them, so base is what the seller saw, whatever the target says now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .fields import ORDER_KEY, status_words
from .model import Delivery, Item, Order
from .rules import parse

STATUS_CODE = "_status"  # the snapshot's own keys: the status as a code, the deadline in UTC
DEADLINE_UTC = "_deadline"


def local_minutes(moment: dt.datetime) -> dt.datetime:
    """A moment as the seller's computer shows it, to the minute, without a zone (a spreadsheet
    date-time has none)."""
    return moment.astimezone().replace(tzinfo=None, second=0, microsecond=0)


def written_rows(orders: Sequence[Order], lang: str) -> list[dict[str, Any]]:
    """Each item of each order as a row of the sheet, in order. A delivery's boxes are shown on
    its first order only: the import counts a delivery's boxes as the sum of its orders' (a new
    delivery is made of orders each with its own boxes), so the total on every order would be
    counted once per order the next time (found by a hostile review: 10 boxes became 20)."""
    rows = []
    shown_boxes: set[str] = set()
    for order in orders:
        boxes = order.boxes
        if order.delivery_no:
            boxes = None if order.delivery_no in shown_boxes else boxes
            shown_boxes.add(order.delivery_no)
        delivery = order.delivery
        shared = {
            ORDER_KEY: order.purchase_order_no, "status": status_words(order.status, lang),
            "deadline": local_minutes(order.deadline) if order.deadline else None, "warehouse": order.warehouse,
            "warehouse_address": order.warehouse_address, "confirm": "",
            "delivery_type": delivery.delivery_type if delivery else "",
            "carrier": delivery.carrier if delivery else "",
            "tracking_numbers": ", ".join(delivery.tracking) if delivery else "",
            "license_plate": delivery.license_plate if delivery else "", "phone": delivery.phone if delivery else "",
            "boxes": boxes, "delivery_no": order.delivery_no or "",
            STATUS_CODE: order.status,
            DEADLINE_UTC: order.deadline.astimezone(dt.UTC).isoformat() if order.deadline else None,
        }
        for item in order.items:
            rows.append({**shared, "sku_id": item.sku_id, "sku_code": item.sku_code, "title": item.title,
                         "barcode": item.barcode, "quantity": item.quantity})
    return rows


def snapshot(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the store keeps them: JSON values, the deadline as the sheet shows it."""
    return [{k: (v.isoformat(timespec="minutes") if isinstance(v, dt.datetime) else v) for k, v in row.items()}
            for row in rows]


def row_key(row: Mapping[str, Any]) -> tuple[str, str]:
    return str(row[ORDER_KEY]), str(row["sku_id"])


def exported_orders(rows: Iterable[Mapping[str, Any]]) -> dict[str, Order]:
    """The orders an export described, read back from its rows."""
    orders: dict[str, Order] = {}
    items: dict[str, list[Item]] = {}
    for row in rows:
        number = str(row[ORDER_KEY])
        items.setdefault(number, []).append(Item(str(row["sku_id"]), str(row.get("sku_code") or ""),
                                                 str(row.get("title") or ""), str(row.get("barcode") or ""),
                                                 int(row.get("quantity") or 0)))
        if number in orders:
            continue
        kind = parse("delivery_type", row.get("delivery_type")).value
        delivery = None
        if kind:
            delivery = Delivery.of(kind, parse("carrier", row.get("carrier")).value or "",
                                   parse("tracking_numbers", row.get("tracking_numbers")).value or (),
                                   parse("license_plate", row.get("license_plate")).value or "",
                                   parse("phone", row.get("phone")).value or "")
        deadline = dt.datetime.fromisoformat(row[DEADLINE_UTC]) if row.get(DEADLINE_UTC) else None
        orders[number] = Order(number, int(row[STATUS_CODE]), deadline,
                               str(row.get("warehouse") or ""), str(row.get("warehouse_address") or ""), (),
                               delivery, row.get("delivery_no") or None, row.get("boxes"))
    return {n: Order(o.purchase_order_no, o.status, o.deadline, o.warehouse, o.warehouse_address, tuple(items[n]),
                     o.delivery, o.delivery_no, o.boxes) for n, o in orders.items()}
