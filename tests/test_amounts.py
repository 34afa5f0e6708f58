"""One parser for money, weight and size: `freight` and the import agree on every amount (the same
value or the same refusal), and the parser's rules hold on their own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import sheetsync
from sheetsync.amounts import DECIMALS, LIMITS, format_amount, parse_amount, rule_for
from sheetsync.cli import main
from sheetsync.config import reference_file
from sheetsync.fields import BASE_BY_KEY, to_display
from sheetsync.messages import message
from sheetsync.pricing import load_rate_card, quote
from sheetsync.store import Store
from tests.conftest import Workbook

TRICKY = ["12.349", "1,250", "1.234,56", "12,5O", "0.0005", "1e400", "-0", "１２.５", "12.50 ", "1 2", "1 250",
          "1.000", "12.500", "0.500", " 7 ", "+3", "３０", "¹2", "٣", "NaN", "Infinity", "#N/A", "12.5.1", "0,125",
          "1,234.56", "-3", "0", "700", "701", "999999.99", "1000000", "12.3", "0.001", "$5", "5 kg", "１２，５０",
          "1\u00a0250,5", "2,5", ".5", "5."]
FIELDS = {"seller_price": "money", "weight_kg": "weight", "length_cm": "dim"}


def freight(store, field: str, text: str):
    """The freight command on `text` as the field's amount: (exit code, output)."""
    args = {"seller_price": ["--weight", "0.5", "--seller-price", text],
            "weight_kg": ["--weight", text],
            "length_cm": ["--weight", "0.001", "--dims", f"{text}x20x20"]}[field]
    run = CliRunner().invoke(main, ["--store", str(store), "freight", "--country", "US", *args])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.exit_code, run.output


def expected_quote(field: str, value: int) -> str:
    """The freight command's US line for the field's canonical `value`, computed directly."""
    card = load_rate_card(reference_file("freight_rates.csv"))
    grams, size, cents = {"seller_price": (500, None, value), "weight_kg": (value, None, None),
                          "length_cm": (1, (value, 20, 20), None)}[field]
    q = quote(card, grams, size, "US", cents)
    fee = to_display("money", q.freight_cents) if q.freight_cents is not None else message("no_bracket_short")
    shown = to_display("money", q.display_cents) if q.display_cents is not None else "-"
    return f"{q.country:<8}{to_display('weight', q.chargeable_grams):>14}{fee:>10}{shown:>10}  {q.currency}"


def imported(store, exported, tmp_path, field: str) -> dict[str, tuple[str, object]]:
    """Every tricky text typed (as text) into `field` of its own row of a real workbook, imported:
    text → ("value", canonical) or ("refused", rule)."""
    wb = Workbook(exported)
    stock = [k for k in wb.keys if k and k.startswith("stock_")]
    rows = {}
    for sku, text in zip(wb.sku_ids, TRICKY, strict=False):
        for key in stock:  # not sold anywhere: no freight bracket or guardrail stands in the way
            wb.set(sku, key, 0)
        rows[text] = (sku, wb.set(sku, field, text))
    assert len(rows) == len(TRICKY)
    path = wb.save(tmp_path / f"{field}.xlsx")
    result = sheetsync.import_workbook(store, path, dry_run=True, skip_invalid=True, allow_large_changes=True)
    assert result.status in ("invalid", "dry_run"), [e.message for e in result.errors]
    errors = {e.cell: e.rule for e in result.errors}
    after = {c.sku_id: c.after for c in result.change_list if c.field == field}
    with Store.open(store) as handle:
        before = handle.catalog_frame()
    return {text: ("refused", errors[cell]) if cell in errors else ("value", after.get(sku, before.at[sku, field]))
            for text, (sku, cell) in rows.items()}


@pytest.mark.parametrize("field", list(FIELDS))
def test_freight_and_import_agree_on_every_amount(store, exported, tmp_path, field):
    outcomes = imported(store, exported, tmp_path, field)
    kind = FIELDS[field]
    f = BASE_BY_KEY[field]
    for text in TRICKY:
        code, output = freight(store, field, text)
        outcome, detail = outcomes[text]
        if outcome == "refused":
            refusal = message(detail, value=text.strip(), label=f.label_en, what=f.label_en.lower())
            assert code == 2 and " ".join(refusal.split()) in " ".join(output.split()), (text, detail, output)
        else:
            line = expected_quote(field, int(detail))
            heavy = message("no_bracket_short") in line  # too heavy for the card: exit 1
            assert code == (1 if heavy else 0) and line in output, (text, detail, output)
        assert parse_amount(text, kind).problem is None or outcome == "refused"


@pytest.mark.parametrize("text, kind, value, problem", [
    ("12.349", "money", None, "decimals"), ("12.349", "weight", 12349, None), ("1,250", "weight", None,
                                                                             "ambiguous_number"),
    ("1.000", "stock", None, "ambiguous_number"), ("1.000", "weight", 1000, None), ("12.500", "money", None,
                                                                                  "ambiguous_number"),
    ("0.500", "money", 50, None), ("1.250", "stock", None, "decimals"), ("1 2", "stock", None, "format"),
    ("1 250", "stock", 1250, None), ("１２．５", "money", 1250, None), ("¹²", "stock", None, "format"),
    ("-0", "stock", 0, None), ("-0", "money", None, "range"), ("9" * 400, "stock", None, "range"),
    ("1e400", "money", None, "format"), ("NaN", "money", None, "format"), ("#N/A", "dim", None, "cell_error"),
    (float("nan"), "money", None, "cell_error"), (float("inf"), "stock", None, "cell_error"),
    (1e300, "money", None, "range"), (10**400, "weight", None, "range"), (12.3, "money", 1230, None),
    (True, "stock", None, "format"), (None, "stock", None, "format"), (Decimal("0.001"), "weight", 1, None),
])
def test_parse_amount_rules(text, kind, value, problem):
    assert parse_amount(text, kind) == (value, problem)


@given(st.sampled_from(list(DECIMALS)), st.data())
def test_format_then_parse_is_the_identity(kind, data):
    low, high = LIMITS[kind]
    value = data.draw(st.integers(low, high))
    assert parse_amount(format_amount(kind, value), kind) == (value, None)


@given(st.sampled_from(list(DECIMALS)), st.one_of(st.text(), st.floats(), st.integers(), st.decimals()))
def test_parse_amount_never_raises(kind, value):
    parsed = parse_amount(value, kind)
    assert (parsed.value is None) != (parsed.problem is None)
    if parsed.problem:
        assert rule_for(kind, parsed.problem)
    else:
        low, high = LIMITS[kind]
        assert low <= parsed.value <= high
