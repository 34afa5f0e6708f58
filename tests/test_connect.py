"""Connecting a store the way sellers do (issue 13), against the test gateway on 127.0.0.1:
`sheetsync auth` (a code given, the loopback callback, a pasted address), the token lifecycle
(refreshed before it expires, an expired authorization stops before anything is written, the
environment overriding the store), `status`, the store's write lock across processes, pushes
with bounded concurrency under one rate limit, and refused products reported in every output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.errors import ConfigError
from sheetsync.store import Store
from sheetsync.targets.aliexpress import Client, Credentials
from sheetsync.targets.aliexpress.auth import code_from_answer
from tests.ae_server import APP_KEY, APP_SECRET, Server, make_product, make_sku
from tests.conftest import Workbook, exported_with_edits

EDIT = "aliexpress.pop.choice.product.edit"
STOCKS = "aliexpress.pop.choice.product.stocks.update"
QUERY = "aliexpress.pop.choice.product.query"
REFRESH, CREATE = "/rest/auth/token/refresh", "/rest/auth/token/create"


@pytest.fixture
def server():
    with Server() as running:
        g = running.gateway
        g.products["1005001"] = make_product("1005001", "Wireless earbuds", [
            make_sku("2001", "EAR-BLK", "18.90", "0.120", 40, "0080738264240", ["274526"]),
            make_sku("2002", "EAR-WHT", "19.40", "0.130", 40, "", ["274526"]),
        ], ["US", "FR"])
        for n in range(2, 9):
            g.products[f"100500{n}"] = make_product(f"100500{n}", f"Item {n}", [
                make_sku(f"300{n}", f"IT-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])
        yield running


def env_for(server, **extra: str) -> dict[str, str]:
    """The environment of a seller who set the app's key and secret (and nothing else)."""
    return {"SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET,
            "SHEETSYNC_AE_ENDPOINT": server.url, **extra}


def cli(store: Path, *args: str, env: dict[str, str], input: str | None = None):
    """The command line in this process, with exactly `env`'s SHEETSYNC_AE_* variables."""
    cleared = {k: None for k in os.environ if k.startswith("SHEETSYNC_AE_")}
    return CliRunner().invoke(main, ["--store", str(store), *map(str, args)], env={**cleared, **env}, input=input)


def sync_calls(server) -> list[dict[str, str]]:
    return [r for r in server.gateway.requests if r["_path"] == "/sync"]


def connected_store(tmp_path: Path, server, **gateway) -> Path:
    """A store connected with `sheetsync auth --code` (lifetimes as given), then pulled."""
    g = server.gateway
    for key, value in gateway.items():
        setattr(g, key, value)
    store = tmp_path / "shop.db"
    run = cli(store, "auth", "--code", g.issue_code(), env=env_for(server))
    assert run.exit_code == 0, run.output
    g.access_lifetime, g.refresh_lifetime = 86_400, 172_800
    return store



# -- sheetsync auth -----------------------------------------------------------------------------------
def test_auth_with_a_code_connects_a_new_store_that_then_pulls_exports_and_pushes(server, tmp_path):
    g = server.gateway
    store = tmp_path / "new-shop.db"
    run = cli(store, "auth", "--code", g.issue_code(), env=env_for(server))
    assert run.exit_code == 0, run.output
    assert f"Created the store {store}" in run.stdout
    assert "connected to AliExpress seller cn1520shop (seller id 200042)" in run.stdout
    until = re.search(r"valid until (\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d)", run.stdout)
    assert until, run.stdout  # local time with its offset
    assert [r["_path"] for r in g.requests] == [CREATE] and g.bad_signatures == 0
    assert (store.stat().st_mode & 0o777) == 0o600

    status = json.loads(cli(store, "status", "--json", env={}).stdout)  # no credentials needed to look
    assert (status["target"], status["seller"], status["seller_id"]) == ("aliexpress", "cn1520shop", "200042")
    assert status["access_token"] == {"source": "store", "valid": True, "expires": until.group(1)}
    assert status["refresh_token"]["valid"] is True and status["last_pull"] is None
    human = cli(store, "status", env={}).stdout
    assert "seller cn1520shop" in human and f"valid until {until.group(1)}" in human and "not pulled yet" in human

    assert cli(store, "pull", env=env_for(server)).exit_code == 0  # no --target: the platform
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 19.10, ("3002", "stock_US"): 9})
    pushed = cli(store, "import", path, "--json", env=env_for(server))  # no --target: the store's own
    result = json.loads(pushed.stdout)
    assert (pushed.exit_code, result["status"], result["target"], result["applied"]) == (0, "applied",
                                                                                        "aliexpress", 2)
    assert g.products["1005001"]["product_sku_list"][0]["base_price"] == "19.10"
    assert g.products["1005002"]["product_sku_list"][0]["pop_choice_sku_warehouse_stock_list"][0][
        "sellable_quantity"] == 9
    assert {(p["sku_id"], p["status"]) for p in result["push_results"]} == {("2001", "applied"), ("3002", "applied")}
    after = json.loads(cli(store, "status", "--json", env={}).stdout)
    assert after["last_pull"] and after["products"] == 8 and after["skus"] == 9
    assert after["runs"][0]["status"] == "applied" and after["runs"][0]["target"] == "aliexpress"


