"""The AliExpress target against a real HTTP server on 127.0.0.1 that checks every signature
(tests/ae_server.py): pull, push, throttling, rejections, token refresh, ambiguous writes, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.config import Settings
from sheetsync.store import Store
from sheetsync.targets.aliexpress import Client, Credentials, sign
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_product, make_sku
from tests.conftest import exported_with_edits


def test_signature_vectors():
    assert sign("helloworld", {"app_key": "123456", "access_token": "test", "timestamp": "1517820392000",
                               "sign_method": "sha256", "order_id": "1234"}, "/order/get") == \
        "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
    assert sign("helloworld", {"app_key": "123456", "format": "json", "language": "en_US",
                               "method": "aliexpress.pop.choice.product.query", "partner_id": "iop-sdk-python-20220609",
                               "product_id": "1005005906923241", "session": "test", "sign_method": "sha256",
                               "simplify": "false", "timestamp": "1517820392000"}) == \
        "9D7C83F02F57DA336F5FCDD667A0BB715B405F933E1EFF18D7A3C5676877E30D"


@pytest.fixture
def server():
    with Server() as running:
        g = running.gateway
        g.products["1005001"] = make_product("1005001", "Wireless earbuds", [
            make_sku("2001", "EAR-BLK", "18.90", "0.120", 40, "0080738264240", ["274526"]),
            make_sku("2002", "EAR-WHT", "19.40", "0.130", 40, "", ["274526"]),
        ], ["US", "FR"])
        g.products["1005002"] = make_product("1005002", "Water bottle", [
            make_sku("2003", "BOT-SLV", "9.80", "0.380", 12, "", [], ("US",)),
        ], ["US"])
        for n in range(3, 121):  # enough products for several pages
            g.products[f"1005{n:03d}"] = make_product(f"1005{n:03d}", f"Item {n}", [
                make_sku(f"3{n:03d}", f"IT-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])
        yield running


class Sleeps(list):
    """Records what the client would have slept: no test waits for time."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(server, secret=APP_SECRET, read_timeout=5.0, sleeps=None) -> Client:
    credentials = Credentials(APP_KEY, secret, server.gateway.access_token, server.gateway.refresh_token, server.url)
    return Client(credentials, rate_limit=10_000, read_timeout=read_timeout, sleep=sleeps if sleeps is not None
                  else Sleeps())


@pytest.fixture
def pulled(tmp_path, server):
    store = tmp_path / "ae.db"
    sheetsync.init_store(store)
    result = sheetsync.pull(store, client=client_for(server))
    assert result.products == 120 and result.added == 121
    return store



def test_pull_pages_and_maps_the_platform(pulled, server):
    g = server.gateway
    assert g.bad_signatures == 0
    assert len(g.calls("aliexpress.pop.choice.products.list")) == 3       # 120 products, 50 a page
    with Store.open(pulled) as handle:
        frame = handle.catalog_frame()
        assert [c.code for c in handle.countries()] == ["US", "FR", "ES", "UK"]
        assert json.loads(handle.meta("ae_warehouses")) == {c: "CN-JIT" for c in ("US", "FR", "ES", "UK")}
        prices = {(s, c): (f, p) for s, c, f, p in handle.platform_prices()}
    ear = frame.loc["2001"]
    assert (ear["title"], ear["seller_price"], ear["weight_kg"], ear["barcode"]) == ("Wireless earbuds", 1890, 120,
                                                                                    "0080738264240")
    assert (ear["logistics_attribute"], ear["variant"]) == ("built_in_battery", "Color: BLK")
    assert (ear["stock_US"], ear["stock_FR"], ear["stock_ES"]) == (40, 40, 0)   # joined countries only
    assert frame.loc["2003", "stock_FR"] == 0
    assert prices[("2001", "FR")] == (310, 2200)


def test_second_pull_with_nothing_changed_changes_nothing(pulled, server):
    before_calls = len(server.gateway.requests)
    again = sheetsync.pull(pulled, client=client_for(server))
    assert (again.products, again.added, again.updated) == (0, 0, 0)
    methods = [r["method"] for r in server.gateway.requests[before_calls:]]
    assert "aliexpress.pop.choice.product.query" not in methods


