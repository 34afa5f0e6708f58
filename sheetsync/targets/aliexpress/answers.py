"""What the AliExpress gateway answers, parsed at the boundary: one model per method.

Every answer the client uses passes through a model here before anything else reads it, so a
field of the wrong kind, a missing identifier or an empty object is refused in one place, with a
sentence naming the field, instead of surfacing later as a KeyError or as "0 products". Models
follow shared/design/ALIEXPRESS.md (checked against the official SDK's response classes).

Normalised on the way in, so the rest of sheetsync never guesses: identifiers and codes are
`str` (the gateway sends some as numbers), lists are always present (`null` or absent is `[]`),
prices, weights and sizes are plain decimal strings ("18.90", never a float or "1e3"), quantities
and counts are `int`, flags are `bool`. Fields sheetsync does not know are kept as they came
(`extra="allow"`): a product read is sent back whole on edit, and nothing it did not understand
may be dropped on the way.
"""

import json
import math
import re
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

_CODE = re.compile(r"[\x21-\x7e]{1,64}")           # printable ASCII, no spaces: ids, warehouse and error codes
_COUNTRY = re.compile(r"[A-Z]{2,3}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")
_WHOLE = re.compile(r"[0-9]{1,15}")
MAX_QUANTITY = 1_000_000_000
MAX_EPOCH_MS = 10**14


class AnswerError(ValueError):
    """An answer that is not what the method promises; `detail` says what, in words."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# -- scalar kinds ----------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    """What a JSON value is, in words (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _code(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"should be a code or a number, not {_kind(value)}")
    if isinstance(value, int) and not 0 <= value < 10**40:
        raise ValueError("is not a valid identifier")
    text = str(value).strip()
    if not _CODE.fullmatch(text):
        raise ValueError("should be letters, digits and signs without spaces (1 to 64)")
    return text


def _upper(pattern: re.Pattern[str], words: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"should be {words}, not {_kind(value)}")
        text = value.strip().upper()
        if not pattern.fullmatch(text):
            raise ValueError(f"should be {words}")
        return text
    return check


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"should be text, not {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("should be text")
    return value if isinstance(value, str) else str(value)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"should be true or false, not {_kind(value)}")


def _whole(limit: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("should be a whole number, not true/false")
        if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 10**15:
            value = int(value)
        elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int):
            raise ValueError(f"should be a whole number, not {_kind(value)}")
        if not 0 <= value <= limit:
            raise ValueError(f"should be a whole number from 0 to {limit}")
        return value
    return check


def _decimal(value: Any) -> str:
    """A non-negative decimal as plain text: "18.90" stays "18.90", 18.9 becomes "18.9"."""
    if isinstance(value, bool):
        raise ValueError("should be a decimal number, not true/false")
    if isinstance(value, int):
        if not 0 <= value < 10**12:
            raise ValueError("should be a decimal number below 10^12 and not negative")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("should be a finite decimal number")
        value = format(Decimal(repr(value)), "f")
    if not isinstance(value, str):
        raise ValueError(f"should be a decimal number, not {_kind(value)}")
    text = value.strip()
    if text.startswith("-") and _PLAIN_DECIMAL.fullmatch(text[1:]):
        raise ValueError("should not be negative")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError("should be a decimal number such as 12.50")
    return text


def _optional_decimal(value: Any) -> str | None:
    return None if value is None or value == "" else _decimal(value)


def _optional_code(value: Any) -> str | None:
    return None if value is None or value == "" else _code(value)


def _null_is_empty(value: Any) -> Any:
    return [] if value is None else value


Code = Annotated[str, BeforeValidator(_code)]
CountryCode = Annotated[str, BeforeValidator(_upper(_COUNTRY, "a country code of 2 or 3 letters"))]
Currency = Annotated[str, BeforeValidator(_upper(_CURRENCY, "a currency code of 3 letters"))]
Text = Annotated[str, BeforeValidator(_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Count = Annotated[int, BeforeValidator(_whole(MAX_QUANTITY))]
EpochMs = Annotated[int, BeforeValidator(_whole(MAX_EPOCH_MS))]
DecimalText = Annotated[str, BeforeValidator(_decimal)]
OptionalDecimal = Annotated[str | None, BeforeValidator(_optional_decimal)]
OptionalCode = Annotated[str | None, BeforeValidator(_optional_code)]

def ListOf(item: Any) -> Any:
    """A list of `item` that is `[]` when absent or null."""
    return Annotated[list[item], BeforeValidator(_null_is_empty), Field(default_factory=list)]


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value} appears twice")
        seen.add(value)


class Answer(BaseModel):
    """Unknown fields are kept as they came (a product read is sent back whole on edit)."""

    model_config = ConfigDict(extra="allow")


# -- the gateway's envelopes -------------------------------------------------------------------------
class GatewayError(Answer):
    """`error_response`: the gateway refused the call (signature, token, quota, parameters)."""

    code: Code
    type: Text | None = None
    msg: Text | None = None
    sub_code: Text | None = None
    sub_msg: Text | None = None
    request_id: Text | None = None

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.msg, self.sub_code, self.sub_msg) if part)