def test_auth_receives_the_callback_on_a_loopback_redirect_uri(server, tmp_path):
    """The whole code flow through a real process: the URL printed, a browser (urllib here) that
    signs in and is redirected to the loopback address sheetsync listens on."""
    g = server.gateway
    port = _free_port()
    store = tmp_path / "shop.db"
    sheetsync.init_store(store)
    env = {**os.environ, **env_for(server, SHEETSYNC_AE_REDIRECT_URI=f"http://127.0.0.1:{port}/callback")}
    process = subprocess.Popen([sys.executable, "-m", "sheetsync.cli", "--store", str(store), "auth"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = ""
        while not url.startswith("http"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            url = line.strip()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert url.startswith(f"{server.url}/oauth/authorize?")
        assert (query["client_id"], query["response_type"], query["force_auth"]) == ([APP_KEY], ["code"], ["true"])
        assert query["redirect_uri"] == [f"http://127.0.0.1:{port}/callback"] and len(query["state"][0]) >= 16
        with urllib.request.urlopen(url, timeout=10) as page:  # follows the redirect to sheetsync's listener
            assert page.status == 200 and "close this window" in page.read().decode()
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "connected to AliExpress seller cn1520shop" in out and APP_SECRET not in out + err
    with Store.open(store) as handle:
        assert (handle.meta("target"), handle.meta("ae_access_token")) == ("aliexpress", g.access_token)


class Browser:
    """Signs in at the authorize URL the way the seller's browser would, on another thread."""

    def __init__(self, tamper_state: bool = False) -> None:
        self.tamper_state = tamper_state
        self.pages: list[tuple[int, str]] = []

    def __call__(self, url: str, redirect: str, receiving: bool) -> None:
        assert receiving
        self.thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self.thread.start()

    def _visit(self, url: str) -> None:
        if self.tamper_state:
            url = re.sub(r"state=[^&]+", "state=forged", url)
        try:
            with urllib.request.urlopen(url, timeout=10) as page:
                self.pages.append((page.status, page.read().decode()))
        except urllib.error.HTTPError as refused:
            self.pages.append((refused.code, refused.read().decode()))


def test_a_callback_with_another_state_is_refused_and_nothing_is_kept(server, store):
    env = env_for(server, SHEETSYNC_AE_REDIRECT_URI=f"http://127.0.0.1:{_free_port()}/cb")
    browser = Browser(tamper_state=True)
    with pytest.raises(ConfigError) as refused:
        sheetsync.authorize(store, show=browser, env=env, wait=10)
    assert refused.value.rule == "ae_auth_state"
    browser.thread.join(10)
    assert browser.pages[0][0] == 400 and "does not belong to this authorization" in browser.pages[0][1]
    assert not any(r["_path"] == CREATE for r in server.gateway.requests)
    with Store.open(store) as handle:
        assert handle.meta("ae_access_token") is None and handle.meta("target") is None


def test_no_callback_within_the_deadline_stops_with_a_sentence(server, store):
    env = env_for(server, SHEETSYNC_AE_REDIRECT_URI=f"http://localhost:{_free_port()}/cb")
    with pytest.raises(ConfigError) as late:
        sheetsync.authorize(store, show=lambda url, redirect, receiving: None, env=env, wait=0.3)
    assert late.value.rule == "ae_auth_timeout"


def test_a_pasted_redirect_address_is_checked_and_exchanged(server, store):
    """A redirect URI on a web site (not this computer): the seller pastes where the browser went."""
    g = server.gateway
    env = env_for(server, SHEETSYNC_AE_REDIRECT_URI="https://erp.example.com/ae/callback")
    shown: list[str] = []

    def sign_in(redirect: str) -> str:  # the browser's address bar after consent
        request = urllib.request.Request(shown[0])
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(request, timeout=10)
        assert redirect == "https://erp.example.com/ae/callback"
        return moved.value.headers["Location"]

    connected = sheetsync.authorize(store, show=lambda url, redirect, receiving: shown.append(url), ask=sign_in,
                                    env=env)
    assert (connected.seller, connected.seller_id, connected.created) == ("cn1520shop", "200042", False)
    with Store.open(store) as handle:
        assert handle.meta("ae_access_token") == g.access_token and handle.meta("ae_seller_nick") == "cn1520shop"

    assert code_from_answer("  code-7  ", "whatever") == "code-7"  # the bare code: nothing to compare
    for pasted, rule in [("https://erp.example.com/ae/callback?code=c1&state=other", "ae_auth_state"),
                         ("https://erp.example.com/ae/callback?error=access_denied&state=s", "ae_auth_denied"),
                         ("https://erp.example.com/ae/callback?state=s", "ae_auth_no_code"),
                         ("two words", "ae_auth_no_code")]:
        with pytest.raises(ConfigError) as wrong:
            code_from_answer(pasted, "s")
        assert wrong.value.rule == rule


def test_a_code_the_platform_refuses_is_named_and_creates_no_store(server, tmp_path):
    store = tmp_path / "never.db"
    run = cli(store, "auth", "--code", "code-that-was-never-issued", env=env_for(server))
    assert run.exit_code == 2 and "[" not in run.stderr[:10]
    assert "did not accept the authorization code (InvalidCode" in run.stderr
    assert f"sheetsync --store {store} auth" in run.stderr and "code-that-was-never-issued" not in run.stderr
    assert not store.exists()
    missing = cli(store, "auth", env=env_for(server))  # no --code and no redirect URI
    assert missing.exit_code == 2 and "SHEETSYNC_AE_REDIRECT_URI" in missing.stderr
    no_app = cli(store, "auth", "--code", "x", env={})
    assert no_app.exit_code == 2 and "SHEETSYNC_AE_APP_KEY" in no_app.stderr


# -- the token lifecycle ---------------------------------------------------------------------------------
def test_an_access_token_about_to_expire_is_refreshed_before_the_call_and_kept(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server, access_lifetime=0)  # expired as soon as it is kept
    before = len(g.requests)
    run = cli(store, "pull", env=env_for(server))
    assert run.exit_code == 0, run.output
    paths = [r["_path"] for r in g.requests[before:]]
    assert paths[0] == REFRESH and paths.count(REFRESH) == 1  # refreshed first: no call was refused
    with Store.open(store) as handle:
        assert (handle.meta("ae_access_token"), handle.meta("ae_refresh_token")) == (g.access_token, g.refresh_token)
        assert abs(float(handle.meta("ae_access_expires")) - g.access_expires_at) < 1
    status = json.loads(cli(store, "status", "--json", env={}).stdout)
    assert status["access_token"]["valid"] is True


def test_a_token_refreshed_by_a_worker_thread_is_kept_by_the_main_thread(server, tmp_path):
    """An import reads and writes products on worker threads; the store's connection belongs to
    the main thread, which keeps what a worker's refresh brought."""
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 19.10})
    g.expired = True  # refused at the first read, which runs on a worker
    run = cli(store, "import", path, "--json", env=env_for(server))
    assert run.exit_code == 0 and json.loads(run.stdout)["status"] == "applied", run.output
    with Store.open(store) as handle:
        assert handle.meta("ae_access_token") == g.access_token


def test_an_expired_authorization_stops_before_anything_is_written_and_says_to_run_auth(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 19.10})
    g.clock_offset = 3 * 86_400  # both tokens expired on the platform, and by their kept expiry times
    with Store.open(store) as handle:
        handle.set_metas({"ae_access_expires": str(int(time.time()) - 60),
                          "ae_refresh_expires": str(int(time.time()) - 30)})
        before = handle.catalog_frame()
    calls = len(g.requests)
    for args in (["import", path], ["import", path, "--json"], ["pull"]):
        run = cli(store, *args, env=env_for(server))
        assert run.exit_code == 2, run.output
        assert f"Connect the store again with `sheetsync --store {store} auth`" in run.output
    assert g.requests[calls:] == []  # nothing sent at all
    with Store.open(store) as handle:
        assert handle.catalog_frame().equals(before)
        assert [r["status"] for r in handle.runs()] == []
    human = cli(store, "status", env={}).stdout
    assert "access token: EXPIRED at" in human and f"connect it again: sheetsync --store {store} auth" in human


