"""The AliExpress client against the test gateway on 127.0.0.1 (tests/ae_server.py): every answer
parsed by schema, the SDK's verbs, both refusal shapes, a transport a hostile gateway cannot abuse
(redirects, dripping, endless and mislabelled bodies), malformed endpoints, and one shared pace
for several threads. No test waits for time: clocks and sleeps are fakes, and the few faults that
happen in real time (a dripping gateway) are bounded by deadlines of a fraction of a second."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.cli import main
from sheetsync.errors import ConfigError, QuotaExceeded, SheetsyncError, TargetUnavailable
from sheetsync.targets.aliexpress import AmbiguousWrite, BusinessResult, Client, Credentials, RateLimiter, sign
from tests import ae_server
from tests.ae_server import APP_KEY, APP_SECRET, Recorder, Server, make_product, make_sku

INFO = "aliexpress.pop.choice.info.query"
LIST = "aliexpress.pop.choice.products.list"
QUERY = "aliexpress.pop.choice.product.query"
EDIT = "aliexpress.pop.choice.product.edit"
STOCKS = "aliexpress.pop.choice.product.stocks.update"
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


class Sleeps(list):
    """Records what the client would have slept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class VirtualTime:
    """A clock per thread, moved only by that thread's sleeps. A thread's time right after a call
    returns is the time the client sent it (the client sleeps only before sending)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.hold: dict[str, tuple[threading.Event, threading.Event]] = {}  # thread name → (entered, go)

    def clock(self) -> float:
        return getattr(self.local, "now", 0.0)

    def sleep(self, seconds: float) -> None:
        self.local.now = self.clock() + seconds
        held = self.hold.pop(threading.current_thread().name, None)
        if held:  # let the test act while this thread is inside its sleep
            entered, go = held
            entered.set()
            assert go.wait(10)


def populate(gateway: ae_server.Gateway) -> None:
    gateway.products.clear()
    gateway.products["1005001"] = make_product("1005001", "Wireless earbuds", [
        make_sku("2001", "EAR-BLK", "18.90", "0.120", 40, "0080738264240", ["274526"]),
        make_sku("2002", "EAR-WHT", "19.40", "0.130", 40, "", ["274526"]),
    ], ["US", "FR"])
    gateway.products["1005002"] = make_product("1005002", "Water bottle", [
        make_sku("2003", "BOT-SLV", "9.80", "0.380", 12, "", [], ("US",))], ["US"])


@pytest.fixture
def server():
    with Server() as running:
        populate(running.gateway)
        yield running


@pytest.fixture(scope="module")
def shared_server():
    """One gateway for the property tests (each example sets the answer it wants)."""
    with Server() as running:
        populate(running.gateway)
        yield running


def client_for(server, **options) -> Client:
    g = server.gateway
    settings_ = {"rate_limit": 10_000, "read_timeout": 5.0, "sleep": Sleeps(), **options}
    return Client(Credentials(APP_KEY, APP_SECRET, g.access_token, g.refresh_token, server.url), **settings_)


def wrapped(method: str, result) -> dict:
    return {method.replace(".", "_") + "_response": {"result": result, "request_id": "0ba"}}


def product_answer() -> dict:
    product = make_product("1005001", "t", [make_sku("2001", "EAR-BLK", "18.90", "0.120", 40)], ["US"])
    product.pop("title")
    return {"success": True, "pop_choice_product": product}


def call(client: Client, method: str):
    if method == INFO:
        return client.info()
    if method == LIST:
        return client.list_products(1, 50)
    if method == QUERY:
        return client.product("1005001")
    if method == EDIT:
        return client.edit_product({"product_id": "1005001", "product_sku_list": []})
    return client.update_stocks("1005001", [])


def with_sku(**changes) -> dict:
    answer = product_answer()
    answer["pop_choice_product"]["product_sku_list"][0].update(changes)
    return answer


def with_product(**changes) -> dict:
    answer = product_answer()
    answer["pop_choice_product"].update(changes)
    return answer


# -- answers of the wrong shape ----------------------------------------------------------------------
BAD_ANSWERS = [
    # every method: not an object, or not the method's envelope
    *[(m, body, words) for m in (INFO, LIST, QUERY, EDIT, STOCKS) for body, words in [
        ([], "is a list, not an object"),
        (None, "is null, not an object"),
        ("ok", "is text, not an object"),
        ({}, m.replace(".", "_") + "_response is missing"),
        ({m.replace(".", "_") + "_response": []}, "_response is a list"),
        ({m.replace(".", "_") + "_response": {}}, "result is missing"),
        (wrapped(m, "ok"), "result is text"),
        (b"<html>Bad gateway</html>", "not JSON"),
        (b"", "the answer is empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000, "not JSON"),
        (b'{"x": 1e400}', "not JSON"),
        (b'{"x": NaN}', "not JSON"),
        ({"error_response": {"msg": "no code"}}, "error_response.code is missing"),
        ({"error_response": "busy"}, "error_response should be an object"),
    ]],
    (INFO, wrapped(INFO, {}), "pop_choice_country_list is missing"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": []}), "pop_choice_country_list should not be empty"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": "US,FR"}), "pop_choice_country_list should be a list"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": [{"en_name": "France"}]}),
     "pop_choice_country_list[0].country_code is missing"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": [{"country_code": "United States"}]}), "country code"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": [{"country_code": "US"}, {"country_code": "US"}]}),
     "country US appears twice"),
    (INFO, wrapped(INFO, {"pop_choice_country_list": [{"country_code": "US"}],
                          "pop_choice_warehouse_list": [{"warehouse_name": "Shenzhen"}]}),
     "pop_choice_warehouse_list[0].warehouse_code is missing"),
    (INFO, wrapped(INFO, {"success": "maybe", "pop_choice_country_list": [{"country_code": "US"}]}),
     "success should be true or false"),
    (LIST, wrapped(LIST, {}), "total_page is missing"),
    (LIST, wrapped(LIST, {"success": True}), "total_page is missing"),
    (LIST, wrapped(LIST, {"total_page": "many"}), "total_page should be a whole number"),
    (LIST, wrapped(LIST, {"total_page": -1}), "total_page should be a whole number from 0"),
    (LIST, wrapped(LIST, {"total_page": 1.5}), "total_page should be a whole number"),
    (LIST, wrapped(LIST, {"total_page": 1, "pop_choice_product_list": {"product_id": 1}}),
     "pop_choice_product_list should be a list"),
    (LIST, wrapped(LIST, {"total_page": 1, "pop_choice_product_list": [{"title": "no id"}]}),
     "pop_choice_product_list[0].product_id is missing"),
    (LIST, wrapped(LIST, {"total_page": 1, "pop_choice_product_list": [{"product_id": {"id": 1}}]}),
     "product_id should be a code or a number"),
    (LIST, wrapped(LIST, {"total_page": 0, "pop_choice_product_list": [{"product_id": 1}]}),
     "lists products but says there are none"),
    (LIST, wrapped(LIST, {"total_page": 1, "pop_choice_product_list": [{"product_id": 1}, {"product_id": "1"}]}),
     "product 1 appears twice"),
    (QUERY, wrapped(QUERY, {}), "pop_choice_product is missing"),
    (QUERY, wrapped(QUERY, {"success": True, "pop_choice_product": "1005001"}), "pop_choice_product should be an"),
    (QUERY, wrapped(QUERY, with_sku(sku_id=None)), "product_sku_list[0].sku_id should be a code"),
    (QUERY, wrapped(QUERY, {"success": True, "pop_choice_product": {
        **product_answer()["pop_choice_product"], "product_sku_list": [{"base_price": "1.00"}]}}),
     "product_sku_list[0].sku_id is missing"),
    (QUERY, wrapped(QUERY, with_sku(base_price="abc")),
     'base_price should be a decimal number such as 12.50 (got "abc")'),
    (QUERY, wrapped(QUERY, with_sku(base_price="-1.00")), "base_price should not be negative"),
    (QUERY, wrapped(QUERY, with_sku(base_price="1e3")), "base_price should be a decimal number"),
    (QUERY, wrapped(QUERY, with_sku(base_price=True)), "base_price should be a decimal number, not true/false"),
    (QUERY, wrapped(QUERY, with_sku(package_weight=[])), "package_weight should be a decimal number, not a list"),
    (QUERY, wrapped(QUERY, with_sku(pop_choice_sku_warehouse_stock_list=[
        {"warehouse_code": "CN-JIT", "sellable_quantity": "ten"}])), "sellable_quantity should be a whole number"),
    (QUERY, wrapped(QUERY, with_sku(pop_choice_sku_warehouse_stock_list=[{"warehouse_code": "CN-JIT"}])),
     "sellable_quantity is missing"),
    (QUERY, wrapped(QUERY, with_sku(freight_fee_list=[{"nation_code": "US"}])), "freight_fee_list[0].price is missing"),
    (QUERY, wrapped(QUERY, with_sku(pop_choice_product_sku_sc_item_info="battery")),
     "pop_choice_product_sku_sc_item_info should be an object"),
    (QUERY, wrapped(QUERY, with_product(product_sku_list=[])), "product_sku_list should not be empty"),
    (QUERY, wrapped(QUERY, with_product(joined_country_list="US")), "joined_country_list should be a list"),
    (QUERY, wrapped(QUERY, with_product(currency_code=None)), "currency_code should be a currency code"),
    (QUERY, wrapped(QUERY, with_product(product_id="1005999")), "the answer is for product 1005999"),
    (QUERY, wrapped(QUERY, {"success": True, "pop_choice_product": {
        k: v for k, v in product_answer()["pop_choice_product"].items() if k != "currency_code"}}),
     "currency_code is missing"),
    (EDIT, wrapped(EDIT, {}), "success is missing"),
    (EDIT, wrapped(EDIT, {"success": "yes"}), "success should be true or false"),
    (EDIT, wrapped(EDIT, {"success": True, "product_id": "1005999"}), "the answer is for product 1005999"),
    (STOCKS, wrapped(STOCKS, {"product_id": "1005001"}), "success is missing"),
    (STOCKS, wrapped(STOCKS, {"success": 1}), "success should be true or false"),
]


@pytest.mark.parametrize(("method", "body", "words"), BAD_ANSWERS,
                         ids=[f"{m.split('.')[-2]}-{i}" for i, (m, _, _) in enumerate(BAD_ANSWERS)])
def test_an_answer_of_the_wrong_shape_is_a_clear_platform_error(shared_server, method, body, words):
    g = shared_server.gateway
    g.answers[method] = [body]
    with pytest.raises(TargetUnavailable) as caught:
        call(client_for(shared_server, retries=0), method)
    error = caught.value
    assert error.rule == "platform_bad_answer" and error.exit_code == 2
    assert method in str(error) and words in str(error), str(error)
    assert method in error.message("zh")
    if method in (EDIT, STOCKS):  # a write whose answer cannot be read may have been applied: re-read it
        assert isinstance(error, AmbiguousWrite)
    assert g.answers[method] == []


def test_a_failure_stated_in_a_read_answer_stops_with_the_platforms_code(server):
    g = server.gateway
    g.answers[LIST] = [wrapped(LIST, {"success": False, "error_code": "SYSTEM_BUSY", "error_message": "try later"})]
    with pytest.raises(TargetUnavailable) as caught:
        client_for(server).list_products(1)
    assert (caught.value.rule, caught.value.code) == ("platform_error", "SYSTEM_BUSY")
    assert "try later" in str(caught.value) and LIST in str(caught.value)
    g.answers[INFO] = [wrapped(INFO, {"success": "false", "error_code": 17})]  # a number, and text for false
    with pytest.raises(TargetUnavailable) as caught:
        client_for(server).info()
    assert caught.value.code == "17"
    with pytest.raises(TargetUnavailable) as caught:
        client_for(server).product("999")  # the gateway's PRODUCT_NOT_FOUND
    assert caught.value.code == "PRODUCT_NOT_FOUND"


def test_answers_come_back_normalised(server):
    g = server.gateway
    sku = g.products["1005001"]["product_sku_list"][0]
    sku.update(base_price=18.9, package_weight=" 0.120 ", package_length="", sku_property_list=None)
    sku["pop_choice_sku_warehouse_stock_list"] = [{"warehouse_code": "CN-JIT", "sellable_quantity": "40"}]
    sku["pop_choice_product_sku_sc_item_info"]["special_product_type_list"] = [274526]
    sku["supplier_note"] = {"kept": ["as", "it", "came"]}
    g.products["1005001"]["product_id"] = 1005001
    client = client_for(server)
    product = client.product("1005001")
    assert (product["product_id"], product["category_id"]) == ("1005001", "200000001")
    first = product["product_sku_list"][0]
    assert (first["base_price"], first["package_weight"], first["sku_property_list"]) == ("18.9", "0.120", [])
    assert "package_length" not in first  # empty is absent, not "" sent back on edit
    assert first["pop_choice_sku_warehouse_stock_list"] == [{"warehouse_code": "CN-JIT", "sellable_quantity": 40}]
    assert first["pop_choice_product_sku_sc_item_info"]["special_product_type_list"] == ["274526"]
    assert first["supplier_note"] == {"kept": ["as", "it", "came"]}
    page = client.list_products(1, 50)
    assert page["total_page"] == 1 and [p["product_id"] for p in page["pop_choice_product_list"]] == [
        "1005001", "1005002"]
    info = client.info()
    assert [c["country_code"] for c in info["pop_choice_country_list"]] == ["US", "FR", "ES", "UK"]
    g.answers[LIST] = [wrapped(LIST, {"success": True, "total_page": 0, "total_item": 0})]
    assert client.list_products(1)["pop_choice_product_list"] == []  # nothing changed: a real, empty page


REFRESH = "/rest/auth/token/refresh"


@pytest.mark.parametrize(("answer", "rule", "words"), [
    ({"code": "0"}, "platform_bad_answer", "access_token is missing"),
    ({"code": "0", "access_token": "new token with spaces"}, "platform_bad_answer", "access_token should be"),
    ({"code": "0", "access_token": ["new-token"]}, "platform_bad_answer", "access_token should be a code"),
    ({"code": "0", "access_token": "new-token", "expire_time": "tomorrow"}, "platform_bad_answer", "expire_time"),
    ([], "platform_bad_answer", "token answer should be an object"),
    (b"<html>", "platform_bad_answer", "not JSON"),
    ({"code": "IllegalRefreshToken", "message": "expired"}, "ae_auth_expired", "refresh token was refused"),
    ({"error_response": {"code": "InvalidAppKey", "msg": "no"}}, "platform_refused", "refresh token was refused"),
])
def test_a_token_answer_of_the_wrong_shape_is_named_without_the_tokens(server, answer, rule, words):
    g = server.gateway
    g.expired = True
    g.answers[REFRESH] = [answer]
    kept: list[tuple[str, str | None]] = []
    client = client_for(server, on_tokens=lambda access, refresh: kept.append((access, refresh)))
    with pytest.raises(TargetUnavailable) as caught:
        client.info()
    assert caught.value.rule == rule and words in str(caught.value), str(caught.value)
    assert "new token with spaces" not in str(caught.value) and "refresh-1" not in str(caught.value)
    assert kept == [] and client.credentials.access_token == "token-1"


# -- property: whatever the gateway answers, the client ends in a SheetsyncError or a checked value ----
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16)
VALID = {INFO: wrapped(INFO, {"success": True, "pop_choice_country_list": [{"country_code": "US"}],
                              "pop_choice_warehouse_list": [{"warehouse_code": "CN-JIT"}]}),
         LIST: wrapped(LIST, {"success": True, "total_page": 1, "total_item": 1,
                              "pop_choice_product_list": [{"product_id": "1005001", "title": "t"}]}),
         QUERY: wrapped(QUERY, product_answer()),
         EDIT: wrapped(EDIT, {"success": True, "product_id": "1005001"}),
         STOCKS: wrapped(STOCKS, {"success": True, "product_id": "1005001"})}


@st.composite
def mutated(draw, method: str):
    """A valid answer with one value somewhere inside replaced by random JSON, or removed."""
    return mutate_inside(draw, copy.deepcopy(VALID[method]))


def mutate_inside(draw, answer: Any) -> Any:
    """`answer` (changed in place) with one value somewhere inside replaced by random JSON, or removed."""
    holder, key = None, None
    node = answer
    while isinstance(node, dict | list) and node and (holder is None or draw(st.booleans())):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        holder, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if holder is not None:
        if isinstance(holder, dict) and draw(st.booleans()):
            del holder[key]
        else:
            holder[key] = draw(json_values)
    return answer


def assert_checked(method: str, value) -> None:
    """What a call returns has the promised types (the property's other half)."""
    if method == QUERY:
        assert isinstance(value["product_id"], str) and value["product_sku_list"]
        for sku in value["product_sku_list"]:
            assert isinstance(sku["sku_id"], str) and DECIMAL.fullmatch(sku["base_price"])
            assert all(isinstance(w["sellable_quantity"], int) for w in sku["pop_choice_sku_warehouse_stock_list"])
    elif method == LIST:
        assert isinstance(value["total_page"], int)
        assert all(isinstance(p["product_id"], str) for p in value["pop_choice_product_list"])
    elif method == INFO:
        assert all(isinstance(c["country_code"], str) for c in value["pop_choice_country_list"])
    else:
        assert isinstance(value, BusinessResult)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@PROPERTY
@given(method=st.sampled_from(list(VALID)), data=st.data())
def test_any_answer_ends_in_a_sheetsync_error_or_a_checked_value(shared_server, method, data):
    body = data.draw(st.one_of(json_values, json_values.map(lambda r: wrapped(method, r)), mutated(method)))
    shared_server.gateway.answers[method] = [body]
    try:
        value = call(client_for(shared_server, retries=0), method)
    except SheetsyncError as error:
        assert str(error) and "Traceback" not in str(error)
    else:
        assert_checked(method, value)


@PROPERTY
@given(body=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_any_bytes_end_in_a_sheetsync_error_or_a_checked_value(shared_server, body):
    shared_server.gateway.answers[QUERY] = [body]
    try:
        value = client_for(shared_server, retries=0).product("1005001")
    except SheetsyncError:
        pass
    else:
        assert_checked(QUERY, value)


# -- verbs and refusals ------------------------------------------------------------------------------
def test_each_method_uses_the_verb_the_sdk_declares(server):
    client = client_for(server)
    client.info()
    client.list_products(1, 20, "2026-11-01 00:00:00")
    product = client.product("1005001")
    assert client.edit_product(product).success
    assert client.update_stocks("1005001", [{"sku_id": "2001", "pop_choice_sku_warehouse_stock_list": [
        {"warehouse_code": "CN-JIT", "sellable_quantity": 3}]}]).success
    g = server.gateway
    assert [(r["method"], r["_verb"]) for r in g.requests] == [
        (INFO, "GET"), (LIST, "GET"), (QUERY, "POST"), (EDIT, "POST"), (STOCKS, "POST")]
    assert json.loads(g.requests[1]["param"])["gmt_modified_start"] == "2026-11-01 00:00:00"
    assert g.wrong_verbs == 0 and g.bad_signatures == 0


@pytest.mark.parametrize(("method", "verb"), [(INFO, "POST"), (LIST, "POST"), (QUERY, "GET"), (EDIT, "GET")])
def test_the_gateway_refuses_the_wrong_verb(server, method, verb):
    """So the verb test above means something."""
    params = {"app_key": APP_KEY, "method": method, "timestamp": "1", "sign_method": "sha256",
              "session": server.gateway.access_token, "format": "json"}
    params["sign"] = sign(APP_SECRET, params)
    encoded = urllib.parse.urlencode(params)
    request = urllib.request.Request(f"{server.url}/sync?{encoded}" if verb == "GET" else f"{server.url}/sync",
                                     data=None if verb == "GET" else encoded.encode(), method=verb)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 405 and server.gateway.wrong_verbs == 1


@pytest.mark.parametrize(("shape", "code", "message"), [
    ("result", "PRICE_TOO_LOW", "The price is lower than the platform's reference price"),
    ("bare", "Rejected", None),
    ("isv", "isv.PRICE_TOO_LOW", "The price is lower than the platform's reference price"),
])
def test_a_refused_write_is_a_rejection_of_that_product_and_is_not_retried(server, shape, code, message):
    g = server.gateway
    g.reject["1005001"], g.reject_as = "PRICE_TOO_LOW", shape
    client = client_for(server)
    product = client.product("1005001")
    result = client.edit_product(product)
    assert (result.success, result.code) == (False, code)
    if message:
        assert result.message == message
    assert len(g.calls(EDIT)) == 1
    stocks = client.update_stocks("1005001", [])
    assert (stocks.success, stocks.code) == (False, code if shape != "result" else "PRICE_TOO_LOW")
    assert len(g.calls(STOCKS)) == 1
    assert client.edit_product(client.product("1005002")).success  # the others go on


def test_a_parameter_error_on_a_write_rejects_that_product_and_stops_a_read(server):
    g = server.gateway
    refusal = {"error_response": {"type": "ISV", "code": "InvalidParameter", "msg": "Invalid parameter",
                                  "sub_code": "isv.invalid-parameter:base_price", "sub_msg": "base_price must be > 0"}}
    client = client_for(server)
    product = client.product("1005001")
    g.answers[EDIT] = [refusal]
    result = client.edit_product(product)
    assert (result.success, result.code, result.message) == (
        False, "isv.invalid-parameter:base_price", "base_price must be > 0")
    g.answers[QUERY] = [refusal]
    with pytest.raises(TargetUnavailable) as caught:
        client.product("1005001")
    assert (caught.value.rule, caught.value.code) == ("platform_error", "InvalidParameter")
    assert "base_price must be > 0" in str(caught.value) and QUERY in str(caught.value)


def test_failures_are_retried_for_reads_and_never_resent_for_writes(server):
    g = server.gateway
    sleeps = Sleeps()
    client = client_for(server, sleep=sleeps)
    g.fail_5xx, g.isp_errors = 1, 1
    assert client.product("1005001")["product_id"] == "1005001"
    assert len(g.calls(QUERY)) == 3 and len(sleeps) == 2
    product = client.product("1005001")
    for fault in ("fail_5xx", "isp_errors"):
        setattr(g, fault, 1)
        before = len(g.calls(EDIT))
        with pytest.raises(AmbiguousWrite) as caught:
            client.edit_product(product)
        assert len(g.calls(EDIT)) == before + 1 and caught.value.exit_code == 2
    g.throttle = 2  # ApiCallLimit: the call was not executed, so a write is sent again after the ban
    assert client.edit_product(product).success


def test_signature_and_token_errors_stop_and_name_no_secret(server):
    g = server.gateway
    wrong = Client(Credentials(APP_KEY, "wrong-secret", g.access_token, None, server.url), sleep=Sleeps())
    with pytest.raises(TargetUnavailable) as caught:
        wrong.edit_product({"product_id": "1005001"})
    assert (caught.value.rule, caught.value.code) == ("platform_refused", "IncompleteSignature")
    assert "wrong-secret" not in str(caught.value) and len(g.calls(EDIT)) == 1  # refused once, not retried
    client = client_for(server)
    g.expired, g.refresh_token = True, "rotated-elsewhere"
    with pytest.raises(TargetUnavailable) as caught:
        client.info()
    assert caught.value.code == "RefreshFailed" and "refresh-1" not in str(caught.value)


# -- the transport ------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", [INFO, EDIT])
def test_a_redirect_is_refused_and_the_other_server_never_sees_the_token(server, status, method):
    g = server.gateway
    with Recorder() as other:
        g.redirect_to, g.redirect_status = other.url, status
        with pytest.raises(TargetUnavailable) as caught:
            call(client_for(server), method)
        assert other.seen == []
    error = caught.value
    assert error.rule == "platform_redirect" and error.exit_code == 2
    assert f"redirect to {other.url}." in str(error)  # where to, without the path and its signed query
    assert g.access_token not in str(error) and APP_SECRET not in str(error)
    assert len(g.requests) == 1  # refused, not retried either


def test_a_redirect_of_the_token_refresh_is_refused_too(server):
    g = server.gateway
    g.expired = True
    with Recorder() as other:
        g.redirect_to, g.redirect_path = other.url, "/rest/auth/token/refresh"
        with pytest.raises(TargetUnavailable) as caught:
            client_for(server).info()
        assert other.seen == [] and caught.value.rule == "platform_redirect"
    assert "refresh-1" not in str(caught.value)


@pytest.mark.parametrize("headers_too", [False, True])
def test_a_dripping_gateway_cannot_hold_a_call_past_its_deadline(server, headers_too):
    g = server.gateway
    g.drip, g.drip_headers = 0.02, headers_too  # the whole answer would take 10 s or more
    client = client_for(server, deadline=0.4, read_timeout=5.0)
    started = time.monotonic()
    with pytest.raises(TargetUnavailable) as caught:
        client.info()
    elapsed = time.monotonic() - started
    assert 0.3 < elapsed < 1.5, elapsed
    assert caught.value.rule == "platform_unreachable" and "within 0.4 seconds" in str(caught.value)
    assert client.info()["pop_choice_country_list"]  # the client is fine afterwards


def test_the_deadline_covers_every_attempt_of_a_call(server):
    server.gateway.stall = 100  # every call stalls past the read timeout
    client = client_for(server, deadline=0.7, read_timeout=0.25, retries=10)
    started = time.monotonic()
    with pytest.raises(TargetUnavailable):
        client.product("1005001")
    assert time.monotonic() - started < 1.5
    assert 2 <= len(server.gateway.calls(QUERY)) <= 4  # ~0.7 s of 0.25 s attempts, not 11 attempts


def refusal_and_peak_memory(call) -> tuple[TargetUnavailable, int]:
    """The TargetUnavailable a client call ends with, and the peak memory Python allocated meanwhile
    (the test gateway runs in this process, so its own buffers must be built before)."""
    tracemalloc.start()
    try:
        with pytest.raises(TargetUnavailable) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak


def test_an_endless_answer_costs_bounded_memory(server):
    server.gateway.endless = 1
    client = client_for(server, max_answer_bytes=2**20)
    refusal, peak = refusal_and_peak_memory(client.info)
    assert refusal.rule == "platform_bad_answer" and "longer than the 1,048,576 bytes" in str(refusal)
    assert peak < 4 * 2**20, peak


def test_a_small_gzip_that_inflates_to_64_mb_is_cut_at_the_cap(server):
    server.gateway.gzip_bomb = 1
    client = client_for(server, max_answer_bytes=2**20)
    ae_server.gzip_bomb()  # built before measuring: the gateway lives in this process
    refusal, peak = refusal_and_peak_memory(client.info)
    assert refusal.rule == "platform_bad_answer" and "decompressed" in str(refusal)
    assert peak < 4 * 2**20, peak


def test_an_answer_announcing_too_many_bytes_is_refused_before_reading(server):
    client = client_for(server, max_answer_bytes=100)
    with pytest.raises(TargetUnavailable) as caught:
        client.info()
    assert "announces" in str(caught.value)


def test_gzip_is_decoded_and_a_false_gzip_header_is_a_clear_error(server):
    g = server.gateway
    g.gzip = True
    client = client_for(server)
    assert client.product("1005001")["product_id"] == "1005001"
    g.gzip, g.bad_gzip = False, 1
    with pytest.raises(TargetUnavailable) as caught:
        client.product("1005001")
    assert caught.value.rule == "platform_bad_answer"
    assert "says it is gzip-compressed but is not" in str(caught.value) and QUERY in str(caught.value)


def test_an_unreachable_gateway_is_named_after_bounded_retries(server):
    url = server.url
    server.__exit__(None, None, None)  # nothing listens there any more
    sleeps = Sleeps()
    client = Client(Credentials(APP_KEY, APP_SECRET, "t", None, url), sleep=sleeps, retries=3, rate_limit=10_000)
    with pytest.raises(TargetUnavailable) as caught:
        client.info()
    assert caught.value.rule == "platform_unreachable" and len(sleeps) == 3
    with pytest.raises(TargetUnavailable) as caught:  # a write that never left may be tried again
        client.update_stocks("1", [])
    assert not isinstance(caught.value, AmbiguousWrite)


# -- the endpoint --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("endpoint", "rule", "words"), [
    ("api-sg.aliexpress.com", "ae_endpoint_invalid", "does not start with https://"),
    ("localhost:8080", "ae_endpoint_invalid", "does not start with https://"),
    ("ftp://api-sg.aliexpress.com", "ae_endpoint_invalid", "only https:// addresses"),
    ("https://api-sg.aliexpress.com/sync", "ae_endpoint_invalid", "has a path"),
    ("https://api-sg.aliexpress.com?x=1", "ae_endpoint_invalid", "has a path"),
    ("https://api-sg.aliexpress.com#top", "ae_endpoint_invalid", "has a path"),
    ("https://api-sg.aliexpress.com ", "ae_endpoint_invalid", "spaces"),
    ("https://api sg.aliexpress.com", "ae_endpoint_invalid", "spaces"),
    ("https://", "ae_endpoint_invalid", "host name or port"),
    ("https://api-sg.aliexpress.com:99999", "ae_endpoint_invalid", "host name or port"),
    ("https://api-sg.aliexpress.com:port", "ae_endpoint_invalid", "host name or port"),
    ("https://-bad-.example.com", "ae_endpoint_invalid", "host name or port"),
    ("https://[::1", "ae_endpoint_invalid", "host name or port"),
    ("https://seller:hunter2@api-sg.aliexpress.com", "ae_endpoint_invalid", "user name or password"),
    ("http://api-sg.aliexpress.com", "ae_endpoint_insecure", "unencrypted"),
    ("http://10.0.0.5:8080", "ae_endpoint_insecure", "unencrypted"),
])
def test_a_malformed_endpoint_is_refused_with_a_sentence(endpoint, rule, words):
    env = {"SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET,
           "SHEETSYNC_AE_ACCESS_TOKEN": "t", "SHEETSYNC_AE_ENDPOINT": endpoint}
    with pytest.raises(ConfigError) as caught:
        Credentials.from_env(env)
    assert caught.value.rule == rule and caught.value.exit_code == 2
    assert words in str(caught.value) and "SHEETSYNC_AE_ENDPOINT" in caught.value.message("zh")
    assert "hunter2" not in str(caught.value) and "hunter2" not in caught.value.message("zh")