def test_push_changes_exactly_the_edited_fields(pulled, server, tmp_path):
    g = server.gateway
    untouched = json.dumps(g.products["1005003"], sort_keys=True)
    path = exported_with_edits(pulled, tmp_path, {
        ("2001", "seller_price"): 19.90, ("2001", "weight_kg"): 0.125,
        ("2003", "stock_US"): 30,                                  # stock only → stocks.update
        ("2001", "stock_ES"): 40, ("2002", "stock_ES"): 40,        # joins Spain → product.edit
    })
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "applied", [(e.rule, e.message) for e in result.errors + result.warnings]
    assert result.changes == 5 and result.applied == 5
    ear = {s["sku_id"]: s for s in g.products["1005001"]["product_sku_list"]}
    assert (ear["2001"]["base_price"], ear["2001"]["package_weight"]) == ("19.90", "0.125")
    assert ear["2002"]["base_price"] == "19.40"
    assert sorted(g.products["1005001"]["joined_country_list"]) == ["ES", "FR", "US"]
    bottle = g.products["1005002"]["product_sku_list"][0]
    assert bottle["pop_choice_sku_warehouse_stock_list"] == [{"warehouse_code": "CN-JIT", "sellable_quantity": 30}]
    assert [json.loads(r["pop_choice_product"])["product_id"] for r in g.calls("aliexpress.pop.choice.product.edit")] \
        == ["1005001"]
    assert [r["product_id"] for r in g.calls("aliexpress.pop.choice.product.stocks.update")] == ["1005002"]
    assert json.dumps(g.products["1005003"], sort_keys=True) == untouched
    assert g.bad_signatures == 0
    with Store.open(pulled) as handle:  # the local catalog holds the new values
        frame = handle.catalog_frame()
    assert (frame.at["2001", "seller_price"], frame.at["2003", "stock_US"], frame.at["2002", "stock_ES"]) == (
        1990, 30, 40)
    assert sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server)).status == \
        "unchanged"


def test_throttled_calls_are_retried(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.throttle = 3
    sleeps = Sleeps()
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server, sleeps=sleeps))
    assert result.status == "applied"
    assert sleeps.count(0) >= 3  # waited the (zero-second) ban each time


def test_rejected_product_exits_3_and_the_rerun_finishes_it(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 17.90, ("2003", "seller_price"): 10.50})
    g.reject["1005001"] = "PRICE_LOWER_THAN_REFERENCE"
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server),
                                       report=tmp_path / "r.xlsx")
    assert (result.status, result.exit_code, result.applied, result.failed) == ("partial", 3, 1, 1)
    rejected = [p for p in result.push_results if p.status == "rejected"]
    assert [(p.product_id, p.code) for p in rejected] == [("1005001", "PRICE_LOWER_THAN_REFERENCE")]
    del g.reject["1005001"]
    edits_before = len(g.calls("aliexpress.pop.choice.product.edit"))
    again = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert (again.status, again.applied, again.already_applied) == ("applied", 1, 1)
    sent = [json.loads(r["pop_choice_product"])["product_id"]
            for r in g.calls("aliexpress.pop.choice.product.edit")[edits_before:]]
    assert sent == ["1005001"]


def test_wrong_secret_gives_one_clear_error_and_changes_nothing(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    with Store.open(pulled) as handle:
        before = handle.catalog_frame()
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server, "wrong"))
    assert (result.status, result.exit_code) == ("unavailable", 2)
    assert [e.rule for e in result.errors] == ["platform_refused"]
    assert "IncompleteSignature" in result.errors[0].message and "wrong" not in result.errors[0].message
    with Store.open(pulled) as handle:
        assert handle.catalog_frame().equals(before)
    assert server.gateway.calls("aliexpress.pop.choice.product.edit") == []


