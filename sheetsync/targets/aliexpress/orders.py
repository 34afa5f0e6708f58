"""JIT purchase orders on AliExpress (`aliexpress.ascp.po.*`): typed calls over the client, and
`AliExpressOrders`, the adapter the orders workflow uses (read, confirm, deliver, labels).

The platform's side only: no workbook, no journal. What the adapter returns is plain dataclasses
(`PurchaseOrder`, `OrderItem`, `Delivery`, `ActionResult`) the orders pipeline maps to its own rows.

Protocol (shared/design/ALIEXPRESS.md, "Semi-managed JIT purchase orders"): every method takes one
JSON parameter (`param0`, `purchase_order_item_query` for item.query) carrying `biz_type` 7668000
(semi-managed) and the seller's `channel_user_id`, and answers `result{success, error_code,
error_msg, ...}`; printSelfDeliveryMarkPdf is a GET, the others POST. Unverified there, and so
decided here (each note repeated where it applies):
- that `pageQuery` with `biz_type` 7668000 and `order_type` 50 lists a semi-managed seller's JIT
  orders;
- `channel_user_id` is the seller id the authorization returned (`auth.SELLER_ID_KEY`);
- the statuses an order moves through: 10 to confirm → (confirm) 15 confirmed → (a self-delivery)
  17 to ship → 20 in transit …; "open" orders, those the seller acts on, are 10, 15 and 17;
- times without a zone are China time (UTC+8), see `orders_answers`;
- a label is a PDF at the address `printSelfDeliveryMarkPdf` answers (`data`), fetched without
  credentials, https only, no redirect followed.

What ends how:
- A refusal (`success=false`, or an `error_response` with an isv. sub code) is `OrderRejected`,
  naming the method, the orders, the platform's code and message: that order was not changed.
- A write whose outcome is unknown (timeout, dropped connection, 5xx, an unreadable answer) is
  `UnknownOutcome`: the caller re-reads the orders (`AliExpressOrders.settle`) and never resends
  blindly. Writes are never retried by the client once they may have left.
- An answer of the wrong shape is a `PlatformError` (platform_bad_answer) naming the method and
  the field; signature, token and quota errors stop the run as for the catalog.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ...outputs import write_bytes
from .client import AmbiguousWrite, BusinessResult, Client, PlatformError
from .orders_answers import (
    Confirmed,
    DeliveryCreated,
    DeliveryFound,
    DeliveryRow,
    DeliveryUpdated,
    ItemsPage,
    LabelAddress,
    OrderItemRow,
    OrdersPage,
    PurchaseOrderRow,
)

if TYPE_CHECKING:
    from ...config import Settings
    from ...store import Store

PAGE_QUERY = "aliexpress.ascp.po.pageQuery"
ITEM_QUERY = "aliexpress.ascp.po.item.query"
CONFIRM = "aliexpress.ascp.po.confirmPurchaseOrder"
SELF_DELIVERY = "aliexpress.ascp.po.selfdelivery"
UPDATE_DELIVERY = "aliexpress.ascp.po.updateSelfdelivery"
QUERY_DELIVERY = "aliexpress.ascp.po.querysSelfdelivery"
PRINT_LABELS = "aliexpress.ascp.po.printSelfDeliveryMarkPdf"

BIZ_TYPE = 7668000        # semi-managed (full-managed is 5110000)
JIT_ORDER_TYPE = 50       # order_type 10 is a normal purchase order
SCENE = "JIT"             # self_delivery_scene_code
MAX_ORDERS_PER_DELIVERY = 99
PAGE_SIZE = 50            # no maximum is documented for pageQuery; 50 keeps a page well under the answer cap
ITEM_PAGE_SIZE = 50
PASS_ATTEMPTS = 3         # reads of one status's pages before a list that keeps moving is an error
LABEL_SIZES = ("A4", "100_100")

# status code → the key sheetsync uses (the workbook shows it in words)
STATUSES = {"10": "to_confirm", "15": "confirmed", "17": "to_ship", "20": "in_transit", "21": "arrived",
            "30": "partly_received", "40": "received", "-99": "cancelled"}
STATUS_CODES = {key: code for code, key in STATUSES.items()}
OPEN_STATUSES = ("to_confirm", "confirmed", "to_ship")
DELIVERY_TYPES = {"express": 1, "truck": 2, "other": 3}
DELIVERY_TYPE_NAMES = {str(code): name for name, code in DELIVERY_TYPES.items()}
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

T = TypeVar("T")
R = TypeVar("R")


# -- what the adapter hands out ------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderItem:
    """One line of a purchase order. `sku_code` is None when the platform sends none (its item
    answer shows no sku_code): the caller fills it from the catalog by `sku_id`."""

    sku_id: str
    sku_code: str | None
    title: str
    barcode: str
    quantity: int
    item_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A self-delivery as the platform holds it: how the goods travel and which orders it carries.
    `delivery_type` is express, truck or other (the platform's 1, 2, 3)."""

    delivery_no: str
    delivery_type: str
    carrier: str | None
    tracking_numbers: tuple[str, ...]
    license_plate: str | None
    phone: str | None
    order_nos: tuple[str, ...]


