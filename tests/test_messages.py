"""Every rule has a message in both languages that renders with its parameters; a missing message,
a missing parameter or an unknown rule fails loudly instead of reaching a seller as a bare code."""

from __future__ import annotations

import re
import string

import pytest

from sheetsync.errors import ConfigError
from sheetsync.messages import (
    MESSAGES,
    NEXT_STEPS,
    REPORT_COLUMNS,
    SHEET_NAMES,
    STATUS_WORDS,
    TARGET_WORDS,
    VALUE_WORDS,
    WORDS,
    MessageError,
    Rule,
    choice_from_word,
    message,
    next_step,
    report_column,
    say,
    sheet_name,
    status_words,
    value_word,
)
from sheetsync.results import Issue

# Parameters the message catalogue fills itself from others (label_zh, what_zh, kind's words).
DERIVED = {"label_zh", "what_zh"}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_vocabulary_and_the_catalogue_are_the_same_set():
    assert set(MESSAGES) == {rule.value for rule in Rule}


@pytest.mark.parametrize("rule", list(Rule))
def test_both_languages_name_the_same_parameters(rule):
    en, zh = MESSAGES[rule]
    assert placeholders(en) == placeholders(zh), rule


@pytest.mark.parametrize("rule", list(Rule))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_rule_renders_with_its_parameters(rule, lang):
    en, _ = MESSAGES[rule]
    params = {name: f"<{name}>" for name in placeholders(en)}
    params.update(label_zh="<label>", what_zh="<what>")
    text = message(rule, lang, **params)
    assert text and not re.search(r"\{[a-z_]+\}", text), text
    for name in placeholders(en) - DERIVED - {"kind"}:
        assert f"<{name}>" in text, (rule, name)
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", text), rule


@pytest.mark.parametrize("rule", [r for r in Rule if placeholders(MESSAGES[r][0])])
def test_a_missing_parameter_is_an_error(rule):
    with pytest.raises(MessageError):
        message(rule, "en")


def test_an_unknown_rule_cannot_be_made():
    with pytest.raises(ValueError):
        Issue("no_such_rule")
    with pytest.raises(ValueError):
        ConfigError("no_such_rule")
    with pytest.raises(ValueError):
        message("no_such_rule")


def test_an_issue_can_name_its_sku_and_cell_in_its_message():
    issue = Issue("sku_product_mismatch", sku_id="1005", value="77", cell="A3", params={"expected": "42"})
    assert "1005" in issue.render("en").message and "42" in issue.message


# -- the words around the rules: one lookup per table, every key in both languages ---------------
CHINESE = re.compile(r"[\u4e00-\u9fff]")
SUPPLIED = {"push_results"}  # filled by the lookup itself


@pytest.mark.parametrize("key", list(WORDS))
def test_every_word_renders_in_both_languages_with_its_parameters(key):
    en, zh = WORDS[key]
    assert placeholders(en) == placeholders(zh), key
    params = {name: f"<{name}>" for name in placeholders(en) - SUPPLIED}
    for lang in ("en", "zh"):
        text = say(key, lang, **params)
        assert not re.search(r"\{[a-z_]+\}", text), (key, lang, text)
        assert all(f"<{name}>" in text for name in params), (key, lang)
    shown = re.sub(r"<[a-z_]+>|sheetsync", "", say(key, "zh", **params))
    assert CHINESE.search(shown) or not re.search("[A-Za-z]", shown), key


@pytest.mark.parametrize("key", [k for k in WORDS if placeholders(WORDS[k][0]) - SUPPLIED])
def test_a_word_without_its_parameter_is_an_error(key):
    with pytest.raises(MessageError):
        say(key, "zh")


def test_an_unknown_word_is_an_error():
    with pytest.raises(KeyError):
        say("no_such_word", "zh")
    with pytest.raises(KeyError):
        sheet_name("no_such_sheet")
    assert report_column("no_such_column", "zh") == "no_such_column"  # a column of the seller's own


@pytest.mark.parametrize("table", [STATUS_WORDS, NEXT_STEPS, TARGET_WORDS, SHEET_NAMES, REPORT_COLUMNS],
                         ids=["status", "next", "target", "sheets", "headers"])
