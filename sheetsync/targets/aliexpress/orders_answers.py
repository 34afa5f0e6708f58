"""What the gateway answers to the JIT purchase order methods (`aliexpress.ascp.po.*`), parsed at
the boundary like the catalog's answers (`answers`): one model per method, normalised on the way
in (identifiers and codes `str`, quantities `int`, amounts plain decimal text, lists always
present, times aware datetimes), a wrong shape refused with a sentence naming the field.

Fields and nesting follow shared/design/ALIEXPRESS.md, section "Semi-managed JIT purchase orders".
Unverified there, and so decided here:
- Times (`gmt_create`, `gmt_expiration`, `pre_arrive_time`) carry no stated zone. They are read as
  China time (UTC+8) when written "yyyy-MM-dd HH:mm:ss"; a time that states its zone (ISO 8601
  with an offset or Z) keeps it, and a number is epoch milliseconds.
- The item answer shows no `sku_code`; one is kept when the platform sends it (`sku_code`, or
  `sc_item_code`), otherwise the caller fills it from the catalog by `sku_id`.
- `related_pos` of a self-delivery is read as order numbers, whether the platform lists them as
  numbers, text or objects holding `purchase_order_no`.
"""

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from .answers import Answer, Code, Count, Flag, ListOf, OptionalCode, OptionalDecimal, Outcome, Text, _code, _kind

CHINA = timezone(timedelta(hours=8), "UTC+8")
_PLAIN_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
MAX_EPOCH_MS = 10**14
_STATUS = re.compile(r"-?[0-9]{1,4}")


def _time(value: Any) -> datetime | None:
    """A platform time as an aware datetime (see the module's doc for the zone); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("should be a date and time, not true/false")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        if not 0 < value < MAX_EPOCH_MS:
            raise ValueError("should be a date and time")
        return datetime.fromtimestamp(value / 1000, tz=CHINA)
    if not isinstance(value, str):
        raise ValueError(f"should be a date and time, not {_kind(value)}")
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError("should be a date and time such as 2026-12-08 18:00:00") from None
    if when.tzinfo is None:
        if not _PLAIN_TIME.fullmatch(text):
            raise ValueError("should be a date and time such as 2026-12-08 18:00:00")
        when = when.replace(tzinfo=CHINA)
    return when


def _status(value: Any) -> str:
    """A status code as text: "10", "-99" (the platform sends numbers)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"should be a status code, not {_kind(value)}")
    text = str(value).strip()
    if not _STATUS.fullmatch(text):
        raise ValueError("should be a status code such as 10 or -99")
    return text


def _order_no(value: Any) -> str:
    """An order number from a bare value or an object holding `purchase_order_no`."""
    if isinstance(value, dict):
        if "purchase_order_no" not in value:
            raise ValueError("should hold purchase_order_no")
        value = value["purchase_order_no"]
    return _code(value)


StatusCode = Annotated[str, BeforeValidator(_status)]
PlatformTime = Annotated[datetime | None, BeforeValidator(_time)]
OrderNo = Annotated[str, BeforeValidator(_order_no)]


def _no_repeats(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value} appears twice")
        seen.add(value)


# -- aliexpress.ascp.po.pageQuery -------------------------------------------------------------------------
class PurchaseOrderRow(Answer):
    """One order of a page, as the list shows it (its items come from item.query)."""

    purchase_order_no: Code
    status: StatusCode
    status_desc: Text | None = None
    order_type: OptionalCode = None
    gmt_create: PlatformTime = None
    gmt_expiration: PlatformTime = None
    pre_arrive_time: PlatformTime = None
    store_code: Text | None = None
    store_name: Text | None = None
    store_address_detail: Text | None = None
    store_contact_name: Text | None = None
    store_contact_phone: Text | None = None
    total_quantity: Count | None = None
    total_sku_count: Count | None = None
    total_amount: OptionalDecimal = None
    trade_order_id: OptionalCode = None
    receiver_country: Text | None = None
    package_weight: OptionalDecimal = None   # grams
    self_delivery_no: OptionalCode = None
    pick_up_order_no: OptionalCode = None


class OrdersPage(Outcome):
    total_count: Count
    page_index: Count | None = None
    page_size: Count | None = None
    data: ListOf(PurchaseOrderRow)

    @model_validator(mode="after")
    def _consistent(self) -> "OrdersPage":
        _no_repeats([o.purchase_order_no for o in self.data], "order")
        if len(self.data) > self.total_count:
            raise ValueError(f"lists {len(self.data)} orders but says there are {self.total_count}")
        return self


# -- aliexpress.ascp.po.item.query ------------------------------------------------------------------------
class OrderItemRow(Answer):
    purchase_order_no: OptionalCode = None
    item_id: OptionalCode = None
    sku_id: Code
    sc_item_id: OptionalCode = None
    sku_code: Text | None = None
    sc_item_code: Text | None = None
    title: Text | None = None
    barcode: Text | None = None
    sku_img: Text | None = None
    quantity: Count
    received_normal_qty: Count | None = None
    received_defective_qty: Count | None = None
    purchase_price_dec: OptionalDecimal = None
    purchase_amount_dec: OptionalDecimal = None


class ItemsPage(Outcome):
    total_count: Count
    data_list: ListOf(OrderItemRow)

    @model_validator(mode="after")
    def _consistent(self) -> "ItemsPage":
        if len(self.data_list) > self.total_count:
            raise ValueError(f"lists {len(self.data_list)} items but says there are {self.total_count}")
        return self


# -- aliexpress.ascp.po.confirmPurchaseOrder --------------------------------------------------------------
class Confirmed(Outcome):
    success: Flag
    request_no: OptionalCode = None


# -- aliexpress.ascp.po.selfdelivery, updateSelfdelivery, querysSelfdelivery -------------------------------
class DeliveryCreated(Outcome):
    success: Flag
    data: Code = Field(description="the self-delivery number")


class DeliveryUpdated(Outcome):
    success: Flag
    data: Flag | None = None


class DeliveryRow(Answer):
    self_delivery_no: Code
    related_pos: ListOf(OrderNo)
    delivery_type: OptionalCode = None
    logistics_service_provider: Text | None = None
    appointment_express_no_list: ListOf(Text)
    appointment_license_plate: Text | None = None
    appointment_phone_number: Text | None = None

    @model_validator(mode="after")
    def _no_repeat(self) -> "DeliveryRow":
        _no_repeats(self.related_pos, "order")
        return self


class DeliveryFound(Outcome):
    data: DeliveryRow


# -- aliexpress.ascp.po.printSelfDeliveryMarkPdf ----------------------------------------------------------
class LabelAddress(Outcome):
    data: Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)] = Field(min_length=1)
