"""The platform's orders target: the connected seller's JIT purchase orders behind the orders
Target protocol (`targets.OrdersTarget`), over `orders.AliExpressOrders`.

This module only translates: the adapter's `PurchaseOrder` becomes the workbook's `Order` (the
platform's status code as the model's integer status, `warehouse_name` as the warehouse, the
tracking numbers sorted, each item's SKU code from the catalog by `sku_id`, since the platform's
item answer has none), and the pipeline's `Action`s become the adapter's calls, each result
journaled as it arrives (in the calling thread: the store's connection is that thread's).

Order of work in `apply`: the confirmations (on the adapter's pool), then the new deliveries whose
orders are all confirmed (a delivery with an order whose confirmation did not go through is not
sent: the platform would refuse it, and the same import sends it once the order is confirmed),
then the updates of existing deliveries. A call whose answer was lost is settled by reading its
orders again, never by sending it again: done is journaled as done, not done is failed (the next
run sends it), and what a re-read cannot tell stays failed with the platform's words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ...errors import ConfigError, SheetsyncError
from ...messages import message
from ...orders.fields import BOXES_MAX as MAX_BOXES
from ...orders.model import Action, Delivery, Item, Order
from ...orders.rules import parse
from .orders import (
    _SAFE_NAME,
    PAGE_QUERY,
    PRINT_LABELS,
    STATUSES,
    ActionResult,
    AliExpressOrders,
    DeliveryRequest,
    PurchaseOrder,
    _bad,
)
from .orders import Delivery as PlatformDelivery
from .orders import connect as connect_adapter

if TYPE_CHECKING:
    from ...config import Settings
    from ...store import Store
    from .. import OrdersJournal
    from .client import Client


def connect_orders(store: Store, settings: Settings, client: Client | None = None) -> AliExpressOrdersTarget:
    """The orders target of this store's AliExpress seller: the catalog's client (credentials from
    the environment and the store, refreshed tokens kept in the store), the store's seller id as
    the `channel_user_id` the po methods ask for."""
    return AliExpressOrdersTarget(store, connect_adapter(store, settings, client), settings.lang)


class AliExpressOrdersTarget:
    """JIT purchase orders on AliExpress: read, confirmed and delivered call by call, each result
    journaled at once (not all or nothing: what the platform took stays taken)."""

    name = "aliexpress"
    all_or_nothing = False
    labels = True

    def __init__(self, store: Store, adapter: AliExpressOrders, lang: str = "en") -> None:
        self.store, self.adapter, self.lang = store, adapter, lang

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The store's write lock: each action is journaled in its own short transaction, so no
        SQLite transaction can span the run; another sheetsync process waits for the lock."""
        with self.store.write_lock():
            yield

    # -- reading ---------------------------------------------------------------------------------
    def orders(self, statuses: Sequence[int]) -> list[Order]:
        """Every JIT order with one of these status codes, with its items, most urgent first."""
        keys = []
        for code in dict.fromkeys(statuses):
            if str(code) not in STATUSES:
                raise ConfigError("orders_status_unknown", value=str(code), allowed=", ".join(STATUSES))
            keys.append(STATUSES[str(code)])
        found = self.adapter.read(statuses=keys)
        codes = self.store.sku_codes(item.sku_id for order in found for item in order.items if not item.sku_code)
        return [_order(order, codes) for order in found]

    def read(self, numbers: Sequence[str]) -> dict[str, Order]:
        """These orders as the platform holds them now, with their deliveries (no items: what an
        import does is decided per order)."""
        return {order.order_no: _order(order, {}) for order in self.adapter.read(numbers, items=False)}

    # -- acting ----------------------------------------------------------------------------------
    def apply(self, journal: OrdersJournal, actions: list[Action]) -> SheetsyncError | None:
        confirms = [a for a in actions if a.kind == "confirm"]
        creates = [a for a in actions if a.kind == "selfdelivery"]
        updates = [a for a in actions if a.kind == "updateSelfdelivery"]
        try:
            self._run(journal, confirms, lambda took: self.adapter.confirm([a.orders[0] for a in confirms], took))
            unconfirmed = {a.orders[0] for a in confirms if a.result != "applied"}
            ready = []
            for action in creates:
                waiting = [number for number in action.orders if number in unconfirmed]
                if waiting:
                    action.result = "not_applied"
                    action.message = message("delivery_waits_for_confirm", _lang(journal, self.lang),
                                             order=", ".join(waiting))
                else:
                    ready.append(action)
            self._run(journal, ready, lambda took: self.adapter.deliver([_request(a) for a in ready], took))
            for action in updates:
                self._run(journal, [action], lambda took, a=action: took(self._update(a)))
        except SheetsyncError as stopped:
            return stopped
        return None

    def _update(self, action: Action) -> ActionResult:
        request = _request(action)
        return self.adapter.update_delivery(str(action.delivery_no), request.delivery_type, request.carrier,
                                            request.tracking_numbers, request.order_nos, request.license_plate,
                                            request.phone)

    def _run(self, journal: OrdersJournal, actions: list[Action],
             send: Callable[[Callable[[ActionResult], None]], object]) -> None:
        """Send these actions (`send` calls the adapter with a callback for each result), journal
        each one the platform took as its result arrives, then settle the lost ones by a re-read.
        What stops the sending (quota, credentials, a journal that cannot be written) is raised
        once the lost answers were settled, if they can be."""
        if not actions:
            return
        by_orders = {action.orders: action for action in actions}
        lost: list[ActionResult] = []

        def took(result: ActionResult) -> None:
            action = by_orders[result.order_nos]
            if result.status == "unknown":
                lost.append(result)
            else:
                self._ended(journal, action, result)

        stopped: SheetsyncError | None = None
        try:
            send(took)
        except SheetsyncError as exc:
            stopped = exc
        if lost:
            try:
                for result in self._settle(lost, by_orders):
                    self._ended(journal, by_orders[result.order_nos], result)
            except SheetsyncError as exc:
                stopped = stopped or exc
        if stopped is not None:
            raise stopped

    def _ended(self, journal: OrdersJournal, action: Action, result: ActionResult) -> None:
        """Set the action's result from the platform's; journal it when the platform took it."""
        if result.status == "applied":
            action.result = "applied"
            action.delivery_no = result.delivery_no or action.delivery_no
            journal.record(action)
        elif result.status == "rejected":
            action.result, action.code, action.message = "rejected", result.code, result.message
        elif result.status == "not_applied":  # a lost answer, and a re-read shows it was not done
            action.result, action.code = "failed", result.code
            action.message = message("ae_order_not_done", _lang(journal, self.lang), code=result.code or "-")
        else:  # still unknown after a re-read: never resent; the seller checks the order
            action.result, action.code, action.message = "failed", result.code, result.message

    def _settle(self, lost: list[ActionResult], actions: dict[tuple[str, ...], Action]) -> list[ActionResult]:
        """Lost answers decided by reading their orders again: confirmations and new deliveries
        as the adapter settles them; an update is done when every order carries its delivery with
        the sheet's values, not done when they carry it with other values; anything else stays
        unknown."""
        settled = list(self.adapter.settle([r for r in lost if r.action != "update_delivery"]))
        changed = [r for r in lost if r.action == "update_delivery"]
        now = self.read([number for r in changed for number in r.order_nos]) if changed else {}
        for result in changed:
            action = actions[result.order_nos]
            orders = [now.get(number) for number in result.order_nos]
            if any(o is None or o.delivery_no != action.delivery_no for o in orders):
                settled.append(result)
            elif all(o is not None and o.delivery == action.delivery for o in orders):
                settled.append(_settled(result, "applied"))
            else:
                settled.append(_settled(result, "not_applied"))
        return settled

    # -- labels ----------------------------------------------------------------------------------
    def label(self, delivery_no: str, boxes: int, size: str) -> bytes:
        """The box labels of a delivery as a PDF. A delivery number that could not be a plain
        file name is a wrong answer, refused before anything is fetched: the pipeline saves the
        labels as DIR/<delivery number>.pdf. More boxes than the platform prints for one delivery
        (its orders' boxes together) are refused with a sentence: the pipeline's warning."""
        if not _SAFE_NAME.fullmatch(delivery_no):
            raise _bad(PRINT_LABELS, f"the delivery number {delivery_no[:64]!r} cannot name a file")
        if not 1 <= boxes <= MAX_BOXES:  # the boxes of a delivery's orders together can be more
            raise ConfigError("labels_boxes_range", delivery_no=delivery_no, boxes=boxes)
        return self.adapter.label_pdf(delivery_no, boxes, size)