def test_every_table_has_chinese_for_every_key(table):
    for key, (en, zh) in table.items():
        assert placeholders(en) == placeholders(zh), key
        assert en and CHINESE.search(zh), key
    for key in STATUS_WORDS:
        assert CHINESE.search(status_words(key.removesuffix("_skipped"), "zh", "aliexpress", applied=1))
    for key in NEXT_STEPS:
        assert CHINESE.search(next_step(key, "zh")) and "{" not in next_step(key, "en")


@pytest.mark.parametrize("kind", list(VALUE_WORDS))
def test_every_value_has_a_chinese_word_that_reads_back(kind):
    for value, (en, zh) in VALUE_WORDS[kind].items():
        assert value_word(kind, value, "en") == en and value_word(kind, value, "zh") == zh
        assert CHINESE.search(zh), (kind, value)
    assert value_word(kind, "not-a-value", "zh") == "not-a-value"  # a value from elsewhere, as it is


def test_dropdown_words_read_back_as_the_same_values():
    assert choice_from_word("logistics_attribute", "带电") == "built_in_battery"
    assert choice_from_word("logistics_attribute", " 带电 ＋ 弱磁 ") == "built_in_battery+weak_magnetic"
    assert choice_from_word("logistics_attribute", "普货") == choice_from_word("logistics_attribute", "General")
    assert choice_from_word("logistics_attribute", "弱磁") == "weak_magnetic"
    assert choice_from_word("yes_no", "是") == "yes" and choice_from_word("yes_no", "否") == "no"
    assert choice_from_word("delivery_type", "快递") == "express"
    assert choice_from_word("logistics_attribute", "电池") is None
    assert choice_from_word("delivery_type", "是") is None  # a word of another dropdown


def test_every_import_stage_has_its_words():
    from sheetsync.pipeline import IMPORT_STAGES

    assert set(VALUE_WORDS["stage"]) == set(IMPORT_STAGES)


def test_the_store_has_one_chinese_word():
    """店铺数据库 for the store file everywhere, never 目录 (a seller would look for a folder)."""
    tables = [MESSAGES, WORDS, STATUS_WORDS, NEXT_STEPS, TARGET_WORDS, SHEET_NAMES, REPORT_COLUMNS,
              *VALUE_WORDS.values()]
    assert [key for table in tables for key, (_, zh) in table.items() if "目录" in zh] == []


def _suggested_commands() -> list[tuple[str, str]]:
    """Every `sheetsync …` command a sentence suggests, in every table of both languages, with
    its placeholders filled by a stand-in word."""
    import sheetsync.messages as catalogue

    found = []
    for name, table in vars(catalogue).items():
        if not (isinstance(table, dict) and table and all(isinstance(v, tuple) for v in table.values())):
            continue
        for key, texts in table.items():
            for text in texts:
                if not isinstance(text, str):
                    continue
                for command in re.findall(r"`(sheetsync [^`]*)`", text):
                    found.append((f"{name}[{key}]", re.sub(r"\{[a-z_]+\}", "x1", command)))
    return found


@pytest.mark.parametrize(("where", "command"), _suggested_commands())
def test_every_suggested_command_runs_as_written(where, command):
    """A seller copies the command a message suggests: it must parse (required arguments there,
    options known), or the advice ends in a usage error."""
    import shlex
    import warnings

    import click

    from sheetsync.cli import main

    warnings.filterwarnings("ignore", "'protected_args' is deprecated", DeprecationWarning)
    args = shlex.split(command)[1:]
    ctx = main.make_context("sheetsync", list(args), resilient_parsing=False)
    group, rest = main, [*ctx.protected_args, *ctx.args]
    while isinstance(group, click.Group) and rest and not rest[0].startswith("-"):
        _, sub, rest = group.resolve_command(ctx, rest)
        ctx = sub.make_context(sub.name, list(rest), parent=ctx)
        group, rest = sub, [*getattr(ctx, "protected_args", []), *ctx.args]
    assert not isinstance(group, click.Group) or (group is main and not args), (where, command)