def test_a_refresh_token_the_platform_no_longer_accepts_gives_the_same_hint(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 19.10})
    g.expired, g.refresh_expired = True, True  # expiry times unknown to sheetsync: found out by asking
    run = cli(store, "import", path, "--json", env=env_for(server))
    result = json.loads(run.stdout)
    assert (run.exit_code, result["status"], result["errors"][0]["rule"]) == (2, "unavailable", "ae_auth_expired")
    assert f"sheetsync --store {store} auth" in result["errors"][0]["message"]
    assert g.calls(EDIT) == [] and g.calls(STOCKS) == []


def test_environment_tokens_override_the_store_and_their_renewal_is_kept(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    managed = g.token_answer(authorize=True)  # tokens issued to a tool that manages them elsewhere
    env = env_for(server, SHEETSYNC_AE_ACCESS_TOKEN=managed["access_token"],
                  SHEETSYNC_AE_REFRESH_TOKEN=managed["refresh_token"])
    assert cli(store, "pull", env=env).exit_code == 0  # the store's own token is no longer valid
    assert json.loads(cli(store, "status", "--json", env=env).stdout)["access_token"]["source"] == "environment"
    g.expired = True
    assert cli(store, "pull", env=env).exit_code == 0  # refreshed from the environment's refresh token
    renewed = g.access_token
    refreshes = [r for r in g.requests if r["_path"] == REFRESH]
    assert cli(store, "pull", env=env).exit_code == 0  # the renewal is used, not the stale environment token
    assert [r for r in g.requests if r["_path"] == REFRESH] == refreshes
    assert sync_calls(server)[-1]["session"] == renewed


# -- status -----------------------------------------------------------------------------------------------
def test_status_of_a_local_store(store):
    run = CliRunner().invoke(main, ["--store", str(store), "status"])
    assert run.exit_code == 0
    assert "Target: the local catalog only" in run.stdout and "No runs yet." in run.stdout
    assert f"`sheetsync --store {store} auth`" in run.stdout  # the suggestion works as written
    data = json.loads(CliRunner().invoke(main, ["--store", str(store), "status", "--json"]).stdout)
    assert (data["target"], data["products"] > 0, len(data["countries"])) == ("local", True, 33)
    with Store.open(store) as handle:
        assert handle.meta("secret") not in json.dumps(data)


# -- refused products, in every output ------------------------------------------------------------------
def test_a_product_refused_with_an_error_response_is_reported_everywhere_while_others_apply(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 17.90, ("3003", "seller_price"): 6.10,
                                    ("3004", "stock_US"): 7})
    g.reject, g.reject_as = {"1005001": "PRICE_LOWER_THAN_REFERENCE"}, "isv"
    report = tmp_path / "report.xlsx"
    as_json = cli(store, "import", path, "--json", "--report", report, env=env_for(server))
    result = json.loads(as_json.stdout)
    assert (as_json.exit_code, result["status"], result["applied"], result["failed"]) == (3, "partial", 2, 1)
    rejected = [p for p in result["push_results"] if p["status"] == "rejected"]
    assert rejected == [{"product_id": "1005001", "sku_id": "2001", "status": "rejected",
                         "code": "isv.PRICE_LOWER_THAN_REFERENCE",
                         "message": "The price is lower than the platform's reference price"}]
    assert {p["sku_id"] for p in result["push_results"] if p["status"] == "applied"} == {"3003", "3004"}
    assert len(g.calls(EDIT)) == 2  # the rejection was not retried

    rows = list(openpyxl.load_workbook(report)["Push results"].iter_rows(values_only=True))
    assert ("1005001", "2001", "rejected", "isv.PRICE_LOWER_THAN_REFERENCE",
            "The price is lower than the platform's reference price") in rows
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(report)["Summary"].iter_rows(values_only=True)}
    assert "needs its values fixed" in summary["What to do next"]

    g.products["1005003"]["product_sku_list"][0]["base_price"] = "5.00"  # the others are already there now
    human = cli(store, "import", path, env=env_for(server))
    assert human.exit_code == 3
    line = next(line for line in human.stdout.splitlines() if "rejected [" in line)
    assert "isv.PRICE_LOWER_THAN_REFERENCE" in line and "reference price" in line and "1005001" in line
    assert "Fix this product's values in the sheet and import again" in line
    assert "Partly applied" in human.stdout


