"""Every rule has a message in both languages that renders with its parameters; a missing message,
a missing parameter or an unknown rule fails loudly instead of reaching a seller as a bare code."""

from __future__ import annotations

import re
import string

import pytest

from sheetsync.errors import ConfigError
from sheetsync.messages import MESSAGES, MessageError, Rule, message
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
