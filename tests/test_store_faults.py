"""The store's own faults, made for real: a damaged or overwritten catalog, read-only media, a full
disk, a catalog held by another program. Every command ends with exit 2, status `unavailable`
where it prints JSON, and a sentence naming the store file; none ends with exit 70 (a bug).

Read-only media and a full disk are real file systems (a tmpfs, a read-only bind mount), so those
tests skip where mounting is not permitted; the full database is also made portably, with
SQLite's max_page_count. Holders of the lock are separate processes with a tiny lock_timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.config import Settings
from sheetsync.errors import StoreBusy, StoreUnavailable
from sheetsync.pipeline import catalog_size, freight_disagreements
from sheetsync.store import Store
from tests.conftest import Workbook

BUG_EXIT = 70
SIDE_FILES = ("-wal", "-shm")


# -- running commands ------------------------------------------------------------------------------
@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    as_json: bool  # the command was asked for --json: its result must be JSON, failure or not


def cli(store: Path, *args: object) -> Outcome:
    """One command run in this process."""
    run = CliRunner().invoke(main, ["--store", str(store), *map(str, args)])
    assert run.exit_code != BUG_EXIT, run.output
    return Outcome(run.exit_code, run.stdout, run.stderr, "--json" in args)


def commands(exported: Path, out: Path) -> dict[str, list[object]]:
    """Every command that opens the store, by name."""
    return {
        "history": ["history"],
        "export": ["export", out],
        "import": ["import", exported, "--json"],
        "validate": ["validate", exported, "--json"],
        "revert": ["revert", "20240101-000000-abcdef", "--json"],
        "freight-check": ["freight", "--check"],
        "pull": ["pull", "--target", "aliexpress"],
    }


# Words of each rule's sentence, to tell them apart where only the sentence is printed.
WORDS = {"store_missing": "No catalog at", "store_missing_nearby": "No catalog at",
         "store_not_catalog": "is not a sheetsync catalog",
         "store_corrupt": "is damaged", "store_readonly": "is read-only", "store_disk_full": "is full",
         "store_busy": "in use by another sheetsync command or another program",
         "store_io_error": "could not read or write"}


def assert_named(store: Path, outcome: Outcome, rule: str) -> None:
    """Exit 2; with --json, status unavailable and the rule; the sentence names the store file."""
    assert outcome.code == 2, (outcome.stdout, outcome.stderr)
    if outcome.as_json:
        result = json.loads(outcome.stdout)
        assert result["status"] == "unavailable"
        assert [e["rule"] for e in result["errors"]] == [rule]
        text = result["errors"][0]["message"]
    else:
        text = outcome.stderr
    assert str(store) in text and WORDS[rule] in text, text


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path / "out" / "export.xlsx"


@pytest.fixture
def edited(workbook: Workbook, tmp_path: Path) -> Path:
    """An export with one real change, so an import has something to write."""
    sku = workbook.sku_ids[0]
    workbook.set(sku, "seller_price", 19.5)
    return workbook.save(tmp_path / "edited.xlsx")


# -- damaged, overwritten, not a catalog -----------------------------------------------------------
def _truncate_half(store: Path) -> None:
    with store.open("r+b") as file:
        file.truncate(store.stat().st_size // 2)


def _random_bytes(store: Path) -> None:
    store.write_bytes(os.urandom(64 * 1024))


def _random_after_header(store: Path) -> None:
    store.write_bytes(b"SQLite format 3\x00" + os.urandom(64 * 1024))


def _overwritten_with_xlsx(store: Path) -> None:
    shutil.copy(Path(store).parent / "export.xlsx", store)


def _emptied(store: Path) -> None:
    store.write_bytes(b"")


def _another_program(store: Path) -> None:
    store.unlink(missing_ok=True)
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()


def _table_dropped(store: Path) -> None:
    db = sqlite3.connect(store)
    db.execute("DROP TABLE run_changes")
    db.commit()
    db.close()


def _last_sku_page_scrambled(store: Path) -> None:
    """Garbage in the last leaf page of the SKU table: the file opens, the first SKUs read, and the
    damage is met only while the catalog's rows are being fetched."""
    db = sqlite3.connect(store)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'skus'").fetchone()[0]
    db.close()
    data = bytearray(store.read_bytes())
    header = (root - 1) * page_size
    assert data[header] == 0x05, "the sample's SKU table should span several pages"
    last_leaf = int.from_bytes(data[header + 8:header + 12], "big")
    start = (last_leaf - 1) * page_size
    data[start:start + page_size] = os.urandom(page_size)
    store.write_bytes(bytes(data))