@dataclass(frozen=True)
class PurchaseOrder:
    """A JIT purchase order with its items, as read now.

    `status` is a key of STATUSES (`status_<code>` for a code sheetsync does not know), `status_code`
    the platform's code and `status_text` its own words. `deadline` (gmt_expiration) and `created`
    are aware datetimes. `delivery_no` is set once a self-delivery carries the order; `delivery` holds
    its carrier and tracking numbers (None when the order has no delivery)."""

    order_no: str
    status: str
    status_code: str
    status_text: str
    deadline: datetime | None
    created: datetime | None
    warehouse_code: str
    warehouse_name: str
    warehouse_address: str
    items: tuple[OrderItem, ...]
    delivery_no: str | None = None
    delivery: Delivery | None = None

    @property
    def awaiting_confirmation(self) -> bool:
        return self.status == "to_confirm"


@dataclass(frozen=True)
class ActionResult:
    """What became of one call: `action` confirm, deliver or update_delivery; `status` applied,
    rejected (the platform refused: `code` and `message` say why), unknown (the answer was lost:
    re-read before anything else, see `AliExpressOrders.settle`) or not_applied (a re-read showed an
    unknown call did not happen: safe to send again)."""

    action: str
    order_nos: tuple[str, ...]
    status: str
    delivery_no: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class DeliveryRequest:
    """What a self-delivery sends: 1–99 orders, and by express a carrier and tracking numbers, by
    truck a licence plate and a phone number. A request that breaks these is a ValueError, a bug in
    the caller: the workbook's rules refuse such a row before anything is sent."""

    delivery_type: str
    order_nos: tuple[str, ...]
    carrier: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    license_plate: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if self.delivery_type not in DELIVERY_TYPES:
            raise ValueError(f"delivery type {self.delivery_type!r} is not one of {sorted(DELIVERY_TYPES)}")
        if not 1 <= len(self.order_nos) <= MAX_ORDERS_PER_DELIVERY:
            raise ValueError(f"a self-delivery carries 1 to {MAX_ORDERS_PER_DELIVERY} orders, not "
                             f"{len(self.order_nos)}")
        if len(set(self.order_nos)) != len(self.order_nos):
            raise ValueError("an order appears twice in one self-delivery")
        if self.delivery_type == "express" and not (self.carrier and self.tracking_numbers):
            raise ValueError("an express delivery needs a carrier and at least one tracking number")
        if self.delivery_type == "truck" and not (self.license_plate and self.phone):
            raise ValueError("a truck delivery needs a licence plate and a phone number")

    def fields(self) -> dict[str, Any]:
        """The request's fields as the platform names them (empty ones left out, never sent)."""
        return _present({
            "self_delivery_scene_code": SCENE, "purchase_order_no_list": list(self.order_nos),
            "delivery_type": DELIVERY_TYPES[self.delivery_type],
            "logistics_service_provider": self.carrier,
            "appointment_express_no_list": list(self.tracking_numbers) or None,
            "appointment_license_plate": self.license_plate, "appointment_phone_number": self.phone})