class Outcome(Answer):
    """The `success` / `error_code` / `error_message` every result may carry, read before the rest."""

    success: Flag | None = None
    error_code: OptionalCode = None
    error_message: Text | None = None
    error_msg: Text | None = None

    @property
    def message(self) -> str:
        return self.error_message or self.error_msg or ""

    @property
    def refused(self) -> bool:
        """success=false, or an error code with no success at all."""
        return self.success is False or (self.success is None and self.error_code is not None)


# -- aliexpress.pop.choice.info.query ---------------------------------------------------------------
class Country(Answer):
    country_code: CountryCode
    en_name: Text | None = None
    cn_name: Text | None = None


class Warehouse(Answer):
    warehouse_code: Code
    warehouse_name: Text | None = None


class InfoResult(Outcome):
    pop_choice_country_list: list[Country] = Field(min_length=1)
    pop_choice_warehouse_list: ListOf(Warehouse)

    @model_validator(mode="after")
    def _no_repeats(self) -> "InfoResult":
        _unique([c.country_code for c in self.pop_choice_country_list], "country")
        _unique([w.warehouse_code for w in self.pop_choice_warehouse_list], "warehouse")
        return self


# -- aliexpress.pop.choice.products.list ------------------------------------------------------------
class ListedProduct(Answer):
    product_id: Code
    title: Text | None = None
    product_status: Text | None = None
    currency_code: Text | None = None
    modified_time: Text | None = None
    total_stocks: Count | None = None
    min_sku_price: OptionalDecimal = None
    max_sku_price: OptionalDecimal = None


class ProductsPage(Outcome):
    total_page: Count
    total_item: Count | None = None
    current_page: Count | None = None
    pop_choice_product_list: ListOf(ListedProduct)

    @model_validator(mode="after")
    def _consistent(self) -> "ProductsPage":
        _unique([p.product_id for p in self.pop_choice_product_list], "product")
        if self.pop_choice_product_list and (self.total_page == 0 or self.total_item == 0):
            raise ValueError("lists products but says there are none")
        return self


# -- aliexpress.pop.choice.product.query ------------------------------------------------------------
class NationalPrice(Answer):
    nation_code: CountryCode
    price: DecimalText


class WarehouseStock(Answer):
    warehouse_code: Code
    sellable_quantity: Count


class SkuProperty(Answer):
    sku_property_name: Text | None = None
    sku_property_value: Text | None = None
    property_value_definition_name: Text | None = None


class ScItemInfo(Answer):
    sc_item_code: Text | None = None
    sc_item_bar_code: Text | None = None
    original_box: Text | None = None
    sc_item_id: Code | None = None
    special_product_type_list: ListOf(Code)


class Sku(Answer):
    sku_id: Code
    sku_code: Text | None = None
    base_price: DecimalText
    package_weight: OptionalDecimal = None
    package_length: OptionalDecimal = None
    package_width: OptionalDecimal = None
    package_height: OptionalDecimal = None
    freight_fee_list: ListOf(NationalPrice)
    choice_sku_price_list: ListOf(NationalPrice)
    pop_choice_sku_warehouse_stock_list: ListOf(WarehouseStock)
    sku_property_list: ListOf(SkuProperty)
    pop_choice_product_sku_sc_item_info: ScItemInfo | None = None

    @model_validator(mode="after")
    def _no_repeats(self) -> "Sku":
        _unique([w.warehouse_code for w in self.pop_choice_sku_warehouse_stock_list], "warehouse")
        return self


class Product(Answer):
    product_id: Code
    category_id: Code | None = None
    currency_code: Currency
    joined_country_list: ListOf(CountryCode)
    product_sku_list: list[Sku] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> "Product":
        _unique([s.sku_id for s in self.product_sku_list], "SKU")
        return self


class ProductResult(Outcome):
    pop_choice_product: Product


# -- aliexpress.pop.choice.product.edit, aliexpress.pop.choice.product.stocks.update -----------------
class WriteResult(Outcome):
    success: Flag
    product_id: Code | None = None


