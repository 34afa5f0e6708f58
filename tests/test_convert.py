"""The cell → value boundary (`convert`): total for every kind of cell and every kind of field,
the same answer cell by cell and column at a time, and the rules of its doc."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.cells import CellKind, Mark
from sheetsync.convert import (
    AMOUNT_KINDS,
    FORMAT_CHARACTERS,
    _column,
    amount_block,
    convert_cell,
    convert_column,
)
from sheetsync.messages import Rule
from tests.strategies import cell_values, tricky_text

FIELD_KINDS = (*AMOUNT_KINDS, "id", "code", "barcode", "text", "enum")
marks = st.one_of(st.none(), st.builds(Mark, st.sampled_from([CellKind.ERROR, CellKind.FORMULA, CellKind.MERGED]),
                                       st.sampled_from(["#N/A", "=A1*2", "B3:B5"])))


@given(st.sampled_from(FIELD_KINDS), cell_values, marks, st.one_of(st.none(), cell_values))
def test_every_cell_is_a_value_or_a_rule(kind, value, mark, base):
    converted = convert_cell(kind, value, mark, base)
    assert (converted.value is None) != (converted.problem is None)
    if converted.problem is not None:
        Rule(converted.problem[0])  # a rule a seller has a message for
    if mark is not None:
        assert converted.problem is not None  # an error, a formula or a merged cell is never a value
    if kind in AMOUNT_KINDS and converted.value is not None:
        assert isinstance(converted.value, int)
    elif converted.value is not None:
        assert isinstance(converted.value, str)
        if kind == "id" and converted.value:
            assert converted.value.isascii() and converted.value.isdigit()


@given(st.sampled_from(FIELD_KINDS), st.lists(st.one_of(cell_values, st.floats(), tricky_text), max_size=8),
       st.data())
def test_columns_agree_with_cells(kind, values, data):
    found = {i: data.draw(marks) for i in range(len(values))}
    column_marks = {i: mark for i, mark in found.items() if mark is not None}
    fast = convert_column(kind, values, column_marks)
    slow = _column(kind, values, column_marks, None, None if kind in AMOUNT_KINDS else pd.NA)
    assert fast.problems == slow.problems and fast.notes == slow.notes
    assert fast.values.isna().tolist() == slow.values.isna().tolist()
    assert [v for v in fast.values.dropna()] == [v for v in slow.values.dropna()]


@given(st.lists(st.tuples(st.floats(), st.floats(), st.floats()), max_size=6))
def test_number_blocks_agree_with_cells(rows):
    kinds = ["money", "weight", "stock"]
    together = amount_block(rows, kinds, [{}, {}, {}])
    for j, kind in enumerate(kinds):
        for i, row in enumerate(rows):
            cell = convert_cell(kind, row[j])
            assert (i in together[j].problems) == (cell.problem is not None)
            assert together[j].problems.get(i) == cell.problem
            if cell.problem is None:
                assert together[j].values.iloc[i] == cell.value


@pytest.mark.parametrize("kind, value, expected", [
    ("barcode", "", ""), ("barcode", "４００６３８１３３３９３１", "4006381333931"), ("id", " 123 ", "123"),
    ("text", "  Earbuds ", "Earbuds"), ("text", 2024.0, "2024"), ("text", 12.5, "12.5"),
    ("enum", " General ", "general"),
    ("stock", "１２", 12), ("stock", 3.0, 3), ("money", "19,5", 1950), ("code", 1234.0, "1234"),
])
def test_values(kind, value, expected):
    assert convert_cell(kind, value).value == expected


@pytest.mark.parametrize("kind, value, mark, rule", [
    ("barcode", "", Mark(CellKind.ERROR, "#N/A"), "cell_error"),
    ("barcode", "", Mark(CellKind.FORMULA, "=VLOOKUP(A3,X:Y,2,0)"), "formula_without_value"),
    ("barcode", "", Mark(CellKind.MERGED, "F3:F4"), "merged_cell"),
    ("id", "", Mark(CellKind.ERROR, "#REF!"), "cell_error"),
    ("stock", 5.0, Mark(CellKind.MERGED, "N3:N4"), "merged_cell"),
    ("id", "¹²³", None, "identifier_format"), ("id", "١٢٣", None, "identifier_format"),
    ("id", True, None, "boolean_cell"), ("barcode", 1.2345678901234567e19, None, "number_precision_lost"),
    ("text", True, None, "boolean_cell"), ("text", dt.datetime(2024, 1, 5), None, "date_in_text"),
    ("text", dt.time(12, 0), None, "date_in_text"), ("enum", False, None, "boolean_cell"),
    ("text", "a\x07b", None, "text_control"), ("text", "line\nbreak", None, "text_control"),
    ("text", "\u200b\u200d", None, "invisible_text"), ("text", "\u3164", None, "invisible_text"),
    ("text", " ", None, "required"), ("text", float("nan"), None, "cell_error"), ("text", 1e300, None,
                                                                                "number_precision_lost"),
    ("stock", "1.000", None, "ambiguous_number"), ("stock", "1 2", None, "integer_format"),
    ("stock", float("inf"), None, "cell_error"), ("money", 1e25, None, "price_range"),
    ("money", "123456789012345678901234", None, "price_range"), ("stock", dt.timedelta(days=1), None, "date_in_number"),
    ("stock", None, None, "stock_required"), ("weight", True, None, "weight_format"),
    ("code", dt.date(2024, 1, 5), None, "date_in_text"), ("code", "", None, "required"),
])
def test_refusals(kind, value, mark, rule):
    converted = convert_cell(kind, value, mark)
    assert converted.value is None and converted.problem[0] == rule


def test_a_non_finite_number_shows_as_excel_shows_it():
    assert convert_cell("text", float("inf")).problem == ("cell_error", {"value": "#NUM!"})


def test_invisible_characters_cover_every_format_character():
    import re

    pattern = re.compile(f"[{FORMAT_CHARACTERS}]")
    for code in range(0x110000):
        if unicodedata.category(chr(code)) == "Cf":
            assert pattern.match(chr(code)), hex(code)


# Unicode 18's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), as ranges: each of them
# alone shows nothing, so a title made only of one is refused.
DEFAULT_IGNORABLE = [(0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
                     (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
                     (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF)]
LINE_AND_DIRECTION = [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


IGNORABLE_SAMPLE = [c for first, last in DEFAULT_IGNORABLE for c in range(first, last + 1)
                    if c not in LINE_AND_DIRECTION]


@pytest.mark.parametrize("code", [*IGNORABLE_SAMPLE[::7], 0x13439, 0x1343F, 0xE01EF])
def test_a_title_of_any_default_ignorable_character_is_invisible(code):
    assert convert_cell("text", chr(code) * 2).problem[0] == "invisible_text"
    assert convert_column("text", [chr(code)]).problems[0][0] == "invisible_text"


@pytest.mark.parametrize("code", LINE_AND_DIRECTION)
def test_line_separators_and_direction_overrides_are_refused_anywhere_in_a_title(code):
    text = f"Cable{chr(code)} USB-C"
    assert convert_cell("text", text).problem == ("text_control", {"code": f"U+{code:04X}"})
    assert convert_column("text", ["Plain title", text]).problems[1][0] == "text_control"


@pytest.mark.parametrize("text", ["I \u2764\ufe0f cats", "\u05e9\u05dc\u05d5\u05dd\u200f 2 pcs", "👩\u200d💻 desk",
                                  "soft\u00adhyphen"])
def test_invisible_characters_inside_visible_text_are_kept(text):
    assert convert_cell("text", text).value == text
    assert convert_column("text", [text]).values.tolist() == [text]


def test_a_direction_override_in_a_title_is_refused_through_the_cli(store, workbook, tmp_path):
    from click.testing import CliRunner

    from sheetsync.cli import main

    sku = workbook.sku_ids[0]
    cell = workbook.set(sku, "title", "Phone case \u202eesac enohp")
    path = workbook.save(tmp_path / "edited.xlsx")
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path)])
    assert run.exit_code == 1
    assert f"Products!{cell} [text_control]" in run.output and "U+202E" in run.output