@pytest.mark.parametrize(("endpoint", "kept"), [
    (None, "https://api-sg.aliexpress.com"),
    ("", "https://api-sg.aliexpress.com"),  # exported but empty: the default, as before
    ("https://api-sg.aliexpress.com/", "https://api-sg.aliexpress.com"),
    ("HTTPS://gw.example.com:8443", "https://gw.example.com:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost:1234", "http://localhost:1234"),
    ("http://[::1]:8080", "http://[::1]:8080"),
])
def test_a_wellformed_endpoint_is_kept(endpoint, kept):
    env = {"SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET, "SHEETSYNC_AE_ACCESS_TOKEN": "t"}
    if endpoint is not None:
        env["SHEETSYNC_AE_ENDPOINT"] = endpoint
    assert Credentials.from_env(env).endpoint == kept


def test_the_cli_refuses_a_malformed_endpoint_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_AE_APP_KEY", APP_KEY)
    monkeypatch.setenv("SHEETSYNC_AE_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("SHEETSYNC_AE_ACCESS_TOKEN", "t")
    monkeypatch.setenv("SHEETSYNC_AE_ENDPOINT", "api-sg.aliexpress.com")
    store = tmp_path / "s.db"
    assert CliRunner().invoke(main, ["--store", str(store), "init"]).exit_code == 0
    run = CliRunner().invoke(main, ["--store", str(store), "pull", "--target", "aliexpress"])
    assert run.exit_code == 2 and "SHEETSYNC_AE_ENDPOINT" in run.output, run.output


# -- one pace for several threads ------------------------------------------------------------------
def windows_respected(times: list[float], per_second: float) -> bool:
    """No half-open one-second window holds more than `per_second` of `times`."""
    ordered = sorted(times)
    return all(sum(1 for t in ordered if start <= t < start + 1.0) <= per_second for start in ordered)


@pytest.mark.parametrize("per_second", [4, 2.5, 20])
def test_the_rate_limiter_never_grants_more_than_the_limit_in_any_second(per_second):
    time_ = VirtualTime()
    limiter = RateLimiter(per_second, time_.clock, time_.sleep)
    granted: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(15):
            slot = limiter.wait()
            assert time_.clock() == slot  # the thread slept until its slot
            with lock:
                granted.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 120 and windows_respected(granted, per_second)
    assert max(granted) >= (120 / per_second) - 1.5  # the pace is the limit, not slower


def test_threads_sharing_a_client_share_one_rate_limit(server):
    time_ = VirtualTime()
    client = client_for(server, rate_limit=5, clock=time_.clock, sleep=time_.sleep)
    sent: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(8):
            client.product("1005001")
            with lock:
                sent.append(time_.clock())

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 40 and len(server.gateway.calls(QUERY)) == 40 and client.calls == 40
    assert windows_respected(sent, 5)
    assert max(sent) >= 39 / 5 - 0.01  # one limit for all five threads, not five limits


def test_a_ban_holds_every_thread_not_only_the_one_that_got_it(server):
    g = server.gateway
    time_ = VirtualTime()
    entered, go = threading.Event(), threading.Event()
    time_.hold["throttled"] = (entered, go)  # the throttled thread stays inside its ban until told
    client = client_for(server, rate_limit=10, clock=time_.clock, sleep=time_.sleep)
    g.throttle, g.throttle_seconds = 1, 3
    results: dict[str, list[float]] = {}

    def worker(name, calls):
        results[name] = []
        for _ in range(calls):
            client.info()
            results[name].append(time_.clock())

    throttled = threading.Thread(target=worker, args=("throttled", 1), name="throttled")
    throttled.start()
    assert entered.wait(10)  # its call got ApiCallLimit at time 0: banned until 3
    others = [threading.Thread(target=worker, args=(f"other{i}", 2)) for i in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    go.set()
    throttled.join()
    sent_by_others = sorted(t for name, times in results.items() if name != "throttled" for t in times)
    assert len(sent_by_others) == 6 and sent_by_others[0] >= 3.0  # none of them got ApiCallLimit, all waited
    assert windows_respected(sent_by_others + results["throttled"], 10)
    assert len(g.calls(INFO)) == 8


def test_an_expired_token_is_refreshed_once_for_all_threads(server):
    g = server.gateway
    g.expired = True
    kept: list[tuple[str, str | None]] = []
    client = client_for(server, on_tokens=lambda access, refresh: kept.append((access, refresh)))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        barrier.wait()
        try:
            client.product("1005001")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len([r for r in g.requests if r["_path"] == "/rest/auth/token/refresh"]) == 1
    assert kept == [("token-2", "refresh-2")]


def test_a_used_up_quota_stops_every_thread_without_another_call(server):
    g = server.gateway
    g.quota_used = True
    client = client_for(server)
    with pytest.raises(QuotaExceeded) as caught:
        client.info()
    assert caught.value.seconds == 86400
    before = len(g.requests)
    failures: list[BaseException] = []

    def another_thread():
        try:
            client.product("1005001")
        except QuotaExceeded as exc:
            failures.append(exc)

    thread = threading.Thread(target=another_thread)
    thread.start()
    thread.join()
    assert len(failures) == 1 and len(g.requests) == before