# -- /auth/token/refresh and /auth/token/create (top level, not wrapped) ------------------------------
class TokenAnswer(Answer):
    code: OptionalCode = None
    message: Text | None = None
    access_token: Annotated[str, BeforeValidator(_code)]
    refresh_token: OptionalCode = None
    expires_in: EpochMs | None = None
    refresh_expires_in: EpochMs | None = None
    expire_time: EpochMs | None = None
    refresh_token_valid_time: EpochMs | None = None


class AuthAnswer(TokenAnswer):
    """/auth/token/create: the tokens, and who granted them (the seller's account)."""

    user_id: OptionalCode = None
    seller_id: OptionalCode = None
    user_nick: Text | None = None
    account: Text | None = None
    account_platform: Text | None = None
    locale: Text | None = None


# -- reading an answer ---------------------------------------------------------------------------------
def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number too large to be a number")
    return number


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


HIDDEN = "***"


def decode(body: bytes, secrets: Collection[str] = ()) -> Any:
    """The body as JSON (UTF-8, finite numbers only), or AnswerError; every one of `secrets` in
    it, as sent or JSON-escaped, replaced by ***. This is where platform text enters sheetsync, so
    a gateway that quotes the request (token, secret) in an error message cannot put a secret in
    a message, a push result, a report or --json."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswerError("the answer is not UTF-8 text") from None
    if not text.strip():
        raise AnswerError("the answer is empty")
    hidden = [secret for secret in secrets if secret]
    text = _hide(text, hidden)
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
        return _hide_in(value, hidden) if hidden else value
    except (ValueError, RecursionError):
        raise AnswerError(f"the answer is not JSON (it starts with {_excerpt(text)})") from None


def _hide(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


def _hide_in(value: Any, secrets: list[str]) -> Any:
    """`value` with every secret hidden in its strings and keys (those JSON escapes spelled out)."""
    if isinstance(value, str):
        return _hide(value, secrets)
    if isinstance(value, list):
        return [_hide_in(item, secrets) for item in value]
    if isinstance(value, dict):
        return {_hide(key, secrets): _hide_in(item, secrets) for key, item in value.items()}
    return value


def wrapper_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


def gateway_error(payload: Any) -> GatewayError | None:
    """The `error_response` of an answer, if it is one."""
    if isinstance(payload, dict) and "error_response" in payload:
        return parse(GatewayError, payload["error_response"], "error_response")
    return None


def unwrap(method: str, payload: Any) -> dict[str, Any]:
    """The `result` object inside `<method>_response`."""
    key = wrapper_key(method)
    if not isinstance(payload, dict):
        raise AnswerError(f"the answer is {_kind(payload)}, not an object")
    if key not in payload:
        found = ", ".join(sorted(str(k)[:40] for k in payload)[:3]) or "nothing"
        raise AnswerError(f"{key} is missing (the answer holds {found})")
    inside = payload[key]
    if not isinstance(inside, dict):
        raise AnswerError(f"{key} is {_kind(inside)}, not an object")
    if "result" not in inside:
        raise AnswerError(f"{key}.result is missing")
    if not isinstance(inside["result"], dict):
        raise AnswerError(f"{key}.result is {_kind(inside['result'])}, not an object")
    return inside["result"]


Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any, where: str, *, echo: bool = True) -> Model:
    """`data` validated by `model`, or AnswerError naming each wrong field (`where` prefixes the
    path). `echo=False` keeps the offending values out of the message (token answers)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise AnswerError(describe(error, where, echo=echo)) from None
    except RecursionError:
        raise AnswerError(f"{where} is nested too deeply") from None


_WORDS = {
    "missing": "is missing",
    "model_type": "should be an object",
    "model_attributes_type": "should be an object",
    "dict_type": "should be an object",
    "list_type": "should be a list",
    "too_short": "should not be empty",
}


def describe(error: ValidationError, where: str, *, echo: bool = True, limit: int = 3) -> str:
    """The first few problems of a validation error, each as `path what` in words."""
    problems = error.errors(include_url=False)
    parts = []
    for problem in problems[:limit]:
        path = where
        for step in problem["loc"]:
            path += f"[{step}]" if isinstance(step, int) else f".{step}"
        words = _WORDS.get(problem["type"]) or str(problem["msg"]).removeprefix("Value error, ")
        value = problem.get("input")
        shown = f" (got {_excerpt(value)})" if echo and problem["type"] != "missing" and \
            isinstance(value, str | int | float | bool | type(None)) else ""
        parts.append(f"{path} {words}{shown}")
    more = len(problems) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _excerpt(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = "".join(c if c.isprintable() else "?" for c in text[:width])
    return json.dumps(text) if isinstance(value, str) else text