# -- errors --------------------------------------------------------------------------------------------
def _shown(order_nos: Sequence[str]) -> str:
    """Order numbers for a sentence: the first five, then how many in all."""
    return ", ".join(order_nos[:5]) + (f" … ({len(order_nos)} orders)" if len(order_nos) > 5 else "")


class OrderRejected(PlatformError):
    """The platform refused a call for these orders (its code and message kept); nothing changed."""

    def __init__(self, method: str, order_nos: Sequence[str], code: str | None, text: str | None) -> None:
        super().__init__(code or "Rejected", text or "no reason given", rule="ae_order_rejected", method=method,
                         orders=_shown(order_nos))
        self.method, self.order_nos = method, tuple(order_nos)


class UnknownOutcome(AmbiguousWrite):
    """A write to these orders whose outcome is unknown: re-read them, never resend blindly."""

    def __init__(self, method: str, order_nos: Sequence[str], cause: PlatformError) -> None:
        super().__init__(cause.code or "Unknown", cause.detail, rule="ae_order_unknown", method=method,
                         orders=_shown(order_nos))
        self.method, self.order_nos = method, tuple(order_nos)


def _bad(method: str, detail: str) -> PlatformError:
    return PlatformError("BadAnswer", detail, rule="platform_bad_answer", method=method)


# -- the calls -----------------------------------------------------------------------------------------
def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None and value != ""}


def _param(channel: str | None, **fields: Any) -> dict[str, Any]:
    return _present({"biz_type": BIZ_TYPE, "channel_user_id": channel, **fields})


def page_query(client: Client, channel: str | None, *, page: int, page_size: int = PAGE_SIZE,
               status: str | None = None, order_no: str | None = None) -> OrdersPage:
    """One page of the seller's JIT orders (`order_type` 50), of one status (a key of STATUSES;
    None: every status) or one order. Unverified: that biz_type 7668000 with order_type 50 lists a
    semi-managed seller's JIT orders."""
    code = int(STATUS_CODES[status]) if status else None
    return client.read_model(PAGE_QUERY, {"param0": _param(
        channel, order_type=JIT_ORDER_TYPE, status=code, purchase_order_no=order_no, page_index=page,
        page_size=page_size)}, OrdersPage)


def item_query(client: Client, channel: str | None, order_no: str, *, page: int,
               page_size: int = ITEM_PAGE_SIZE) -> ItemsPage:
    """One page of an order's items; an item of another order is a wrong answer."""
    answer = client.read_model(ITEM_QUERY, {"purchase_order_item_query": _param(
        channel, purchase_order_no=order_no, page_index=page, page_size=page_size)}, ItemsPage)
    for item in answer.data_list:
        if item.purchase_order_no not in (None, order_no):
            raise _bad(ITEM_QUERY, f"asked for the items of order {order_no}, the answer lists an item of order "
                                   f"{item.purchase_order_no}")
    return answer


def _write(client: Client, method: str, params: dict[str, Any], model: type[T], order_nos: Sequence[str]) -> T:
    try:
        answer = client.write_model(method, params, model)  # type: ignore[type-var]
    except AmbiguousWrite as lost:
        raise UnknownOutcome(method, order_nos, lost) from None
    if isinstance(answer, BusinessResult):
        raise OrderRejected(method, order_nos, answer.code, answer.message)
    return answer


def confirm_order(client: Client, channel: str | None, order_no: str) -> Confirmed:
    """Confirm a whole order (`all_quantity_confirm` true: a JIT order is never confirmed in part)."""
    return _write(client, CONFIRM, {"param0": _param(channel, purchase_order_no=order_no,
                                                     all_quantity_confirm=True)}, Confirmed, [order_no])


