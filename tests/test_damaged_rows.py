"""A catalog whose rows another program damaged (a NULL or a text where sheetsync keeps a number, a
stock that is not a JSON array of quantities, a journal entry that is not JSON, a table gone): every
command that reads the damage ends with exit 2, status `unavailable` where it prints JSON, and a
sentence naming the store file and what to do; never exit 70, never a traceback, and the file is
left as it was.

NOT NULL columns are made nullable the way another tool rebuilding a table would leave them
(`writable_schema`), so that the damage can be written at all.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Workbook
from tests.test_store_faults import assert_named, cli


def _nullable(db: sqlite3.Connection) -> None:
    """Drop the NOT NULL constraints, as a table rebuilt by another program may have none."""
    db.execute("PRAGMA writable_schema = ON")
    for table in ("products", "skus", "runs", "run_changes"):
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        db.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql.replace("NOT NULL", ""), table))
    db.commit()


def damage(store: Path, sql: str) -> None:
    db = sqlite3.connect(store)
    _nullable(db)
    db.close()
    db = sqlite3.connect(store)
    db.executescript(sql)
    db.commit()
    db.close()


FIRST_SKU = "(SELECT sku_id FROM skus ORDER BY position LIMIT 1 OFFSET 3)"
# Damage to the catalog's rows: met by every command that reads the catalog.
CATALOG = {
    "a NULL title": "UPDATE products SET title = NULL WHERE rowid = 2",
    "a NULL currency": "UPDATE products SET currency = NULL WHERE rowid = 2",
    "a text price": f"UPDATE skus SET seller_price = 'abc' WHERE sku_id = {FIRST_SKU}",
    "a NULL price": f"UPDATE skus SET seller_price = NULL WHERE sku_id = {FIRST_SKU}",
    "a fractional weight": f"UPDATE skus SET weight_kg = 0.35 WHERE sku_id = {FIRST_SKU}",
    "a NULL SKU code": f"UPDATE skus SET sku_code = NULL WHERE sku_id = {FIRST_SKU}",
    "stock that is not JSON": f"UPDATE skus SET stock = 'garbage' WHERE sku_id = {FIRST_SKU}",
    "stock with too few countries": f"UPDATE skus SET stock = '[1,2]' WHERE sku_id = {FIRST_SKU}",
    "stock as an object": f"UPDATE skus SET stock = '{{\"US\": 1}}' WHERE sku_id = {FIRST_SKU}",
    "a text in the stock": f"UPDATE skus SET stock = json_set(stock, '$[0]', 'x') WHERE sku_id = {FIRST_SKU}",
    "a fraction in the stock": f"UPDATE skus SET stock = json_set(stock, '$[0]', 1.5) WHERE sku_id = {FIRST_SKU}",
    "a negative stock": f"UPDATE skus SET stock = json_set(stock, '$[1]', -4) WHERE sku_id = {FIRST_SKU}",
    "a NULL stock": f"UPDATE skus SET stock = NULL WHERE sku_id = {FIRST_SKU}",
    "a SKU of no product": f"UPDATE skus SET product_id = 'gone' WHERE sku_id = {FIRST_SKU}",
    "a country's position as text": "UPDATE countries SET position = 'x' WHERE rowid = 1",
    "the signing secret not hex": "UPDATE meta SET value = 'zz' WHERE key = 'secret'",
}
# Damage to the run journal: met by the commands that read it.
JOURNAL = {
    "a run's counts not JSON": "UPDATE runs SET counts = 'not json'",
    "a run's counts a list": "UPDATE runs SET counts = '[1]'",
    "a run's start NULL": "UPDATE runs SET started_at = NULL",
    "a run's start not a time": "UPDATE runs SET started_at = 'yesterday'",
    "a change's value not JSON": "UPDATE run_changes SET after = '{'",
    "a change's field NULL": "UPDATE run_changes SET field = NULL",
}
# Damage to the export snapshots: met by an import of that export.
SNAPSHOT = {
    "a snapshot column not JSON": "UPDATE export_columns SET data = 'not json' WHERE kind = 'json'",
    "a snapshot column cut short": "UPDATE export_columns SET data = substr(data, 1, 12) WHERE kind = 'i8'",
    "an export's countries not JSON": "UPDATE exports SET countries = 'x'",
}


@pytest.fixture
def edited(workbook: Workbook, tmp_path: Path) -> Path:
    """An export with one price changed."""
    workbook.set(workbook.sku_ids[0], "seller_price", 19.5)
    return workbook.save(tmp_path / "edited.xlsx")


@pytest.fixture
def imported(store: Path, edited: Path) -> str:
    """The run id of an import that changed one price, so history RUN_ID and revert have a run."""
    outcome = cli(store, "import", edited, "--json")
    assert outcome.code == 0, outcome.stdout
    return json.loads(outcome.stdout)["run_id"]


def assert_damaged(store: Path, *args: object) -> None:
    before = store.read_bytes()
    outcome = cli(store, *args)
    assert_named(store, outcome, "store_corrupt")
    text = json.loads(outcome.stdout)["errors"][0]["message"] if outcome.as_json else outcome.stderr
    assert "Restore it from a backup" in text and "Traceback" not in outcome.stderr
    assert store.read_bytes() == before, args


@pytest.mark.parametrize("name", CATALOG)
def test_a_damaged_catalog_row_is_named_by_every_command(name, store, edited, imported, tmp_path):
    damage(store, CATALOG[name])
    for args in (["export", tmp_path / "again.xlsx"], ["import", edited, "--json"], ["validate", edited, "--json"],
                 ["status"], ["status", "--json"], ["pull"], ["pull", "--json"],
                 ["revert", imported, "--json"], ["history", imported], ["history", imported, "--json"]):
        assert_damaged(store, *args)
    assert not (tmp_path / "again.xlsx").exists()


@pytest.mark.parametrize("name", JOURNAL)
def test_a_damaged_journal_is_named_by_the_commands_that_read_it(name, store, imported):
    damage(store, JOURNAL[name])
    reads_runs = name.startswith("a run's")
    commands = [["history", imported], ["history", imported, "--json"], ["revert", imported, "--json"]]
    if reads_runs:
        commands += [["history"], ["history", "--json"], ["status"], ["status", "--json"]]
    for args in commands:
        assert_damaged(store, *args)


@pytest.mark.parametrize("name", SNAPSHOT)
def test_a_damaged_export_snapshot_is_named_by_its_import(name, store, edited):
    damage(store, SNAPSHOT[name])
    for args in (["import", edited, "--json"], ["validate", edited, "--json"]):
        assert_damaged(store, *args)


def test_a_damaged_row_names_its_table_row_and_column(store, edited):
    damage(store, f"UPDATE skus SET seller_price = 'abc' WHERE sku_id = {FIRST_SKU}")
    with sqlite3.connect(store) as db:
        sku = db.execute(FIRST_SKU[1:-1]).fetchone()[0]
    db.close()
    message = json.loads(cli(store, "validate", edited, "--json").stdout)["errors"][0]["message"]
    assert f"the skus row {sku} has no valid seller_price" in message


def test_a_platform_meta_value_that_is_damaged_is_named(store):
    """What a pull keeps in the store (the warehouse mapping, the watermark, token expiries)."""
    for key, value in (("ae_warehouses", "not json"), ("ae_warehouses", "[1]"), ("ae_last_pull", "soon"),
                       ("ae_access_expires", "nan")):
        with sqlite3.connect(store) as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('target', 'aliexpress')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('ae_access_token', 'token-1')")
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        db.close()
        assert_damaged(store, "status", "--json")
        with sqlite3.connect(store) as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))
        db.close()