# -- the store's write lock -------------------------------------------------------------------------------
HOLD_LOCK = textwrap.dedent("""
    import sys
    from sheetsync.store import Store
    store = Store.open(sys.argv[1])
    with store.write_lock():
        print("locked", flush=True)
        sys.stdin.read()
""")


def test_every_writing_run_respects_another_process_holding_the_store(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 19.10})
    pushed = cli(store, "import", path, "--json", env=env_for(server))
    run_id = json.loads(pushed.stdout)["run_id"]
    (tmp_path / "sheetsync.toml").write_text("lock_timeout = 0.3\n")
    lock_file = store.with_name(store.name + ".lock")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert (lock_file.stat().st_mode & 0o777) == 0o600
        calls = len(g.requests)
        for args in (["import", path, "--target", "local"], ["import", path], ["pull"], ["revert", run_id],
                     ["auth", "--code", g.issue_code()]):
            run = cli(store, *args, env=env_for(server))
            assert run.exit_code == 2, (args, run.output)
            assert "is in use by another sheetsync command" in run.output and "0.3 s" in run.output
        writes = [r for r in g.requests[calls:] if r.get("method") in (EDIT, STOCKS)]
        assert writes == []
        dry = cli(store, "import", path, "--dry-run", env=env_for(server))
        assert dry.exit_code == 0, dry.output  # reads go on
    finally:
        holder.communicate("", timeout=30)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0  # released with the process


