"""The rules an Orders sheet follows, as pure functions of cells and values.

Every cell goes through the same boundary as the catalog's (`convert`: a cell that is not a
value, an error, an uncomputed formula, a merged cell, is never read as empty), then through the
field's own parser here. Rows are grouped into orders: the order-level fields a seller fills in
are repeated on every item row, an edit on one row applies to the whole order, and rows of one
order whose edits disagree are an error. Then each edited order is checked as a whole: a delivery
by express needs a carrier and tracking numbers, by truck a licence plate and a phone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..amounts import FULL_WIDTH
from ..cells import Mark, RawSheet, cell_ref, shown
from ..convert import FORMAT_CHARACTERS, Converted, convert_cell
from ..messages import choice_from_word
from ..results import ERROR, WARNING, Issue
from .fields import (
    BOXES_MAX,
    DELIVERY_FIELDS,
    ORDER_BY_KEY,
    ORDER_FIELDS,
    ORDER_KEY,
    ORDER_LEVEL,
    SHEET_ORDERS,
)
from .model import Delivery

TRACKING = re.compile(r"[A-Za-z0-9-]{6,40}")
_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARACTERS}]")  # not shown, not separators
_SEPARATORS = re.compile(r"[\s,，;；、]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,31}")  # its length: MAX_LENGTH
_YES = frozenset({"y", "确认", "true"})  # beyond the yes/no words of either language (messages.VALUE_WORDS)
_NO = frozenset({"n", "不", "false"})

RowKey = tuple[str, str]  # (purchase_order_no, sku_id)


def _problem(rule: str, **params: Any) -> Converted:
    return Converted(None, (rule, params))


def _text(value: Any, mark: Mark | None) -> Converted:
    """Free text that may be empty ("" then): the catalog's text rules otherwise."""
    if mark is None and (value is None or (isinstance(value, str) and not value.strip())):
        return Converted("")
    return convert_cell("text", value, mark)


def parse_confirm(value: Any, mark: Mark | None = None) -> Converted:
    """yes (or TRUE, 是) confirms: True; no (or FALSE, 否) says "do not confirm": False; empty is
    None. No and empty leave the order as it is, but no is a value the seller typed, so rows of one
    order saying yes and no disagree instead of the yes winning silently."""
    if value is True or value is False:
        return Converted(value)
    text = _text(value, mark)
    if text.problem:
        return text
    word = str(text.value).strip().lower()
    if word == "":
        return Converted(None)
    chosen = choice_from_word("yes_no", word)
    if chosen == "yes" or word in _YES:
        return Converted(True)
    if chosen == "no" or word in _NO:
        return Converted(False)
    return _problem("confirm_format", value=shown(value))


def parse_delivery_type(value: Any, mark: Mark | None = None) -> Converted:
    text = _text(value, mark)
    if text.problem:
        return text
    word = str(text.value).strip().lower()
    if word == "":
        return Converted("")
    chosen = choice_from_word("delivery_type", word)
    if chosen is not None:
        return Converted(chosen)
    return _problem("delivery_type_format", value=shown(value))


def split_tracking(text: str) -> list[str]:
    """Tracking numbers as typed: separated by commas, spaces, semicolons or line breaks."""
    return [part for part in _SEPARATORS.split(text) if part]


def parse_tracking(value: Any, mark: Mark | None = None) -> Converted:
    """Zero or more tracking numbers, each 6–40 letters, digits or hyphens; the set, in capitals
    and sorted: the same numbers typed in another order or case are the same delivery. Full-width
    letters and digits (a Chinese input method's) read as ASCII, as the catalog's amounts do; an
    invisible character inside a number is named, since the number looks right on screen."""
    if mark is None and isinstance(value, int | float) and not isinstance(value, bool):
        value = shown(value)  # a number typed in a General cell: its digits
    if mark is None and isinstance(value, str):
        numbers = split_tracking(value.translate(FULL_WIDTH))  # line breaks separate numbers: not control characters
    else:
        text = _text(value, mark)
        if text.problem:
            return text
        numbers = split_tracking(str(text.value).translate(FULL_WIDTH))
    bad = next((n for n in numbers if not TRACKING.fullmatch(n)), None)
    if bad is not None:
        hidden = _INVISIBLE.search(bad)
        if hidden is not None:
            return _problem("tracking_invisible", value=_INVISIBLE.sub("", bad), code=f"U+{ord(hidden.group()):04X}")
        return _problem("tracking_format", value=bad)
    return Converted(tuple(sorted({number.upper() for number in numbers})))  # carriers' numbers know no case


