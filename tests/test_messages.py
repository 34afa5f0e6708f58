"""Every rule the code can raise has a message in both languages, and messages never crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheetsync.messages import MESSAGES, message

SOURCE = Path(__file__).resolve().parent.parent / "sheetsync"
PATTERNS = [
    r'Issue\(\s*"([a-z_]+)"',                              # Issue("rule", ...)
    r'(?:Error|Workbook|Busy|Unreachable)\(\s*"([a-z_]+)"',  # ConfigError("rule", ...)
    r'problems\[[^\]]+\] = \(\s*"([a-z_]+)"',              # parse problems
    r'issues\.at\([^,]+,\s*[^,]+,\s*"([a-z_]+)"',          # issues.at(position, key, "rule")
    r'"(leading_zeros_lost|number_precision_lost|identifier_became_number|barcode_format|barcode_check_digit)"',
]
GENERIC = {"format", "decimals", "required"}  # mapped to field-specific rules by schema._rule_for


def rules_in_code() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found |= set(re.findall(pattern, text))
    return found - GENERIC


def test_every_rule_has_a_message():
    rules = rules_in_code()
    assert len(rules) > 40
    assert sorted(rules - set(MESSAGES)) == []


@pytest.mark.parametrize("rule", sorted(MESSAGES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_messages_render_with_or_without_parameters(rule, lang):
    text = message(rule, lang, value="x", base="y", current="z", label="Seller price", label_zh="供货价")
    assert text and "{value}" not in text
    assert message(rule, lang)  # a missing parameter leaves its placeholder, never raises
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", text), rule
