"""JIT purchase orders as a target holds them, the actions sent to it, and an orders import's result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from ..messages import value_word
from ..results import ImportResult


@dataclass(frozen=True)
class Item:
    sku_id: str
    sku_code: str
    title: str
    barcode: str
    quantity: int


@dataclass(frozen=True)
class Delivery:
    """A self-delivery as the seller describes it. Tracking numbers are kept sorted: the same set
    typed in another order is the same delivery (the change rule compares these)."""

    delivery_type: str  # express | truck | other
    carrier: str = ""
    tracking: tuple[str, ...] = ()
    license_plate: str = ""
    phone: str = ""

    @classmethod
    def of(cls, delivery_type: str, carrier: str = "", tracking: tuple[str, ...] | list[str] = (),
           license_plate: str = "", phone: str = "") -> Delivery:
        return cls(delivery_type, carrier, tuple(sorted(set(tracking))), license_plate, phone)

    def as_json(self) -> dict[str, Any]:
        return {"delivery_type": self.delivery_type, "carrier": self.carrier, "tracking_numbers": list(self.tracking),
                "license_plate": self.license_plate, "phone": self.phone}

    def shown(self, lang: str = "en") -> str:
        """In a sentence: express SF SF1000000001, SF1000000002 / truck 粤B12345 13800000000 (its
        type in `lang`: 快递 SF …)."""
        parts = [value_word("delivery_type", self.delivery_type, lang), self.carrier, ", ".join(self.tracking),
                 self.license_plate, self.phone]
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class Order:
    """One JIT purchase order: what the target says of it now, or what an export wrote."""

    purchase_order_no: str
    status: int
    deadline: dt.datetime | None  # aware; None where the platform gives none
    warehouse: str
    warehouse_address: str
    items: tuple[Item, ...]
    delivery: Delivery | None = None
    delivery_no: str | None = None
    boxes: int | None = None


@dataclass
class Action:
    """One call to make: confirm an order, create a self-delivery for up to 99 orders, or update an
    existing delivery. `result` ends applied, already_applied, failed, rejected, dry_run or
    not_applied; a created delivery's number lands in `delivery_no`."""

    kind: str  # confirm | selfdelivery | updateSelfdelivery
    orders: tuple[str, ...]
    delivery: Delivery | None = None
    delivery_no: str | None = None
    boxes: int | None = None
    result: str = "planned"
    code: str | None = None
    message: str | None = None
    seqs: tuple[int, ...] = ()  # the journal's entries, one per order

    def as_json(self) -> dict[str, Any]:
        return {"action": self.kind, "orders": list(self.orders), "result": self.result,
                "delivery_no": self.delivery_no, "delivery": self.delivery.as_json() if self.delivery else None,
                "boxes": self.boxes, "code": self.code, "message": self.message}


@dataclass
class OrdersResult(ImportResult):
    """An orders import: the catalog's result (status, counts, errors, warnings, report, exit code)
    with actions in place of cell changes. `changes`, `applied`, `already_applied` and `failed`
    count an order confirmed or an order in a delivery; `orders` counts the orders the plan touches."""

    orders: int = 0
    actions: list[Action] = default(default_factory=list)
    already: list[Action] = default(default_factory=list)
    labels: list[str] = default(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "target": self.target, "run_id": self.run_id, "file": self.file,
            "rows": self.rows, "orders": self.orders, "changes": self.changes, "applied": self.applied,
            "already_applied": self.already_applied, "failed": self.failed,
            "errors": [i.as_json() for i in self.errors], "more_issues": dict(self.more_issues),
            "warnings": [i.as_json() for i in self.warnings],
            "actions": [a.as_json() for a in self.actions],
            "already": [a.as_json() for a in self.already],
            "labels": list(self.labels), "report": self.report, "emailed": self.emailed,
        }
