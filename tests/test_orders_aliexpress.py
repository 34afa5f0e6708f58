"""JIT purchase orders on AliExpress through the command line as a seller types it (`sheetsync
orders export/import --target aliexpress`), against the test gateway on 127.0.0.1 (tests/ae_server.py:
every signature checked, the `aliexpress.ascp.po.*` methods), with the app's credentials and the
access token in the environment. What the platform was sent is asserted on the gateway's recorded
calls. No test waits: the rate limit is lifted in sheetsync.toml, and no fault needs time."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sheetsync
from sheetsync.store import Store
from sheetsync.targets.aliexpress import auth
from sheetsync.targets.aliexpress import orders as po
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_po, make_po_item, make_product, make_sku
from tests.test_aliexpress import client_for
from tests.test_orders import OrdersBook, run

WRITES = (po.CONFIRM, po.SELF_DELIVERY, po.UPDATE_DELIVERY)
OPEN = ["PO1001", "PO1002", "PO1003", "PO1004", "PO1005", "PO1006"]


@pytest.fixture
def server():
    """The seller's catalog (three SKUs) and JIT orders: three to confirm (PO1003 with a SKU the
    catalog does not know), two confirmed, one to ship in delivery SD00000001; a received, a
    cancelled and a normal (not JIT) purchase order, which are not open."""
    with Server() as running:
        g = running.gateway
        g.products["1005001"] = make_product("1005001", "Wireless earbuds", [
            make_sku("2001", "EAR-BLK", "18.90", "0.120", 40, "0080738264240"),
            make_sku("2002", "EAR-WHT", "19.40", "0.130", 40)], ["US", "FR"])
        g.products["1005002"] = make_product("1005002", "Water bottle", [
            make_sku("2003", "BOT-SLV", "9.80", "0.380", 12, "", [], ("US",))], ["US"])
        orders = {"PO1001": (10, [("2001", 2), ("2002", 1)]), "PO1002": (10, [("2003", 5)]),
                  "PO1003": (10, [("2001", 1), ("9999", 3)]), "PO1004": (15, [("2002", 4)]),
                  "PO1005": (15, [("2003", 2)]), "PO1006": (17, [("2001", 1)]),
                  "PO0900": (40, [("2001", 1)]), "PO0901": (-99, [("2002", 1)])}
        for n, (no, (status, items)) in enumerate(orders.items()):
            g.po_orders[no] = make_po(no, status, deadline=f"2026-12-{12 + n:02d} 18:00:00")
            g.po_items[no] = [make_po_item(no, sku, quantity, title=f"Item {sku}") for sku, quantity in items]
        g.po_orders["PO0902"] = make_po("PO0902", 10, order_type=10)  # a normal purchase order
        g.po_items["PO0902"] = [make_po_item("PO0902", "2001", 1)]
        g.po_orders["PO1006"]["self_delivery_no"] = "SD00000001"
        g.po_deliveries["SD00000001"] = {"self_delivery_no": "SD00000001", "related_pos": ["PO1006"],
                                         "delivery_type": 1, "logistics_service_provider": "SF",
                                         "appointment_express_no_list": ["SF1234567890"]}
        yield running


@pytest.fixture
def shop(tmp_path: Path, server, monkeypatch) -> Path:
    """A store pulled from the gateway and connected to seller 200042, the app's credentials and
    the access token in the environment (as a seller's scheduled job would set them)."""
    (tmp_path / "sheetsync.toml").write_text("rate_limit_per_second = 1000\n", encoding="utf-8")
    store = tmp_path / "ae.db"
    sheetsync.init_store(store)
    client = client_for(server)
    assert sheetsync.pull(store, client=client).products == 2
    client.close()
    with Store.open(store) as handle:
        handle.set_meta(auth.SELLER_ID_KEY, "200042")
    for key in [k for k in os.environ if k.startswith("SHEETSYNC_AE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SHEETSYNC_AE_APP_KEY", APP_KEY)
    monkeypatch.setenv("SHEETSYNC_AE_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("SHEETSYNC_AE_ACCESS_TOKEN", server.gateway.access_token)
    monkeypatch.setenv("SHEETSYNC_AE_ENDPOINT", server.url)
    server.gateway.requests.clear()
    return store


@pytest.fixture
def book(shop: Path, tmp_path: Path) -> OrdersBook:
    code, out, _ = run(shop, "orders", "export", str(tmp_path / "orders.xlsx"), "--target", "aliexpress")
    assert code == 0 and "Exported 6 orders (8 items)" in out, out
    return OrdersBook(tmp_path / "orders.xlsx")


def sent(server, method: str) -> list[dict[str, Any]]:
    return [json.loads(r["param0"]) for r in server.gateway.calls(method)]


def writes(server) -> list[str]:
    return [r["method"] for r in server.gateway.requests if r.get("method") in WRITES]


def express(book: OrdersBook, number: str, tracking: str, confirm: bool = True, **more: Any) -> str:
    if confirm:
        more["confirm"] = "yes"
    return book.fill(number, delivery_type="express", carrier="SF", tracking_numbers=tracking, **more)


def importing(shop: Path, path: Path, *more: str) -> tuple[int, str, dict[str, Any]]:
    return run(shop, "orders", "import", str(path), "--target", "aliexpress", *more)


# -- export -----------------------------------------------------------------------------------------------
def test_export_lists_exactly_the_open_jit_orders_and_their_items(server, book):
    g = server.gateway
    assert sorted(book.rows) == OPEN  # not the received, the cancelled, nor the normal purchase order
    for number in OPEN:
        rows = book.rows[number]
        assert [(book.get(r, "sku_id"), book.get(r, "title"), book.get(r, "barcode"), book.get(r, "quantity"))
                for r in rows] == [(str(i["sku_id"]), i["title"], i["barcode"], i["quantity"])
                                   for i in g.po_items[number]]
        assert {book.get(r, "warehouse") for r in rows} == {"Dongguan JIT warehouse"}
    # the item answer has no SKU code: the catalog's, by sku_id; empty for a SKU it does not know
    assert [book.get(r, "sku_code") for r in book.rows["PO1001"]] == ["EAR-BLK", "EAR-WHT"]
    assert [book.get(r, "sku_code") or "" for r in book.rows["PO1003"]] == ["EAR-BLK", ""]
    assert book.with_status("to confirm") == ["PO1001", "PO1002", "PO1003"]
    assert book.with_status("confirmed") == ["PO1004", "PO1005"] and book.with_status("to ship") == ["PO1006"]
    shipped = book.rows["PO1006"][0]
    assert (book.get(shipped, "delivery_no"), book.get(shipped, "delivery_type"), book.get(shipped, "carrier"),
            book.get(shipped, "tracking_numbers")) == ("SD00000001", "express", "SF", "SF1234567890")
    first = book.get(book.rows["PO1001"][0], "deadline")  # 18:00 China time, shown in this computer's zone
    assert first == datetime(2026, 12, 12, 10, 0, tzinfo=UTC).astimezone().replace(tzinfo=None)
    pages = sent(server, po.PAGE_QUERY)
    assert {p["status"] for p in pages} == {10, 15, 17}
    assert all(p["order_type"] == 50 and p["biz_type"] == 7668000 and p["channel_user_id"] == "200042"
               for p in pages)
    assert writes(server) == [] and g.bad_signatures == 0


# -- import -----------------------------------------------------------------------------------------------
def test_an_import_confirms_the_marked_orders_delivers_one_per_group_and_saves_one_label_each(
        server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1001", "SF2000000001", boxes=1)
    express(book, "PO1002", "sf2000000001", boxes=2)       # the same tracking number: one delivery
    express(book, "PO1004", "SF2000000002", confirm=False)  # confirmed already
    book.fill("PO1005", delivery_type="truck", license_plate="粤B12345", phone="13800138000", boxes=4)
    edited = book.save(tmp_path / "edited.xlsx")
    labels = tmp_path / "labels"
    code, out, done = importing(shop, edited, "--labels", str(labels), "--json")
    assert code == 0 and done["status"] == "applied" and done["target"] == "aliexpress", out
    assert sorted(p["purchase_order_no"] for p in sent(server, po.CONFIRM)) == ["PO1001", "PO1002"]
    assert all(p["all_quantity_confirm"] is True for p in sent(server, po.CONFIRM))
    deliveries = {tuple(p["purchase_order_no_list"]): p for p in sent(server, po.SELF_DELIVERY)}
    assert sorted(deliveries) == [("PO1001", "PO1002"), ("PO1004",), ("PO1005",)]
    assert (deliveries[("PO1001", "PO1002")]["appointment_express_no_list"],
            deliveries[("PO1001", "PO1002")]["logistics_service_provider"]) == (["SF2000000001"], "SF")
    assert deliveries[("PO1004",)]["appointment_express_no_list"] == ["SF2000000002"]
    assert (deliveries[("PO1005",)]["delivery_type"], deliveries[("PO1005",)]["appointment_license_plate"]) == \
        (2, "粤B12345")
    assert g.po_orders["PO1003"]["status"] == 10  # not marked: not confirmed
    numbers = {tuple(a["orders"]): a["delivery_no"] for a in done["actions"] if a["action"] == "selfdelivery"}
    assert numbers[("PO1001", "PO1002")] == g.po_orders["PO1001"]["self_delivery_no"] == \
        g.po_orders["PO1002"]["self_delivery_no"]
    # one label PDF per delivery, with the boxes of its orders together
    assert sorted(done["labels"]) == sorted(str(labels / f"{n}.pdf") for n in numbers.values())
    assert sorted(p.name for p in labels.iterdir()) == sorted(f"{n}.pdf" for n in numbers.values())
    assert all((labels / f"{n}.pdf").read_bytes().startswith(b"%PDF-") for n in numbers.values())
    boxes = {label["delivery"]: label["boxes"] for label in g.labels}
    assert boxes == {numbers[("PO1001", "PO1002")]: "3", numbers[("PO1004",)]: "1", numbers[("PO1005",)]: "4"}
    assert (done["changes"], done["applied"]) == (2 + 4, 6)
    # the same file again sends nothing
    before = len(g.requests)
    code, out, again = importing(shop, edited, "--json")
    assert code == 0 and again["status"] == "unchanged" and again["already_applied"] == 6 and not again["actions"]
    assert [r["method"] for r in g.requests[before:] if r.get("method") in WRITES] == []
    code, out, _ = run(shop, "history")
    assert code == 0 and done["run_id"] in out and g.bad_signatures == 0


def test_a_bad_tracking_number_stops_the_import_naming_the_cell_and_nothing_is_sent(server, shop, book, tmp_path):
    express(book, "PO1001", "SF2000000001")
    express(book, "PO1002", "SF2000000003, ??")
    code, out, _ = importing(shop, book.save(tmp_path / "bad.xlsx"))
    cell = book.coord("PO1002", "tracking_numbers")
    assert code == 1 and f"Orders!{cell} [tracking_format]" in out and '"??"' in out, out
    assert writes(server) == [] and server.gateway.po_orders["PO1001"]["status"] == 10


def test_a_dropped_connection_after_a_delivery_does_not_create_a_second_one_on_the_rerun(
        server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1004", "SF2000000004", confirm=False)
    edited = book.save(tmp_path / "e.xlsx")
    g.drop_after_write = 1  # the delivery is made, then the connection drops before its answer
    code, out, done = importing(shop, edited, "--json")
    [action] = done["actions"]
    made = g.po_orders["PO1004"]["self_delivery_no"]
    assert code == 0 and action["result"] == "applied" and action["delivery_no"] == made, out  # settled by a re-read
    code, out, again = importing(shop, edited, "--json")
    assert code == 0 and again["status"] == "unchanged" and again["already_applied"] == 1
    assert len(g.calls(po.SELF_DELIVERY)) == 1 and len(g.po_deliveries) == 2  # SD00000001 and the one made


def test_lost_answers_to_a_confirmation_and_its_delivery_are_settled_by_rereading(server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1001", "SF2000000005")
    g.drop_after_write = 2  # both answers lost: the confirmation and the delivery that follows it
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--json")
    assert code == 0 and [(a["action"], a["result"]) for a in done["actions"]] == \
        [("confirm", "applied"), ("selfdelivery", "applied")], out
    assert len(g.calls(po.CONFIRM)) == 1 and len(g.calls(po.SELF_DELIVERY)) == 1
    assert done["actions"][1]["delivery_no"] == g.po_orders["PO1001"]["self_delivery_no"]


def test_a_changed_tracking_number_updates_the_delivery_and_a_lost_answer_is_settled(server, shop, book, tmp_path):
    g = server.gateway
    book.fill("PO1006", tracking_numbers="SF1234567891")
    g.drop_after_write = 1
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--json")
    assert code == 0 and [(a["action"], a["result"], a["delivery_no"]) for a in done["actions"]] == \
        [("updateSelfdelivery", "applied", "SD00000001")], out
    assert g.po_deliveries["SD00000001"]["appointment_express_no_list"] == ["SF1234567891"]
    assert [p["self_delivery_no"] for p in sent(server, po.UPDATE_DELIVERY)] == ["SD00000001"]


def test_an_order_that_changed_state_since_the_export_is_reported_not_acted_on(server, shop, book, tmp_path):
    g = server.gateway
    book.fill("PO1001", confirm="yes")
    book.fill("PO1002", confirm="yes")
    express(book, "PO1004", "SF2000000006", confirm=False)
    edited = book.save(tmp_path / "e.xlsx")
    g.po_orders["PO1001"].update(status=-99, status_desc="Cancelled")      # cancelled by the platform
    g.po_orders["PO1002"].update(status=15, status_desc="Confirmed")       # confirmed in the seller centre
    g.po_orders["PO1004"].update(status=17, self_delivery_no="SD00000009")  # delivered in the seller centre
    g.po_deliveries["SD00000009"] = {"self_delivery_no": "SD00000009", "related_pos": ["PO1004"],
                                     "delivery_type": 1, "logistics_service_provider": "YTO",
                                     "appointment_express_no_list": ["YT9000000001"]}
    code, out, done = importing(shop, edited, "--json")
    assert code == 1 and done["status"] == "invalid", out
    assert sorted((e["rule"], e["cell"]) for e in done["errors"]) == [
        ("order_cancelled", book.coord("PO1001", "confirm")),
        ("order_delivery_conflict", book.coord("PO1004", "delivery_type"))]
    assert done["already_applied"] == 1  # PO1002: confirmed already, never sent again
    assert writes(server) == []


def test_a_rejection_is_partial_exit_3_with_the_platforms_code_and_the_rerun_sends_only_the_rest(
        server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1001", "SF2000000007")
    express(book, "PO1002", "SF2000000008")
    express(book, "PO1004", "SF2000000009", confirm=False)
    edited = book.save(tmp_path / "e.xlsx")
    g.po_reject["PO1004"] = ("PO_WAREHOUSE_CLOSED", "the warehouse takes no deliveries today")
    g.po_reject["PO1002"] = ("PO_EXPIRED", "the purchase order has expired")
    code, out, _ = importing(shop, edited)
    assert code == 3, out
    assert "PO1004  express SF SF2000000009  (rejected) [PO_WAREHOUSE_CLOSED] the warehouse takes no deliveries " \
           "today" in out
    assert "[PO_EXPIRED] the purchase order has expired" in out
    assert "(not written) [-] Not sent: order PO1002 of this delivery was not confirmed" in out
    assert sorted(p["purchase_order_no_list"] for p in sent(server, po.SELF_DELIVERY)) == [["PO1001"], ["PO1004"]]
    assert g.po_orders["PO1001"]["status"] == 17 and g.po_orders["PO1002"]["status"] == 10
    g.po_reject.clear()
    g.requests.clear()
    code, out, done = importing(shop, edited, "--json")
    assert code == 0 and done["status"] == "applied", out
    assert [(a["action"], a["orders"]) for a in done["actions"]] == \
        [("confirm", ["PO1002"]), ("selfdelivery", ["PO1002"]), ("selfdelivery", ["PO1004"])]
    assert done["already_applied"] == 2  # PO1001's confirmation and delivery
    assert sorted(writes(server)) == sorted([po.CONFIRM, po.SELF_DELIVERY, po.SELF_DELIVERY])


def test_a_dry_run_reads_the_platform_and_sends_nothing(server, shop, book, tmp_path):
    express(book, "PO1001", "SF2000000010")
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--dry-run", "--json")
    assert code == 0 and done["status"] == "dry_run" and done["changes"] == 2, out
    assert writes(server) == [] and server.gateway.calls(po.PAGE_QUERY)


def test_a_lost_answer_the_reread_shows_not_done_is_failed_and_the_rerun_sends_it(server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1004", "SF2000000011", confirm=False)
    edited = book.save(tmp_path / "e.xlsx")
    g.answers[po.SELF_DELIVERY] = [b"<html>gateway error</html>"]  # unreadable, and nothing was made
    code, out, done = importing(shop, edited, "--json")
    [action] = done["actions"]
    assert code == 3 and done["status"] == "partial" and action["result"] == "failed", out
    assert "was not done, and it was not sent a second time" in action["message"]
    assert len(g.calls(po.SELF_DELIVERY)) == 1 and "self_delivery_no" not in g.po_orders["PO1004"]
    code, out, done = importing(shop, edited, "--json")
    assert code == 0 and [(a["action"], a["result"]) for a in done["actions"]] == [("selfdelivery", "applied")]
    assert len(g.calls(po.SELF_DELIVERY)) == 2 and g.po_orders["PO1004"]["self_delivery_no"]


def test_the_quota_used_up_half_way_stops_the_run_and_the_rerun_sends_only_the_rest(server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1004", "SF2000000012", confirm=False)
    express(book, "PO1005", "SF2000000013", confirm=False)
    edited = book.save(tmp_path / "e.xlsx")
    g.writes_before_quota = 1
    code, out, done = importing(shop, edited, "--json")
    assert code == 3 and done["applied"] == 1 and done["failed"] == 1, out
    assert [e["rule"] for e in done["errors"]] == ["quota_exceeded"]
    g.writes_before_quota, g.quota_used = None, False  # the next day
    code, out, again = importing(shop, edited, "--json")
    assert code == 0 and again["applied"] == 1 and again["already_applied"] == 1, out
    assert len({p["purchase_order_no_list"][0] for p in sent(server, po.SELF_DELIVERY)}) == 2
    assert len(g.po_deliveries) == 3  # SD00000001 and one for each order: none twice


def test_a_delivery_number_that_cannot_name_a_file_gets_no_label(server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1004", "SF2000000014", confirm=False)
    answer = {"aliexpress_ascp_po_selfdelivery_response": {"result": {"success": True, "data": "../../evil"}}}
    g.answers[po.SELF_DELIVERY] = [answer]
    labels = tmp_path / "labels"
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--labels", str(labels), "--json")
    assert code == 4 and [w["rule"] for w in done["warnings"]] == ["labels_failed"], out
    assert "cannot name a file" in done["warnings"][0]["message"] and not g.calls(po.PRINT_LABELS)
    assert not list(tmp_path.parent.glob("evil*")) and not (labels.exists() and list(labels.iterdir()))


def test_labels_asked_for_on_a_rerun_are_fetched_once_per_delivery_with_the_sheets_boxes(
        server, shop, book, tmp_path):
    g = server.gateway
    express(book, "PO1001", "SF2000000015", boxes=2)
    express(book, "PO1002", "SF2000000015", boxes=3)
    edited = book.save(tmp_path / "e.xlsx")
    code, out, done = importing(shop, edited, "--json")  # the labels forgotten
    assert code == 0 and not done["labels"], out
    number = g.po_orders["PO1001"]["self_delivery_no"]
    labels = tmp_path / "labels"
    code, out, again = importing(shop, edited, "--labels", str(labels), "--json")
    assert code == 0 and again["status"] == "unchanged" and again["labels"] == [str(labels / f"{number}.pdf")], out
    assert g.labels == [{"delivery": number, "boxes": "5", "size": "A4"}] and writes(server).count(po.CONFIRM) == 2


def test_more_boxes_than_the_platform_prints_for_one_delivery_is_a_warning_not_a_crash(server, shop, book, tmp_path):
    express(book, "PO1001", "SF2000000016", boxes=60)
    express(book, "PO1002", "SF2000000016", boxes=60)  # one delivery of 120 boxes
    labels = tmp_path / "labels"
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--labels", str(labels), "--json")
    assert code == 4 and done["applied"] == 4 and [w["rule"] for w in done["warnings"]] == ["labels_failed"], out
    assert "has 120 boxes" in done["warnings"][0]["message"] and not server.gateway.calls(po.PRINT_LABELS)


def test_more_than_99_orders_under_one_tracking_number_travel_in_deliveries_of_at_most_99(server, shop, tmp_path):
    g = server.gateway
    numbers = [f"PO3{n:03d}" for n in range(120)]
    for no in numbers:
        g.po_orders[no] = make_po(no, 15, deadline="2026-12-20 18:00:00")
        g.po_items[no] = [make_po_item(no, "2003", 1, title="Item 2003")]
    code, out, _ = run(shop, "orders", "export", str(tmp_path / "o.xlsx"), "--target", "aliexpress", "--status",
                       "to_ship")
    assert code == 0 and "Exported 123 orders" in out, out  # and PO1004, PO1005, PO1006
    book = OrdersBook(tmp_path / "o.xlsx")
    for no in numbers:
        express(book, no, "SF3000000001", confirm=False)
    code, out, done = importing(shop, book.save(tmp_path / "e.xlsx"), "--json")
    assert code == 0 and done["applied"] == 120, out
    lists = sorted((p["purchase_order_no_list"] for p in sent(server, po.SELF_DELIVERY)), key=len, reverse=True)
    assert [len(x) for x in lists] == [99, 21] and sorted(lists[0] + lists[1]) == numbers
    assert {g.po_orders[no]["self_delivery_no"] for no in numbers} == {a["delivery_no"] for a in done["actions"]}


def test_an_order_without_a_deadline_is_a_wrong_answer_named_not_an_order_without_hurry(server, shop, tmp_path):
    server.gateway.po_orders["PO1003"]["gmt_expiration"] = ""
    code, out, _ = run(shop, "orders", "export", str(tmp_path / "o.xlsx"), "--target", "aliexpress")
    assert code == 2 and "PO1003" in out and "gmt_expiration" in out and po.PAGE_QUERY in out, out
    assert not (tmp_path / "o.xlsx").exists()


def test_a_sentence_the_target_gives_an_action_is_in_the_runs_language(server, shop, book, tmp_path):
    express(book, "PO1002", "SF2000000017")
    server.gateway.po_reject["PO1002"] = ("PO_EXPIRED", "the purchase order has expired")
    code, out, _ = importing(shop, book.save(tmp_path / "e.xlsx"), "--lang", "zh")
    assert code == 3 and "(未写入) [-] 未发送：此发货中的采购单 PO1002 未能在本次导入中确认" in out, out
    assert [p["purchase_order_no"] for p in sent(server, po.CONFIRM)] == ["PO1002"]
    assert not sent(server, po.SELF_DELIVERY)