DAMAGE = {
    "truncated": (_truncate_half, "store_corrupt"),
    "random bytes": (_random_bytes, "store_not_catalog"),
    "random bytes behind an SQLite header": (_random_after_header, "store_not_catalog"),
    "overwritten with an xlsx": (_overwritten_with_xlsx, "store_not_catalog"),
    "empty": (_emptied, "store_not_catalog"),
    "another program's database": (_another_program, "store_not_catalog"),
    "a table dropped": (_table_dropped, "store_corrupt"),
    "a damaged page": (_last_sku_page_scrambled, "store_corrupt"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_store_is_named_by_every_command_and_left_as_it_is(damage, store, exported, out):
    make, rule = DAMAGE[damage]
    make(store)
    before = store.read_bytes()
    for name, args in commands(exported, out).items():
        if damage == "a damaged page" and name in ("history", "revert", "pull"):
            continue  # they read the run journal or the platform first, which the damage does not touch
        assert_named(store, cli(store, *args), rule)
        assert store.read_bytes() == before, name
    assert not out.exists()


def test_a_damaged_page_leaves_the_journal_readable(store):
    _last_sku_page_scrambled(store)
    assert cli(store, "history").code == 0


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_store_is_named_by_the_library(damage, store, exported, out):
    make, rule = DAMAGE[damage]
    make(store)
    result = sheetsync.import_workbook(store, exported)
    assert (result.status, result.exit_code, [e.rule for e in result.errors]) == ("unavailable", 2, [rule])
    assert str(store) in result.errors[0].message
    with pytest.raises(StoreUnavailable) as raised:
        sheetsync.export_catalog(store, out)
    assert raised.value.rule == rule and str(store) in str(raised.value)


def test_a_store_that_is_missing_or_a_folder_is_named(tmp_path, exported, out):
    missing = tmp_path / "nowhere" / "shop.db"
    folder = tmp_path / "folder.db"
    folder.mkdir()
    for name, args in commands(exported, out).items():
        beside_workbook = name in ("import", "validate")  # the workbook's store sits in its folder: named
        assert_named(missing, cli(missing, *args), "store_missing_nearby" if beside_workbook else "store_missing")
        assert_named(folder, cli(folder, *args), "store_not_catalog")
        assert not missing.parent.exists(), name


def test_a_file_that_is_not_a_catalog_keeps_its_bytes_and_mode(tmp_path, exported):
    """--store pointed at a workbook or another program's database: refused, never altered (no
    journal mode switched, no permission tightened)."""
    other = tmp_path / "other.db"
    _another_program(other)
    workbook = tmp_path / "copy.xlsx"
    shutil.copy(exported, workbook)
    for path in (other, workbook):
        path.chmod(0o644)
        before = path.read_bytes()
        assert_named(path, cli(path, "history"), "store_not_catalog")
        assert path.read_bytes() == before and file_mode(path) == 0o644
    with sqlite3.connect(other) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


def test_init_where_a_file_stands_for_the_folder_is_named(tmp_path, exported):
    inside_a_file = exported / "shop.db"
    assert_named(inside_a_file, cli(inside_a_file, "init", "--sample"), "store_io_error")
    assert exported.is_file()


def test_init_over_an_empty_file_makes_a_catalog(tmp_path):
    path = tmp_path / "shop.db"
    path.write_bytes(b"")
    assert_named(path, cli(path, "history"), "store_not_catalog")
    assert cli(path, "init", "--sample").code == 0
    assert cli(path, "history").code == 0


def test_a_bug_still_surfaces_as_a_bug(store):
    """Only faults of the file or the system get a store sentence: wrong SQL, a misused API and a
    broken constraint stay the exceptions they are, so a bug is never disguised as a damaged file."""
    with Store.open(store) as handle:
        with pytest.raises(sqlite3.ProgrammingError):
            handle.db.execute("SELECT ?", (1, 2))
        with pytest.raises(sqlite3.OperationalError) as wrong_sql:
            handle.db.execute("SELEC 1")
        assert not isinstance(wrong_sql.value, StoreUnavailable)
        with pytest.raises(sqlite3.IntegrityError):
            handle.db.execute("INSERT INTO meta VALUES ('store_id', 'x')")
    with pytest.raises(sqlite3.ProgrammingError):
        handle.db.execute("SELECT 1")  # closed


# -- mounted file systems: read-only media, a full disk ---------------------------------------------
def _run(*args: str) -> bool:
    if sys.platform != "linux" or shutil.which(args[0]) is None:
        return False
    return subprocess.run(args, capture_output=True).returncode == 0


@contextmanager
def mounted(target: Path, *mount_args: str) -> Iterator[Path]:
    """A file system mounted at `target` for the test, or a skip where mounting is not permitted."""
    if not target.exists():
        target.mkdir()
    if not _run("mount", *mount_args, str(target)):
        pytest.skip("mounting a file system is not permitted here (needs Linux and root)")
    try:
        yield target
    finally:
        if not _run("umount", str(target)):
            _run("umount", "-l", str(target))


def _read_only(target: Path, bind: bool = False) -> None:
    options = "remount,bind,ro" if bind else "remount,ro"
    if not _run("mount", "-o", options, str(target)):
        pytest.skip("remounting read-only is not permitted here")


def test_read_only_media_are_named_by_every_command(store, exported, out, tmp_path):
    with mounted(tmp_path / "media", "-t", "tmpfs", "-o", "size=4m", "tmpfs") as media:
        on_media = media / "shop.db"
        shutil.copy(store, on_media)
        _read_only(media)
        with pytest.raises(OSError):
            (media / "probe").write_bytes(b"")  # root or not, the media refuse writes
        for args in commands(exported, out).values():
            assert_named(on_media, cli(on_media, *args), "store_readonly")
        assert_named(media / "new.db", cli(media / "new.db", "init", "--sample"), "store_readonly")
        result = sheetsync.import_workbook(on_media, exported)
        assert (result.status, result.errors[0].rule) == ("unavailable", "store_readonly")
        assert str(on_media) in result.errors[0].message
        assert on_media.read_bytes() == store.read_bytes()


def test_a_read_only_store_file_in_a_writable_folder(store, edited, out, tmp_path):
    """The file itself read-only (its folder writable): reading goes on, writing is named."""
    shutil.copy(store, tmp_path / "pristine.db")
    with mounted(store, "--bind", str(tmp_path / "pristine.db")):
        _read_only(store, bind=True)
        assert cli(store, "history").code == 0
        assert cli(store, "validate", edited, "--json").code == 0
        assert_named(store, cli(store, "export", out), "store_readonly")
        assert_named(store, cli(store, "import", edited, "--json"), "store_readonly")
    assert store.read_bytes() == (tmp_path / "pristine.db").read_bytes()


@contextmanager
def full_disk(folder: Path, store: Path, room: int) -> Iterator[Path]:
    """A small tmpfs holding a copy of `store`, then filled up to `room` bytes of free space."""
    with mounted(folder, "-t", "tmpfs", "-o", "size=1m", "tmpfs") as disk:
        copy = disk / "shop.db"
        shutil.copy(store, copy)
        filler = disk / "filler"
        with filler.open("wb") as file:
            file.write(b"\0" * (shutil.disk_usage(disk).free - room))
        assert shutil.disk_usage(disk).free <= room
        try:
            yield copy
        finally:
            filler.unlink()


# Room for SQLite's 32 KiB shared-memory index, not for one more page of the catalog.
ROOM_TO_OPEN = 36 * 1024


def test_a_full_disk_is_named_when_writing(store, exported, edited, out, tmp_path, catalog):
    before = catalog()
    with full_disk(tmp_path / "disk", store, ROOM_TO_OPEN) as on_disk:
        assert cli(on_disk, "history").code == 0  # reading needs no space
        assert_named(on_disk, cli(on_disk, "export", out), "store_disk_full")
        assert_named(on_disk, cli(on_disk, "import", edited, "--json"), "store_disk_full")
        assert not out.exists()
    with full_disk(tmp_path / "disk", store, ROOM_TO_OPEN) as on_disk:
        result = sheetsync.import_workbook(on_disk, edited)
        assert (result.status, result.exit_code, result.errors[0].rule) == ("unavailable", 2, "store_disk_full")
        assert str(on_disk) in result.errors[0].message
        shutil.copy(on_disk, tmp_path / "after.db")
    with Store.open(tmp_path / "after.db") as handle:
        assert handle.catalog_frame().equals(before) and handle.runs() == []


def test_a_disk_without_room_to_open_is_named_full(store, exported, out, tmp_path):
    """With no space at all SQLite cannot even make its shared-memory index: an I/O error it
    reports as such, named a full disk all the same."""
    with full_disk(tmp_path / "disk", store, 0) as on_disk:
        for args in commands(exported, out).values():
            assert_named(on_disk, cli(on_disk, *args), "store_disk_full")
        new = on_disk.parent / "new.db"
        assert_named(new, cli(new, "init", "--sample"), "store_disk_full")
        assert not new.exists()  # a failed init leaves nothing behind: the same init can run again


def test_a_full_database_is_named_portably(store, exported, out, tmp_path, catalog):
    """SQLite's max_page_count makes the catalog full at a chosen point, on any system."""
    before = catalog()
    wb = Workbook(exported)
    for sku in wb.sku_ids:  # a journal of 126 changes needs new pages
        for country in ("US", "FR"):
            wb.set(sku, f"stock_{country}", int(wb.get(sku, f"stock_{country}") or 0) + 1)
    many = wb.save(tmp_path / "many.xlsx")
    with Store.open(store) as handle:
        pages = handle.db.execute("PRAGMA page_count").fetchone()[0]
        handle.db.execute(f"PRAGMA max_page_count = {pages}")
        result = sheetsync.import_workbook(handle, many)
        assert (result.status, result.exit_code, result.errors[0].rule) == ("unavailable", 2, "store_disk_full")
        assert str(store) in result.errors[0].message
        with pytest.raises(StoreUnavailable) as raised:
            sheetsync.export_catalog(handle, out)
        assert raised.value.rule == "store_disk_full"
        assert handle.catalog_frame().equals(before) and handle.runs() == []


# -- held by another program -----------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "exclusive":   # as some database tools do: readers wait too
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
    db.execute("BEGIN EXCLUSIVE")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('held', 'by another program')")
    print("holding", flush=True)
    sys.stdin.readline()
    db.execute("ROLLBACK")
""")
LOCK_TIMEOUT = 0.3


@contextmanager
def held(store: Path, how: str) -> Iterator[None]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store), how],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.communicate("go\n", timeout=30)


@pytest.fixture
def short_wait(store: Path) -> float:
    (store.parent / "sheetsync.toml").write_text(f"lock_timeout = {LOCK_TIMEOUT}\n", encoding="utf-8")
    return LOCK_TIMEOUT


def test_every_command_waits_for_a_held_store_as_configured(store, exported, out, short_wait):
    """A program holding the catalog exclusively: every command waits lock_timeout (from
    sheetsync.toml), not the 30 s default, then says who holds it and what to do."""
    with held(store, "exclusive"):
        for name, args in commands(exported, out).items():
            started = time.monotonic()
            outcome = cli(store, *args)
            waited = time.monotonic() - started
            assert_named(store, outcome, "store_busy")
            assert f"{short_wait:g} s" in outcome.stdout + outcome.stderr
            assert short_wait * 0.9 <= waited < 10, (name, waited)
    assert cli(store, "history").code == 0


def test_writes_wait_for_a_writer_and_reads_go_on(store, exported, edited, out, short_wait):
    """Another program writing (SQLite's usual locking): history and validate read on; export and
    import wait lock_timeout for the write lock, then stop with nothing written."""
    with held(store, "normal"):
        assert cli(store, "history").code == 0
        assert cli(store, "validate", edited, "--json").code == 0
        for args in (["export", out], ["import", edited, "--json"]):
            started = time.monotonic()
            assert_named(store, cli(store, *args), "store_busy")
            assert short_wait * 0.9 <= time.monotonic() - started < 10
    assert sheetsync.import_workbook(store, edited).status == "applied"


def test_the_library_takes_the_wait_from_its_settings(store, exported, out):
    settings = Settings(lock_timeout=LOCK_TIMEOUT)
    with held(store, "exclusive"):
        for call in (lambda: sheetsync.history(store, settings=settings),
                     lambda: sheetsync.export_catalog(store, out, settings=settings),
                     lambda: catalog_size(store, settings=settings),
                     lambda: freight_disagreements(store, settings=settings)):
            started = time.monotonic()
            with pytest.raises(StoreBusy) as raised:
                call()
            assert LOCK_TIMEOUT * 0.9 <= time.monotonic() - started < 10
            assert str(store) in str(raised.value)
        reverted = sheetsync.revert(store, "20240101-000000-abcdef", settings=settings)
        assert (reverted.status, reverted.errors[0].rule) == ("unavailable", "store_busy")


# -- private to its owner --------------------------------------------------------------------------
@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_store_and_its_side_files_are_private_whatever_the_umask(tmp_path, open_umask):
    store = tmp_path / "shop.db"
    assert cli(store, "init", "--sample").code == 0
    assert file_mode(store) == 0o600
    out = tmp_path / "export.xlsx"
    # A reader held open keeps the -wal and -shm files between commands, where they can be seen.
    with Store.open(store):
        for args in (["export", out], ["import", out], ["history"]):
            assert cli(store, *args).code == 0
            for path in (store, *(Path(f"{store}{suffix}") for suffix in SIDE_FILES)):
                assert file_mode(path) == 0o600, (args[0], path.name)
    wb = Workbook(out)
    wb.set(wb.sku_ids[0], "seller_price", 19.5)
    assert cli(store, "import", wb.save(tmp_path / "edited.xlsx")).code == 0
    assert file_mode(store) == 0o600


HOLD_READ = textwrap.dedent("""
    import os, sqlite3, sys
    os.umask(0)
    db = sqlite3.connect(sys.argv[1])
    db.execute("SELECT COUNT(*) FROM skus").fetchone()
    print("open", flush=True)
    sys.stdin.readline()
""")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_store_with_looser_modes_is_tightened_when_opened(store, tmp_path):
    """A catalog copied with 0644 (and -wal/-shm made from it by another program) holds the
    signing secret and the platform tokens: opening it takes group and other access away."""
    store.chmod(0o644)
    reader = subprocess.Popen([sys.executable, "-c", HOLD_READ, str(store)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        side = [Path(f"{store}{suffix}") for suffix in SIDE_FILES]
        assert [file_mode(path) for path in side] == [0o644, 0o644]
        assert cli(store, "history").code == 0
        assert [file_mode(path) for path in (store, *side)] == [0o600, 0o600, 0o600]
    finally:
        reader.communicate("go\n", timeout=30)
