"""Faults a hostile review met between sheetsync and the platform, against the test gateway on
127.0.0.1 (tests/ae_server.py): a product list that changes while it is read (F2), an
authorization for another seller than the store's (F5), the store file replaced during a push
(F1), Ctrl-C during a push (F8/F9). Every point of a fault is reached by a hook of the gateway
(after a page, after the Nth write), never by waiting for time."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync.cli import main
from tests.ae_server import Server, make_product, make_sku
from tests.conftest import Workbook, exported_with_edits
from tests.test_connect import cli, env_for

LIST = "aliexpress.pop.choice.products.list"


@pytest.fixture
def server():
    """120 products of one SKU each: three pages of 50."""
    with Server() as running:
        for n in range(120):
            running.gateway.products[f"1006{n:03d}"] = make_product(f"1006{n:03d}", f"Item {n}", [
                make_sku(f"4{n:03d}", f"IT-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])
        yield running


@pytest.fixture
def connected(tmp_path: Path, server) -> Path:
    """A store connected with `sheetsync auth --code`, not pulled yet; calls as fast as the
    gateway answers (a pull of 120 products at the default 4 a second would take 30 s)."""
    (tmp_path / "sheetsync.toml").write_text("rate_limit_per_second = 1000\n", encoding="utf-8")
    store = tmp_path / "shop.db"
    run = cli(store, "auth", "--code", server.gateway.issue_code(), env=env_for(server))
    assert run.exit_code == 0, run.output
    return store


def status(store: Path) -> dict[str, Any]:
    return json.loads(cli(store, "status", "--json", env={}).stdout)


# -- F2: a product list that changes while it is read -------------------------------------------------
def _add(server, count: int, first: str = "1007") -> None:
    for n in range(count):
        server.gateway.products[f"{first}{n:03d}"] = make_product(f"{first}{n:03d}", f"New {n}", [
            make_sku(f"5{n:03d}", f"NEW-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])


def _page_two_short(server) -> None:
    """Page 2 answered with 10 products where page 1 listed 50 and said there are 3 pages."""
    listed = sorted(server.gateway.products)[50:60]
    server.gateway.answers[LIST] = [{"aliexpress_pop_choice_products_list_response": {"result": {
        "success": True, "total_item": 120, "total_page": 3,
        "pop_choice_product_list": [{"product_id": pid, "title": "x"} for pid in listed]}}}]


CHANGES = {
    # 50 products added after page 1: page 2 says 4 pages
    "the page count changes": (lambda server: _add(server, 50), "page 2 says 4 pages, page 1 said 3"),
    # one product that sorts first added after page 1: page 1's last product is page 2's first
    "a product listed twice": (lambda server: _add(server, 1, first="1000"), "is listed twice"),
    # ten products removed after page 1: 110 listed where 120 were promised
    "fewer products than promised": (lambda server: [server.gateway.products.pop(pid) for pid in
                                                     sorted(server.gateway.products)[-10:]],
                                     "120 products promised, 110 listed"),
    "a page shorter than the first": (_page_two_short, "page 2 of 3 lists 10 products, page 1 listed 50"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_product_list_that_changes_while_it_is_read_is_refused_and_moves_nothing(change, connected, server):
    make, words = CHANGES[change]
    g = server.gateway

    def after_list(page: int) -> None:
        if page == 1:
            g.after_list = None
            make(server)

    g.after_list = after_list
    before = status(connected)
    run = cli(connected, "pull", "--json", env=env_for(server))
    result = json.loads(run.stdout)
    assert (run.exit_code, result["status"], result["errors"][0]["rule"]) == (2, "unavailable",
                                                                           "ae_pages_inconsistent"), run.output
    assert words in result["errors"][0]["message"] and "starts from the same point" in result["errors"][0]["message"]
    after = status(connected)
    assert (after["watermark"], after["last_pull"], after["products"]) == (before["watermark"], None, 0)
    assert after["warehouses"] == before["warehouses"] == {}

    again = cli(connected, "pull", "--json", env=env_for(server))  # the list stands still now
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "applied"
    assert status(connected)["products"] == len(g.products)
    assert status(connected)["watermark"] is not None


def test_pull_json_says_how_it_ended(connected, server):
    first = json.loads(cli(connected, "pull", "--json", env=env_for(server)).stdout)
    assert (first["status"], first["products"], first["added"]) == ("applied", 120, 120)
    second = json.loads(cli(connected, "pull", "--json", env=env_for(server)).stdout)
    assert (second["status"], second["added"], second["updated"]) == ("unchanged", 0, 0)


# -- F5: an authorization for another seller ----------------------------------------------------------
def test_auth_for_another_seller_is_refused_unless_forced(connected, server):
    g = server.gateway
    assert cli(connected, "pull", env=env_for(server)).exit_code == 0
    before = status(connected)
    first = dict(g.seller)
    g.seller = {**first, "user_id": "300099", "seller_id": "300099", "user_nick": "othershop"}

    refused = cli(connected, "auth", "--code", g.issue_code(), env=env_for(server))
    assert refused.exit_code == 2, refused.output
    assert "cn1520shop (seller id 200042)" in refused.stderr and "othershop (seller id 300099)" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.output
    after = status(connected)
    assert (after["seller"], after["seller_id"], after["products"]) == ("cn1520shop", "200042", 120)
    assert after["access_token"] == before["access_token"]

    g.seller = first  # the same seller again: renewed without --force
    assert cli(connected, "auth", "--code", g.issue_code(), env=env_for(server)).exit_code == 0
    g.seller = {**first, "user_id": "300099", "seller_id": "300099", "user_nick": "othershop"}
    forced = cli(connected, "auth", "--code", g.issue_code(), "--force", env=env_for(server))
    assert forced.exit_code == 0, forced.output
    assert (status(connected)["seller"], status(connected)["seller_id"]) == ("othershop", "300099")


# -- F1: the store file replaced or deleted during a push or an import ----------------------------------
EDIT = "aliexpress.pop.choice.product.edit"
PRICES = {("4000", "seller_price"): 6.10, ("4001", "seller_price"): 6.20, ("4002", "seller_price"): 6.30}


@pytest.fixture
def pulled(connected: Path, server) -> Path:
    assert cli(connected, "pull", env=env_for(server)).exit_code == 0
    return connected


def edits_per_product(server) -> dict[str, int]:
    sent: dict[str, int] = {}
    for request in server.gateway.calls(EDIT):
        product_id = json.loads(request["pop_choice_product"])["product_id"]
        sent[product_id] = sent.get(product_id, 0) + 1
    return sent


def _replace_with(backup: Path, store: Path) -> None:
    os.replace(backup, store)


def _delete(backup: Path, store: Path) -> None:
    store.unlink()


@pytest.mark.parametrize("fault", [_replace_with, _delete], ids=["replaced by a backup", "deleted"])
def test_the_store_replaced_during_a_push_stops_it_and_the_rerun_sends_nothing_twice(fault, pulled, server,
                                                                                       tmp_path):
    path = exported_with_edits(pulled, tmp_path, PRICES)
    backup = tmp_path / "backup.db"
    shutil.copy(pulled, backup)  # what a backup tool restores: the catalog as it was before the push
    server.gateway.after_write = lambda count: fault(backup, pulled) if count == 1 else None

    run = cli(pulled, "import", path, "--json", env=env_for(server))
    result = json.loads(run.stdout)
    assert run.exit_code in (2, 3), run.output
    assert run.exit_code == (3 if result["applied"] else 2)
    assert [e["rule"] for e in result["errors"]] == ["store_replaced"]
    assert str(pulled) in result["errors"][0]["message"] and "not written twice" in result["errors"][0]["message"]
    written = edits_per_product(server)
    assert 1 <= len(written) <= len(PRICES) and set(written.values()) == {1}

    server.gateway.after_write = None
    if not pulled.exists():
        shutil.copy(backup, pulled)
    again = cli(pulled, "import", path, "--json", env=env_for(server))
    finished = json.loads(again.stdout)
    # what the platform took before the stop (in flight included) is found there, the rest is sent
    assert again.exit_code == 0 and finished["status"] in ("applied", "unchanged"), again.output
    assert finished["applied"] + finished["already_applied"] == len(PRICES)
    assert edits_per_product(server) == {"1006000": 1, "1006001": 1, "1006002": 1}  # each product once


def test_the_store_replaced_during_a_local_import_writes_nothing(store, tmp_path, monkeypatch):
    """The local catalog: one transaction, refused at its commit; the catalog now at the path is
    left as it is, and the same import then applies once."""
    from sheetsync.targets.local import LocalTarget

    path = exported_with_edits(store, tmp_path, {})
    wb = Workbook(path)
    sku = wb.sku_ids[0]
    wb.set(sku, "seller_price", 19.5)
    wb.save(path)
    backup = tmp_path / "backup.db"
    shutil.copy(store, backup)
    restored = backup.read_bytes()
    apply = LocalTarget.apply

    def replaced_then_applied(self, journal, changes, already):
        os.replace(backup, store)
        return apply(self, journal, changes, already)

    monkeypatch.setattr(LocalTarget, "apply", replaced_then_applied)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"])
    result = json.loads(run.stdout)
    assert (run.exit_code, result["status"], result["applied"]) == (2, "unavailable", 0), run.output
    assert [e["rule"] for e in result["errors"]] == ["store_replaced"]
    assert store.read_bytes() == restored
    monkeypatch.setattr(LocalTarget, "apply", apply)
    again = json.loads(CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"]).stdout)
    assert (again["status"], again["applied"]) == ("applied", 1)
    runs = json.loads(CliRunner().invoke(main, ["--store", str(store), "history", "--json"]).stdout)["runs"]
    assert [run["status"] for run in runs] == ["applied"]
