"""JIT purchase orders on AliExpress (targets/aliexpress/orders.py) against the test gateway on
127.0.0.1 (tests/ae_server.py), over real HTTP with every signature checked: paging returns exactly
the open JIT orders and their items, also while an order moves; confirmations; one delivery per
call with its order list and the platform's 99-order cap; a dropped connection is an unknown
outcome that a re-read settles without sending twice; a refusal names the method; label PDFs;
answers of the wrong shape. No test waits: sleeps are recorded, not slept."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sheetsync
from sheetsync.config import Settings
from sheetsync.errors import SheetsyncError, TargetUnavailable
from sheetsync.store import Store
from sheetsync.targets.aliexpress import Client, Credentials, PlatformError, auth
from sheetsync.targets.aliexpress import orders as po
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_po, make_po_item
from tests.test_ae_client import json_values, mutate_inside

PAGE = po.PAGE_QUERY
CHANNEL = "200042"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def wrapped(method: str, result) -> dict:
    return {method.replace(".", "_") + "_response": {"result": result, "request_id": "0ba"}}


def populate(g) -> None:
    """Six open JIT orders (to confirm, confirmed, to ship), two closed ones, a normal purchase
    order, and one order of 60 items (two item pages)."""
    open_orders = {"PO1001": 10, "PO1002": 10, "PO1003": 10, "PO1004": 15, "PO1005": 15, "PO1006": 17}
    for n, (no, status) in enumerate(open_orders.items()):
        g.po_orders[no] = make_po(no, status, deadline=f"2026-12-{10 + n:02d} 18:00:00")
        g.po_items[no] = [make_po_item(no, str(3001 + i), 2 + i, title=f"Item {i}") for i in range(1 + n % 4)]
    g.po_orders["PO1006"]["self_delivery_no"] = "SD00000001"
    g.po_deliveries["SD00000001"] = {"self_delivery_no": "SD00000001", "related_pos": ["PO1006"], "delivery_type": 1,
                                     "logistics_service_provider": "SF Express",
                                     "appointment_express_no_list": ["SF1234567890"]}
    g.po_orders["PO0900"] = make_po("PO0900", 40)
    g.po_orders["PO0901"] = make_po("PO0901", -99)
    g.po_orders["PO0902"] = make_po("PO0902", 10, order_type=10)  # a normal purchase order, not JIT
    g.po_orders["PO1007"] = make_po("PO1007", 10, deadline="2026-12-20 09:00:00")
    g.po_items["PO1007"] = [make_po_item("PO1007", str(4000 + i), 1) for i in range(60)]


OPEN = ["PO1001", "PO1002", "PO1003", "PO1004", "PO1005", "PO1006", "PO1007"]


@pytest.fixture
def server():
    with Server() as running:
        populate(running.gateway)
        yield running


def client_for(server) -> Client:
    g = server.gateway
    return Client(Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url),
                  rate_limit=10_000, read_timeout=5.0, sleep=Sleeps())


@pytest.fixture
def orders(server):
    client = client_for(server)
    yield po.AliExpressOrders(client, CHANNEL, page_size=2, workers=4)
    client.close()


def sent(server, method: str, name: str = "param0") -> list[dict]:
    return [json.loads(r[name]) for r in server.gateway.calls(method)]


# -- reading ---------------------------------------------------------------------------------------------
def test_paging_returns_exactly_the_open_jit_orders_with_their_items(server, orders):
    found = orders.read()
    g = server.gateway
    assert [o.order_no for o in found] == OPEN  # most urgent first
    for order in found:
        expected = g.po_items[order.order_no]
        assert [(i.sku_id, i.title, i.barcode, i.quantity) for i in order.items] == \
            [(str(i["sku_id"]), i["title"], i["barcode"], i["quantity"]) for i in expected]
    assert len(found[-1].items) == 60  # two pages of items
    first = found[0]
    assert (first.status, first.status_code, first.status_text) == ("to_confirm", "10", "To be confirmed")
    assert first.deadline == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)  # 18:00 in China
    assert first.deadline.utcoffset() is not None
    assert (first.warehouse_code, first.warehouse_name) == ("DGJIT01", "Dongguan JIT warehouse")
    assert first.warehouse_address.startswith("No. 8")
    assert first.delivery is None and first.items[0].sku_code is None  # the item answer carries no sku_code
    shipped = next(o for o in found if o.order_no == "PO1006")
    assert shipped.status == "to_ship" and shipped.delivery_no == "SD00000001"
    assert shipped.delivery == po.Delivery("SD00000001", "express", "SF Express", ("SF1234567890",), None, None,
                                           ("PO1006",))
    # one pass per open status, pages of 2, each signed, semi-managed and JIT only
    pages = sent(server, PAGE)
    assert {p["status"] for p in pages} == {10, 15, 17}
    assert all(p["biz_type"] == 7668000 and p["order_type"] == 50 and p["channel_user_id"] == CHANNEL
               and p["page_size"] == 2 for p in pages)
    assert len(pages) == 2 + 1 + 1  # 4 orders to confirm: 2 pages; 2 confirmed: 1; 1 to ship: 1
    assert g.bad_signatures == 0
    assert len(g.calls(po.ITEM_QUERY)) == 6 + 2 and len(g.calls(po.QUERY_DELIVERY)) == 1
    assert all(r["_verb"] == "POST" for r in g.requests)


def test_connect_uses_the_seller_id_of_the_stores_authorization_as_channel(server, tmp_path):
    path = tmp_path / "orders.db"
    sheetsync.init_store(path)
    with Store.open(path) as store:
        store.set_meta(auth.SELLER_ID_KEY, "200777")
        adapter = po.connect(store, Settings(), client=client_for(server))
        assert [o.order_no for o in adapter.read(["PO1001"])] == ["PO1001"]
        adapter.client.close()
    assert {p["channel_user_id"] for p in sent(server, PAGE)} == {"200777"}


def test_reading_given_orders_finds_them_whatever_their_status(server, orders):
    found = orders.read(["PO0900", "PO1002", "PO-GONE"])
    assert [(o.order_no, o.status) for o in found] == [("PO0900", "received"), ("PO1002", "to_confirm")]
    # more orders than a page: the open ones are paged, the others asked for one by one
    assert {p.get("purchase_order_no") for p in sent(server, PAGE)} == {None, "PO0900", "PO-GONE"}
    server.gateway.requests.clear()
    assert [o.order_no for o in orders.read(["PO1002", "PO0901"])] == ["PO0901", "PO1002"]
    assert {p.get("purchase_order_no") for p in sent(server, PAGE)} == {"PO1002", "PO0901"}  # a few: one by one


def test_a_reread_without_items_costs_the_pages_alone(server, orders):
    g = server.gateway
    found = orders.read(items=False)
    assert [o.order_no for o in found] == OPEN and all(o.items == () for o in found)
    assert g.calls(po.ITEM_QUERY) == [] and len(g.calls(PAGE)) == 4
    assert next(o for o in found if o.order_no == "PO1006").delivery.tracking_numbers == ("SF1234567890",)


def test_an_order_that_changes_state_between_two_reads_is_read_as_it_is_now(server, orders):
    assert orders.read(["PO1002"])[0].status == "to_confirm"
    server.gateway.po_orders["PO1002"].update(status=-99, status_desc="Cancelled")  # cancelled by the platform
    assert orders.read(["PO1002"])[0].status == "cancelled"
    assert "PO1002" not in [o.order_no for o in orders.read()]


def test_an_order_confirmed_while_its_status_is_paged_is_listed_once_as_it_is_now(server, orders):
    g = server.gateway
    # after the first page of "to confirm" (PO1001, PO1002), PO1001 is confirmed elsewhere: the
    # next page starts one order later, and PO1003 would be skipped by naive paging
    g.po_changes[1] = [("PO1001", {"status": 15, "status_desc": "Confirmed"})]
    found = orders.read()
    assert sorted(o.order_no for o in found) == sorted(OPEN)
    assert next(o for o in found if o.order_no == "PO1001").status == "confirmed"
    assert len(g.calls(PAGE)) > 5  # the moving status was read again


def test_a_list_that_never_stops_moving_is_an_error_after_bounded_rereads(server, orders):
    g = server.gateway
    extra = iter(range(2000, 2100))

    def grow() -> None:  # after every page, a new order to confirm arrives
        no = f"PO{next(extra)}"
        g.po_orders[no] = make_po(no, 10)

    g.po_changes = _Growing(grow)
    with pytest.raises(PlatformError) as raised:
        orders.read(statuses=["to_confirm"])
    assert raised.value.rule == "ae_orders_changing" and "to_confirm" in str(raised.value)
    assert len(g.calls(PAGE)) <= po.PASS_ATTEMPTS * 2


class _Growing(dict):
    """po_changes whose every entry adds a new order (a list that keeps moving)."""

    def __init__(self, grow) -> None:
        super().__init__()
        self.grow = grow

    def pop(self, key, default=None):
        self.grow()
        return []


# -- confirming ------------------------------------------------------------------------------------------
def test_confirm_sends_each_order_whole_and_reports_a_refusal(server, orders):
    results = orders.confirm(["PO1001", "PO1002", "PO1004"])
    assert [(r.order_nos, r.status) for r in results] == [(("PO1001",), "applied"), (("PO1002",), "applied"),
                                                          (("PO1004",), "rejected")]
    assert results[2].code == "PO_STATUS_ERROR" and "not waiting" in results[2].message
    assert all(p["all_quantity_confirm"] is True and p["biz_type"] == 7668000 for p in sent(server, po.CONFIRM))
    assert {o.order_no: o.status for o in orders.read(["PO1001", "PO1002"])} == {"PO1001": "confirmed",
                                                                                  "PO1002": "confirmed"}


def test_a_rejection_is_an_error_naming_the_method_the_order_and_the_code(server, orders):
    server.gateway.po_reject["PO1003"] = ("PO_EXPIRED", "the purchase order has expired")
    with pytest.raises(po.OrderRejected) as raised:
        po.confirm_order(orders.client, CHANNEL, "PO1003")
    text = str(raised.value)
    assert po.CONFIRM in text and "PO1003" in text and "PO_EXPIRED" in text and "has expired" in text
    assert isinstance(raised.value, TargetUnavailable)
    server.gateway.reject_as = "isv"  # the other shape of a refusal: an error_response with an isv. sub code
    result = orders.confirm(["PO1003"])[0]
    assert (result.status, result.code) == ("rejected", "isv.PO_EXPIRED")
    assert server.gateway.po_orders["PO1003"]["status"] == 10


# -- delivering ------------------------------------------------------------------------------------------
def confirmed_orders(g, count: int) -> list[str]:
    numbers = [f"PO5{n:03d}" for n in range(count)]
    for no in numbers:
        g.po_orders[no] = make_po(no, 15)
        g.po_items[no] = [make_po_item(no, "3001", 1)]
    return numbers


def test_one_delivery_per_call_with_its_order_list_at_most_99(server, orders):
    g = server.gateway
    numbers = confirmed_orders(g, 150)
    results = orders.create_delivery("express", "SF Express", ["SF100200300", "SF100200301"], numbers)
    calls = sorted(sent(server, po.SELF_DELIVERY), key=lambda c: c["purchase_order_no_list"][0])  # sent at once
    assert [c["purchase_order_no_list"] for c in calls] == [numbers[:99], numbers[99:]]
    assert all(c["delivery_type"] == 1 and c["logistics_service_provider"] == "SF Express"
               and c["appointment_express_no_list"] == ["SF100200300", "SF100200301"]
               and c["self_delivery_scene_code"] == "JIT" and "appointment_license_plate" not in c for c in calls)
    assert [(r.status, len(r.order_nos)) for r in results] == [("applied", 99), ("applied", 51)]
    assert {g.po_orders[no]["self_delivery_no"] for no in numbers[:99]} == {results[0].delivery_no}
    assert {g.po_orders[no]["self_delivery_no"] for no in numbers[99:]} == {results[1].delivery_no}


def test_a_truck_delivery_and_its_update(server, orders):
    g = server.gateway
    numbers = confirmed_orders(g, 3)
    [created] = orders.create_delivery("truck", None, [], numbers, plate="粤B12345", phone="13800138000")
    call = sent(server, po.SELF_DELIVERY)[0]
    assert (call["delivery_type"], call["appointment_license_plate"], call["appointment_phone_number"]) == \
        (2, "粤B12345", "13800138000")
    assert "logistics_service_provider" not in call and "appointment_express_no_list" not in call
    updated = orders.update_delivery(created.delivery_no, "express", "YTO", ["YT9876543210"], numbers)
    assert updated.status == "applied"
    [order, *_] = orders.read(numbers)
    assert order.delivery == po.Delivery(created.delivery_no, "express", "YTO", ("YT9876543210",), None, None,
                                         tuple(numbers))


def test_a_refused_delivery_is_rejected_with_the_platforms_code_and_the_others_go_on(server, orders):
    g = server.gateway
    numbers = confirmed_orders(g, 3)
    g.po_reject[numbers[1]] = ("PO_WAREHOUSE_CLOSED", "the warehouse takes no deliveries today")
    results = orders.deliver([po.DeliveryRequest("express", (no,), "SF", (f"SF123456{n}",))
                              for n, no in enumerate(numbers)])
    assert [r.status for r in results] == ["applied", "rejected", "applied"]
    assert (results[1].code, results[1].message) == ("PO_WAREHOUSE_CLOSED", "the warehouse takes no deliveries today")
    assert g.po_orders[numbers[1]].get("self_delivery_no") is None
    with pytest.raises(po.OrderRejected) as raised:
        po.self_delivery(orders.client, CHANNEL, po.DeliveryRequest("express", (numbers[1],), "SF", ("SF1234567",)))
    assert po.SELF_DELIVERY in str(raised.value) and numbers[1] in str(raised.value)


def test_a_request_the_platform_cannot_take_is_refused_before_sending(server, orders):
    numbers = confirmed_orders(server.gateway, 100)
    with pytest.raises(ValueError, match="1 to 99 orders"):
        po.self_delivery(orders.client, CHANNEL, po.DeliveryRequest("express", tuple(numbers), "SF", ("SF1234567",)))
    with pytest.raises(ValueError, match="carrier"):
        orders.create_delivery("express", None, [], numbers[:2])
    with pytest.raises(ValueError, match="licence plate"):
        orders.create_delivery("truck", None, [], numbers[:2], phone="13800138000")
    assert server.gateway.calls(po.SELF_DELIVERY) == []


def test_a_dropped_connection_after_a_delivery_is_an_unknown_outcome_settled_by_a_reread(server, orders):
    g = server.gateway
    numbers = confirmed_orders(g, 4)
    g.drop_after_write = 1  # the delivery is created, then the connection drops before the answer
    with pytest.raises(po.UnknownOutcome) as raised:
        po.self_delivery(orders.client, CHANNEL, po.DeliveryRequest("express", tuple(numbers[:2]), "SF",
                                                                    ("SF1234567",)))
    assert po.SELF_DELIVERY in str(raised.value) and raised.value.order_nos == tuple(numbers[:2])
    assert len(g.po_deliveries) == 1 + 1 and len(g.calls(po.SELF_DELIVERY)) == 1  # not resent by the client
    g.drop_after_write = 1
    [lost] = orders.create_delivery("express", "SF", ["SF7654321"], numbers[2:])
    assert lost.status == "unknown" and lost.delivery_no is None
    [settled] = orders.settle([lost])
    assert settled.status == "applied" and settled.delivery_no == g.po_orders[numbers[2]]["self_delivery_no"]
    assert [o.delivery_no for o in orders.read(numbers[2:])] == [settled.delivery_no] * 2
    assert len(g.po_deliveries) == 1 + 2 and len(g.calls(po.SELF_DELIVERY)) == 2  # nothing sent twice


def test_an_unknown_confirmation_is_settled_and_one_that_did_not_happen_says_so(server, orders):
    g = server.gateway
    g.drop_after_write = 1
    [lost] = orders.confirm(["PO1001"])
    assert lost.status == "unknown"
    assert orders.settle([lost])[0].status == "applied"
    g.fail_5xx = 1  # the gateway failed before doing anything: the outcome is just as unknown to the client
    numbers = confirmed_orders(g, 2)
    [lost] = orders.create_delivery("express", "SF", ["SF7654321"], numbers)
    assert lost.status == "unknown"
    assert orders.settle([lost])[0].status == "not_applied"  # safe to send again
    assert len(g.calls(po.SELF_DELIVERY)) == 1


def test_a_fatal_error_stops_the_writes_but_hands_over_what_was_applied(server):
    g = server.gateway
    client = client_for(server)
    adapter = po.AliExpressOrders(client, CHANNEL, workers=1)
    g.writes_before_quota = 2
    seen = []
    with pytest.raises(TargetUnavailable) as raised:
        adapter.confirm(["PO1001", "PO1002", "PO1003"], on_result=seen.append)
    assert raised.value.rule == "quota_exceeded"
    assert [(r.order_nos, r.status) for r in seen] == [(("PO1001",), "applied"), (("PO1002",), "applied")]
    client.close()


def test_a_caller_that_cannot_keep_a_result_stops_the_calls_not_sent_yet(server):
    client = client_for(server)
    adapter = po.AliExpressOrders(client, CHANNEL, workers=1)

    def journal(result: po.ActionResult) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        adapter.confirm(["PO1001", "PO1002", "PO1003"], on_result=journal)
    assert len(server.gateway.calls(po.CONFIRM)) <= 2  # the one it could not keep, and at most one in flight
    client.close()


# -- labels ----------------------------------------------------------------------------------------------
def test_label_pdf_bytes_are_saved_per_delivery(server, orders, tmp_path):
    g = server.gateway
    numbers = confirmed_orders(g, 2)
    [created] = orders.create_delivery("express", "SF", ["SF1234567"], numbers)
    path = orders.save_label(created.delivery_no, 3, tmp_path, "100_100")
    assert path == tmp_path / f"{created.delivery_no}.pdf"
    assert path.read_bytes().startswith(b"%PDF-") and b"3 boxes, 100_100" in path.read_bytes()
    assert g.labels == [{"delivery": created.delivery_no, "boxes": "3", "size": "100_100"}]
    [call] = g.calls(po.PRINT_LABELS)
    assert call["_verb"] == "GET" and json.loads(call["param0"])["total_box_cnt"] == 3
    with pytest.raises(ValueError):
        orders.label_pdf(created.delivery_no, 100)
    with pytest.raises(ValueError):
        orders.label_pdf(created.delivery_no, 2, "A5")


@pytest.mark.parametrize(("address", "words"), [
    ("ftp://127.0.0.1/x.pdf", "not https"),
    ("http://labels.example.com/x.pdf", "not https"),
    ("", "should have at least 1 character"),
])
def test_a_label_address_that_is_not_https_is_never_fetched(server, orders, address, words):
    server.gateway.answers[po.PRINT_LABELS] = [wrapped(po.PRINT_LABELS, {"success": True, "data": address})]
    with pytest.raises(PlatformError) as raised:
        orders.label_pdf("SD00000001", 1)
    assert raised.value.rule == "platform_bad_answer" and po.PRINT_LABELS in str(raised.value)
    assert words in str(raised.value)


def test_a_real_gateway_cannot_send_sheetsync_to_a_local_address():
    client = Client(Credentials(APP_KEY, APP_SECRET, "token-1", None, "https://api-sg.aliexpress.com"))
    with pytest.raises(PlatformError, match="not https") as raised:  # refused before any connection
        client.download(po.PRINT_LABELS, "http://127.0.0.1:8080/admin")
    assert raised.value.rule == "platform_bad_answer"
    client.close()


def test_a_label_that_is_not_a_pdf_and_a_number_that_is_not_a_file_name_are_refused(server, orders, tmp_path):
    g = server.gateway
    json_there = f"{server.url}/sync?method={po.PRINT_LABELS}"  # answers JSON, not a PDF
    g.answers[po.PRINT_LABELS] = [wrapped(po.PRINT_LABELS, {"success": True, "data": json_there})]
    with pytest.raises(PlatformError, match="not a PDF"):
        orders.label_pdf("SD00000001", 1)
    with pytest.raises(PlatformError, match="cannot name a file"):
        orders.save_label("../../evil", 1, tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- answers of the wrong shape --------------------------------------------------------------------------
BAD = [
    (PAGE, {"success": True, "data": []}, "total_count is missing"),
    (PAGE, {"success": True, "total_count": 1, "data": {"purchase_order_no": "PO1"}}, "data should be a list"),
    (PAGE, {"success": True, "total_count": 1, "data": [{"status": 10}]}, "data[0].purchase_order_no is missing"),
    (PAGE, {"success": True, "total_count": 1, "data": [{"purchase_order_no": "PO1", "status": 10,
                                                         "gmt_expiration": "tomorrow"}]}, "gmt_expiration should be"),
    (PAGE, {"success": True, "total_count": 1, "data": [{"purchase_order_no": "PO1", "status": 10}] * 2},
     "order PO1 appears twice"),
    (PAGE, {"success": False, "error_code": "SYSTEM_BUSY", "error_msg": "busy"}, "SYSTEM_BUSY"),
    (po.ITEM_QUERY, {"success": True, "total_count": 1, "data_list": [{"sku_id": 1, "quantity": "three"}]},
     "quantity should be a whole number"),
    (po.ITEM_QUERY, {"success": True, "total_count": 1, "data_list": [{"sku_id": 1, "quantity": 1,
                                                                       "purchase_order_no": "PO9"}]},
     "lists an item of order PO9"),
    (po.QUERY_DELIVERY, {"success": True, "data": {"related_pos": []}}, "data.self_delivery_no is missing"),
]


@pytest.mark.parametrize(("method", "result", "words"), BAD, ids=[f"{m.rsplit('.', 1)[1]}-{w}" for m, _, w in BAD])
def test_a_wrong_answer_to_a_read_is_a_platform_error_naming_the_method(server, orders, method, result, words):
    g = server.gateway
    g.answers[method] = [wrapped(method, result)]
    with pytest.raises(PlatformError) as raised:
        orders.read(["PO1006"])
    assert method in str(raised.value) and words in str(raised.value)


def test_a_wrong_answer_to_a_write_is_an_unknown_outcome(server, orders):
    g = server.gateway
    numbers = confirmed_orders(g, 1)
    g.answers[po.SELF_DELIVERY] = [wrapped(po.SELF_DELIVERY, {"success": True})]
    with pytest.raises(po.UnknownOutcome) as raised:
        po.self_delivery(orders.client, CHANNEL, po.DeliveryRequest("express", tuple(numbers), "SF", ("SF1234567",)))
    assert "data is missing" in str(raised.value) and po.SELF_DELIVERY in str(raised.value)
    g.answers[po.UPDATE_DELIVERY] = [wrapped(po.UPDATE_DELIVERY, {"success": True, "data": False})]
    result = orders.update_delivery("SD00000001", "express", "SF", ["SF1234567"], ["PO1006"])
    assert (result.status, result.code) == ("rejected", "NotUpdated")


@pytest.mark.parametrize(("written", "utc"), [
    ("2026-12-09 18:00:00", datetime(2026, 12, 9, 10, 0, tzinfo=UTC)),
    ("2026-12-09T18:00:00Z", datetime(2026, 12, 9, 18, 0, tzinfo=UTC)),
    ("2026-12-09T18:00:00-08:00", datetime(2026, 12, 10, 2, 0, tzinfo=UTC)),
    (1796810400000, datetime(2026, 12, 9, 10, 0, tzinfo=UTC)),
])
def test_deadlines_are_aware_times_china_time_unless_the_answer_says(server, orders, written, utc):
    server.gateway.po_orders["PO1001"]["gmt_expiration"] = written
    [order] = orders.read(["PO1001"])
    assert order.deadline == utc and order.deadline.utcoffset() is not None


# -- property: whatever the gateway answers, a call ends in a SheetsyncError or a checked value ------
VALID = {
    PAGE: {"success": True, "total_count": 1, "page_index": 1, "page_size": 1,
           "data": [make_po("PO1001", 10, self_delivery_no="SD00000001")]},
    po.ITEM_QUERY: {"success": True, "total_count": 1, "data_list": [make_po_item("PO1001", "3001", 2)]},
    po.QUERY_DELIVERY: {"success": True, "data": {"self_delivery_no": "SD00000001", "related_pos": ["PO1001"],
                                                  "delivery_type": 1, "appointment_express_no_list": ["SF1234567"]}},
    po.CONFIRM: {"success": True, "request_no": "REQ1"},
    po.SELF_DELIVERY: {"success": True, "data": "SD00000002"},
    po.UPDATE_DELIVERY: {"success": True, "data": True},
    po.PRINT_LABELS: {"success": True, "data": "https://labels.invalid/x.pdf"},
}


@st.composite
def mutated(draw, method: str):
    """The valid answer with one value somewhere inside replaced by random JSON, or removed."""
    return mutate_inside(draw, wrapped(method, copy.deepcopy(VALID[method])))


def po_call(client: Client, method: str):
    if method in (PAGE, po.ITEM_QUERY, po.QUERY_DELIVERY):
        return po.AliExpressOrders(client, CHANNEL, workers=1).read(["PO1001"])
    if method == po.CONFIRM:
        return po.confirm_order(client, CHANNEL, "PO1001")
    request = po.DeliveryRequest("express", ("PO1001",), "SF", ("SF1234567",))
    if method == po.SELF_DELIVERY:
        return po.self_delivery(client, CHANNEL, request)
    if method == po.UPDATE_DELIVERY:
        return po.update_self_delivery(client, CHANNEL, "SD00000001", request)
    return po.label_pdf(client, CHANNEL, "SD00000001", 1)


@pytest.fixture(scope="module")
def shared_server():
    with Server() as running:
        populate(running.gateway)
        yield running


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(method=st.sampled_from(list(VALID)), data=st.data())
def test_any_answer_ends_in_a_sheetsync_error_or_a_checked_value(shared_server, method, data):
    g = shared_server.gateway
    body = data.draw(st.one_of(json_values, json_values.map(lambda r: wrapped(method, r)), mutated(method)))
    g.answers.clear()
    g.answers[method] = [body]
    client = Client(Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, shared_server.url),
                    rate_limit=10_000, read_timeout=5.0, retries=0, sleep=Sleeps())
    try:
        value = po_call(client, method)
    except SheetsyncError as error:
        assert str(error) and "Traceback" not in str(error)
    else:
        if method in (PAGE, po.ITEM_QUERY, po.QUERY_DELIVERY):
            assert all(isinstance(o.order_no, str) and all(isinstance(i.quantity, int) for i in o.items)
                       for o in value)
        elif method == po.SELF_DELIVERY:
            assert isinstance(value, str) and value
    finally:
        g.answers.clear()
        client.close()