def self_delivery(client: Client, channel: str | None, request: DeliveryRequest) -> str:
    """Create one self-delivery for the request's orders (at most 99); its number."""
    answer = _write(client, SELF_DELIVERY, {"param0": _param(channel, **request.fields())}, DeliveryCreated,
                    request.order_nos)
    return answer.data


def update_self_delivery(client: Client, channel: str | None, delivery_no: str, request: DeliveryRequest) -> None:
    """Change a self-delivery's carrier, tracking numbers, plate or phone. The platform answers a
    boolean: false is a refusal."""
    answer = _write(client, UPDATE_DELIVERY, {"param0": _param(channel, self_delivery_no=delivery_no,
                                                               **request.fields())},
                    DeliveryUpdated, request.order_nos)
    if answer.data is False:
        raise OrderRejected(UPDATE_DELIVERY, request.order_nos, answer.error_code or "NotUpdated",
                            answer.message or "the platform answered that the delivery was not updated")


def query_self_delivery(client: Client, channel: str | None, delivery_no: str) -> DeliveryRow:
    """A self-delivery as the platform holds it (orders, type, carrier, tracking numbers)."""
    answer = client.read_model(QUERY_DELIVERY, {"param0": _param(channel, self_delivery_no=delivery_no)},
                               DeliveryFound)
    if answer.data.self_delivery_no != delivery_no:
        raise _bad(QUERY_DELIVERY, f"asked for delivery {delivery_no}, the answer is for delivery "
                                   f"{answer.data.self_delivery_no}")
    return answer.data


def label_pdf(client: Client, channel: str | None, delivery_no: str, boxes: int, size: str = "A4") -> bytes:
    """The box labels of a self-delivery as PDF bytes: `boxes` 1–99 labels, page size A4 or
    100_100 (a 100 × 100 mm label printer). The method answers the address of the PDF (`data`),
    which is then fetched; bytes that are not a PDF are a wrong answer."""
    if isinstance(boxes, bool) or not isinstance(boxes, int) or not 1 <= boxes <= 99:
        raise ValueError(f"boxes is a whole number from 1 to 99, not {boxes!r}")
    if size not in LABEL_SIZES:
        raise ValueError(f"label size is one of {LABEL_SIZES}, not {size!r}")
    answer = client.read_model(PRINT_LABELS, {"param0": _param(channel, self_delivery_no=delivery_no,
                                                               total_box_cnt=boxes, print_size=size)},
                               LabelAddress)
    body = client.download(PRINT_LABELS, answer.data)
    if not body.startswith(b"%PDF-"):
        raise _bad(PRINT_LABELS, f"the label file is not a PDF (it starts with {body[:8]!r})")
    return body


# -- the adapter ---------------------------------------------------------------------------------------
def connect(store: Store, settings: Settings, client: Client | None = None) -> AliExpressOrders:
    """The orders of this store's AliExpress seller: the catalog target's client (credentials from
    the environment and the store, refreshed tokens kept in the store). Unverified: that the
    `channel_user_id` the po methods ask for is the seller id of the authorization."""
    from . import auth
    from .catalog import connect as connect_catalog

    target = connect_catalog(store, settings, client)
    return AliExpressOrders(target.client, store.meta(auth.SELLER_ID_KEY), keep_tokens=target.keep_tokens)