def parse_phone(value: Any, mark: Mark | None = None) -> Converted:
    if mark is None and isinstance(value, int | float) and not isinstance(value, bool):
        value = shown(value)
    text = _text(value, mark)
    if text.problem or text.value == "":
        return text
    phone = str(text.value).translate(FULL_WIDTH).strip()  # full-width digits read as the catalog reads them
    if not _PHONE.fullmatch(phone):
        return _problem("phone_format", value=shown(value))
    return Converted(phone)


def parse_boxes(value: Any, mark: Mark | None = None) -> Converted:
    """Empty, or a whole number of boxes from 1 to 99."""
    if mark is None and (value is None or (isinstance(value, str) and not value.strip())):
        return Converted(None)
    converted = convert_cell("dim", value, mark)
    if converted.problem:
        if converted.problem[0] in ("cell_error", "formula_without_value", "merged_cell", "cell_damaged"):
            return converted
        return _problem("boxes_range", value=shown(value))
    if not 1 <= converted.value <= BOXES_MAX:
        return _problem("boxes_range", value=shown(value))
    return converted


def parse_carrier(value: Any, mark: Mark | None = None) -> Converted:
    """One carrier's name: an invisible character is named (two names that look the same would
    otherwise be two carriers), and a list of names is refused, since a delivery has one carrier
    (found by a hostile review: "SF, YTO" was sent as one carrier)."""
    text = _text(value, mark)
    if text.problem or text.value == "":
        return text
    name = str(text.value)
    hidden = _INVISIBLE.search(name)
    if hidden is not None:
        return _problem("carrier_invisible", value=_INVISIBLE.sub("", name), code=f"U+{ord(hidden.group()):04X}")
    if _CARRIER_LIST.search(name):
        return _problem("carrier_one", value=name)
    return text


_CARRIER_LIST = re.compile(r"[,;，；、/\n]")  # what separates two names, in either language


# The longest carrier, licence plate and phone a delivery takes: far beyond any real one, short
# enough that a paste of a whole cell's text is refused here rather than sent to the platform.
MAX_LENGTH = {"carrier": 64, "license_plate": 20, "phone": 32}


def _bounded(key: str, parser: Callable[[Any, Mark | None], Converted]) -> Callable[[Any, Mark | None], Converted]:
    """The field's length limit (MAX_LENGTH) on the text, then `parser`: a phone too long is said
    to be too long, not to be in the wrong format."""
    def parse_bounded(value: Any, mark: Mark | None = None) -> Converted:
        text = _text(value, mark)
        if text.problem is None and len(str(text.value)) > MAX_LENGTH[key]:
            return _problem("order_text_too_long", value=str(text.value)[:40] + "…", length=len(str(text.value)),
                            limit=MAX_LENGTH[key])
        return parser(value, mark)
    return parse_bounded


PARSERS = {"confirm": parse_confirm, "delivery_type": parse_delivery_type,
           "carrier": _bounded("carrier", parse_carrier), "tracking_numbers": parse_tracking,
           "license_plate": _bounded("license_plate", _text), "phone": _bounded("phone", parse_phone),
           "boxes": parse_boxes}


def parse(key: str, value: Any, mark: Mark | None = None) -> Converted:
    """An order-level cell → its value, or the rule it breaks. Never raises."""
    return PARSERS[key](value, mark)


def written(key: str, value: Any) -> Any:
    """An exported value (as the snapshot holds it) read as the sheet's would be."""
    return parse(key, value).value


@dataclass
class SheetOrder:
    """What the sheet asks of one order: its rows, and each order-level field's value (the edit,
    when a row edited it, else as exported), with the cell it comes from."""

    number: str
    rows: list[int] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # field → (row, column)
    edited: set[str] = field(default_factory=set)
    invalid: bool = False

    def delivery(self) -> Delivery | None:
        """The delivery the sheet gives (None: no delivery fields filled in)."""
        v = self.values
        if not any(v.get(k) for k in DELIVERY_FIELDS):
            return None
        return Delivery.of(v.get("delivery_type") or "", v.get("carrier") or "", v.get("tracking_numbers") or (),
                           v.get("license_plate") or "", v.get("phone") or "")

    def issue(self, rule: str, key: str, severity: str = ERROR, value: Any = None, **params: Any) -> Issue:
        row, column = self.cells.get(key, (self.rows[0] if self.rows else None, None))
        return Issue(rule, severity, sheet=SHEET_ORDERS, cell=cell_ref(column, row) if column is not None else None,
                     row=row, column=column, field=key, value=value, params={"order": self.number, **params})


