"""Outputs never land on what must survive, and are written whole or not at all.

Refusals (before any work): the store and the files SQLite keeps beside it, the workbook being
imported, a folder, a missing or read-only folder, a file open in Excel. Failures while writing
(a full disk, a kill or Ctrl-C half way) leave the previous file as it was. The faults are real:
a small tmpfs for a full disk and a read-only remount for read-only media (the tests run as root,
where permissions stop nothing), skipped where mounting is not permitted; kills are sent by the
process to itself at a chosen point, so nothing waits for time."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.errors import ConfigError, OutputFailed
from sheetsync.outputs import check_output, replacing, write_bytes
from sheetsync.report import write_report
from sheetsync.results import ImportResult
from sheetsync.store import Store
from tests.conftest import Workbook, stocked_country
from tests.test_orders import OrdersBook


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_state(store: Path) -> tuple[str, list]:
    """The catalog and its journal, as a seller would see them."""
    with Store.open(store) as handle:
        return handle.catalog_frame().to_csv(), handle.runs()


def cli(store: Path, *args: object) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["--store", str(store), *map(str, args)])
    assert run.exit_code != 70, run.output
    return run.exit_code, run.output


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def edited(workbook: Workbook, tmp_path: Path) -> Path:
    """An export with one price and one stock changed: importing it would apply two changes."""
    first, second = workbook.sku_ids[0], workbook.sku_ids[3]
    workbook.set(first, "seller_price", 23.45)
    workbook.set(second, f"stock_{stocked_country(workbook, second)}", 0)
    return workbook.save(tmp_path / "edited.xlsx")


# --- refused before any work --------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_onto_the_store_is_refused_and_the_store_kept(store, suffix):
    before = digest(store)
    code, output = cli(store, "export", f"{store}{suffix}")
    assert code == 2
    assert "is the catalog itself" in output
    assert digest(store) == before
    assert not Path(f"{store}-journal").exists() or suffix != "-journal"


def test_export_onto_the_store_by_another_spelling_is_refused(store, tmp_path):
    (tmp_path / "sub").mkdir()
    link = tmp_path / "catalog-link.xlsx"
    link.symlink_to(store)
    before = digest(store)
    for spelling in (tmp_path / "sub" / ".." / store.name, link):
        with pytest.raises(ConfigError) as refused:
            sheetsync.export_catalog(store, spelling)
        assert refused.value.rule == "output_is_store"
    # an open handle: the path to keep comes from the store itself
    with Store.open(store) as handle, pytest.raises(ConfigError):
        sheetsync.export_catalog(handle, store)
    assert digest(store) == before


def test_names_differing_only_by_case_are_one_file_where_the_file_system_says_so(tmp_path):
    """A case-insensitive file system (Windows, macOS) answers through samefile; where neither
    file exists yet (a store's -wal between runs) the names are compared ignoring case."""
    kept = tmp_path / "Shop.db"
    with pytest.raises(ConfigError):
        check_output(tmp_path / "SHOP.DB-WAL", store=kept)
    kept.write_bytes(b"catalog")
    case_insensitive = (tmp_path / "SHOP.DB").exists()
    if case_insensitive:
        with pytest.raises(ConfigError):
            check_output(tmp_path / "SHOP.DB", store=kept)
    else:
        assert check_output(tmp_path / "SHOP.DB", store=kept) == tmp_path / "SHOP.DB"


@pytest.mark.parametrize("onto", ["store", "input"])
def test_report_onto_the_store_or_the_input_is_refused_before_anything_is_applied(store, edited, onto):
    kept = {"store": store, "input": edited}[onto]
    catalog_before, input_before, store_before = store_state(store), digest(edited), digest(store)
    code, output = cli(store, "import", edited, "--report", kept)
    assert code == 2
    assert ("is the catalog itself" if onto == "store" else "is the file this command reads") in output
    assert digest(edited) == input_before
    assert digest(store) == store_before
    assert store_state(store) == catalog_before


def test_report_onto_the_input_through_the_library_returns_the_refusal(store, edited):
    before = store_state(store)
    result = sheetsync.import_workbook(store, edited, report=edited)
    assert result.status == "unreadable" and result.exit_code == 2
    assert [issue.rule for issue in result.errors] == ["output_is_input"]
    assert result.report is None
    assert store_state(store) == before


def test_export_onto_its_own_rate_card_is_refused(store, tmp_path):
    rates = tmp_path / "rates.csv"
    shutil.copy(sheetsync.config.reference_file("freight_rates.csv"), rates)
    with pytest.raises(ConfigError) as refused:
        sheetsync.export_catalog(store, rates, rates=rates)
    assert refused.value.rule == "output_is_input"


def test_report_into_a_missing_folder_is_refused_with_the_folder_named(store, edited, tmp_path):
    before = store_state(store)
    missing = tmp_path / "no such folder"
    code, output = cli(store, "import", edited, "--report", missing / "report.xlsx")
    assert code == 2
    assert f"the folder {missing} does not exist" in output
    assert store_state(store) == before


def test_report_onto_a_folder_is_refused(store, edited, tmp_path):
    before = store_state(store)
    code, _ = cli(store, "import", edited, "--report", tmp_path)  # click refuses a folder itself
    assert code == 2
    result = sheetsync.import_workbook(store, edited, report=tmp_path)
    assert [issue.rule for issue in result.errors] == ["output_is_folder"]
    assert "is a folder, not a file" in result.errors[0].message
    assert store_state(store) == before


def test_output_onto_a_device_is_refused(tmp_path):
    with pytest.raises(ConfigError) as refused:
        check_output(os.devnull)
    assert refused.value.rule == "output_not_file"
    assert Path(os.devnull).exists()


LONG_NAME = "x" * 300 + ".xlsx"  # more than the 255 bytes a file name may have


@pytest.mark.parametrize("command", ["export", "orders export", "import", "orders import"])
def test_a_file_name_too_long_is_a_sentence_before_any_work(store, edited, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    orders = tmp_path / "orders.xlsx"
    assert cli(store, "orders", "export", orders)[0] == 0
    book = OrdersBook(orders)
    book.fill(book.with_status("to confirm")[0], confirm="yes")
    book.save(orders)
    before = store_state(store)
    args = {"export": ["export", LONG_NAME], "orders export": ["orders", "export", LONG_NAME],
            "import": ["import", edited, "--report", LONG_NAME],
            "orders import": ["orders", "import", orders, "--report", LONG_NAME]}[command]
    code, output = cli(store, *args)
    assert code == 2, output
    words = " ".join(output.split())
    assert f"{LONG_NAME} cannot be used as an output file: File name too long. Nothing was done" in words
    assert "internal error" not in output
    assert store_state(store) == before


@pytest.mark.parametrize("fault", ["a file as a folder", "a loop of links"])
def test_any_os_fault_on_the_output_path_names_the_path_and_the_reason(store, tmp_path, fault):
    (tmp_path / "notes.txt").write_text("notes")
    (tmp_path / "loop-a.xlsx").symlink_to(tmp_path / "loop-b.xlsx")
    (tmp_path / "loop-b.xlsx").symlink_to(tmp_path / "loop-a.xlsx")
    out, reason = {"a file as a folder": (tmp_path / "notes.txt" / "export.xlsx", "Not a directory"),
                   "a loop of links": (tmp_path / "loop-a.xlsx", "Too many levels of symbolic links")}[fault]
    for command in (["export"], ["orders", "export"]):
        code, output = cli(store, *command, out)
        assert code == 2, output
        assert f"{out} cannot be used as an output file: {reason}." in " ".join(output.split())
    assert (tmp_path / "notes.txt").read_text() == "notes"


@pytest.mark.parametrize("lock", ["~$export.xlsx", ".~lock.export.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_refused(store, tmp_path, lock):
    out = tmp_path / "export.xlsx"
    sheetsync.export_catalog(store, out)
    before = digest(out)
    (tmp_path / lock).write_bytes(b"owner")
    code, output = cli(store, "export", out)
    assert code == 2
    assert "is open in Excel or another program" in output and lock in output
    assert digest(out) == before


# --- real file-system faults ---------------------------------------------------------------------

def _mount(*args: str) -> bool:
    if shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: a real disk that fills up and can be made read-only."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if sys.platform != "linux" or not _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)):
        pytest.skip("mounting a tmpfs is not permitted here")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path, leave: int) -> None:
    """Use up the disk but `leave` bytes."""
    free = shutil.disk_usage(folder).free
    (folder / "filler").write_bytes(b"\0" * max(free - leave, 0))


def test_export_onto_a_full_disk_keeps_the_previous_file_and_says_so(store, tmp_path, small_disk):
    out = small_disk / "export.xlsx"
    sheetsync.export_catalog(store, out)
    before = digest(out)
    bigger = tmp_path / "bigger.db"
    sheetsync.init_store(bigger, synthetic=3000)
    _fill(small_disk, leave=16 * 1024)
    code, output = cli(bigger, "export", out)
    assert code == 2
    assert "The disk is full" in output and str(out) in output
    assert digest(out) == before
    # As a seller runs it: one sentence on stderr, nothing after it (no zip closing itself late).
    run = subprocess.run([sys.executable, "-m", "sheetsync.cli", "--store", str(bigger), "export", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith("sheetsync: The disk is full") and len(run.stderr.splitlines()) == 1
    assert digest(out) == before
    openpyxl.load_workbook(out, read_only=True).close()
    assert leftovers(small_disk) == []


def test_report_onto_a_full_disk_raises_output_failed_and_keeps_the_previous_report(small_disk):
    out = small_disk / "report.xlsx"
    write_report(out, ImportResult(status="unchanged", file="x.xlsx"), None, "store")
    before = digest(out)
    _fill(small_disk, leave=0)
    with pytest.raises(OutputFailed) as failed:
        write_report(out, ImportResult(status="unchanged", file="x.xlsx"), None, "store")
    assert failed.value.rule == "output_disk_full" and failed.value.exit_code == 2
    assert digest(out) == before
    assert leftovers(small_disk) == []


def test_read_only_media_are_refused_before_anything_is_done(store, edited, small_disk):
    report = small_disk / "report.xlsx"
    export = small_disk / "export.xlsx"
    sheetsync.export_catalog(store, export)
    report.write_bytes(b"previous report")
    before = store_state(store), digest(export)
    if not _mount("-o", "remount,ro", str(small_disk)):
        pytest.skip("remounting read-only is not permitted here")
    code, output = cli(store, "import", edited, "--report", report)
    assert code == 2
    assert f"sheetsync may not create files in {small_disk}" in output
    code, output = cli(store, "export", export)
    assert code == 2 and "may not create files" in output
    assert (store_state(store), digest(export)) == before
    assert report.read_bytes() == b"previous report"


# --- interrupted half way --------------------------------------------------------------------------

# Runs one command and sends the process `sig` itself at a chosen point: after `rows` rows were
# streamed (the export's progress hook), or once the first part of the zip was written into the
# output (the last phase, where writing in place would already have cut the previous file).
_INTERRUPTED = textwrap.dedent("""
    import os, signal, sys, zipfile
    import sheetsync

    command, store, source, out, sig, point = sys.argv[1:7]
    stop = lambda: os.kill(os.getpid(), getattr(signal, sig))
    streamed = 0

    def progress(rows):
        global streamed
        streamed += rows
        if point == "rows" and streamed >= 2000:
            stop()

    write = zipfile.ZipFile.write
    def write_then_stop(self, *args, **kwargs):
        write(self, *args, **kwargs)
        if point == "zip":
            stop()
    zipfile.ZipFile.write = write_then_stop

    if command == "export":
        sheetsync.export_catalog(store, out, progress=progress)
    else:
        sheetsync.import_workbook(store, source, dry_run=True, report=out)
    print("not interrupted")
""")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.db"
    sheetsync.init_store(path, synthetic=3000)
    return path


def _interrupt(command: str, store: Path, source: Path | None, out: Path, sig: str, point: str) -> int:
    run = subprocess.run([sys.executable, "-c", _INTERRUPTED, command, str(store), str(source), str(out), sig, point],
                         capture_output=True, text=True, timeout=120)
    assert "not interrupted" not in run.stdout
    return run.returncode


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
@pytest.mark.parametrize("point", ["rows", "zip"])
def test_an_interrupted_export_leaves_the_previous_file_intact(big_store, tmp_path, sig, point):
    store = tmp_path / "big.db"
    shutil.copy(big_store, store)
    out = tmp_path / "export.xlsx"
    sheetsync.export_catalog(store, out)
    before = digest(out)
    code = _interrupt("export", store, None, out, sig, point)
    assert code == -getattr(signal, sig)
    assert digest(out) == before
    book = openpyxl.load_workbook(out, read_only=True)
    assert book["Products"].max_row == 3002
    book.close()
    if sig == "SIGINT":  # Ctrl-C cleans up; a kill cannot, and its half-written file is aside
        assert leftovers(tmp_path) == []
    else:
        assert len(leftovers(tmp_path)) == 1


def test_a_report_killed_while_written_leaves_the_previous_report_intact(store, edited, tmp_path):
    out = tmp_path / "report.xlsx"
    sheetsync.import_workbook(store, edited, dry_run=True, report=out)
    before = digest(out)
    assert _interrupt("report", store, edited, out, "SIGKILL", "zip") == -signal.SIGKILL
    assert digest(out) == before
    openpyxl.load_workbook(out, read_only=True).close()


# --- the writing itself ------------------------------------------------------------------------------

def test_bytes_are_written_whole_with_the_usual_permissions(tmp_path):
    out = tmp_path / "labels.pdf"
    write_bytes(out, b"%PDF-1.7 first")
    write_bytes(out, b"%PDF-1.7 second")
    assert out.read_bytes() == b"%PDF-1.7 second"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []


def test_a_writer_that_fails_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "labels.pdf"
    write_bytes(out, b"previous")
    for failure in (ValueError("a bug half way"), KeyboardInterrupt()):
        with pytest.raises(type(failure)), replacing(out) as stream:
            stream.write(b"half")
            raise failure
    assert out.read_bytes() == b"previous"
    assert leftovers(tmp_path) == []


def test_a_link_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real.pdf"
    real.write_bytes(b"old")
    link = tmp_path / "link.pdf"
    link.symlink_to(real)
    write_bytes(check_output(link), b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