# -- pushes at the platform's pace ----------------------------------------------------------------------
def arrivals(server, methods: set[str]) -> list[float]:
    return sorted(float(r["_at"]) for r in server.gateway.requests if r.get("method") in methods)


def most_in_one_second(times: list[float], jitter: float = 0.0) -> int:
    """The most arrivals in any window of one second (less `jitter`)."""
    return max((sum(1 for t in times if start <= t < start + 1.0 - jitter) for start in times), default=0)


def test_a_push_runs_several_products_at_once_and_never_above_the_rate_limit(server, tmp_path):
    g = server.gateway
    for n in range(10, 40):
        g.products[f"10050{n}"] = make_product(f"10050{n}", f"Item {n}", [
            make_sku(f"40{n}", f"IT-{n}", "5.00", "0.100", 5, "", [], ("US",))], ["US"])
    store = tmp_path / "paced.db"
    sheetsync.init_store(store)
    client = Client(Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url), rate_limit=20)
    sheetsync.pull(store, client=client)
    path = exported_with_edits(store, tmp_path, {(f"40{n}", "stock_US"): n for n in range(10, 40)})
    g.latency = 0.15
    started = len(g.requests)
    result = sheetsync.import_workbook(store, path, client=client)
    assert (result.status, result.applied) == ("applied", 30)
    assert [p.product_id for p in result.push_results] == [f"10050{n}" for n in range(10, 40)]  # the sheet's order
    calls = [float(r["_at"]) for r in g.requests[started:]]
    # 30 reads and 30 writes, never more than the limit in a second. Arrival times carry this machine's
    # scheduling jitter on top of the network's, so a window is taken 50 ms short; the limiter's own
    # guarantee for many threads is proven on a virtual clock in test_ae_client.
    assert len(calls) == 60 and most_in_one_second(calls, jitter=0.05) <= 20
    assert g.most_in_flight >= 3  # several at once: one at a time would be at most 1/0.15 calls a second
    with Store.open(store) as handle:
        frame = handle.catalog_frame()
        assert all(frame.at[f"40{n}", "stock_US"] == n for n in range(10, 40))


