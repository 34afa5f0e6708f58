"""JIT purchase orders (issue 14): the Orders sheet's rules as pure functions, the three-way plan,
and the whole flow through the CLI as a seller types it (`orders export`, edit, `orders import`)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.cells import CellKind, Mark
from sheetsync.orders.fields import CANCELLED, CONFIRMED, IN_TRANSIT, TO_CONFIRM, TO_SHIP
from sheetsync.orders.model import Delivery, Item, Order
from sheetsync.orders.plan import plan
from sheetsync.orders.rules import (
    SheetOrder,
    check_order,
    parse,
    parse_boxes,
    parse_tracking,
    split_tracking,
    tracking_carriers,
)
from tests.strategies import cell_values

NOW = dt.datetime(2026, 12, 8, 4, 0, tzinfo=dt.UTC)


# -- cells -----------------------------------------------------------------------------------------
@given(cell_values, st.sampled_from(["confirm", "delivery_type", "carrier", "tracking_numbers", "license_plate",
                                     "phone", "boxes"]))
def test_every_order_cell_is_a_value_or_a_rule(value, key):
    converted = parse(key, value)  # never raises
    assert converted.problem is None or (converted.value is None and isinstance(converted.problem[0], str))


@given(st.lists(st.from_regex(r"[A-Za-z0-9-]{6,40}", fullmatch=True), min_size=1, max_size=5),
       st.lists(st.sampled_from([",", " ", "\n", ", ", "\r\n", "；"]), min_size=5, max_size=5))
def test_tracking_numbers_in_any_separator_are_the_same_set(numbers, separators):
    typed = "".join(n + s for n, s in zip(numbers, separators, strict=False))
    assert parse_tracking(typed).value == tuple(sorted(set(numbers)))
    assert parse_tracking(" ".join(reversed(numbers))).value == parse_tracking(typed).value


@given(st.text(min_size=1, max_size=45))
def test_a_tracking_number_is_6_to_40_letters_digits_or_hyphens(text):
    converted = parse_tracking(text)
    parts = split_tracking(text)
    valid = all(len(p) in range(6, 41) and all(c.isascii() and (c.isalnum() or c == "-") for c in p) for p in parts)
    assert (converted.problem is None) == valid, (text, converted)


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (99, 99), ("12", 12), (None, None), ("", None)])
def test_boxes_whole_numbers_1_to_99(value, expected):
    assert parse_boxes(value).value == expected and parse_boxes(value).problem is None


@pytest.mark.parametrize("value", [0, 100, 1.5, -1, "two", True, dt.date(2026, 1, 1)])
def test_boxes_outside_1_to_99_are_refused(value):
    assert parse_boxes(value).problem[0] == "boxes_range"


def test_an_error_value_is_never_an_empty_confirm_or_tracking():
    mark = Mark(CellKind.ERROR, "#N/A")
    assert parse("confirm", "", mark).problem[0] == "cell_error"
    assert parse("tracking_numbers", "", mark).problem[0] == "cell_error"


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("YES ", True), (True, True), ("是", True),
                                                 ("", False), (None, False), ("no", False)])
def test_confirm_words(value, expected):
    assert parse("confirm", value).value is expected


def test_confirm_refuses_other_words():
    assert parse("confirm", "ok").problem[0] == "confirm_format"


# -- orders as a whole -----------------------------------------------------------------------------
def sheet_order(number: str, **values) -> SheetOrder:
    order = SheetOrder(number, rows=[3])
    order.values = {"confirm": False, "delivery_type": "", "carrier": "", "tracking_numbers": (), "license_plate": "",
                    "phone": "", "boxes": None, **values}
    order.edited = {k for k, v in values.items() if v}
    order.cells = {k: (3, i) for i, k in enumerate(order.values)}
    return order


def order(number: str, status: int, delivery: Delivery | None = None, delivery_no: str | None = None,
          hours: float = 48) -> Order:
    return Order(number, status, NOW + dt.timedelta(hours=hours), "WH", "addr", (Item("1", "C", "T", "", 1),),
                 delivery, delivery_no)


SF = Delivery.of("express", "SF", ["SF1000000001"])


def test_express_needs_a_carrier_and_a_tracking_number():
    rules = {i.rule for i in check_order(sheet_order("1", delivery_type="express"))}
    assert rules == {"carrier_required", "tracking_required"}


def test_truck_needs_a_plate_and_a_phone():
    rules = {i.rule for i in check_order(sheet_order("1", delivery_type="truck", carrier="X"))}
    assert rules == {"plate_required", "phone_required"}


def test_delivery_details_without_a_type():
    assert [i.rule for i in check_order(sheet_order("1", carrier="SF"))] == ["delivery_type_required"]


def test_one_tracking_number_with_two_carriers_is_an_error():
    a = sheet_order("1", delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
    b = sheet_order("2", delivery_type="express", carrier="YTO", tracking_numbers=("SF1000000001",))
    issues = tracking_carriers([a, b])
    assert [i.rule for i in issues] == ["tracking_two_carriers"] and issues[0].params["order"] == "2"


def test_confirm_and_deliver_orders_sharing_tracking_in_one_call():
    a = sheet_order("1", confirm=True, delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
    b = sheet_order("2", confirm=True, delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",),
                    boxes=2)
    base = {"1": order("1", TO_CONFIRM), "2": order("2", TO_CONFIRM)}
    done = plan([a, b], base, base, NOW)
    assert [(x.kind, x.orders) for x in done.actions] == [("confirm", ("1",)), ("confirm", ("2",)),
                                                        ("selfdelivery", ("1", "2"))]
    assert done.actions[2].boxes == 2 and done.changes == 4 and not done.issues


def test_a_re_run_is_already_applied():
    a = sheet_order("1", confirm=True, delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
    done = plan([a], {"1": order("1", TO_CONFIRM)}, {"1": order("1", TO_SHIP, SF, "SD1")}, NOW)
    assert not done.actions and done.already_applied == 2 and not done.issues


def test_delivery_needs_the_order_confirmed():
    a = sheet_order("1", delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
    done = plan([a], {"1": order("1", TO_CONFIRM)}, {"1": order("1", TO_CONFIRM)}, NOW)
    assert [i.rule for i in done.issues] == ["delivery_needs_confirm"] and not done.actions


def test_confirm_only_an_order_waiting_for_it():
    a = sheet_order("1", confirm=True)
    assert [i.rule for i in plan([a], {"1": order("1", TO_CONFIRM)}, {"1": order("1", CANCELLED)}, NOW).issues] == [
        "order_cancelled"]
    skipped = plan([a], {"1": order("1", CONFIRMED)}, {"1": order("1", CONFIRMED)}, NOW)
    assert not skipped.issues and not skipped.actions and skipped.already_applied == 1


def test_a_changed_tracking_updates_the_delivery():
    a = sheet_order("1", delivery_type="express", carrier="SF", tracking_numbers=("SF2000000002",))
    base = {"1": order("1", TO_SHIP, SF, "SD1")}
    done = plan([a], base, base, NOW)
    assert [(x.kind, x.delivery_no) for x in done.actions] == [("updateSelfdelivery", "SD1")]
    closed = plan([a], base, {"1": order("1", IN_TRANSIT, SF, "SD1")}, NOW)
    assert [i.rule for i in closed.issues] == ["delivery_not_open"]


def test_a_delivery_made_elsewhere_since_the_export_is_a_conflict():
    a = sheet_order("1", confirm=True, delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
    other = Delivery.of("express", "YTO", ["YT1234567"])
    done = plan([a], {"1": order("1", TO_CONFIRM)}, {"1": order("1", TO_SHIP, other, "SD9")}, NOW)
    assert "order_delivery_conflict" in [i.rule for i in done.issues]


def test_at_most_99_orders_a_delivery_and_an_overdue_order_warns():
    sheet = [sheet_order(str(n), delivery_type="express", carrier="SF", tracking_numbers=("SF1000000001",))
             for n in range(150)]
    base = {str(n): order(str(n), CONFIRMED, hours=-1 if n == 0 else 48) for n in range(150)}
    done = plan(sheet, base, base, NOW)
    assert [len(x.orders) for x in done.actions] == [99, 51]
    assert [(i.rule, i.severity) for i in done.issues] == [("order_overdue", "warning")]
