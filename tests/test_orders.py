"""JIT purchase orders (issue 14): the Orders sheet's rules as pure functions, the three-way plan,
and the whole flow through the CLI as a seller types it (`orders export`, edit, `orders import`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import sheetsync
from sheetsync.amounts import FULL_WIDTH
from sheetsync.cells import CellKind, Mark
from sheetsync.cli import main
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
from sheetsync.results import ISSUES_PER_RULE
from sheetsync.targets.aliexpress import orders as po
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
    assert parse_tracking(typed).value == tuple(sorted({n.upper() for n in numbers}))
    assert parse_tracking(" ".join(reversed(numbers))).value == parse_tracking(typed).value


@given(st.text(min_size=1, max_size=45))
def test_a_tracking_number_is_6_to_40_letters_digits_or_hyphens(text):
    converted = parse_tracking(text)
    parts = split_tracking(text.translate(FULL_WIDTH))  # full-width letters and digits are read as ASCII
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
                                                 ("", None), (None, None), ("no", False), ("N", False),
                                                 ("否", False), (False, False), ("false", False)])
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


# -- the whole flow through the CLI, as a seller types it ----------------------------------------------
class OrdersBook:
    """An Orders workbook opened with openpyxl, addressed by order number and field key."""

    def __init__(self, path: Path) -> None:
        self.wb = openpyxl.load_workbook(path)
        self.ws = self.wb["Orders"]
        self.keys = {self.ws.cell(2, c).value: c for c in range(1, self.ws.max_column + 1)}
        self.rows: dict[str, list[int]] = {}
        for r in range(3, self.ws.max_row + 1):
            number = self.ws.cell(r, self.keys["purchase_order_no"]).value
            if number:
                self.rows.setdefault(str(number), []).append(r)

    def with_status(self, words: str) -> list[str]:
        return [n for n, rows in self.rows.items() if self.get(rows[0], "status") == words]

    def get(self, row: int, key: str) -> Any:
        return self.ws.cell(row, self.keys[key]).value

    def fill(self, number: str, every_row: bool = True, **values: Any) -> str:
        """Fill an order's cells (on each of its rows, or on its first); the last cell's reference."""
        for row in self.rows[number] if every_row else self.rows[number][:1]:
            for key, value in values.items():
                cell = self.ws.cell(row, self.keys[key])
                cell.value = value
        return cell.coordinate

    def coord(self, number: str, key: str, index: int = 0) -> str:
        return self.ws.cell(self.rows[number][index], self.keys[key]).coordinate

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path


def run(store: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    """The CLI as typed; the JSON result when --json was given."""
    result = CliRunner().invoke(main, ["--store", str(store), *args])
    data = json.loads(result.output) if "--json" in args and result.output.startswith("{") else {}
    return result.exit_code, result.output, data


@pytest.fixture
def orders_book(store: Path, tmp_path: Path) -> OrdersBook:
    code, out, _ = run(store, "orders", "export", str(tmp_path / "orders.xlsx"))
    assert code == 0 and "Exported 6 orders (9 items)" in out, out
    return OrdersBook(tmp_path / "orders.xlsx")


def express(book: OrdersBook, number: str, tracking: str = "SF1000000001", **more: Any) -> str:
    return book.fill(number, confirm="yes", delivery_type="express", carrier="SF", tracking_numbers=tracking, **more)


def test_the_export_has_the_contract_keys_and_the_catalog_template_look(orders_book, tmp_path):
    ws = orders_book.ws
    assert list(orders_book.keys) == ["purchase_order_no", "status", "deadline", "warehouse", "warehouse_address",
                                      "sku_id", "sku_code", "title", "barcode", "quantity", "confirm",
                                      "delivery_type", "carrier", "tracking_numbers", "license_plate", "phone",
                                      "boxes", "delivery_no"]
    assert ws.cell(1, 1).value == "Order" and ws.freeze_panes == "B3"
    assert ws.cell(3, orders_book.keys["sku_id"]).data_type == "s"  # identifiers as text
    assert isinstance(orders_book.get(3, "deadline"), dt.datetime)
    lists = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation if v.type == "list"}
    assert lists == {"K3:K11": '"yes"', "L3:L11": '"express,truck,other"'}
    rules = [rule.formula[0] for cf in ws.conditional_formatting for rule in cf.rules]
    assert rules == ["AND(ISNUMBER($C3),$C3-NOW()<1)"]  # due within 24 h, live
    assert orders_book.wb["_sheetsync"].sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in orders_book.wb["_sheetsync"].iter_rows(values_only=True)}
    assert meta["kind"] == "orders" and len(meta["signature"]) == 64
    assert ws.cell(3, orders_book.keys["purchase_order_no"]).fill.fgColor.rgb.endswith("F2F2F2")  # read-only grey
    assert len(orders_book.with_status("to confirm")) == 3 and len(orders_book.rows["5000100000000102"]) == 3


def test_confirm_and_deliver_two_orders_in_one_delivery_and_a_re_run_sends_nothing(store, orders_book, tmp_path):
    a, b = orders_book.with_status("to confirm")[:2]
    express(orders_book, a, boxes=1)
    express(orders_book, b, tracking="sf1000000001\n", boxes=2)
    edited = orders_book.save(tmp_path / "edited.xlsx")
    code, _, planned = run(store, "orders", "import", str(edited), "--dry-run", "--json")
    assert code == 0 and planned["status"] == "dry_run" and planned["changes"] == 4
    code, out, done = run(store, "orders", "import", str(edited), "--json")
    assert code == 0 and done["status"] == "applied", out
    kinds = [(x["action"], x["orders"]) for x in done["actions"]]
    assert kinds[:2] == [("confirm", [a]), ("confirm", [b])]
    assert kinds[2] == ("selfdelivery", [a, b]) and len(kinds) == 3  # the same number in any case: one delivery
    code, out, again = run(store, "orders", "import", str(edited), "--json")
    assert code == 0 and again["status"] == "unchanged" and again["already_applied"] == 4 and not again["actions"]
    code, out, _ = run(store, "history")
    assert code == 0 and done["run_id"] in out
    again_book = run(store, "orders", "export", str(tmp_path / "again.xlsx"))
    assert again_book[0] == 0
    after = OrdersBook(tmp_path / "again.xlsx")
    assert after.get(after.rows[a][0], "status") == "to ship" and after.get(after.rows[a][0], "delivery_no")


def test_orders_sharing_carrier_and_tracking_travel_in_one_delivery(store, orders_book, tmp_path):
    a, b = orders_book.with_status("to confirm")[:2]
    express(orders_book, a)
    express(orders_book, b, tracking="SF1000000001")
    code, _out, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    deliveries = [x for x in done["actions"] if x["action"] == "selfdelivery"]
    assert code == 0 and [x["orders"] for x in deliveries] == [[a, b]] and deliveries[0]["delivery_no"]
    assert done["changes"] == 4 and done["applied"] == 4


def test_a_bad_tracking_number_stops_the_import_naming_the_cell(store, orders_book, tmp_path):
    number = orders_book.with_status("to confirm")[0]
    cell = express(orders_book, number, tracking="SF1000000001, ??")
    code, out, _ = run(store, "orders", "import", str(orders_book.save(tmp_path / "bad.xlsx")))
    assert code == 1 and f"Orders!{cell} [tracking_format]" in out and '"??"' in out
    code, _, again = run(store, "orders", "import", str(tmp_path / "bad.xlsx"), "--json")
    assert again["applied"] == 0 and again["run_id"] is None  # nothing sent, nothing journaled


def test_an_edit_on_one_row_applies_to_the_order_rows_that_disagree_are_an_error(store, orders_book, tmp_path):
    multi = "5000100000000102"
    orders_book.fill(multi, every_row=False, confirm="yes")
    code, out, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "one.xlsx")), "--json")
    assert code == 0 and [x["orders"] for x in done["actions"]] == [[multi]], out
    second = orders_book.coord(multi, "carrier", 1)
    orders_book.fill(multi, delivery_type="express", tracking_numbers="YT1234567890", carrier="YTO")
    orders_book.ws[second].value = "ZTO"
    code, out, _ = run(store, "orders", "import", str(orders_book.save(tmp_path / "two.xlsx")))
    assert code == 1 and f"Orders!{second} [order_rows_disagree]" in out


def test_rows_saying_yes_and_no_disagree_and_no_everywhere_leaves_the_order(store, orders_book, tmp_path):
    """Review finding 1: no (否, FALSE) is a value, "do not confirm", not an empty cell that a yes
    on another row of the order overrides."""
    multi = "5000100000000102"
    first, second = orders_book.coord(multi, "confirm", 0), orders_book.coord(multi, "confirm", 1)
    orders_book.ws[first].value, orders_book.ws[second].value = "yes", "no"
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "yes-no.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("order_rows_disagree", second)], out
    assert '"no" here, "yes" in ' + first in data["errors"][0]["message"] and not data["applied"]
    orders_book.ws[first].value, orders_book.ws[second].value = "否", False
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "no.xlsx")), "--json")
    assert code == 0 and data["status"] == "unchanged" and not data["actions"] and not data["errors"], out


def test_a_delivery_needs_the_order_confirmed_and_express_a_carrier(store, orders_book, tmp_path):
    waiting = orders_book.with_status("to confirm")[0]
    orders_book.fill(waiting, delivery_type="express", carrier="SF", tracking_numbers="SF1000000001")
    confirmed = orders_book.with_status("confirmed")[0]
    carrier = orders_book.fill(confirmed, delivery_type="express", tracking_numbers="SF2000000002")
    code, _out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    rules = {(e["rule"], e["cell"]) for e in data["errors"]}
    assert code == 1 and ("delivery_needs_confirm", orders_book.coord(waiting, "delivery_type")) in rules
    assert ("carrier_required", orders_book.coord(confirmed, "carrier")) in rules, carrier


def test_truck_delivery_and_a_changed_tracking_updates_the_delivery(store, orders_book, tmp_path):
    shipped = orders_book.with_status("to ship")[0]
    orders_book.fill(shipped, tracking_numbers="YT7428813650212 YT7428813650213")
    confirmed = orders_book.with_status("confirmed")[0]
    orders_book.fill(confirmed, delivery_type="truck", license_plate="粤B12345", phone="138 0013 8000")
    code, out, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0, out
    kinds = {x["action"]: x for x in done["actions"]}
    assert kinds["updateSelfdelivery"]["delivery_no"] == orders_book.get(orders_book.rows[shipped][0], "delivery_no")
    assert kinds["selfdelivery"]["delivery"]["license_plate"] == "粤B12345"


def test_a_delivery_made_since_the_export_is_a_conflict_and_nothing_is_sent(store, orders_book, tmp_path):
    number = orders_book.with_status("to confirm")[0]
    express(orders_book, number)
    first = orders_book.save(tmp_path / "first.xlsx")
    express(orders_book, number, tracking="SF9999999999")
    second = orders_book.save(tmp_path / "second.xlsx")
    assert run(store, "orders", "import", str(first))[0] == 0
    code, out, data = run(store, "orders", "import", str(second), "--json")
    assert code == 1 and [e["rule"] for e in data["errors"]] == ["order_delivery_conflict"], out
    assert "SF1000000001" in data["errors"][0]["message"] and data["applied"] == 0


def test_the_report_lists_actions_and_marks_the_orders_sheet_which_imports_once_fixed(store, orders_book, tmp_path):
    number = orders_book.with_status("to confirm")[0]
    cell = express(orders_book, number, tracking="??")
    report = tmp_path / "report.xlsx"
    code, out, _ = run(store, "orders", "import", str(orders_book.save(tmp_path / "bad.xlsx")), "--report", str(report))
    assert code == 1 and report.exists()
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames[:4] == ["Summary", "Errors", "Actions", "Orders"]
    assert "tracking_format" in wb["Orders"][cell].comment.text or "Tracking" in wb["Orders"][cell].comment.text
    assert [c.value for c in wb["Actions"][1]] == ["Order", "Action", "Result", "Delivery number", "Delivery", "Code",
                                                  "Message"]  # the labels, as on every report table
    wb["Orders"][cell].value = "SF1000000001"
    wb.save(report)
    code, out, done = run(store, "orders", "import", str(report), "--json")
    assert code == 0 and done["status"] == "applied", out


def test_labels_need_the_platform_on_the_local_store(store, orders_book, tmp_path):
    express(orders_book, orders_book.with_status("to confirm")[0])
    code, out, _ = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--labels",
                       str(tmp_path / "labels"))
    assert code == 0 and "[labels_need_platform] Box labels come from AliExpress" in out
    assert not (tmp_path / "labels").exists()


def test_the_platform_target_without_credentials_is_refused_with_a_sentence(store, orders_book, tmp_path,
                                                                             monkeypatch):
    for name in [n for n in os.environ if n.startswith("SHEETSYNC_AE_")]:
        monkeypatch.delenv(name)
    code, out, _ = run(store, "orders", "export", str(tmp_path / "x.xlsx"), "--target", "aliexpress")
    assert code == 2 and "SHEETSYNC_AE_APP_KEY" in out and not (tmp_path / "x.xlsx").exists()


def test_the_platform_target_needs_a_connected_store_and_says_so(store, orders_book, tmp_path, monkeypatch):
    """--target aliexpress reaches the platform's orders target (tests/test_orders_aliexpress.py);
    on a store not connected to a seller it stops before anything is read or sent, saying how to
    connect it."""
    for key in [k for k in os.environ if k.startswith("SHEETSYNC_AE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SHEETSYNC_AE_APP_KEY", "500123")
    monkeypatch.setenv("SHEETSYNC_AE_APP_SECRET", "not-a-secret")
    code, out, _ = run(store, "orders", "export", str(tmp_path / "x.xlsx"), "--target", "aliexpress")
    assert code == 2 and "not connected to an AliExpress seller" in out and "auth" in out
    assert not (tmp_path / "x.xlsx").exists()
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--target",
                          "aliexpress", "--json")
    assert code == 2 and data["status"] == "unreadable" and data["run_id"] is None


def test_a_read_only_edit_is_a_warning_and_ignored(store, orders_book, tmp_path):
    number = orders_book.with_status("confirmed")[0]
    cell = orders_book.fill(number, every_row=False, quantity=99)
    code, _out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0 and data["status"] == "unchanged"
    assert [(w["rule"], w["cell"]) for w in data["warnings"]] == [("read_only_changed", cell)]


def test_boxes_that_change_nothing_are_a_warning_naming_the_cell(store, orders_book, tmp_path):
    """Review finding 2: the platform's deliveries carry no box count (ALIEXPRESS.md), so boxes
    count the labels only; an edit of them nothing uses is said, not dropped in silence."""
    shipped = orders_book.with_status("to ship")[0]  # already in a delivery: its boxes alone change nothing
    moved = orders_book.fill(shipped, every_row=False, boxes=5)
    confirmed = orders_book.with_status("confirmed")[0]  # no delivery type: nothing to count boxes for
    alone = orders_book.fill(confirmed, boxes=3)
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "boxes.xlsx")), "--json")
    assert code == 0 and data["status"] == "unchanged" and not data["errors"], out
    assert {(w["rule"], w["cell"]) for w in data["warnings"]} == {("boxes_unused", alone), ("boxes_unused", moved)}
    assert "--labels" in data["warnings"][0]["message"] and "not sent" in data["warnings"][0]["message"]


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="the process's time zone is set with time.tzset")
def test_a_deadline_at_midnight_read_back_as_a_date_is_not_a_read_only_edit(store, tmp_path, monkeypatch):
    """Review finding 3: the reader gives a date for a date-time at exactly midnight (here 16:00
    UTC in Shanghai); the untouched export is the same moment, not an edit of a read-only cell."""
    with sqlite3.connect(store) as db:
        db.execute("UPDATE jit_orders SET deadline = '2026-12-09T16:00:00+00:00' WHERE purchase_order_no = ?",
                   ("5000100000000104",))
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert run(store, "orders", "export", str(tmp_path / "o.xlsx"))[0] == 0
        book = OrdersBook(tmp_path / "o.xlsx")
        assert book.get(book.rows["5000100000000104"][0], "deadline") == dt.datetime(2026, 12, 10)
        code, out, data = run(store, "orders", "import", str(tmp_path / "o.xlsx"), "--json")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert code == 0 and data["status"] == "unchanged" and not data["warnings"], out


def test_a_tracking_number_of_another_delivery_is_a_warning_naming_it(store, orders_book, tmp_path):
    """Review finding 4: a new delivery with the carrier and tracking number of an existing one is
    sent (the platform is not known to refuse it) with a warning naming that delivery and order."""
    shipped = orders_book.with_status("to ship")[0]
    row = orders_book.rows[shipped][0]
    delivery_no, carrier = orders_book.get(row, "delivery_no"), orders_book.get(row, "carrier")
    tracking = orders_book.get(row, "tracking_numbers").split(",")[0].strip()
    waiting = orders_book.with_status("to confirm")[0]
    cell = orders_book.fill(waiting, confirm="yes", delivery_type="express", carrier=carrier.lower(),
                            tracking_numbers=tracking)
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "twice.xlsx")), "--json")
    assert code == 0 and data["status"] == "applied", out
    [warning] = data["warnings"]
    assert (warning["rule"], warning["cell"]) == ("tracking_in_other_delivery", cell)
    assert delivery_no in warning["message"] and shipped in warning["message"] and tracking in warning["message"]


def test_errors_of_a_rule_beyond_the_catalog_cap_are_counted_not_listed(store, orders_book, tmp_path):
    """Review finding 5: the orders import caps each rule's issues as the catalog import does
    (results.IssueLog), so a sheet of pasted rows does not list every one of them."""
    ws, extra = orders_book.ws, ISSUES_PER_RULE + 7
    for n in range(extra):
        ws.cell(12 + n, orders_book.keys["purchase_order_no"]).value = f"77{n:014d}"
        ws.cell(12 + n, orders_book.keys["sku_id"]).value = "1"
    path = orders_book.save(tmp_path / "pasted.xlsx")
    code, out, data = run(store, "orders", "import", str(path), "--json")
    assert code == 1 and len(data["errors"]) == ISSUES_PER_RULE and data["more_issues"] == {"order_not_in_export": 7}
    code, out, _ = run(store, "orders", "import", str(path))
    assert code == 1 and f"… and 7 more [order_not_in_export] beyond the first {ISSUES_PER_RULE}" in out, out[-500:]


@pytest.mark.parametrize(("typed", "shown"), [("#REF!", "#REF!"), (42, "42"), ('=LOWER("CARRIER")', "=LOWER")])
def test_a_broken_key_cell_is_named_not_blamed_on_the_orders(store, orders_book, tmp_path, typed, shown):
    """Review finding 6: a key cell of row 2 replaced by an error value, a number or a formula is
    named (key_cell_broken, the one reader's rule for Products and Orders), not reported as the
    order's missing carrier."""
    express(orders_book, orders_book.with_status("to confirm")[0])
    key = orders_book.ws.cell(2, orders_book.keys["carrier"])
    key.value = typed
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "key.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("key_cell_broken", key.coordinate)], out
    assert shown in data["errors"][0]["message"] and "carrier" in data["errors"][0]["message"]


def test_a_broken_key_cell_of_the_products_sheet_is_named_too(store, workbook, tmp_path):
    key = workbook.ws.cell(2, workbook.keys["seller_price"])
    key.value = "#REF!"
    workbook.set(workbook.sku_ids[0], "seller_price", 99)
    code, out, data = run(store, "import", str(workbook.save(tmp_path / "key.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("key_cell_broken", key.coordinate)], out


@pytest.mark.parametrize(("key", "limit", "typed"), [("carrier", 64, "S" * 5000),
                                                   ("license_plate", 20, "粤B1234567890123456789"),
                                                   ("phone", 32, "138 0013 8000 " * 3)],
                         ids=["carrier", "plate", "phone"])
def test_carrier_plate_and_phone_have_a_length_limit(store, orders_book, tmp_path, key, limit, typed):
    """Review finding 7: a carrier, licence plate or phone longer than any real one is refused."""
    confirmed = orders_book.with_status("confirmed")[0]
    orders_book.fill(confirmed, delivery_type="express" if key == "carrier" else "truck", carrier="SF",
                     tracking_numbers="SF1000000001", license_plate="粤B12345", phone="13800138000")
    cell = orders_book.fill(confirmed, every_row=False, **{key: typed})
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "long.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("order_text_too_long", cell)], out
    assert f"at most {limit}" in data["errors"][0]["message"] and not data["applied"]


def test_full_width_digits_read_as_ascii_and_an_invisible_character_is_named(store, orders_book, tmp_path):
    """Review finding 8: full-width phone and tracking digits (a Chinese input method's) read as
    the catalog reads them; a zero-width character inside a tracking number is named."""
    confirmed = orders_book.with_status("confirmed")[0]
    orders_book.fill(confirmed, delivery_type="truck", license_plate="粤B12345", phone="１３８００１３８０００")
    waiting = orders_book.with_status("to confirm")[0]
    express(orders_book, waiting, tracking="ＳＦ１０００００００２２")
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "wide.xlsx")), "--json")
    assert code == 0 and data["status"] == "applied", out
    deliveries = {tuple(x["orders"]): x["delivery"] for x in data["actions"] if x["action"] == "selfdelivery"}
    assert deliveries[(confirmed,)]["phone"] == "13800138000"
    assert deliveries[(waiting,)]["tracking_numbers"] == ["SF1000000022"]
    book = OrdersBook(tmp_path / "orders.xlsx")
    cell = express(book, book.with_status("to confirm")[1], tracking="SF10000\u200b00033")
    code, out, data = run(store, "orders", "import", str(book.save(tmp_path / "hidden.xlsx")), "--json")
    assert code == 1 and {e["rule"] for e in data["errors"]} == {"tracking_invisible"}, out
    assert cell in [e["cell"] for e in data["errors"]]
    assert "contains an invisible character (U+200B)" in data["errors"][0]["message"]


def test_status_chooses_the_orders_and_an_unknown_one_is_refused(store, tmp_path):
    code, out, _ = run(store, "orders", "export", str(tmp_path / "c.xlsx"), "--status", "to_confirm")
    assert code == 0 and "Exported 3 orders" in out
    code, out, _ = run(store, "orders", "export", str(tmp_path / "d.xlsx"), "--status", "shipped")
    assert code == 2 and "shipped" in out and "to_confirm" in out


@pytest.mark.parametrize("status", ["confirmed", "Confirmed", "已确认", "to_ship,confirmed"])
def test_status_takes_the_words_the_sheet_shows(store, tmp_path, status):
    """Review finding 10: `--status confirmed` (or 已确认), as the sheet shows the status, is taken."""
    code, out, _ = run(store, "orders", "export", str(tmp_path / "c.xlsx"), "--status", status)
    book = OrdersBook(tmp_path / "c.xlsx")
    assert code == 0 and len(book.with_status("confirmed")) == 2, out
    if status != "to_ship,confirmed":
        assert "Exported 2 orders" in out and set(book.rows) == set(book.with_status("confirmed"))


def test_chinese_labels_and_statuses(store, tmp_path):
    assert run(store, "orders", "export", str(tmp_path / "zh.xlsx"), "--lang", "zh")[0] == 0
    book = OrdersBook(tmp_path / "zh.xlsx")
    assert book.ws.cell(1, 1).value == "采购单号" and len(book.with_status("待确认")) == 3


def test_an_orders_run_is_in_history_and_is_not_reverted(store, orders_book, tmp_path):
    express(orders_book, orders_book.with_status("to confirm")[0])
    code, _, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0
    code, out, _ = run(store, "history")
    assert done["run_id"] in out
    code, out, _ = run(store, "history", done["run_id"])
    assert "selfdelivery" in out and ": express SF SF1000000001" in out and "revert" not in out
    code, out, _ = run(store, "revert", done["run_id"])
    assert code == 2 and "not put back by revert" in out


def test_the_history_of_an_update_shows_the_delivery_before_and_after(store, orders_book, tmp_path):
    """Review finding 11: an updated delivery's journal keeps the delivery it replaced."""
    shipped = orders_book.with_status("to ship")[0]
    row = orders_book.rows[shipped][0]
    number, was = orders_book.get(row, "delivery_no"), orders_book.get(row, "tracking_numbers")
    orders_book.fill(shipped, tracking_numbers="YT7428813650299")
    code, out, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0 and [a["action"] for a in done["actions"]] == ["updateSelfdelivery"], out
    code, out, _ = run(store, "history", done["run_id"])
    line = next(line for line in out.splitlines() if "updateSelfdelivery" in line)
    assert f"{number}: express" in line.split("→")[0] and was in line.split("→")[0], out
    assert "YT7428813650299" in line.split("→")[1], out


def test_a_catalog_workbook_is_not_an_orders_workbook(store, exported):
    """Review finding 9: each kind of sheetsync workbook given to the other's import names the
    command that imports it."""
    code, out, _ = run(store, "orders", "import", str(exported))
    assert code == 2 and "[workbook_is_catalog]" in out and f"sheetsync --store {store} import {exported}" in out, out


def test_the_wrong_kind_of_file_is_answered_with_the_orders_commands(store, orders_book, tmp_path):
    """Review finding 9: an empty file, a store given as the workbook, an Orders workbook given to
    the catalog import and an emptied order number each say what they are, for orders."""
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    code, out, _ = run(store, "orders", "import", str(empty))
    assert code == 2 and "[orders_file_empty]" in out and "orders export orders.xlsx" in out, out
    code, out, _ = run(store, "orders", "import", str(store))
    assert code == 2 and "[orders_file_is_store]" in out and "orders import orders.xlsx" in out, out
    orders = tmp_path / "orders.xlsx"
    code, out, _ = run(store, "import", str(orders))
    assert code == 2 and "[workbook_is_orders]" in out and f"orders import {orders}" in out, out
    number = orders_book.with_status("confirmed")[0]
    cell = orders_book.coord(number, "purchase_order_no")
    orders_book.ws[cell].value = None
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("order_key_empty", cell)], out
    assert "The Order cell of this row is empty" in data["errors"][0]["message"]


