"""Where changes go, behind one protocol.

A target reads the current values of what a plan touches, says what it cannot store, and applies
a plan, returning a result per item. The pipeline drives every target the same way, for an
import, a dry run and a revert alike:

    current = target.read(edits)            # also in a dry run: conflicts show before anything is written
    issues  = target.check(changes, after)  # what this target cannot store, refused before sending
    applied = target.apply(journal, changes, already)

`local.LocalTarget` is the embedded catalog (one transaction, all or nothing).
`aliexpress.AliExpressTarget` is the platform (one product per call; each product's success is
journaled at once, so a run that dies half way is finished by the next one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ..errors import ConfigError, SheetsyncError
from ..orders.model import Action, Order
from ..results import Change, Issue, PullResult, PushResult

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import Store

TARGETS = ("local", "aliexpress")


class Journal(Protocol):
    """The run's journal, kept by the pipeline in the store. `stop` is set when the seller pressed
    Ctrl-C: a target that writes item by item sends nothing more, finishes what is in flight,
    records it, and returns; one that writes all at once may ignore it (the pipeline asks before)."""

    stop: threading.Event

    def record(self, changes: Sequence[Change]) -> None:
        """These changes are now held by the target: mark them applied and mirror them in the
        local catalog, in one transaction."""

    def mirror(self, changes: Sequence[Change]) -> None:
        """The target already held these values (an earlier run wrote them, then died): bring the
        local catalog level with it, without journaling them again."""


@dataclass
class Applied:
    """What `apply` did: a result per SKU, and what stopped it half way, if anything did (changes
    not written by then are marked failed)."""

    results: list[PushResult] = field(default_factory=list)
    stopped: SheetsyncError | None = None


class Target(Protocol):
    name: str  # as journaled and shown: "local" or "aliexpress"
    all_or_nothing: bool  # a failure inside `exclusive()` undoes everything applied inside it

    def exclusive(self) -> AbstractContextManager[Any]:
        """Held around a run that writes: nothing else writes the store meanwhile. Includes the
        store's write lock (`Store.write_lock`), which other sheetsync processes respect."""

    def read(self, edits: Sequence[Change]) -> list[object]:
        """The target's current value of each edit's SKU and field, aligned with `edits` (None for
        a SKU it does not hold). Reads only; a dry run calls it too."""

    def check(self, changes: Sequence[Change], after: pd.DataFrame) -> list[Issue]:
        """What this target cannot store, given the changes and every touched row as it will be
        (`after`, indexed by sku_id). Issues name a SKU and a field; the pipeline finds the cell."""

    def apply(self, journal: Journal, changes: list[Change], already: list[Change]) -> Applied:
        """Write the changes (absolute values, never increments), setting each change's `result`."""

    def pull(self, since: str | None = None, progress: Callable[[int], None] | None = None) -> PullResult:
        """Refresh the local catalog from the target (a platform); ConfigError where it cannot."""

    def describe(self) -> dict[str, Any]:
        """What `sheetsync status` shows of this target: its name under "target", and what a
        platform adds (the connected seller, token validity, the last pull). Never a secret;
        works on a target opened `offline`."""


def open_target(name: str | None, store: Store, settings: Settings, client: object = None, *,
                offline: bool = False) -> Target:
    """The target called `name`, or the store's own (the local catalog unless connected).
    `offline`: only to `describe` it (no credentials needed, nothing sent)."""
    name = name or store.meta("target") or "local"
    if name == "local":
        from .local import LocalTarget

        return LocalTarget(store)
    if name == "aliexpress":
        from .aliexpress import connect

        return connect(store, settings, client, offline=offline)
    raise ConfigError("target_unknown", value=name, allowed=", ".join(TARGETS))


# -- JIT purchase orders (issue 14) -----------------------------------------------------------------
class OrdersJournal(Protocol):
    """The orders run's journal, kept by the pipeline in the store."""

    lang: str  # the run's language: a sentence a target gives an action (its `message`) is in it

    def record(self, action: Action) -> None:
        """The target has done this action (its `result` applied, a created delivery's number in
        `delivery_no`): mark its orders applied in the journal at once, so a run that dies later
        is finished, not repeated, by the next one."""


class OrdersTarget(Protocol):
    """Where JIT purchase orders are read and acted on: the local store, or the platform
    (`aliexpress.ascp.po.*`). The pipeline drives both the same way:

        orders  = target.orders(statuses)            # export
        current = target.read(numbers)               # import: re-read just before acting, also in a dry run
        stopped = target.apply(journal, actions)     # confirmations first, then deliveries
        pdf     = target.label(delivery_no, boxes, size)   # only where `labels` is true
    """

    name: str
    all_or_nothing: bool
    labels: bool  # box labels can be fetched (the platform prints them; the local store cannot)

    def exclusive(self) -> AbstractContextManager[Any]:
        """Held around a run that acts: the store's write lock (and, locally, its transaction)."""

    def orders(self, statuses: Sequence[int]) -> list[Order]:
        """Every JIT order with one of these statuses, with its items, in the target's order."""

    def read(self, numbers: Sequence[str]) -> dict[str, Order]:
        """These orders as they are now (an order the target no longer has is missing)."""

    def apply(self, journal: OrdersJournal, actions: list[Action]) -> SheetsyncError | None:
        """Do the actions in order, setting each one's result (applied, rejected with the
        platform's code and message, or failed) and journaling each as it is done; returns what
        stopped it half way, if anything did (the actions not done by then are failed)."""

    def label(self, delivery_no: str, boxes: int, size: str) -> bytes:
        """The box labels of a delivery as a PDF."""


def open_orders_target(name: str | None, store: Store, settings: Settings, client: object = None) -> OrdersTarget:
    """The orders target called `name`, or the store's own: the local store's orders, or the
    platform's (`aliexpress.connect_orders`: the connected seller's JIT orders)."""
    name = name or store.meta("target") or "local"
    if name == "local":
        from .local_orders import LocalOrders

        return LocalOrders(store)
    if name == "aliexpress":
        from .aliexpress import connect_orders

        return connect_orders(store, settings, client)
    raise ConfigError("target_unknown", value=name, allowed=", ".join(TARGETS))