class AliExpressOrders:
    """Reads JIT orders with their items and deliveries; confirms, delivers, prints labels.

    Calls run on a small thread pool under the client's one rate limit (item queries, one per order,
    are most of a read). Results come back in the order asked; `on_result`, when given, is called
    in the calling thread as each write's result arrives, so a caller can journal it even if a
    later call stops the run (a token, signature or quota error raises after the results before it
    were handed over)."""

    name = "aliexpress"

    def __init__(self, client: Client, channel_user_id: str | None, *, page_size: int = PAGE_SIZE,
                 workers: int | None = None, keep_tokens: Callable[[], None] = lambda: None) -> None:
        from .catalog import workers_for

        self.client, self.channel, self.page_size = client, channel_user_id, page_size
        self.workers = workers or workers_for(client.limiter.per_second)
        self.keep_tokens = keep_tokens
        self._stop = threading.Event()

    # -- reading ---------------------------------------------------------------------------------
    def read(self, order_nos: Iterable[str] | None = None, statuses: Sequence[str] = OPEN_STATUSES, *,
             items: bool = True) -> list[PurchaseOrder]:
        """The orders now, with items and deliveries, most urgent first. Without `order_nos`: every
        JIT order of `statuses` (default the open ones). With `order_nos`: exactly those orders
        whatever their status (the re-read before acting, and after an unknown outcome); an order
        the platform no longer lists is left out. `items=False` leaves the items out: they take one
        call per order (most of a read's calls), and what an import does is decided per order."""
        wanted = list(dict.fromkeys(order_nos)) if order_nos is not None else None
        rows: dict[str, PurchaseOrderRow] = {}
        if wanted is None or len(wanted) > self.page_size:
            for status in statuses:  # in the orders' own progression: one that moves on is read again later
                for row in self._status_pass(status):
                    rows[row.purchase_order_no] = row
        if wanted is not None:
            missing = [no for no in wanted if no not in rows]
            for found in self._each(self._one_order, missing):
                if found is not None:
                    rows[found.purchase_order_no] = found
            rows = {no: rows[no] for no in wanted if no in rows}
        else:
            rows = {no: row for no, row in rows.items() if STATUSES.get(row.status) in statuses}
        listed = list(rows.values())
        lines = self._each(self._items, [row.purchase_order_no for row in listed]) if items else [[]] * len(listed)
        numbers = sorted({row.self_delivery_no for row in listed if row.self_delivery_no})
        deliveries = dict(zip(numbers, self._each(self._delivery, numbers), strict=True))
        orders = [_order(row, found, deliveries.get(row.self_delivery_no or ""))
                  for row, found in zip(listed, lines, strict=True)]
        return sorted(orders, key=lambda o: (o.deadline.timestamp() if o.deadline else math.inf, o.order_no))

    def _status_pass(self, status: str) -> list[PurchaseOrderRow]:
        """Every order of one status, page by page. Pages are offsets into a list that moves while
        it is read (an order confirmed between two pages shifts the next page by one and one order
        would be missed), so a pass whose total changed or that did not collect exactly that total
        is read again, PASS_ATTEMPTS times at most."""
        detail = ""
        for _ in range(PASS_ATTEMPTS):
            first = page_query(self.client, self.channel, page=1, page_size=self.page_size, status=status)
            total, seen = first.total_count, {row.purchase_order_no: row for row in first.data}
            pages = math.ceil(total / self.page_size)
            detail = ""
            for page in range(2, pages + 1):
                answer = page_query(self.client, self.channel, page=page, page_size=self.page_size, status=status)
                short = len(answer.data) < self.page_size and page < pages  # only the last page may be short
                if answer.total_count != total or short:
                    detail = f"{total} orders, then {answer.total_count} with {len(answer.data)} on page {page}"
                    break
                seen.update((row.purchase_order_no, row) for row in answer.data)
            if not detail and len(seen) == total:
                return list(seen.values())
            detail = detail or f"{total} orders announced, {len(seen)} different ones listed"
        raise PlatformError("OrdersChanging", detail, rule="ae_orders_changing", status=status)

    def _one_order(self, order_no: str) -> PurchaseOrderRow | None:
        """One order by its number, whatever its status; None when the platform lists none. An
        answer listing another order is wrong: taken for "gone", it could get a delivery resent."""
        answer = page_query(self.client, self.channel, page=1, page_size=1, order_no=order_no)
        for row in answer.data:
            if row.purchase_order_no != order_no:
                raise _bad(PAGE_QUERY, f"asked for order {order_no}, the answer lists order {row.purchase_order_no}")
        return answer.data[0] if answer.data else None

    def _items(self, order_no: str) -> list[OrderItemRow]:
        items: list[OrderItemRow] = []
        page = 1
        while True:
            answer = item_query(self.client, self.channel, order_no, page=page)
            items += answer.data_list
            if len(items) >= answer.total_count or len(answer.data_list) < ITEM_PAGE_SIZE:  # the last page
                break
            page += 1
        if len(items) != answer.total_count:
            raise _bad(ITEM_QUERY, f"order {order_no} has {answer.total_count} items, {len(items)} were listed")
        return items

    def _delivery(self, delivery_no: str) -> DeliveryRow:
        return query_self_delivery(self.client, self.channel, delivery_no)

    # -- writing ---------------------------------------------------------------------------------
    def confirm(self, order_nos: Iterable[str],
                on_result: Callable[[ActionResult], None] | None = None) -> list[ActionResult]:
        """Confirm each order whole, one call each."""
        def one(order_no: str) -> ActionResult:
            def send() -> None:
                confirm_order(self.client, self.channel, order_no)
            return self._attempt("confirm", (order_no,), send)
        return self._each(one, list(dict.fromkeys(order_nos)), on_result)

    def create_delivery(self, delivery_type: str, carrier: str | None, tracking_numbers: Sequence[str],
                        order_nos: Sequence[str], plate: str | None = None, phone: str | None = None,
                        on_result: Callable[[ActionResult], None] | None = None) -> list[ActionResult]:
        """One self-delivery per call for these orders: more than 99 orders (the platform's most)
        are sent as several deliveries of at most 99, each its own result with its own number."""
        unique = list(dict.fromkeys(order_nos))
        return self.deliver([DeliveryRequest(delivery_type, tuple(unique[at:at + MAX_ORDERS_PER_DELIVERY]), carrier,
                                             tuple(tracking_numbers), plate, phone)
                             for at in range(0, len(unique), MAX_ORDERS_PER_DELIVERY)], on_result)

    def deliver(self, requests: Sequence[DeliveryRequest],
                on_result: Callable[[ActionResult], None] | None = None) -> list[ActionResult]:
        """Several self-deliveries (the groups of an import), one call each, on the pool."""
        def one(request: DeliveryRequest) -> ActionResult:
            return self._attempt("deliver", request.order_nos,
                                 lambda: self_delivery(self.client, self.channel, request))
        return self._each(one, requests, on_result)

    def update_delivery(self, delivery_no: str, delivery_type: str, carrier: str | None,
                        tracking_numbers: Sequence[str], order_nos: Sequence[str], plate: str | None = None,
                        phone: str | None = None) -> ActionResult:
        """Change an existing delivery's carrier, tracking numbers, plate or phone. The values are
        absolute, so sending them twice cannot add anything; an unknown outcome is still left to
        the caller's re-read, like every write."""
        request = DeliveryRequest(delivery_type, tuple(order_nos), carrier, tuple(tracking_numbers), plate, phone)

        def send() -> str:
            update_self_delivery(self.client, self.channel, delivery_no, request)
            return delivery_no
        return self._attempt("update_delivery", request.order_nos, send)

    def _attempt(self, action: str, order_nos: tuple[str, ...], send: Callable[[], str | None]) -> ActionResult:
        try:
            delivery_no = send()
        except OrderRejected as refused:
            return ActionResult(action, order_nos, "rejected", code=refused.code, message=refused.text)
        except UnknownOutcome as lost:
            return ActionResult(action, order_nos, "unknown", code=lost.code, message=lost.message())
        return ActionResult(action, order_nos, "applied", delivery_no=delivery_no)

    def settle(self, results: Sequence[ActionResult]) -> list[ActionResult]:
        """Each unknown result decided by re-reading its orders: a confirmation is applied when the
        order no longer waits for one; a delivery is applied when every one of its orders carries the
        same delivery number, not_applied when none carries one. Anything else (an order the platform
        no longer lists, orders in different deliveries) stays unknown, and is never resent."""
        unknown = [r for r in results if r.status == "unknown"]
        if not unknown:
            return list(results)
        now = {o.order_no: o for o in self.read([no for r in unknown for no in r.order_nos], items=False)}
        settled = []
        for result in results:
            if result.status != "unknown":
                settled.append(result)
                continue
            orders = [now[no] for no in result.order_nos if no in now]
            if len(orders) != len(result.order_nos) or result.action not in ("confirm", "deliver"):
                settled.append(result)
            elif result.action == "confirm":
                settled.append(_replace(result, "not_applied" if orders[0].awaiting_confirmation else "applied"))
            else:
                numbers = {order.delivery_no for order in orders}
                if numbers == {None}:
                    settled.append(_replace(result, "not_applied"))
                elif len(numbers) == 1:
                    settled.append(_replace(result, "applied", numbers.pop()))
                else:
                    settled.append(result)
        return settled

    # -- labels ----------------------------------------------------------------------------------
    def label_pdf(self, delivery_no: str, boxes: int, size: str = "A4") -> bytes:
        """The delivery's box labels, as PDF bytes."""
        return label_pdf(self.client, self.channel, delivery_no, boxes, size)

    def save_label(self, delivery_no: str, boxes: int, folder: Path, size: str = "A4") -> Path:
        """The labels saved whole (or not at all) as FOLDER/<delivery_no>.pdf. A delivery number
        that could not be a plain file name (a path, say) is a wrong answer, never a path."""
        if not _SAFE_NAME.fullmatch(delivery_no):
            raise _bad(PRINT_LABELS, f"the delivery number {delivery_no[:64]!r} cannot name a file")
        path = Path(folder) / f"{delivery_no}.pdf"
        write_bytes(path, self.label_pdf(delivery_no, boxes, size))
        return path

    # -- the pool --------------------------------------------------------------------------------
    def _each(self, work: Callable[[T], R], items: Sequence[T],
              on_result: Callable[[R], None] | None = None) -> list[R]:
        """`work` on every item, at most `workers` at once, results in the items' order. The first
        error stops the calls not started yet and is raised once the running ones ended, after
        `on_result` saw every result that did come back (a write that succeeded is never lost)."""
        if not items:
            return []
        self._stop.clear()

        def guarded(item: T) -> R:
            if self._stop.is_set():
                raise _Stopped
            try:
                return work(item)
            except BaseException:
                self._stop.set()
                raise

        results: list[R] = []
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            futures: list[Future[R]] = [pool.submit(guarded, item) for item in items]
            try:
                for future in futures:
                    try:
                        result = future.result()
                    except _Stopped:
                        continue
                    except Exception as exc:
                        failure = failure or exc
                        continue
                    self.keep_tokens()
                    results.append(result)
                    if on_result is not None:
                        on_result(result)
            except BaseException:  # the caller's on_result failed, or Ctrl-C: send nothing more
                self._stop.set()
                raise
        if failure is not None:
            raise failure
        return results