@dataclass
class ReadOrders:
    orders: dict[str, SheetOrder]  # in the order of the sheet
    issues: list[Issue]
    rows: int


def _label(key: str) -> dict[str, str]:
    f = ORDER_BY_KEY[key]
    return {"label": f.label_en, "label_zh": f.label_zh}


def _cell_issue(rule: str, severity: str, row: int, column: int, key: str, value: Any, params: Mapping[str, Any],
                order: str | None = None) -> Issue:
    extra = {**_label(key), **params}
    if order is not None:
        extra["order"] = order
    return Issue(rule, severity, sheet=SHEET_ORDERS, cell=cell_ref(column, row), row=row, column=column, field=key,
                 value=extra.pop("value", value), params=extra)


def _same_written(value: Any, mark: Mark | None, base: Any) -> bool:
    """A read-only cell left as exported (numbers and dates as the spreadsheet holds them). A
    date-time is compared as the moment it is, to the minute: the reader gives a date for a
    date-time at exactly midnight, which is the same moment as the exported one."""
    if mark is not None:
        return False
    if isinstance(value, dt.date) and isinstance(base, str):
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        rounded = (value + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)
        return rounded.isoformat(timespec="minutes") == base[:16]
    return shown(value) == shown(base)


def read_orders(raw: RawSheet, base: Mapping[RowKey, Mapping[str, Any]]) -> ReadOrders:
    """The sheet's rows → orders and what each asks, with every problem as an Issue naming its
    cell. `base`: the exported rows by (order, SKU), their values as written."""
    issues: list[Issue] = list(raw.header_issues)
    columns = raw.columns
    for key in (ORDER_KEY, "sku_id"):
        if key not in columns:
            issues.append(Issue("missing_id_column", sheet=SHEET_ORDERS, value=key))
    if any(i.severity == ERROR for i in issues):
        return ReadOrders({}, issues, len(raw.rows))
    marks = _marks(raw)
    seen: dict[RowKey, int] = {}
    orders: dict[str, SheetOrder] = {}
    per_field: dict[str, dict[str, list[tuple[Any, int]]]] = {}  # order → field → [(value, row)] of valid cells
    for values, row in zip(raw.rows, raw.row_numbers, strict=True):
        ids = {k: convert_cell("barcode", values[columns[k]], marks.get((row, columns[k])))
               for k in (ORDER_KEY, "sku_id")}
        broken = next((k for k, converted in ids.items() if converted.problem is not None), None)
        if broken is not None:  # an error value or a formula where the order or SKU is: which row is it?
            rule, params = ids[broken].problem
            issues.append(_cell_issue(rule, ERROR, row, columns[broken], broken, shown(values[columns[broken]]),
                                      {"what": ORDER_BY_KEY[broken].label_en, "what_zh": ORDER_BY_KEY[broken].label_zh,
                                       **params}))
            continue
        key = (ids[ORDER_KEY].value or "", ids["sku_id"].value or "")
        blank = next((k for k, part in zip((ORDER_KEY, "sku_id"), key, strict=True) if not part), None)
        if blank is not None:  # an emptied order number or SKU: say so, not "order (nothing) is not exported"
            issues.append(_cell_issue("order_key_empty", ERROR, row, columns[blank], blank, "", {}))
            continue
        if key not in base:
            issues.append(_cell_issue("order_not_in_export", ERROR, row, columns[ORDER_KEY], ORDER_KEY,
                                      shown(values[columns[ORDER_KEY]]), {"sku": shown(values[columns["sku_id"]])}))
            continue
        if key in seen:
            issues.append(_cell_issue("order_row_duplicate", ERROR, row, columns["sku_id"], "sku_id", key[1],
                                      {"other_row": seen[key]}, order=key[0]))
            continue
        seen[key] = row
        exported = base[key]
        order = orders.setdefault(key[0], SheetOrder(key[0]))
        order.rows.append(row)
        for f in ORDER_FIELDS:
            if f.key not in columns or f.key in (ORDER_KEY, "sku_id"):
                continue
            column = columns[f.key]
            value, mark = values[column], marks.get((row, column))
            if not f.editable:
                if not _same_written(value, mark, exported.get(f.key)):
                    issues.append(_cell_issue("read_only_changed", WARNING, row, column, f.key,
                                              mark.shown if mark else shown(value),
                                              {"base": shown(exported.get(f.key))}, order=key[0]))
                continue
            converted = parse(f.key, value, mark)
            if converted.problem is not None:
                rule, params = converted.problem
                issues.append(_cell_issue(rule, ERROR, row, column, f.key, shown(value),
                                          {"what": f.label_en, "what_zh": f.label_zh, **params}, order=key[0]))
                order.invalid = True
                continue
            per_field.setdefault(key[0], {}).setdefault(f.key, []).append((converted.value, row))
    first: dict[str, Mapping[str, Any]] = {}  # each order's exported values: those of its first row
    for key, exported in base.items():
        first.setdefault(key[0], exported)
    for number, order in orders.items():
        for key in (ORDER_KEY, "status", "deadline"):  # an order's own cells, named by its issues
            if key in columns:
                order.cells[key] = (order.rows[0], columns[key])
        issues += _agree(order, per_field.get(number, {}), first[number], columns)
    for order in orders.values():
        if not order.invalid:
            issues += check_order(order)
    issues += tracking_carriers(list(orders.values()))
    return ReadOrders(orders, issues, len(raw.rows))