def test_the_python_api(store, tmp_path):
    done = sheetsync.export_orders(store, tmp_path / "o.xlsx")
    book = OrdersBook(tmp_path / "o.xlsx")
    express(book, book.with_status("to confirm")[0])
    result = sheetsync.import_orders(store, book.save(tmp_path / "e.xlsx"), dry_run=True)
    assert done.orders == 6 and result.status == "dry_run" and result.exit_code == 0 and result.changes == 2


def test_an_overdue_order_is_a_warning_and_still_delivered(store, orders_book, tmp_path):
    number = orders_book.with_status("to confirm")[0]
    express(orders_book, number)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    result = sheetsync.import_orders(store, orders_book.save(tmp_path / "e.xlsx"), now=later)
    assert result.status == "applied" and [w.rule for w in result.warnings] == ["order_overdue"]
    assert result.warnings[0].cell == orders_book.coord(number, "deadline")


def test_a_store_made_before_orders_gets_their_tables_when_opened(store, tmp_path):
    with sqlite3.connect(store) as db:
        for table in ("jit_orders", "jit_order_items", "jit_deliveries", "order_exports"):
            db.execute(f"DROP TABLE {table}")
    code, out, _ = run(store, "orders", "export", str(tmp_path / "none.xlsx"))
    assert code == 0 and "Exported 0 orders (0 items)" in out
    code, out, data = run(store, "orders", "import", str(tmp_path / "none.xlsx"), "--json")
    assert code == 0 and data["status"] == "unchanged" and data["rows"] == 0


