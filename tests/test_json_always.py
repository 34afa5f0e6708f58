"""`--json` prints exactly one valid JSON document on stdout, whatever happens once the command is
known: a usage error, a bad config, a store or platform fault, Ctrl-C, a bug. A script that reads
the output never gets an empty or half document, nor a sentence mixed into it (found by a hostile
review, F6). The sentence for a person still goes to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sheetsync import pipeline
from sheetsync.cli import main

BUG_EXIT = 70


def run(*args: object) -> tuple[int, dict[str, Any], str]:
    """The exit code, the one JSON document on stdout (parsing fails on anything more or less),
    and stderr."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    document = json.loads(result.stdout)
    assert isinstance(document, dict), result.stdout
    return result.exit_code, document, result.stderr


def only_error(document: dict[str, Any]) -> dict[str, Any]:
    assert len(document["errors"]) == 1, document
    return document["errors"][0]


@pytest.mark.parametrize("args", [
    ["import", "--json"],                                    # FILE missing
    ["validate", "--json", "--lang", "fr", "x.xlsx"],         # a choice that does not exist
    ["history", "--json", "one", "two"],                      # an argument too many
    ["revert", "--json"],                                     # RUN_ID missing
    ["status", "--json", "--frobnicate"],                     # an option that does not exist
    ["freight", "--json", "--weight", "abc"],                 # a value refused by the command
    ["freight", "--json", "--weight", "1", "--dims", "1x2"],
    ["pull", "--json", "--target", "shopify"],
    ["orders", "import", "--json"],                           # a command of a group of commands
    ["orders", "import", "--json", "--label-size", "A3", "x.xlsx"],
])
def test_a_usage_error_is_one_json_document(args, store):
    code, document, stderr = run("--store", store, *args)
    assert code == 2 and document["status"] == "unreadable"
    error = only_error(document)
    assert error["rule"] == "usage" and error["message"] and error["message"] in stderr


def test_a_store_fault_is_one_json_document(tmp_path):
    missing = tmp_path / "nowhere.db"
    for args in (["status", "--json"], ["history", "--json"], ["history", "20240101-000000-abcdef", "--json"],
                 ["pull", "--json"], ["freight", "--check", "--json"]):
        code, document, _ = run("--store", missing, *args)
        assert (code, document["status"], only_error(document)["rule"]) == (2, "unavailable", "store_missing"), args
        assert str(missing) in only_error(document)["message"]


def test_a_bad_config_is_one_json_document(store):
    (store.parent / "sheetsync.toml").write_text("lock_timeout = 'soon'\n", encoding="utf-8")
    for args in (["status", "--json"], ["history", "--json"], ["import", store.parent / "x.xlsx", "--json"]):
        code, document, _ = run("--store", store, *args)
        assert (code, document["status"]) == (2, "unreadable"), args
        assert only_error(document)["rule"] == "config_invalid"


def test_a_platform_fault_is_one_json_document(store):
    """A store not connected to AliExpress, pulled from: the platform cannot be used."""
    code, document, _ = run("--store", store, "pull", "--json")
    assert code == 2 and document["status"] in ("unavailable", "unreadable")
    assert only_error(document)["message"]


def test_a_bug_is_one_json_document(store, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "status", broken)
    code, document, stderr = run("--store", store, "status", "--json")
    assert code == BUG_EXIT and document["status"] == "internal_error"
    assert "RuntimeError: a bug" in only_error(document)["message"] and "internal error" in stderr


def test_ctrl_c_outside_a_run_that_writes_is_one_json_document(store, monkeypatch):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "history", interrupted)
    code, document, _ = run("--store", store, "history", "--json")
    assert (code, document["status"], only_error(document)["rule"]) == (130, "interrupted", "stopped_by_ctrl_c")


def test_freight_check_with_json_is_json(store):
    code, document, _ = run("--store", store, "freight", "--check", "--json")
    assert code == 0 and document == {"disagreements": []}


def test_without_json_the_errors_stay_sentences(store, tmp_path: Path):
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "nowhere.db"), "status"])
    assert result.exit_code == 2 and result.stdout == "" and "No catalog at" in result.stderr
    result = CliRunner().invoke(main, ["--store", str(store), "import"])
    assert result.exit_code == 2 and result.stdout == "" and "Missing argument" in result.stderr


def test_ctrl_c_while_the_result_prints_cannot_add_a_second_answer(capsys):
    """A Ctrl-C that lands while a finished run prints its result is ignored (found by a hostile
    review: the 'stopped' JSON came after the 'applied' one), and Ctrl-C works again afterwards."""
    import signal

    from sheetsync.cli import _emit

    class Finished:
        exit_code, lang = 0, "en"

        def as_json(self) -> dict[str, Any]:
            signal.raise_signal(signal.SIGINT)  # delivered now, in the middle of printing
            return {"status": "applied"}

    with pytest.raises(SystemExit) as stopped:
        _emit(Finished(), as_json=True)
    assert stopped.value.code == 0
    assert json.loads(capsys.readouterr().out) == {"status": "applied"}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