def test_a_platform_that_becomes_unusable_half_way_stops_the_push_and_the_rerun_finishes_it(server, tmp_path):
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    path = exported_with_edits(store, tmp_path, {(f"300{n}", "stock_US"): 10 + n for n in range(2, 9)})
    g.writes_before_quota = 3
    run = cli(store, "import", path, "--json", env=env_for(server))
    result = json.loads(run.stdout)
    assert (run.exit_code, result["status"], result["applied"], result["failed"]) == (3, "partial", 3, 4)
    assert result["errors"][-1]["rule"] == "quota_exceeded"
    written = {r["product_id"] for r in g.calls(STOCKS)
               if json.loads(r["pop_choice_sku_stock_list"])[0]["pop_choice_sku_warehouse_stock_list"]
               [0]["sellable_quantity"] >= 10}
    with Store.open(store) as handle:
        journaled = {c.product_id for c in handle.run_changes(result["run_id"]) if c.result == "applied"}
    assert len(journaled) == 3 and journaled <= written
    g.writes_before_quota, g.quota_used = None, False
    again = json.loads(cli(store, "import", path, "--json", env=env_for(server)).stdout)
    assert (again["status"], again["applied"] + again["already_applied"]) == ("applied", 7)
    assert all(g.products[f"100500{n}"]["product_sku_list"][0]["pop_choice_sku_warehouse_stock_list"][0][
        "sellable_quantity"] == 10 + n for n in range(2, 9))