def test_an_orders_workbook_of_another_store_is_refused(store, orders_book, tmp_path):
    other = tmp_path / "other" / "other.db"
    sheetsync.init_store(other, sample=True)
    code, out, _ = run(other, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")))
    assert code == 2 and "was exported from the store" in out and "did you mean --store" in out


def test_an_error_value_where_the_order_number_is_names_its_cell(store, orders_book, tmp_path):
    number = orders_book.with_status("confirmed")[0]
    cell = orders_book.coord(number, "purchase_order_no")
    orders_book.ws[cell].value = "=NA()"  # openpyxl writes no cached value: an uncomputed formula
    code, _out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 1 and [(e["rule"], e["cell"]) for e in data["errors"]] == [("formula_without_value", cell)]


def test_orders_exported_from_another_target_are_refused(gateway, tmp_path):
    server, store, env = gateway
    code, out, _ = gateway_cli(store, env, "orders", "export", str(tmp_path / "local.xlsx"), "--target", "local")
    assert code == 0, out
    code, out, _ = gateway_cli(store, env, "orders", "import", str(tmp_path / "local.xlsx"))
    assert code == 2 and "lists the orders of local" in out, out
    assert not server.gateway.calls(po.CONFIRM) and not server.gateway.calls(po.SELF_DELIVERY)


def test_a_mail_that_cannot_be_sent_keeps_the_import_and_exits_4(store, orders_book, tmp_path, monkeypatch):
    with socket.socket() as closed:  # a port nothing listens on, on loopback
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("SHEETSYNC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SHEETSYNC_SMTP_PORT", str(port))
    monkeypatch.setenv("SHEETSYNC_SMTP_STARTTLS", "0")
    monkeypatch.setenv("SHEETSYNC_SMTP_FROM", "shop@example.com")
    express(orders_book, orders_book.with_status("to confirm")[0])
    code, _out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--email-to",
                          "boss@example.com", "--json")
    assert code == 4 and data["status"] == "applied" and data["applied"] == 2
    assert [w["rule"] for w in data["warnings"]] == ["mail_failed"] and not data["emailed"]


