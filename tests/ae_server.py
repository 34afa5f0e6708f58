"""A stand-in for the AliExpress Open Platform gateway on 127.0.0.1, for tests.

It speaks the protocol of shared/design/ALIEXPRESS.md: checks every request's signature with the
app secret, keeps products in memory, implements the five semi-managed methods with the verbs the
official SDK declares (GET for info.query and products.list, POST for the others; the wrong verb
is refused with HTTP 405) and the token refresh, and can be told to misbehave: throttle
(ApiCallLimit with a ban of `throttle_seconds`), answer 5xx, stall past the client's read timeout,
drop the connection after applying a write, expire the token, reject a product (as
`success=false` with or without a code, or as an `error_response` with an isv. sub code), report
the daily quota used up, send any answer instead of the real one (`answers`), redirect to another
address, drip the answer a byte at a time, send an endless body, or mislabel a body as gzip.

Seller authorization (ALIEXPRESS.md, "Seller authorization"): `/oauth/authorize` redirects the
browser to the redirect URI with a one-time code and the state (or with `error` when `deny`), and
`/rest/auth/token/create` exchanges the code for tokens with their expiry times and the seller's
id and nick. Tokens expire on the gateway's clock (`now()`, moved by `clock_offset`, never by
sleeping): the access token `access_lifetime` seconds after it was issued, the refresh token
`refresh_lifetime` seconds after the authorization (a refresh renews the access token only); or at
once with the switches `expired` and `refresh_expired`. The tokens of a gateway nobody authorized
(`token-1`, `refresh-1`) never expire on their own.

JIT purchase orders (ALIEXPRESS.md, "Semi-managed JIT purchase orders"): the `aliexpress.ascp.po.*`
methods over `po_orders`, `po_items` and `po_deliveries` (signature checked, biz_type 7668000,
order_type and status filters, pages), with an order that moves between two reads (`po_changes`),
refusals (`po_reject`, in either shape of `reject_as`), a dropped connection after a confirmation or
a delivery was made (`drop_after_write`), and label PDFs served at the address the print method
answers (`/labels/<delivery>.pdf`, no signature, like a file on a CDN).

`Recorder` is a second server that records whatever reaches it: the target of a redirect.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import math
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sheetsync.targets.aliexpress import sign

APP_KEY, APP_SECRET = "500123", "test-secret-do-not-use"
GET_METHODS = {"aliexpress.pop.choice.info.query", "aliexpress.pop.choice.products.list",
               "aliexpress.ascp.po.printSelfDeliveryMarkPdf"}
WRITE_METHODS = {"aliexpress.pop.choice.product.edit", "aliexpress.pop.choice.product.stocks.update",
                 "aliexpress.ascp.po.confirmPurchaseOrder", "aliexpress.ascp.po.selfdelivery",
                 "aliexpress.ascp.po.updateSelfdelivery"}
PO_BIZ_TYPE = 7668000
PO_DELIVERY_KEYS = ("delivery_type", "logistics_service_provider", "appointment_express_no_list",
                    "appointment_license_plate", "appointment_phone_number")
PO_STATUS_WORDS = {10: "To be confirmed", 15: "Confirmed", 17: "To be shipped", 20: "In transit", 21: "Arrived",
                   30: "Partly received", 40: "Received", -99: "Cancelled"}


def make_product(product_id: str, title: str, skus: list[dict[str, Any]], countries: list[str],
                 modified: str = "2026-11-01 10:00:00") -> dict[str, Any]:
    return {"product_id": product_id, "title": title, "category_id": 200000001, "currency_code": "USD",
            "joined_country_list": countries, "modified_time": modified, "product_sku_list": skus}


def make_sku(sku_id: str, code: str, price: str, weight: str, stock: int, barcode: str = "",
             types: list[str] | None = None, countries: tuple[str, ...] = ("US", "FR")) -> dict[str, Any]:
    return {
        "sku_id": sku_id, "sku_code": code, "base_price": price, "package_weight": weight,
        "package_length": "20", "package_width": "15", "package_height": "5",
        "sku_property_list": [{"sku_property_name": "Color", "sku_property_value": code[-3:]}],
        "pop_choice_sku_warehouse_stock_list": [{"warehouse_code": "CN-JIT", "sellable_quantity": stock}],
        "pop_choice_product_sku_sc_item_info": {"sc_item_code": code, "sc_item_bar_code": barcode,
                                                "original_box": "1", "special_product_type_list": types or []},
        "freight_fee_list": [{"nation_code": c, "price": "3.10"} for c in countries],
        "choice_sku_price_list": [{"nation_code": c, "price": str(round(float(price) + 3.10, 2))} for c in countries],
    }


def make_po(order_no: str, status: int = 10, deadline: str = "2026-12-09 18:00:00", order_type: int = 50,
            warehouse: tuple[str, str, str] = ("DGJIT01", "Dongguan JIT warehouse", "No. 8 Logistics Road, Dongguan"),
            **extra: Any) -> dict[str, Any]:
    """A purchase order as pageQuery lists it (statuses: 10 to confirm, 15 confirmed, 17 to ship, ...)."""
    code, name, address = warehouse
    return {"purchase_order_no": order_no, "order_type": order_type, "status": status,
            "status_desc": PO_STATUS_WORDS.get(status, ""), "gmt_create": "2026-12-07 09:30:00",
            "gmt_expiration": deadline, "store_code": code, "store_name": name, "store_address_detail": address,
            "store_contact_name": "Receiving desk", "store_contact_phone": "0769-1234567", "total_amount": "0",
            "receiver_country": "CN", **extra}


def make_po_item(order_no: str, sku_id: str, quantity: int, title: str = "Wireless earbuds",
                 barcode: str = "0080738264240") -> dict[str, Any]:
    return {"purchase_order_no": order_no, "item_id": f"{order_no}-{sku_id}", "sku_id": int(sku_id),
            "sc_item_id": f"9{sku_id}", "title": title, "barcode": barcode, "quantity": quantity,
            "purchase_price_dec": "18.90", "purchase_amount_dec": f"{18.90 * quantity:.2f}"}


class Gateway:
    """State and fault switches, shared with the request handler."""

    def __init__(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.countries = [("US", "United States", "美国"), ("FR", "France", "法国"), ("ES", "Spain", "西班牙"),
                          ("UK", "United Kingdom", "英国")]
        self.warehouses = [("CN-JIT", "Shenzhen JIT")]
        self.access_token, self.refresh_token = "token-1", "refresh-1"
        self.generation = 1                # tokens are <prefix>token-N / <prefix>refresh-N
        self.token_prefix = ""
        self.clock_offset = 0.0            # seconds added to the wall clock: expire tokens without waiting
        self.access_lifetime, self.refresh_lifetime = 86_400, 172_800
        self.access_expires_at = self.refresh_expires_at = math.inf
        self.refresh_expired = False       # the refresh token has expired
        self.codes: set[str] = set()       # authorization codes issued and not used yet
        self.deny = False                  # /oauth/authorize: the seller refuses
        self.seller = {"user_id": "200042", "seller_id": "200042", "user_nick": "cn1520shop",
                       "account": "seller@example.com", "account_platform": "seller_center", "locale": "en_US",
                       "sp": "ae"}
        self.requests: list[dict[str, str]] = []
        self.bad_signatures = 0
        self.lock = threading.RLock()
        self.throttle = 0            # next N calls get ApiCallLimit (0-second ban)
        self.fail_5xx = 0            # next N calls get HTTP 503
        self.stall = 0               # next N calls never answer (until the test ends)
        self.drop_after_write = 0    # next N writes are applied, then the connection is closed
        self.expired = False         # the access token has expired
        self.reject: dict[str, str] = {}   # product_id → business error code
        self.reject_as = "result"          # result (success=false + code) | bare (success=false only) | isv
        self.quota_used = False
        self.release = threading.Event()
        self.page_size_seen: list[int] = []
        self.throttle_seconds = 0          # the ban a throttled call states
        self.isp_errors = 0                # next N calls get an isp. (platform-side) error_response
        self.wrong_verbs = 0               # requests refused for using the wrong verb
        self.answers: dict[str, list[Any]] = {}  # method (or the refresh's path) → what its next calls answer
        #                                           instead: a JSON value, or bytes sent as they are
        self.redirect_to = ""              # answer calls with a redirect there (to this address + the same path)
        self.redirect_path = ""            # ... only calls to this path (default: every call)
        self.redirect_status = 307
        self.drip = 0.0                    # next call's answer is sent one byte every `drip` seconds
        self.drip_headers = False          # ... starting with the status line and headers
        self.endless = 0                   # next N calls answer with a body that never ends
        self.bad_gzip = 0                  # next N answers say gzip but are plain JSON
        self.gzip = False                  # answers are gzip-compressed (correctly)
        self.gzip_bomb = 0                 # next N answers are a small gzip of a huge body
        self.latency = 0.0                 # seconds every /sync call takes before it is answered
        self.writes_before_quota: int | None = None  # after this many more writes, the daily quota is used up
        self.in_flight = self.most_in_flight = 0     # /sync calls being answered now, and the most at once
        # JIT purchase orders (aliexpress.ascp.po.*): the gateway's model of their progression is
        # 10 to confirm → (confirm) 15 confirmed → (selfdelivery) 17 to ship; tests move them further
        self.po_orders: dict[str, dict[str, Any]] = {}       # purchase_order_no → the order (make_po)
        self.po_items: dict[str, list[dict[str, Any]]] = {}  # purchase_order_no → its items (make_po_item)
        self.po_deliveries: dict[str, dict[str, Any]] = {}   # self_delivery_no → the delivery as queried
        self.po_reject: dict[str, tuple[str, str]] = {}      # order → (error_code, error_msg) its writes get
        self.po_changes: dict[int, list[tuple[str, dict[str, Any]]]] = {}  # after the n-th pageQuery, these
        #                                                      orders change (an order moving between two reads)
        self.page_queries = 0
        self.labels: list[dict[str, Any]] = []               # label PDFs asked for (delivery, boxes, size)
        # Called (on the server's thread, under no lock) after a page of the product list was made, with
        # its number: a test changes the list between pages there, as sellers editing during a pull do.
        self.after_list: Callable[[int], None] | None = None
        # Called after each write was applied, with how many writes were applied so far, before the write
        # is answered: a test acts at an exact point of a push (replace the store, send Ctrl-C) there.
        self.after_write: Callable[[int], None] | None = None
        self.writes = 0

    def calls(self, method: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("method") == method]

    def now(self) -> float:
        return time.time() + self.clock_offset

    def issue_code(self) -> str:
        """A one-time authorization code, as the platform hands back after the seller's consent."""
        with self.lock:
            code = f"code-{len(self.codes) + self.generation}-{int(self.now() * 1000) % 10**6}"
            self.codes.add(code)
        return code

    def token_answer(self, authorize: bool) -> dict[str, Any]:
        """New tokens (and, for an authorization, a new refresh lifetime), as the platform answers."""
        with self.lock:
            self.generation += 1
            now = self.now()
            self.access_token = f"{self.token_prefix}token-{self.generation}"
            self.refresh_token = f"{self.token_prefix}refresh-{self.generation}"
            self.expired = False
            self.access_expires_at = now + self.access_lifetime
            if authorize:
                self.refresh_expires_at, self.refresh_expired = now + self.refresh_lifetime, False
            answer: dict[str, Any] = {
                "access_token": self.access_token, "refresh_token": self.refresh_token, "code": "0",
                "expires_in": self.access_lifetime, "expire_time": int(self.access_expires_at * 1000),
                "request_id": "0ba2887315"}
            if math.isfinite(self.refresh_expires_at):
                answer["refresh_expires_in"] = max(0, int(self.refresh_expires_at - now))
                answer["refresh_token_valid_time"] = int(self.refresh_expires_at * 1000)
            if authorize:
                answer.update(self.seller)
            return answer


class Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"  # keep-alive, as the real gateway: the client reuses its connections

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/oauth/authorize":
            return self._authorize(query)
        self._handle("GET", url.path, query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        self._handle("POST", urllib.parse.urlparse(self.path).path, form)

    def _handle(self, verb: str, path: str, form: dict[str, str]) -> None:
        g = self.gateway
        with g.lock:
            g.in_flight += 1
            g.most_in_flight = max(g.most_in_flight, g.in_flight)
        try:
            self._answer(verb, path, form)
        finally:
            with g.lock:
                g.in_flight -= 1

    def _answer(self, verb: str, path: str, form: dict[str, str]) -> None:
        g = self.gateway
        with g.lock:
            g.requests.append({**form, "_path": path, "_verb": verb, "_at": f"{time.monotonic():.6f}"})
        if g.redirect_to and g.redirect_path in ("", path):
            return self._redirect(g.redirect_to + self.path)
        if path in ("/rest/auth/token/refresh", "/rest/auth/token/create") and verb == "POST":
            with g.lock:
                queued = g.answers.get(path) or []
                instead = queued.pop(0) if queued else None
            if instead is not None:
                return self._send_body(200, instead if isinstance(instead, bytes) else json.dumps(instead).encode())
            return self._refresh(form) if path.endswith("refresh") else self._create(form)
        if path.startswith("/labels/") and verb == "GET":
            return self._label_file(path)
        if path != "/sync":
            return self._send(404, {"error": "not found"})
        if (form.get("method") in GET_METHODS) != (verb == "GET"):
            g.wrong_verbs += 1
            return self._send(405, {"error_response": {"type": "ISV", "code": "HttpMethodNotAllowed",
                                                       "msg": f"{verb} is not allowed for this method"}})
        expected = sign(APP_SECRET, {k: v for k, v in form.items() if k != "sign"})
        if form.get("sign") != expected or form.get("app_key") != APP_KEY:
            g.bad_signatures += 1
            return self._error("IncompleteSignature", "The request signature does not conform to platform standards")
        with g.lock:
            if g.stall:
                g.stall -= 1
                stall = True
            else:
                stall = False
            if g.fail_5xx:
                g.fail_5xx -= 1
                return self._send(503, {"message": "Service Unavailable"})
            if g.throttle:
                g.throttle -= 1
                return self._error("ApiCallLimit", "Api access frequency exceeds the limit. this ban will last "
                                   f"{g.throttle_seconds} seconds")
            if g.writes_before_quota is not None and form.get("method") in WRITE_METHODS:
                g.quota_used = g.quota_used or g.writes_before_quota == 0
                g.writes_before_quota -= not g.quota_used
            if g.quota_used:
                return self._error("ApiCallLimit", "App call limit exceeded. this ban will last 86400 seconds")
            if g.isp_errors:
                g.isp_errors -= 1
                return self._send(200, {"error_response": {"type": "ISP", "code": "15", "msg": "Remote service error",
                                                           "sub_code": "isp.remote-service-timeout",
                                                           "sub_msg": "the service timed out"}})
        if stall:
            g.release.wait(30)
            return
        if g.latency:
            g.release.wait(g.latency)
        if g.expired or form.get("session") != g.access_token or g.now() >= g.access_expires_at:
            return self._error("IllegalAccessToken", "The specified access token is invalid or expired")
        method = form.get("method", "")
        with g.lock:
            queued = g.answers.get(method) or []
            answer_instead = bool(queued)
            instead = queued.pop(0) if queued else None
        if answer_instead:
            return self._send_body(200, instead if isinstance(instead, bytes) else json.dumps(instead).encode())
        handler = getattr(self, "_" + method.replace("aliexpress.pop.choice.", "").replace(".", "_"), None)
        if handler is None:
            return self._error("InvalidMethod", f"unknown method {method}")
        try:
            result, wrote = handler(form)
        except _AlreadyAnswered:
            return
        if wrote:
            with g.lock:
                g.writes += 1
                count = g.writes
            if g.after_write:
                g.after_write(count)
        with g.lock:
            drop = wrote and g.drop_after_write > 0
            if drop:
                g.drop_after_write -= 1
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(200, {method.replace(".", "_") + "_response": {"result": result, "request_id": "0ba2887315"}})

    # -- methods -------------------------------------------------------------------------------
    def _info_query(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        return {"success": True,
                "pop_choice_country_list": [{"country_code": c, "en_name": e, "cn_name": z}
                                            for c, e, z in g.countries],
                "pop_choice_warehouse_list": [{"warehouse_code": w, "warehouse_name": n}
                                              for w, n in g.warehouses]}, False

    def _products_list(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = json.loads(form.get("param") or "{}")
        page, size = int(query.get("current_page", 1)), int(query.get("page_size", 20))
        g.page_size_seen.append(size)
        since = query.get("gmt_modified_start")
        items = [p for p in g.products.values() if not since or p["modified_time"] >= since]
        items.sort(key=lambda p: str(p["product_id"]))
        chunk = items[(page - 1) * size: page * size]
        if g.after_list:
            g.after_list(page)
        return {"success": True, "total_item": len(items), "total_page": -(-len(items) // size),
                "pop_choice_product_list": [
                    {"product_id": p["product_id"], "title": p["title"], "product_status": "onSelling",
                     "currency_code": p["currency_code"], "modified_time": p["modified_time"]} for p in chunk]}, False

    def _product_query(self, form: dict[str, str]) -> tuple[dict, bool]:
        product = self.gateway.products.get(form.get("product_id", ""))
        if product is None:
            return {"success": False, "error_code": "PRODUCT_NOT_FOUND", "error_message": "no such product"}, False
        shown = {k: v for k, v in copy.deepcopy(product).items() if k not in ("title", "modified_time")}
        return {"success": True, "pop_choice_product": shown}, False

    def _product_edit(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        sent = json.loads(form["pop_choice_product"])
        product_id = str(sent["product_id"])
        if product_id in g.reject:
            return self._rejection(g.reject[product_id], "The price is lower than the platform's reference price")
        with g.lock:
            stored = g.products[product_id]
            stored["joined_country_list"] = sent["joined_country_list"]
            by_id = {s["sku_id"]: s for s in stored["product_sku_list"]}
            for sku in sent["product_sku_list"]:
                target = by_id[str(sku["sku_id"])]
                for key in ("sku_code", "base_price", "package_weight", "package_length", "package_width",
                            "package_height", "pop_choice_sku_warehouse_stock_list",
                            "pop_choice_product_sku_sc_item_info"):
                    if key in sku:
                        target[key] = sku[key]
            stored["modified_time"] = "2026-11-27 12:00:00"
        return {"success": True, "product_id": product_id}, True

    def _product_stocks_update(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        product_id = form["product_id"]
        if product_id in g.reject:
            return self._rejection(g.reject[product_id], "stock rejected")
        with g.lock:
            by_id = {s["sku_id"]: s for s in g.products[product_id]["product_sku_list"]}
            for sku in json.loads(form["pop_choice_sku_stock_list"]):
                by_id[str(sku["sku_id"])]["pop_choice_sku_warehouse_stock_list"] = sku[
                    "pop_choice_sku_warehouse_stock_list"]
            g.products[product_id]["modified_time"] = "2026-11-27 12:00:00"
        return {"success": True, "product_id": product_id}, True

    def _rejection(self, code: str, text: str) -> tuple[dict, bool]:
        """A refused write in the shape `reject_as` asks for (an error_response is sent at once)."""
        shape = self.gateway.reject_as
        if shape == "isv":
            self._send(200, {"error_response": {"type": "ISV", "code": "15", "msg": "Remote service error",
                                                "sub_code": f"isv.{code}", "sub_msg": text, "request_id": "0b2"}})
            raise _AlreadyAnswered
        if shape == "bare":
            return {"success": False}, False
        return {"success": False, "error_code": code, "error_message": text}, False

    # -- JIT purchase orders (aliexpress.ascp.po.*) --------------------------------------------
    def _po_param(self, form: dict[str, str], name: str = "param0") -> dict[str, Any]:
        return json.loads(form.get(name) or "{}")

    def _po_refused(self, code: str, text: str) -> tuple[dict, bool]:
        return {"success": False, "error_code": code, "error_msg": text}, False

    def _po_rejection(self, order_nos: list[str]) -> tuple[dict, bool] | None:
        """The refusal an order in `po_reject` gets, in the shape `reject_as` asks for."""
        g = self.gateway
        for no in order_nos:
            if no in g.po_reject:
                code, text = g.po_reject[no]
                if g.reject_as == "isv":
                    self._send(200, {"error_response": {"type": "ISV", "code": "15", "msg": "Remote service error",
                                                        "sub_code": f"isv.{code}", "sub_msg": text}})
                    raise _AlreadyAnswered
                return self._po_refused(code, text)
        return None

    def _aliexpress_ascp_po_pageQuery(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form)
        if query.get("biz_type") != PO_BIZ_TYPE:
            return self._po_refused("BIZ_TYPE_ERROR", "biz_type is not semi-managed")
        page, size = int(query.get("page_index", 1)), int(query.get("page_size", 20))
        with g.lock:
            found = [dict(o) for o in g.po_orders.values()
                     if o["order_type"] == query.get("order_type", o["order_type"])
                     and ("status" not in query or o["status"] == query["status"])
                     and ("purchase_order_no" not in query or o["purchase_order_no"] == query["purchase_order_no"])]
            found.sort(key=lambda o: o["purchase_order_no"])
            g.page_queries += 1
            for no, changes in g.po_changes.pop(g.page_queries, []):
                g.po_orders[no].update(changes)
        return {"success": True, "page_index": page, "page_size": size, "total_count": len(found),
                "data": found[(page - 1) * size: page * size]}, False

    def _aliexpress_ascp_po_item_query(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form, "purchase_order_item_query")
        if query.get("biz_type") != PO_BIZ_TYPE:
            return self._po_refused("BIZ_TYPE_ERROR", "biz_type is not semi-managed")
        page, size = int(query.get("page_index", 1)), int(query.get("page_size", 20))
        items = g.po_items.get(str(query.get("purchase_order_no")), [])
        return {"success": True, "total_count": len(items), "data_list": items[(page - 1) * size: page * size]}, False

    def _aliexpress_ascp_po_confirmPurchaseOrder(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form)
        no = str(query.get("purchase_order_no"))
        refused = self._po_rejection([no])
        if refused:
            return refused
        if query.get("all_quantity_confirm") is not True or query.get("biz_type") != PO_BIZ_TYPE:
            return self._po_refused("PARAM_ERROR", "a JIT order is confirmed whole (all_quantity_confirm=true)")
        with g.lock:
            order = g.po_orders.get(no)
            if order is None:
                return self._po_refused("PO_NOT_EXIST", f"purchase order {no} does not exist")
            if order["status"] != 10:
                return self._po_refused("PO_STATUS_ERROR", f"purchase order {no} is not waiting for confirmation")
            order.update(status=15, status_desc=PO_STATUS_WORDS[15])
        return {"success": True, "request_no": f"REQ{no}"}, True

    def _delivery_problem(self, query: dict[str, Any]) -> str | None:
        kind = query.get("delivery_type")
        if kind not in (1, 2, 3) or query.get("self_delivery_scene_code") != "JIT":
            return "delivery_type is 1, 2 or 3 and self_delivery_scene_code JIT"
        if kind == 1 and not (query.get("logistics_service_provider") and query.get("appointment_express_no_list")):
            return "an express delivery needs logistics_service_provider and appointment_express_no_list"
        if kind == 2 and not (query.get("appointment_license_plate") and query.get("appointment_phone_number")):
            return "a truck delivery needs appointment_license_plate and appointment_phone_number"
        return None

    def _aliexpress_ascp_po_selfdelivery(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form)
        orders = [str(no) for no in query.get("purchase_order_no_list") or []]
        refused = self._po_rejection(orders)
        if refused:
            return refused
        if not 1 <= len(orders) <= 99 or len(set(orders)) != len(orders):
            return self._po_refused("PARAM_ERROR", "purchase_order_no_list holds 1 to 99 different orders")
        problem = self._delivery_problem(query)
        if problem:
            return self._po_refused("PARAM_ERROR", problem)
        with g.lock:
            for no in orders:
                order = g.po_orders.get(no)
                if order is None or order["status"] != 15 or order.get("self_delivery_no"):
                    return self._po_refused("PO_STATUS_ERROR", f"purchase order {no} cannot be delivered now")
            number = f"SD{len(g.po_deliveries) + 1:08d}"
            g.po_deliveries[number] = {"self_delivery_no": number, "related_pos": orders,
                                       **{key: query[key] for key in PO_DELIVERY_KEYS if key in query}}
            for no in orders:
                g.po_orders[no].update(status=17, status_desc=PO_STATUS_WORDS[17], self_delivery_no=number)
        return {"success": True, "data": number}, True

    def _aliexpress_ascp_po_updateSelfdelivery(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form)
        number = str(query.get("self_delivery_no"))
        refused = self._po_rejection([str(no) for no in query.get("purchase_order_no_list") or []])
        if refused:
            return refused
        problem = self._delivery_problem(query)
        if problem:
            return self._po_refused("PARAM_ERROR", problem)
        with g.lock:
            delivery = g.po_deliveries.get(number)
            if delivery is None:
                return self._po_refused("DELIVERY_NOT_EXIST", f"self-delivery {number} does not exist")
            for key in PO_DELIVERY_KEYS:
                delivery.pop(key, None)
                if key in query:
                    delivery[key] = query[key]
        return {"success": True, "data": True}, True

    def _aliexpress_ascp_po_querysSelfdelivery(self, form: dict[str, str]) -> tuple[dict, bool]:
        number = str(self._po_param(form).get("self_delivery_no"))
        delivery = self.gateway.po_deliveries.get(number)
        if delivery is None:
            return self._po_refused("DELIVERY_NOT_EXIST", f"self-delivery {number} does not exist")
        return {"success": True, "data": copy.deepcopy(delivery)}, False

    def _aliexpress_ascp_po_printSelfDeliveryMarkPdf(self, form: dict[str, str]) -> tuple[dict, bool]:
        g = self.gateway
        query = self._po_param(form)
        number, boxes, size = str(query.get("self_delivery_no")), query.get("total_box_cnt"), query.get("print_size")
        if number not in g.po_deliveries:
            return self._po_refused("DELIVERY_NOT_EXIST", f"self-delivery {number} does not exist")
        if not isinstance(boxes, int) or not 1 <= boxes <= 99 or size not in ("A4", "100_100"):
            return self._po_refused("PARAM_ERROR", "total_box_cnt is 1 to 99 and print_size A4 or 100_100")
        host, port = self.server.server_address[:2]
        return {"success": True,
                "data": f"http://{host}:{port}/labels/{number}.pdf?boxes={boxes}&size={size}"}, False

    def _label_file(self, path: str) -> None:
        """The PDF a label address points to (served without a signature, like a file on a CDN)."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
        number = path.removeprefix("/labels/").removesuffix(".pdf")
        if number not in self.gateway.po_deliveries:
            return self._send(404, {"error": "not found"})
        self.gateway.labels.append({"delivery": number, "boxes": query.get("boxes"), "size": query.get("size")})
        body = (f"%PDF-1.4\n% box labels of self-delivery {number}: {query.get('boxes')} boxes, "
                f"{query.get('size')}\n%%EOF\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # -- plumbing ------------------------------------------------------------------------------
    def _refresh(self, form: dict[str, str]) -> None:
        g = self.gateway
        expected = sign(APP_SECRET, {k: v for k, v in form.items() if k != "sign"}, "/auth/token/refresh")
        if form.get("sign") != expected or form.get("refresh_token") != g.refresh_token:
            g.bad_signatures += form.get("sign") != expected
            return self._send(200, {"code": "InvalidRefreshToken", "message": "refresh token invalid"})
        if g.refresh_expired or g.now() >= g.refresh_expires_at:
            return self._send(200, {"code": "IllegalRefreshToken", "message": "the refresh token has expired"})
        self._send(200, g.token_answer(authorize=False))

    def _create(self, form: dict[str, str]) -> None:
        g = self.gateway
        expected = sign(APP_SECRET, {k: v for k, v in form.items() if k != "sign"}, "/auth/token/create")
        if form.get("sign") != expected or form.get("app_key") != APP_KEY:
            g.bad_signatures += 1
            return self._error("IncompleteSignature", "The request signature does not conform to platform standards")
        with g.lock:
            known = form.get("code", "") in g.codes
            g.codes.discard(form.get("code", ""))
        if not known:
            return self._send(200, {"code": "InvalidCode", "message": "the authorization code is invalid or expired",
                                    "request_id": "0b3"})
        self._send(200, g.token_answer(authorize=True))

    def _authorize(self, query: dict[str, str]) -> None:
        """The seller signs in and allows the app: back to the redirect URI with a code and the state."""
        g = self.gateway
        with g.lock:
            g.requests.append({**query, "_path": "/oauth/authorize", "_verb": "GET", "_at": f"{time.monotonic():.6f}"})
        uri = query.get("redirect_uri", "")
        if query.get("client_id") != APP_KEY or query.get("response_type") != "code" or not uri:
            return self._send(400, {"error": "invalid_request"})
        answer = {"error": "access_denied", "error_description": "the seller refused"} if g.deny else \
            {"code": g.issue_code()}
        answer["state"] = query.get("state", "")
        location = uri + ("&" if "?" in uri else "?") + urllib.parse.urlencode(answer)
        self._redirect(location)

    def _error(self, code: str, message: str) -> None:
        self._send(200, {"error_response": {"type": "ISV", "code": code, "msg": message, "request_id": "0b1"}})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        self._send_body(status, json.dumps(payload).encode())

    def _send_body(self, status: int, data: bytes) -> None:
        """Send an answer, as the fault switches say: dripped, endless, mislabelled or compressed."""
        g = self.gateway
        with g.lock:
            drip, drip_headers, g.drip = g.drip, g.drip_headers, 0.0
            endless, bad_gzip, bomb = g.endless > 0, g.bad_gzip > 0, g.gzip_bomb > 0
            g.endless, g.bad_gzip, g.gzip_bomb = max(g.endless - 1, 0), max(g.bad_gzip - 1, 0), max(g.gzip_bomb - 1, 0)
        encoding = ""
        if bomb:
            data, encoding = gzip_bomb(), "gzip"
        elif bad_gzip:
            encoding = "gzip"
        elif g.gzip:
            data, encoding = gzip.compress(data), "gzip"
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}", "Content-Type: application/json"]
        if encoding:
            head.append(f"Content-Encoding: {encoding}")
        head.append("Connection: close" if endless else f"Content-Length: {len(data)}")
        header = ("\r\n".join(head) + "\r\n\r\n").encode()
        self.close_connection = endless or bool(drip)
        try:
            if endless:
                self.wfile.write(header + b'{"aliexpress_pop_choice_info_query_response": "')
                while not g.release.is_set():
                    self.wfile.write(b"x" * 65536)
            elif drip:
                self._drip(header if drip_headers else b"", data, drip)
            else:
                self.wfile.write(header + data)
        except OSError:  # the client hung up, as it should on an endless or dripping answer
            self.close_connection = True

    def _drip(self, header: bytes, data: bytes, interval: float) -> None:
        if not header:
            head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n").encode()
            self.wfile.write(head)
        for byte in header + data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if self.gateway.release.wait(interval):
                return

    def _redirect(self, location: str) -> None:
        self.send_response(self.gateway.redirect_status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@functools.cache
def gzip_bomb() -> bytes:
    """About 64 KB of gzip that inflates to 64 MB of spaces."""
    return gzip.compress(b" " * (64 * 2**20), 9)


class _AlreadyAnswered(Exception):
    """A method handler sent its own answer (an error_response)."""


class Recorder:
    """A second server on 127.0.0.1 that answers every request with a valid-looking empty answer
    and records what reached it (path, query, body, headers)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace")
                recorder.seen.append({"line": self.requestline, "body": body, "headers": str(self.headers)})
                data = b'{"error_response": {"code": "Recorded", "msg": "recorded"}}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _record

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Server:
    def __init__(self) -> None:
        self.gateway = Gateway()
        handler = type("BoundHandler", (Handler,), {"gateway": self.gateway})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gateway.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