def test_expired_token_is_refreshed_once_and_kept(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.expired = True
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "applied"
    assert len([r for r in server.gateway.requests if r["_path"] == "/rest/auth/token/refresh"]) == 1
    with Store.open(pulled) as handle:
        assert (handle.meta("ae_access_token"), handle.meta("ae_refresh_token")) == ("token-2", "refresh-2")


def test_dropped_connection_after_a_write_is_not_written_twice(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.drop_after_write = 1
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "applied"
    assert len(server.gateway.calls("aliexpress.pop.choice.product.edit")) == 1  # re-read, not resent


def test_5xx_and_stalled_reads_are_retried(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.fail_5xx = 2
    server.gateway.stall = 1
    result = sheetsync.import_workbook(pulled, path, target="aliexpress",
                                       client=client_for(server, read_timeout=0.3))
    assert result.status == "applied"


def test_daily_quota_stops_cleanly(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.quota_used = True
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "unavailable" and result.exit_code == 2 and "86400 seconds" in result.errors[0].message


def test_what_the_platform_cannot_store_is_refused_before_sending(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {
        ("2001", "title"): "New name", ("2002", "title"): "New name",
        ("2001", "stock_US"): 10,  # FR (same warehouse, joined) still says 40
    })
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "invalid"
    assert {e.rule for e in result.errors} == {"title_not_supported", "shared_warehouse_stock"}
    assert all(e.cell for e in result.errors)
    shared = next(e.message for e in result.errors if e.rule == "shared_warehouse_stock")
    assert "10 in US but 40 in FR" in shared  # the other country and its value, named
    assert "stop selling product 1005001 in US, type 0 in stock_US on every SKU of the product" in shared
    writes = ("aliexpress.pop.choice.product.edit", "aliexpress.pop.choice.product.stocks.update")
    assert [r for r in server.gateway.requests if r.get("method") in writes] == []  # read again, nothing sent


def test_platform_conflict(pulled, server, tmp_path):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    server.gateway.products["1005001"]["product_sku_list"][0]["base_price"] = "20.00"  # changed in the seller center
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "invalid"
    assert [(e.rule, e.base, e.current, e.value) for e in result.errors] == [("conflict", "18.90", "20.00", "19.10")]
    forced = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server), force=True)
    assert forced.status == "applied"
    assert server.gateway.products["1005001"]["product_sku_list"][0]["base_price"] == "19.10"


def test_cli_uses_the_environment(pulled, server, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_AE_APP_KEY", APP_KEY)
    monkeypatch.setenv("SHEETSYNC_AE_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("SHEETSYNC_AE_ACCESS_TOKEN", server.gateway.access_token)
    monkeypatch.setenv("SHEETSYNC_AE_ENDPOINT", server.url)
    path = exported_with_edits(pulled, tmp_path, {("2003", "stock_US"): 3})
    run = CliRunner().invoke(main, ["--store", str(pulled), "import", str(path), "--target", "aliexpress", "--json"])
    assert run.exit_code == 0 and json.loads(run.output)["status"] == "applied"
    assert APP_SECRET not in run.output
    pulled_again = CliRunner().invoke(main, ["--store", str(pulled), "pull", "--target", "aliexpress"])
    assert pulled_again.exit_code == 0 and "Pulled" in pulled_again.output


KILL_MID_PUSH = textwrap.dedent("""
    import os, signal, sys
    import sheetsync
    from sheetsync.store import Store

    store = Store.open(sys.argv[1])
    store.after_write = lambda change: os.kill(os.getpid(), signal.SIGKILL)   # dies after the first product
    sheetsync.import_workbook(store, sys.argv[2], target="aliexpress")
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_push_killed_half_way_finishes_without_repeating(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10, ("2003", "seller_price"): 10.10})
    env = {**os.environ, "SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET,
           "SHEETSYNC_AE_ACCESS_TOKEN": g.access_token, "SHEETSYNC_AE_ENDPOINT": server.url}
    killed = subprocess.run([sys.executable, "-c", KILL_MID_PUSH, str(pulled), str(path)], env=env)
    assert killed.returncode == -signal.SIGKILL
    # killed while journaling the first product written; the other may have been in flight (the push
    # sends several products at once), and the next run must find it written rather than send it again
    assert 1 <= len(g.calls("aliexpress.pop.choice.product.edit")) <= 2
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server),
                                       settings=Settings())
    assert (result.status, result.applied + result.already_applied) == ("applied", 2)
    assert result.already_applied >= 1
    edited = [json.loads(r["pop_choice_product"])["product_id"] for r in g.calls("aliexpress.pop.choice.product.edit")]
    assert sorted(edited) == ["1005001", "1005002"]                      # each exactly once
    with Store.open(pulled) as handle:
        frame = handle.catalog_frame()
    assert (frame.at["2001", "seller_price"], frame.at["2003", "seller_price"]) == (1910, 1010)


def test_freight_check_after_a_pull(pulled, server, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\n"
                     "US,1,3.10,0,USD,0\nUS,30,5,1,USD,0\nFR,1,2.50,0,USD,0\n")
    path = exported_with_edits(pulled, tmp_path, {})
    result = sheetsync.import_workbook(pulled, path, rates=rates, report=tmp_path / "r.xlsx", client=client_for(server))
    assert (result.status, result.target) == ("unchanged", "aliexpress")  # a pulled store imports to AliExpress
    check = result.freight_check
    assert set(check["country"]) == {"FR"}  # US agrees (3.10), FR is 0.60 cheaper on the card
    assert set(check["difference"]) == {-60}
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["Freight check"]
    assert sheet.max_row == len(check) + 1
    run = CliRunner().invoke(main, ["--store", str(pulled), "freight", "--check", "--rates", str(rates)])
    assert run.exit_code == 0 and "FR" in run.output and "-0.60" in run.output


def test_revert_a_push(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10, ("2003", "stock_US"): 2})
    run_id = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server)).run_id
    assert g.products["1005001"]["product_sku_list"][0]["base_price"] == "19.10"
    result = sheetsync.revert(pulled, run_id, target="aliexpress", client=client_for(server))
    assert (result.status, result.applied) == ("applied", 2)
    assert g.products["1005001"]["product_sku_list"][0]["base_price"] == "18.90"
    assert g.products["1005002"]["product_sku_list"][0]["pop_choice_sku_warehouse_stock_list"][0][
        "sellable_quantity"] == 12
    with Store.open(pulled) as handle:
        frame = handle.catalog_frame()
    assert (frame.at["2001", "seller_price"], frame.at["2003", "stock_US"]) == (1890, 12)


def test_a_pulled_store_imports_to_aliexpress_unless_told_local(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    local = CliRunner().invoke(main, ["--store", str(pulled), "import", str(path), "--target", "local", "--json"])
    assert local.exit_code == 0, local.output
    assert (json.loads(local.output)["target"], g.products["1005001"]["product_sku_list"][0]["base_price"]) == \
        ("local", "18.90")
    human = CliRunner().invoke(main, ["--store", str(pulled), "import", str(path), "--target", "local"])
    assert "the local catalog only" in human.output
    pushed = sheetsync.import_workbook(pulled, path, client=client_for(server))
    assert (pushed.status, pushed.target) == ("applied", "aliexpress")  # no target: the store's own
    assert g.products["1005001"]["product_sku_list"][0]["base_price"] == "19.10"


def test_push_needs_a_pull_first(store, workbook, tmp_path, server):
    workbook.set(workbook.sku_ids[0], "seller_price", 19.5)
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "x.xlsx"), target="aliexpress",
                                       client=client_for(server))
    assert (result.status, result.exit_code, result.errors[0].rule) == ("unreadable", 2, "ae_pull_first")
    assert server.gateway.requests == []


def test_a_dry_run_reads_the_platform_and_reports_the_conflict_the_real_run_would(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    g.products["1005001"]["product_sku_list"][0]["base_price"] = "20.00"  # changed in the seller center
    before = len(g.requests)
    dry = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server), dry_run=True)
    real = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert dry.status == real.status == "invalid"
    assert [(e.rule, e.cell, e.base, e.current, e.value) for e in dry.errors] == \
        [(e.rule, e.cell, e.base, e.current, e.value) for e in real.errors] == \
        [("conflict", dry.errors[0].cell, "18.90", "20.00", "19.10")]
    methods = [r["method"] for r in g.requests[before:]]
    assert methods == ["aliexpress.pop.choice.product.query"] * 2  # read by both, written by neither


def test_revert_defaults_to_the_runs_target_and_its_dry_run_shows_what_it_would_put_back(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    run_id = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server)).run_id
    dry = sheetsync.revert(pulled, run_id, dry_run=True, client=client_for(server))
    assert (dry.status, dry.changes) == ("dry_run", 1)
    assert [(c.sku_id, c.field, c.before, c.after) for c in dry.change_list] == [("2001", "seller_price", 1910, 1890)]
    assert g.products["1005001"]["product_sku_list"][0]["base_price"] == "19.10"
    g.products["1005001"]["product_sku_list"][0]["base_price"] = "21.00"  # changed again on the platform
    conflict = sheetsync.revert(pulled, run_id, dry_run=True, client=client_for(server))
    assert conflict.status == "invalid" and conflict.errors[0].current == "21.00"
    g.products["1005001"]["product_sku_list"][0]["base_price"] = "19.10"
    done = sheetsync.revert(pulled, run_id, client=client_for(server))  # no target: the run's own, AliExpress
    assert done.status == "applied" and g.products["1005001"]["product_sku_list"][0]["base_price"] == "18.90"


def test_a_price_change_never_takes_a_product_off_sale(pulled, server, tmp_path):
    """The platform's stock no longer sits in the warehouse the pull mapped (so every country reads
    as 0 stock): a price change must still send the joined countries and the stock as they are."""
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    for sku in g.products["1005001"]["product_sku_list"]:
        sku["pop_choice_sku_warehouse_stock_list"] = [{"warehouse_code": "OTHER-JIT", "sellable_quantity": 40}]
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server), force=True)
    assert result.status == "applied"
    sent = json.loads(g.calls("aliexpress.pop.choice.product.edit")[-1]["pop_choice_product"])
    assert sent["joined_country_list"] == ["US", "FR"]
    assert all(s["pop_choice_sku_warehouse_stock_list"] == [{"warehouse_code": "OTHER-JIT", "sellable_quantity": 40}]
               for s in sent["product_sku_list"])
    assert g.products["1005001"]["joined_country_list"] == ["US", "FR"]


def test_stopping_a_country_on_every_sku_leaves_only_that_country(pulled, server, tmp_path):
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {("2001", "stock_FR"): 0, ("2002", "stock_FR"): 0})
    result = sheetsync.import_workbook(pulled, path, target="aliexpress", client=client_for(server))
    assert result.status == "applied"
    assert g.products["1005001"]["joined_country_list"] == ["US"]
    assert [s["pop_choice_sku_warehouse_stock_list"] for s in g.products["1005001"]["product_sku_list"]] == \
        [[{"warehouse_code": "CN-JIT", "sellable_quantity": 40}]] * 2  # US still sells from the shared warehouse


def test_a_pull_that_would_map_a_country_to_no_warehouse_is_refused(pulled, server, tmp_path):
    g = server.gateway
    with Store.open(pulled) as handle:
        mapping, watermark = handle.meta("ae_warehouses"), handle.meta("ae_last_pull")
    g.warehouses = []
    run = CliRunner().invoke(main, ["--store", str(pulled), "pull", "--target", "aliexpress"], env={
        "SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET,
        "SHEETSYNC_AE_ACCESS_TOKEN": g.access_token, "SHEETSYNC_AE_ENDPOINT": server.url})
    assert run.exit_code == 2 and "country_warehouses" in run.output
    g.warehouses = [("CN-JIT", "Shenzhen JIT"), ("UK-JIT", "London JIT")]  # two: which one is ambiguous
    with pytest.raises(sheetsync.SheetsyncError) as refused:
        sheetsync.pull(pulled, client=client_for(server))
    assert refused.value.rule == "ae_warehouse_mapping"
    with Store.open(pulled) as handle:
        assert (handle.meta("ae_warehouses"), handle.meta("ae_last_pull")) == (mapping, watermark)
    settings = Settings(country_warehouses={"UK": "UK-JIT", "US": "CN-JIT", "FR": "CN-JIT", "ES": "CN-JIT"})
    assert sheetsync.pull(pulled, client=client_for(server), settings=settings).products >= 0
    with Store.open(pulled) as handle:
        assert json.loads(handle.meta("ae_warehouses"))["UK"] == "UK-JIT"


def test_a_product_changed_between_pulls_is_found_when_the_platform_reads_pacific_time(pulled, server):
    """gmt_modified_start has no stated time zone; if the platform reads it as US Pacific time, a
    watermark in UTC is eight hours ahead of the platform's clock. The overlap covers it."""
    from datetime import UTC, datetime, timedelta

    pacific_now = (datetime.now(UTC) - timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    product = server.gateway.products["1005002"]
    product["product_sku_list"][0]["base_price"] = "11.00"
    product["modified_time"] = pacific_now
    again = sheetsync.pull(pulled, client=client_for(server))
    assert again.products >= 1
    with Store.open(pulled) as handle:
        assert handle.catalog_frame().at["2003", "seller_price"] == 1100


def test_platform_amounts_go_through_the_one_parser(tmp_path, server):
    """A weight of 0 is kept as the platform holds it (the sheet then asks for a real one); a
    weight with more decimals than sheetsync keeps is a wrong answer, not a silent rounding."""
    g = server.gateway
    g.products["1005002"]["product_sku_list"][0]["package_weight"] = "0"
    store = tmp_path / "zero.db"
    sheetsync.init_store(store)
    sheetsync.pull(store, client=client_for(server))
    with Store.open(store) as handle:
        assert handle.catalog_frame().at["2003", "weight_kg"] == 0
    g.products["1005002"]["product_sku_list"][0]["package_weight"] = "0.1234"
    with pytest.raises(sheetsync.SheetsyncError) as refused:
        sheetsync.pull(store, client=client_for(server), since="2000-01-01 00:00:00")
    assert refused.value.rule == "platform_bad_answer" and "2003" in refused.value.message()
