"""The change rule for orders: base (the order as exported), sheet (what the seller filled in)
and current (the order re-read just before acting) → the actions to send.

| sheet vs base | current                          | outcome                                      |
|---|---|---|
| equal         | anything                         | untouched                                    |
| confirm yes   | waiting for confirmation         | confirm                                      |
| confirm yes   | confirmed already                | already applied (skipped)                    |
| confirm yes   | cancelled, or anything else      | error                                        |
| delivery set  | no delivery (as base)            | selfdelivery (needs the order confirmed,     |
|               |                                  | already or in this import)                   |
| delivery set  | the delivery of base             | updateSelfdelivery of that delivery          |
| delivery set  | the sheet's delivery             | already applied                              |
| delivery set  | another delivery                 | conflict: error, nothing sent                |

Orders that share a delivery (type, carrier, the same set of tracking numbers, plate and phone)
travel in one selfdelivery call, at most 99 orders a call. Pure: the pipeline gives the three
sides and sends what comes back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..results import ERROR, WARNING, Issue
from .fields import CANCELLED, CONFIRMED_STATES, DELIVERABLE_STATES, ORDERS_PER_DELIVERY, TO_CONFIRM, status_words
from .model import Action, Delivery, Order
from .rules import SheetOrder


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)  # to send, confirmations first
    already: list[Action] = field(default_factory=list)  # held by the target already: never sent again
    issues: list[Issue] = field(default_factory=list)
    orders: int = 0  # orders with something to send

    @property
    def changes(self) -> int:
        return sum(len(a.orders) for a in self.actions)

    @property
    def already_applied(self) -> int:
        return sum(len(a.orders) for a in self.already)


def plan(sheet: Sequence[SheetOrder], base: Mapping[str, Order], current: Mapping[str, Order | None],
         now: dt.datetime) -> Plan:
    """Decide every order the sheet edits (see the module's table). `sheet` in the order of the
    sheet; orders with an error in their cells (`SheetOrder.invalid`) are left out."""
    result = Plan()
    confirms: list[str] = []
    creates: dict[Delivery, list[tuple[str, int | None]]] = {}
    updates: dict[tuple[str, Delivery], list[tuple[str, int | None]]] = {}
    touched: set[str] = set()
    for order in sheet:
        if order.invalid or not order.edited:
            continue
        was, now_is = base[order.number], current.get(order.number)
        if now_is is None:
            result.issues.append(order.issue("order_gone", "purchase_order_no"))
            continue
        status = now_is.status
        wants_confirm = order.values.get("confirm") is True
        wanted = order.delivery()
        delivery_edited = wanted != was.delivery
        if status == CANCELLED and (wants_confirm or delivery_edited):
            result.issues.append(order.issue("order_cancelled", "confirm" if wants_confirm else "delivery_type"))
            continue
        if wants_confirm:
            if status == TO_CONFIRM:
                confirms.append(order.number)
                touched.add(order.number)
            elif status in CONFIRMED_STATES:
                result.already.append(Action("confirm", (order.number,), result="already_applied"))
            else:
                result.issues.append(order.issue("confirm_not_waiting", "confirm",
                                                 state=status_words(status), state_zh=status_words(status, "zh")))
                continue
        if not delivery_edited:
            continue
        if wanted is None:
            result.issues.append(order.issue("delivery_cleared", "delivery_type", delivery_no=was.delivery_no or "-"))
            continue
        if now_is.delivery == wanted:
            result.already.append(Action("selfdelivery" if was.delivery is None else "updateSelfdelivery",
                                         (order.number,), wanted, now_is.delivery_no, order.values.get("boxes"),
                                         result="already_applied"))  # its boxes: labels fetched again
            continue
        if now_is.delivery != was.delivery:
            result.issues.append(order.issue("order_delivery_conflict", "delivery_type",
                                             base=was.delivery.shown() if was.delivery else "-",
                                             current=now_is.delivery.shown() if now_is.delivery else "-",
                                             value=wanted.shown()))
            continue
        confirmed = status in DELIVERABLE_STATES or (status == TO_CONFIRM and wants_confirm)
        if not confirmed:
            rule = "delivery_needs_confirm" if status == TO_CONFIRM else "delivery_not_open"
            result.issues.append(order.issue(rule, "delivery_type", state=status_words(status),
                                             state_zh=status_words(status, "zh")))
            continue
        boxes = order.values.get("boxes")
        if now_is.delivery_no is None:
            creates.setdefault(wanted, []).append((order.number, boxes))
        else:
            updates.setdefault((now_is.delivery_no, wanted), []).append((order.number, boxes))
        touched.add(order.number)
        if now_is.deadline is not None and now_is.deadline < now:
            result.issues.append(order.issue("order_overdue", "deadline", WARNING,
                                             deadline=now_is.deadline.astimezone().strftime("%Y-%m-%d %H:%M")))
    result.issues += _split_deliveries(updates, {o.number: o for o in sheet})
    result.actions = [Action("confirm", (number,)) for number in confirms]
    for delivery, members in creates.items():
        for start in range(0, len(members), ORDERS_PER_DELIVERY):
            chunk = members[start:start + ORDERS_PER_DELIVERY]
            result.actions.append(Action("selfdelivery", tuple(n for n, _ in chunk), delivery, boxes=_boxes(chunk)))
    for (delivery_no, delivery), members in updates.items():
        result.actions.append(Action("updateSelfdelivery", tuple(n for n, _ in members), delivery, delivery_no,
                                     boxes=_boxes(members)))
    result.issues += _tracking_reused(result.actions, base, current, {o.number: o for o in sheet})
    result.orders = len(touched)
    return result


def _tracking_reused(actions: Sequence[Action], base: Mapping[str, Order], current: Mapping[str, Order | None],
                     orders: Mapping[str, SheetOrder]) -> list[Issue]:
    """A delivery sent with a carrier and tracking number that another delivery already has (as
    re-read, else as exported): a warning naming that delivery and its order. ALIEXPRESS.md says
    nothing of the platform refusing it, and a seller may mean it, but usually a number was pasted
    twice or the order belongs in that delivery."""
    known: dict[tuple[str, str], tuple[str, str]] = {}  # (carrier, tracking number) → (delivery, order)
    for number, exported in base.items():
        held = current.get(number) or exported
        if held.delivery is not None and held.delivery_no:
            for tracking in held.delivery.tracking:
                known.setdefault((held.delivery.carrier.casefold(), tracking), (held.delivery_no, number))
    issues = []
    for action in actions:
        if action.delivery is None:
            continue
        for tracking in action.delivery.tracking:
            other = known.get((action.delivery.carrier.casefold(), tracking))
            if other is not None and other[0] != action.delivery_no and other[1] not in action.orders:
                issues.append(orders[action.orders[0]].issue(
                    "tracking_in_other_delivery", "tracking_numbers", WARNING, value=tracking,
                    carrier=action.delivery.carrier, delivery_no=other[0], other_order=other[1]))
    return issues


def unused_boxes(sheet: Sequence[SheetOrder], planned: Plan, kept: bool) -> list[Issue]:
    """A boxes edit that nothing uses, as a warning on its cell rather than silence. The platform's
    selfdelivery and updateSelfdelivery carry no box count (ALIEXPRESS.md): boxes only count the
    labels printed for a delivery this run makes, changes or finds made. `kept`: the run uses the
    boxes of such a delivery (labels asked for, or a target that records them with the delivery)."""
    carried = {number for action in [*planned.actions, *planned.already] if action.kind != "confirm"
               for number in action.orders}
    return [order.issue("boxes_unused", "boxes", WARNING, value=_shown_boxes(order.values.get("boxes")))
            for order in sheet
            if "boxes" in order.edited and not order.invalid and not (kept and order.number in carried)]


def _shown_boxes(boxes: int | None) -> str:
    """Boxes as a message quotes them: a cleared cell as the empty mark, never Python's None."""
    return "-" if boxes is None else str(boxes)


def _boxes(members: Sequence[tuple[str, int | None]]) -> int | None:
    """The boxes of a delivery: those of its orders together (none given: None)."""
    given = [boxes for _, boxes in members if boxes]
    return sum(given) if given else None


def _split_deliveries(updates: Mapping[tuple[str, Delivery], list[tuple[str, int | None]]],
                      orders: Mapping[str, SheetOrder]) -> list[Issue]:
    """Orders of one existing delivery asking for two different changes of it: one delivery
    cannot become both, so each such order is an error."""
    by_number: dict[str, list[tuple[str, int | None]]] = {}
    for (delivery_no, _), members in updates.items():
        by_number.setdefault(delivery_no, []).extend(members)
    issues = []
    for delivery_no, members in by_number.items():
        if sum(1 for key in updates if key[0] == delivery_no) > 1:
            for number, _ in members:
                issues.append(orders[number].issue("delivery_split", "tracking_numbers", ERROR,
                                                   delivery_no=delivery_no))
    return issues