# -- against the test gateway (tests/ae_server.py): the platform's adapter behind the same pipeline -----
@pytest.fixture
def gateway(tmp_path):
    """A store connected to a seller on the test gateway (127.0.0.1) holding JIT orders, and the
    seller's environment."""
    from tests.ae_server import Server
    from tests.test_ae_orders import populate
    from tests.test_connect import connected_store, env_for

    with Server() as server:
        populate(server.gateway)
        store = connected_store(tmp_path, server)
        yield server, store, env_for(server)


def gateway_cli(store: Path, env: dict[str, str], *args: str) -> tuple[int, str, dict[str, Any]]:
    from tests.test_connect import cli

    result = cli(store, *args, env=env)
    data = json.loads(result.stdout) if "--json" in args and result.stdout.startswith("{") else {}
    return result.exit_code, result.output, data


def test_on_the_platform_confirm_and_deliver_once_even_when_the_answer_is_lost(gateway, tmp_path):
    server, store, env = gateway
    g = server.gateway
    code, out, _ = gateway_cli(store, env, "orders", "export", str(tmp_path / "po.xlsx"))
    assert code == 0 and "Exported 7 orders" in out, out  # the open JIT orders, whatever else the seller has
    book = OrdersBook(tmp_path / "po.xlsx")
    express(book, "PO1001", boxes=1)
    express(book, "PO1002", boxes=2)
    g.drop_after_write = 3  # both confirmations and the delivery are made, and each answer is lost
    code, out, done = gateway_cli(store, env, "orders", "import", str(book.save(tmp_path / "e.xlsx")), "--json",
                                  "--labels", str(tmp_path / "labels"))
    assert code == 0 and done["status"] == "applied" and done["applied"] == 4, out
    [delivery] = g.calls(po.SELF_DELIVERY)
    assert json.loads(delivery["param0"])["purchase_order_no_list"] == ["PO1001", "PO1002"]
    number = g.po_orders["PO1001"]["self_delivery_no"]
    assert done["actions"][-1]["delivery_no"] == number and (tmp_path / "labels" / f"{number}.pdf").exists()
    writes = len(g.calls(po.CONFIRM)) + len(g.calls(po.SELF_DELIVERY))
    code, out, again = gateway_cli(store, env, "orders", "import", str(tmp_path / "e.xlsx"), "--json")
    assert code == 0 and again["status"] == "unchanged" and again["already_applied"] == 4, out
    assert len(g.calls(po.CONFIRM)) + len(g.calls(po.SELF_DELIVERY)) == writes == 3  # nothing sent twice