class _Stopped(Exception):
    """A call not made because another one stopped the run."""


def _replace(result: ActionResult, status: str, delivery_no: str | None = None) -> ActionResult:
    return ActionResult(result.action, result.order_nos, status, delivery_no or result.delivery_no,
                        result.code, result.message)


def _order(row: PurchaseOrderRow, items: list[OrderItemRow], delivery: DeliveryRow | None) -> PurchaseOrder:
    return PurchaseOrder(
        order_no=row.purchase_order_no, status=STATUSES.get(row.status, f"status_{row.status}"),
        status_code=row.status, status_text=row.status_desc or "", deadline=row.gmt_expiration,
        created=row.gmt_create, warehouse_code=row.store_code or "", warehouse_name=row.store_name or "",
        warehouse_address=row.store_address_detail or "",
        items=tuple(OrderItem(item.sku_id, item.sku_code or item.sc_item_code or None, item.title or "",
                              item.barcode or "", item.quantity, item.item_id) for item in items),
        delivery_no=row.self_delivery_no,
        delivery=None if delivery is None else Delivery(
            delivery.self_delivery_no, DELIVERY_TYPE_NAMES.get(delivery.delivery_type or "", "other"),
            delivery.logistics_service_provider, tuple(delivery.appointment_express_no_list),
            delivery.appointment_license_plate, delivery.appointment_phone_number, tuple(delivery.related_pos)))
