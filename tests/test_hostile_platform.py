"""Faults a hostile review met between sheetsync and the platform, against the test gateway on
127.0.0.1 (tests/ae_server.py): a product list that changes while it is read (F2), an
authorization for another seller than the store's (F5), the store file replaced during a push
(F1), Ctrl-C during a push (F8/F9). Every point of a fault is reached by a hook of the gateway
(after a page, after the Nth write), never by waiting for time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
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


# -- F8/F9: Ctrl-C during a push or an import -----------------------------------------------------------
MANY = {(f"4{n:03d}", "seller_price"): f"{6 + n / 100:.2f}" for n in range(40)}  # 40 products, > 16 workers
STOPPING = "Stopping (Ctrl-C)"


def _lines(stream, seen: list[str], stopping: threading.Event) -> None:
    for line in stream:
        seen.append(line)
        if STOPPING in line:
            stopping.set()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT sent to another process")
def test_ctrl_c_during_a_push_journals_what_the_platform_took_and_the_rerun_sends_the_rest_once(pulled, server,
                                                                                                   tmp_path):
    """SIGINT when the gateway receives its 3rd write; that write and every later one is answered
    only once the command said it is stopping (a handshake, no timing): what was in flight is
    written and journaled, nothing more is sent."""
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {key: float(value) for key, value in MANY.items()})
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SHEETSYNC_AE_")}, **env_for(server),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "sheetsync.cli", "--store", str(pulled), "import", str(path), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopping, stderr = threading.Event(), []
    reader = threading.Thread(target=_lines, args=(process.stderr, stderr, stopping), daemon=True)
    reader.start()

    missed: list[int] = []  # writes answered without the handshake (an assert here would fail only the server)

    def after_write(count: int) -> None:
        if count == 3:
            process.send_signal(signal.SIGINT)
        if count >= 3 and not stopping.wait(20):
            missed.append(count)

    g.after_write = after_write
    try:
        stdout = process.stdout.read()  # not communicate(): it would read stderr too, from under the reader
        process.wait(timeout=120)
    finally:
        g.after_write = None
        if process.poll() is None:
            process.kill()
    reader.join(timeout=10)
    assert not missed, "the command never said it was stopping"
    result = json.loads(stdout)
    assert process.returncode == 130 and result["status"] == "interrupted", (stdout, stderr)
    took = edits_per_product(server)
    assert set(took.values()) == {1} and 3 <= len(took) < len(MANY)
    assert result["applied"] == len(took)  # everything the platform took is journaled, in flight included
    assert result["failed"] == len(MANY) - len(took)
    assert [e["rule"] for e in result["errors"]] == ["interrupted"]
    assert result["run_id"] in result["errors"][0]["message"]
    assert {c["result"] for c in result["change_list"]} == {"applied", "not_applied"}
    assert "Traceback" not in "".join(stderr)
    run = json.loads(cli(pulled, "history", "--json", env={}).stdout)["runs"][-1]
    assert (run["run_id"], run["status"], run["applied"]) == (result["run_id"], "interrupted", len(took))

    again = cli(pulled, "import", path, "--json", env=env_for(server))
    finished = json.loads(again.stdout)
    assert (again.exit_code, finished["status"]) == (0, "applied"), again.output
    assert (finished["applied"], finished["already_applied"]) == (len(MANY) - len(took), len(took))
    assert edits_per_product(server) == {f"1006{n:03d}": 1 for n in range(40)}  # each product once, in all


def test_ctrl_c_during_a_local_import_writes_nothing_and_is_journaled(store, tmp_path, monkeypatch):
    """The local catalog is written in one transaction: Ctrl-C once the writing has begun (here as
    the run is opened) stops it before the catalog changes; the run is journaled interrupted."""
    from sheetsync.store import Store

    path = exported_with_edits(store, tmp_path, {})
    wb = Workbook(path)
    for sku in wb.sku_ids[:3]:
        wb.set(sku, "seller_price", 19.5)
    wb.save(path)
    begin_run = Store.begin_run

    def interrupted_run(self, *args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # handled before the next line: the handler only asks to stop
        return begin_run(self, *args, **kwargs)

    monkeypatch.setattr(Store, "begin_run", interrupted_run)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"])
    result = json.loads(run.stdout)
    assert (run.exit_code, result["status"], result["applied"], result["failed"]) == (130, "interrupted", 0, 3)
    monkeypatch.setattr(Store, "begin_run", begin_run)
    history = json.loads(CliRunner().invoke(main, ["--store", str(store), "history", "--json"]).stdout)["runs"]
    assert [(r["status"], r["applied"]) for r in history] == [("interrupted", 0)]
    again = json.loads(CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"]).stdout)
    assert (again["status"], again["applied"], again["already_applied"]) == ("applied", 3, 0)


def test_ctrl_c_before_the_writing_stops_at_once(store, tmp_path, monkeypatch):
    """While the workbook is read and checked, Ctrl-C stops the command at once: nothing written,
    nothing journaled, still one JSON document and exit 130."""
    from sheetsync import pipeline

    path = exported_with_edits(store, tmp_path, {})

    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(pipeline, "_check_meta", interrupted)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json"])
    assert run.exit_code == 130 and json.loads(run.stdout)["status"] == "interrupted"
    monkeypatch.undo()
    assert json.loads(CliRunner().invoke(main, ["--store", str(store), "history", "--json"]).stdout)["runs"] == []


def test_the_store_replaced_while_a_refreshed_token_is_kept_still_reports_what_was_written(pulled, server,
                                                                                           tmp_path):
    """The token expires as the store is replaced: a worker renews it and the main thread cannot
    keep it in the store. The push stops there and says what AliExpress took (exit 3), never that
    nothing was written."""
    g = server.gateway
    path = exported_with_edits(pulled, tmp_path, {key: float(value) for key, value in MANY.items()})
    backup = tmp_path / "backup.db"
    shutil.copy(pulled, backup)

    def after_write(count: int) -> None:
        if count == 1:
            os.replace(backup, pulled)
            g.expired = True

    g.after_write = after_write
    run = cli(pulled, "import", path, "--json", env=env_for(server))
    g.after_write = None
    result = json.loads(run.stdout)
    # what the platform holds now (the calls refused for the expired token were sent again, renewed)
    took = [pid for pid, product in g.products.items() if product["product_sku_list"][0]["base_price"] != "5.00"]
    assert (run.exit_code, result["status"]) == (3, "partial"), run.output
    assert [e["rule"] for e in result["errors"]] == ["store_replaced"]
    # the pool may have sent every product before the main thread met the replaced store: what
    # counts is that the report never claims more than the platform took, nor nothing
    assert 1 <= result["applied"] <= len(took) <= len(MANY)