# -- helpers --------------------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- secrets ----------------------------------------------------------------------------------------------
def test_a_whole_run_with_known_secrets_shows_none_of_them_anywhere(server, tmp_path):
    """auth, status, pull, export, import (a rejected product, a failed write, a token refreshed
    on the way) with --report and --json, history, a wrong app secret: every output of real
    processes (stdout, stderr, the reports and the export unzipped) is searched for every secret."""
    g = server.gateway
    g.token_prefix = "tok-7f3a9c-"
    code = g.issue_code()
    secrets_seen = {APP_SECRET, code}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEETSYNC_AE_") and k != "SHEETSYNC_DEBUG"}
    env.update(env_for(server))
    store = tmp_path / "shop.db"
    outputs: list[str] = []

    def run(*args: str, expect: int = 0, secret: str = APP_SECRET) -> str:
        done = subprocess.run([sys.executable, "-m", "sheetsync.cli", "--store", str(store), *map(str, args)],
                              env={**env, "SHEETSYNC_AE_APP_SECRET": secret}, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == expect, (args, done.stdout, done.stderr)
        outputs.extend([done.stdout, done.stderr])
        secrets_seen.update({g.access_token, g.refresh_token})
        return done.stdout

    run("auth", "--code", code)
    run("status")
    run("status", "--json")
    run("pull", "--json")
    run("export", tmp_path / "catalog.xlsx")
    wb = Workbook(tmp_path / "catalog.xlsx")
    wb.set("2001", "seller_price", 17.90)  # rejected with an error_response
    wb.set("3002", "stock_US", 8)          # its write gets an answer sheetsync cannot use: failed
    wb.set("3003", "seller_price", 6.10)   # applied
    wb.save(tmp_path / "edited.xlsx")
    g.reject, g.reject_as = {"1005001": "PRICE_LOWER_THAN_REFERENCE"}, "isv"
    g.answers[STOCKS] = [{"unexpected": True}]
    g.expired = True  # refreshed on the way
    result = json.loads(run("import", tmp_path / "edited.xlsx", "--report", tmp_path / "r1.xlsx", "--json",
                            expect=3))
    assert {p["status"] for p in result["push_results"]} == {"applied", "rejected", "failed"}
    run("import", tmp_path / "edited.xlsx", "--report", tmp_path / "r2.xlsx", expect=3)
    run("validate", tmp_path / "edited.xlsx", "--json")
    run("history")
    wrong = "wrong-secret-51c2e8"
    secrets_seen.add(wrong)
    run("pull", expect=2, secret=wrong)  # refused: IncompleteSignature
    g.expired, g.refresh_expired = True, True
    run("pull", expect=2)  # the authorization expired
    assert len(secrets_seen) >= 6

    texts = list(outputs)
    for book in ("catalog.xlsx", "r1.xlsx", "r2.xlsx"):
        with zipfile.ZipFile(tmp_path / book) as package:
            texts += [package.read(name).decode("utf-8", "replace") for name in package.namelist()]
    for secret in secrets_seen:
        leaks = [t[:200] for t in texts if secret in t]
        assert leaks == [], (secret, leaks)
    assert any("IncompleteSignature" in t for t in outputs) and any("isv.PRICE_LOWER" in t for t in outputs)


def test_platform_text_that_echoes_a_secret_never_shows_it(server, tmp_path):
    """A gateway whose error texts quote the access token, the refresh token and the app secret
    (as some echo the request): a rejected write, a refused read and an answer that is not JSON.
    None of the three reaches --json, the push results or the report."""
    g = server.gateway
    store = connected_store(tmp_path, server)
    assert cli(store, "pull", env=env_for(server)).exit_code == 0
    secrets = [APP_SECRET, g.access_token, g.refresh_token]
    echo = "you sent " + " and ".join(secrets)
    escaped = "".join(f"\\u{ord(c):04x}" for c in secrets[1])  # the access token as JSON escapes
    path = exported_with_edits(store, tmp_path, {("2001", "seller_price"): 17.90})
    g.answers[EDIT] = [{"error_response": {"type": "ISV", "code": "15", "msg": echo, "sub_code": "isv.BAD",
                                           "sub_msg": echo}}]
    outputs = []
    rejected = cli(store, "import", path, "--json", "--report", tmp_path / "r.xlsx", env=env_for(server))
    assert rejected.exit_code == 3 and json.loads(rejected.output)["push_results"][0]["status"] == "rejected"
    outputs.append(rejected.output)
    with zipfile.ZipFile(tmp_path / "r.xlsx") as package:
        outputs += [package.read(name).decode("utf-8", "replace") for name in package.namelist()]
    for answer in ({"error_response": {"type": "ISV", "code": "InvalidParameter", "msg": echo}},
                   ('{"error_response": {"code": "InvalidParameter", "msg": "you sent ' + escaped + '"}}').encode(),
                   ("oops " + echo).encode()):
        g.answers[QUERY] = [answer] * 5
        refused = cli(store, "import", path, "--json", env=env_for(server))
        assert refused.exit_code == 2 and json.loads(refused.output)["status"] == "unavailable", refused.output
        outputs.append(refused.output)
        human = cli(store, "import", path, env=env_for(server))
        outputs.append(human.output)
    assert any("you sent" in text for text in outputs)
    for secret in secrets:
        assert [t[:300] for t in outputs if secret in t] == [], secret


def test_the_client_refreshes_once_for_every_thread_before_the_token_expires(server):
    g = server.gateway
    now = time.time()
    credentials = Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url,
                              access_expires=now + 120, refresh_expires=now + 86_400)  # within the 5 minutes
    client = Client(credentials, rate_limit=10_000)
    threads = [threading.Thread(target=client.product, args=("1005001",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paths = [r["_path"] for r in g.requests]
    assert paths.count(REFRESH) == 1 and paths[0] == REFRESH and len(g.calls(QUERY)) == 4
    assert credentials.access_token == g.access_token and credentials.access_expires > now + 3600

    expired = Client(Credentials(APP_KEY, APP_SECRET, "old", "old-refresh", server.url, access_expires=now - 1,
                                 refresh_expires=now - 1), auth_command="sheetsync --store x.db auth")
    calls = len(g.requests)
    with pytest.raises(sheetsync.SheetsyncError) as stopped:
        expired.info()
    assert stopped.value.rule == "ae_auth_expired" and "sheetsync --store x.db auth" in str(stopped.value)
    assert len(g.requests) == calls  # nothing sent