def _marks(raw: RawSheet) -> dict[tuple[int, int], Mark]:
    """The cells read as empty that are not: error values, uncomputed formulas, merged cells."""
    empty = [(row, column) for values, row in zip(raw.rows, raw.row_numbers, strict=True)
             for column, value in enumerate(values) if value == "" or value is None]
    found = dict(raw.value_marks(empty))
    for column in set(raw.columns.values()):
        for position, mark in raw.merged_marks(column, raw.row_numbers).items():
            found[(raw.row_numbers[position], column)] = mark
    return found


def _agree(order: SheetOrder, cells: Mapping[str, list[tuple[Any, int]]], exported: Mapping[str, Any],
           columns: Mapping[str, int]) -> list[Issue]:
    """Each order-level field's value for the whole order: the edit (one row is enough), or the
    exported value; rows whose edits disagree are an error naming both cells."""
    issues = []
    for key in ORDER_LEVEL:
        was = written(key, exported.get(key))
        order.values[key] = was
        if key not in columns:
            continue
        order.cells[key] = (order.rows[0], columns[key])
        edits = [(value, row) for value, row in cells.get(key, []) if value != was]
        if not edits:
            continue
        value, row = edits[0]
        other = next(((v, r) for v, r in edits if v != value), None)
        if other is not None:
            order.invalid = True
            issues.append(_cell_issue("order_rows_disagree", ERROR, other[1], columns[key], key, _shown(other[0]),
                                      {"other": _shown(value), "other_cell": cell_ref(columns[key], row)},
                                      order=order.number))
        if key == "confirm" and value is False:
            continue  # no on every row that says anything: the order left as it is, as by empty cells
        order.edited.add(key)
        order.values[key], order.cells[key] = value, (row, columns[key])
    return issues


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return shown(value)


def check_order(order: SheetOrder) -> list[Issue]:
    """An edited delivery as a whole: its type, and what that type needs."""
    if not order.edited & {*DELIVERY_FIELDS, "boxes"}:
        return []
    delivery = order.delivery()
    if delivery is None:
        return []
    kind = delivery.delivery_type
    issues = []
    if kind == "":
        issues.append(order.issue("delivery_type_required", "delivery_type"))
    elif kind == "express":
        if not delivery.carrier:
            issues.append(order.issue("carrier_required", "carrier"))
        if not delivery.tracking:
            issues.append(order.issue("tracking_required", "tracking_numbers"))
    elif kind == "truck":
        if not delivery.license_plate:
            issues.append(order.issue("plate_required", "license_plate"))
        if not delivery.phone:
            issues.append(order.issue("phone_required", "phone"))
    if issues:
        order.invalid = True
    return issues


def tracking_carriers(orders: Sequence[SheetOrder]) -> list[Issue]:
    """A tracking number given with two different carriers is a typing error in one of them."""
    first: dict[str, tuple[str, SheetOrder]] = {}
    issues = []
    for order in orders:
        delivery = order.delivery()
        if delivery is None or not delivery.carrier:
            continue
        for number in delivery.tracking:
            seen = first.setdefault(number.upper(), (delivery.carrier, order))
            if seen[0].casefold() != delivery.carrier.casefold():
                row, column = seen[1].cells.get("carrier", (None, None))
                issues.append(order.issue("tracking_two_carriers", "tracking_numbers", value=number,
                                          carrier=delivery.carrier, other=seen[0], other_order=seen[1].number,
                                          other_cell=cell_ref(column, row) if column is not None else "-"))
                order.invalid = True
    return issues
