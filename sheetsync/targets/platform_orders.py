"""The platform's JIT orders behind the orders pipeline's `OrdersTarget`: the AliExpress adapter
(`targets/aliexpress/orders.py`: paged reads, one call per write on its pool under the client's
rate limit, an unknown outcome settled by re-reading, never by resending) mapped to and from
`orders.model`. The pipeline decides what to send (the three-way plan); this only sends it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..errors import SheetsyncError
from ..orders.model import Action, Delivery, Item, Order
from . import OrdersJournal
from .aliexpress import orders as po

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import Store
    from .aliexpress.client import Client


def connect(store: Store, settings: Settings, client: Client | None = None) -> PlatformOrders:
    """The store's AliExpress seller's orders (credentials as for the catalog: `sheetsync auth`,
    or the SHEETSYNC_AE_* environment)."""
    return PlatformOrders(po.connect(store, settings, client), store)


class PlatformOrders:
    """Acts on AliExpress, order by order: each action journaled as the platform confirms it, so a
    run that stops half way is finished, not repeated, by the next one."""

    name = "aliexpress"
    all_or_nothing = False
    labels = True

    def __init__(self, adapter: po.AliExpressOrders, store: Store) -> None:
        self.adapter, self.store = adapter, store

    def exclusive(self) -> AbstractContextManager[Any]:
        return self.store.write_lock()

    def orders(self, statuses: Sequence[int]) -> list[Order]:
        keys = [po.STATUSES[str(code)] for code in statuses if str(code) in po.STATUSES]
        found = self.adapter.read(statuses=keys)
        codes = self._sku_codes([item.sku_id for order in found for item in order.items if not item.sku_code])
        return [_order(order, codes) for order in found]

    def read(self, numbers: Sequence[str]) -> dict[str, Order]:
        return {order.order_no: _order(order, {}) for order in self.adapter.read(numbers, items=False)}

    def apply(self, journal: OrdersJournal, actions: list[Action]) -> SheetsyncError | None:
        """Confirmations first (a delivery needs its order confirmed), then new deliveries, then
        changed ones; each batch's unknown outcomes settled by a re-read before the next batch."""
        keyed = {(_KINDS[a.kind], a.orders): a for a in actions}

        def took(result: po.ActionResult) -> None:
            action = keyed[(result.action, result.order_nos)]
            _outcome(action, result)
            if action.result == "applied":
                journal.record(action)

        confirms = [a for a in actions if a.kind == "confirm"]
        creates = [a for a in actions if a.kind == "selfdelivery" and a.delivery is not None]
        updates = [a for a in actions if a.kind == "updateSelfdelivery" and a.delivery is not None]
        batches: list[Callable[[], list[po.ActionResult]]] = [
            lambda: self.adapter.confirm([a.orders[0] for a in confirms], on_result=took),
            lambda: self.adapter.deliver([_request(a) for a in creates], on_result=took),
            *(self._update(a, took) for a in updates)]
        try:
            for batch in batches:
                results = batch()
                for result in self.adapter.settle(results):
                    if result.status != "unknown" and keyed[(result.action, result.order_nos)].result != "applied":
                        took(result)
        except SheetsyncError as stopped:
            return stopped
        return None

    def _update(self, action: Action, took: Callable[[po.ActionResult], None]) -> Callable[[], list[po.ActionResult]]:
        delivery = action.delivery
        assert delivery is not None and action.delivery_no is not None

        def send() -> list[po.ActionResult]:
            result = self.adapter.update_delivery(action.delivery_no or "", delivery.delivery_type,
                                                  delivery.carrier or None, delivery.tracking, action.orders,
                                                  delivery.license_plate or None, delivery.phone or None)
            took(result)
            return [result]
        return send

    def label(self, delivery_no: str, boxes: int, size: str) -> bytes:
        return self.adapter.label_pdf(delivery_no, boxes, size)

    def _sku_codes(self, sku_ids: Sequence[str]) -> dict[str, str]:
        """Codes for items the platform sent without one: the seller's own, from the catalog."""
        if not sku_ids:
            return {}
        catalog = self.store.catalog_frame()
        known = [sku for sku in dict.fromkeys(sku_ids) if sku in catalog.index]
        return {sku: str(catalog.at[sku, "sku_code"]) for sku in known}


_KINDS = {"confirm": "confirm", "selfdelivery": "deliver", "updateSelfdelivery": "update_delivery"}


def _request(action: Action) -> po.DeliveryRequest:
    delivery = action.delivery
    assert delivery is not None
    return po.DeliveryRequest(delivery.delivery_type, action.orders, delivery.carrier or None, delivery.tracking,
                              delivery.license_plate or None, delivery.phone or None)


def _outcome(action: Action, result: po.ActionResult) -> None:
    """What the platform said of an action: applied (with a new delivery's number), rejected (its
    code and reason), or failed: its answer was lost and a re-read could not tell (the next run
    re-reads and decides again), or it was not made."""
    action.code, action.message = result.code, result.message
    if result.status == "applied":
        action.result = "applied"
        action.delivery_no = result.delivery_no or action.delivery_no
    elif result.status == "rejected":
        action.result = "rejected"
    else:
        action.result = "failed"


def _order(order: po.PurchaseOrder, codes: dict[str, str]) -> Order:
    code = order.status_code.strip()
    found = order.delivery
    delivery = None if found is None else Delivery.of(
        found.delivery_type, found.carrier or "", [n.upper() for n in found.tracking_numbers],
        found.license_plate or "", found.phone or "")
    return Order(order.order_no, int(code) if code.lstrip("-").isdigit() else 0, order.deadline,
                 order.warehouse_name, order.warehouse_address,
                 tuple(Item(item.sku_id, item.sku_code or codes.get(item.sku_id, ""), item.title, item.barcode,
                            item.quantity) for item in order.items),
                 delivery, order.delivery_no)