def test_on_the_platform_boxes_without_labels_are_a_warning(gateway, tmp_path):
    """Review finding 2: AliExpress's delivery carries no box count; without --labels the boxes
    of a delivery sent are used by nothing, and the seller is told on the cell."""
    server, store, env = gateway
    assert gateway_cli(store, env, "orders", "export", str(tmp_path / "po.xlsx"))[0] == 0
    book = OrdersBook(tmp_path / "po.xlsx")
    cell = express(book, "PO1001", boxes=2)
    code, out, done = gateway_cli(store, env, "orders", "import", str(book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0 and done["status"] == "applied", out
    assert [(w["rule"], w["cell"]) for w in done["warnings"]] == [("boxes_unused", cell)]
    sent = json.loads(server.gateway.calls(po.SELF_DELIVERY)[0]["param0"])
    assert not any("box" in key for key in sent)


def test_on_the_platform_an_order_confirmed_elsewhere_is_not_confirmed_again(gateway, tmp_path):
    server, store, env = gateway
    g = server.gateway
    assert gateway_cli(store, env, "orders", "export", str(tmp_path / "po.xlsx"))[0] == 0
    book = OrdersBook(tmp_path / "po.xlsx")
    express(book, "PO1001")
    g.po_orders["PO1001"]["status"] = 15  # confirmed in the seller centre since the export
    _, _, done = gateway_cli(store, env, "orders", "import", str(book.save(tmp_path / "e.xlsx")), "--json")
    assert done["status"] == "applied" and done["already_applied"] == 1
    assert [a["action"] for a in done["actions"]] == ["selfdelivery"] and g.calls(po.CONFIRM) == []


def test_on_the_platform_a_refusal_is_partial_named_and_finished_by_the_re_run(gateway, tmp_path):
    server, store, env = gateway
    g = server.gateway
    assert gateway_cli(store, env, "orders", "export", str(tmp_path / "po.xlsx"))[0] == 0
    book = OrdersBook(tmp_path / "po.xlsx")
    express(book, "PO1001")
    book.fill("PO1004", delivery_type="truck", license_plate="粤B12345", phone="13800138000")
    g.po_reject["PO1004"] = ("PO_STATUS_ERROR", "the warehouse is closed for trucks today")
    code, out, _ = gateway_cli(store, env, "orders", "import", str(book.save(tmp_path / "e.xlsx")))
    assert code == 3 and "PO_STATUS_ERROR" in out and "closed for trucks" in out, out
    del g.po_reject["PO1004"]
    code, out, done = gateway_cli(store, env, "orders", "import", str(tmp_path / "e.xlsx"), "--json")
    assert code == 0 and [(a["action"], a["orders"]) for a in done["actions"]] == [("selfdelivery", ["PO1004"])]
    assert done["already_applied"] == 2 and len(g.calls(po.CONFIRM)) == 1


def test_a_forged_or_unbound_orders_workbook_is_refused_naming_the_orders_commands(store, orders_book, tmp_path):
    orders_book.wb["_sheetsync"].cell(8, 2).value = "0" * 64  # the signature
    code, out, _ = run(store, "orders", "import", str(orders_book.save(tmp_path / "forged.xlsx")))
    assert code == 2 and "is not an Orders workbook" in out and "sheetsync --store" in out and "orders export" in out


def test_a_delivery_s_boxes_are_not_counted_again_when_its_export_is_edited(store, orders_book, tmp_path):
    """Two orders of 4 and 6 boxes travel in one delivery of 10; exported again, the 10 shows once
    (on the first order), so changing only the tracking number keeps 10 boxes, not 20 (found by a
    hostile review)."""
    first, second = orders_book.with_status("to confirm")[:2]
    express(orders_book, first, boxes=4)
    express(orders_book, second, boxes=6)
    code, out, done = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 0 and [a["boxes"] for a in done["actions"] if a["action"] == "selfdelivery"] == [10], out
    code, out, _ = run(store, "orders", "export", str(tmp_path / "again.xlsx"), "--status", "all")
    assert code == 0, out
    again = OrdersBook(tmp_path / "again.xlsx")
    again.fill(first, tracking_numbers="SF1000000002")
    again.fill(second, tracking_numbers="SF1000000002")
    code, out, done = run(store, "orders", "import", str(again.save(tmp_path / "e2.xlsx")), "--json")
    assert code == 0 and [a["boxes"] for a in done["actions"] if a["action"] == "updateSelfdelivery"] == [10], out


@pytest.mark.parametrize(("carrier", "rule"), [("SF, YTO", "carrier_one"), ("顺丰、圆通", "carrier_one"),
                                               ("S\u200bF", "carrier_invisible")])
def test_a_carrier_is_one_visible_name(store, orders_book, tmp_path, carrier, rule):
    """Two names in one Carrier cell, or a name with an invisible character, would be sent as a
    carrier nobody has (found by a hostile review)."""
    number = orders_book.with_status("to confirm")[0]
    orders_book.fill(number, confirm="yes", delivery_type="express", carrier=carrier, tracking_numbers="SF1000000001")
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    assert code == 1 and {e["rule"] for e in data["errors"]} == {rule}, out
    assert data["applied"] == 0


def test_a_cleared_boxes_cell_is_quoted_as_empty_never_as_none(store, orders_book, tmp_path):
    delivered = orders_book.with_status("to ship")[0]
    orders_book.fill(delivered, boxes=None)
    code, out, data = run(store, "orders", "import", str(orders_book.save(tmp_path / "e.xlsx")), "--json")
    [warning] = [w for w in data["warnings"] if w["rule"] == "boxes_unused"]
    assert code == 0 and "None" not in warning["message"] and "(-)" in warning["message"], out
