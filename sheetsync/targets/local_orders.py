"""The default orders target: JIT purchase orders kept in the store itself, so the whole orders
flow runs offline (the sample's orders, the quick start, the tests). Confirmations and deliveries
are recorded, deliveries with numbers of their own; box labels need the platform."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import ConfigError, SheetsyncError
from ..orders.model import Action, Order
from . import OrdersJournal

if TYPE_CHECKING:
    from ..store import Store


class LocalOrders:
    """Acts on the store's orders in one transaction: all of the run's actions or none."""

    name = "local"
    all_or_nothing = True
    labels = False

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The store's write lock and write transaction, from before the orders are re-read until
        the actions are committed: what the plan was made against cannot change underneath it."""
        with self.store.write_lock(), self.store.transaction():
            yield

    def orders(self, statuses: Sequence[int]) -> list[Order]:
        return self.store.jit_orders(statuses=statuses)

    def read(self, numbers: Sequence[str]) -> dict[str, Order]:
        return {order.purchase_order_no: order for order in self.store.jit_orders(numbers=numbers)}

    def apply(self, journal: OrdersJournal, actions: list[Action]) -> SheetsyncError | None:
        for action in actions:
            if action.kind == "confirm":
                self.store.confirm_order(action.orders[0])
            elif action.kind == "selfdelivery" and action.delivery is not None:
                action.delivery_no = self.store.record_delivery(action.orders, action.delivery, action.boxes)
            elif action.delivery is not None and action.delivery_no is not None:
                self.store.update_delivery(action.delivery_no, action.delivery, action.boxes)
            action.result = "applied"
            journal.record(action)
        return None

    def label(self, delivery_no: str, boxes: int, size: str) -> bytes:
        raise ConfigError("labels_need_platform", folder="-")