# -- translations ----------------------------------------------------------------------------------------
def _order(order: PurchaseOrder, codes: dict[str, str]) -> Order:
    """The platform's order as the workbook's: the status code as an integer, the warehouse by
    name, the delivery as the sheet would give it, each item's SKU code from the catalog when the
    platform sends none (empty when the catalog does not know the SKU)."""
    if order.deadline is None:  # every JIT order has one: a missing one is a wrong answer, not "no hurry"
        raise _bad(PAGE_QUERY, f"order {order.order_no} has no gmt_expiration (its deadline)")
    items = tuple(Item(item.sku_id, item.sku_code or codes.get(item.sku_id, ""), item.title, item.barcode,
                       item.quantity) for item in order.items)
    return Order(order.order_no, int(order.status_code), order.deadline,
                 order.warehouse_name or order.warehouse_code, order.warehouse_address, items,
                 _delivery(order.delivery) if order.delivery is not None else None, order.delivery_no)


def _same(key: str, value: str | None) -> str:
    """A delivery value as the sheet's rules read it (trimmed, and so on), so the same delivery
    compares equal whichever side it came from; the platform's own text when the rules refuse it."""
    converted = parse(key, value or "")
    return converted.value if converted.problem is None and isinstance(converted.value, str) else (value or "")


def _delivery(delivery: PlatformDelivery) -> Delivery:
    """The platform's delivery as the change rule compares it: tracking numbers in capitals and
    sorted, as the sheet's are."""
    return Delivery.of(delivery.delivery_type, _same("carrier", delivery.carrier),
                       [number.strip().upper() for number in delivery.tracking_numbers if number.strip()],
                       _same("license_plate", delivery.license_plate), _same("phone", delivery.phone))


def _request(action: Action) -> DeliveryRequest:
    """A delivery action as the adapter sends it (empty values left out)."""
    delivery = action.delivery
    if delivery is None:
        raise ValueError(f"a {action.kind} action without a delivery")  # the plan never makes one
    return DeliveryRequest(delivery.delivery_type, tuple(action.orders), delivery.carrier or None,
                           tuple(delivery.tracking), delivery.license_plate or None, delivery.phone or None)


def _lang(journal: OrdersJournal, default: str) -> str:
    """The run's language, as the journal carries it."""
    return getattr(journal, "lang", None) or default


def _settled(result: ActionResult, status: str) -> ActionResult:
    return ActionResult(result.action, result.order_nos, status, result.delivery_no, result.code, result.message)
