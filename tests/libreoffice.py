"""Drive a real LibreOffice from the tests: re-save a workbook, or edit cells through UNO.

Each session gets a throw-away LibreOffice profile (so no user setting leaks in, and formulas are
recalculated on load). Edits run as a Python macro inside LibreOffice, started with the job in an
environment variable; the macro stores the file and ends LibreOffice, so nothing waits on a timer.

A test that cannot run here skips with the reason, it does not fail: the `libreoffice` fixture
needs a soffice that starts headless, and `LibreOffice.edit` (UNO macros) also needs LibreOffice's
Python script provider, checked by its file and then by running a one-line macro once. Set
SHEETSYNC_SOFFICE to use another soffice (an empty value: as if none were installed); a wrapper
script in a folder without pythonscript.py is how tests/test_libreoffice_skips.py shows the skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SOFFICE_ENV = "SHEETSYNC_SOFFICE"
INSTALL_HINT = "apt-get install libreoffice-calc-nogui libreoffice-script-provider-python"
START_TIMEOUT = 120  # seconds for a headless start that sets up the profile
RUN_TIMEOUT = 240  # seconds for one conversion or macro

MACRO = '''
import json, os
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellRangeAddress
from com.sun.star.table import TableSortField


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def probe(*args):
    """Proof that Python macros run: write the file named by the job variable."""
    with open(os.environ["SHEETSYNC_LO_JOB"], "w", encoding="utf-8") as out:
        out.write("ok")
    XSCRIPTCONTEXT.getDesktop().terminate()


def _sort(sheet, e):
    """Sort rows first_row..last_row (1-based, whole width) by one column, as Data > Sort does."""
    width = sheet.createCursor()
    width.gotoEndOfUsedArea(False)
    area = sheet.getCellRangeByPosition(0, e["first_row"] - 1, width.RangeAddress.EndColumn, e["last_row"] - 1)
    field = TableSortField()
    field.Field = e["column"]
    field.IsAscending = e.get("ascending", True)
    descriptor = area.createSortDescriptor()
    for p in descriptor:
        if p.Name == "SortFields":
            p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
        elif p.Name == "ContainsHeader":
            p.Value = False
    area.sort(descriptor)


def edit(*args):
    job = json.load(open(os.environ["SHEETSYNC_LO_JOB"], encoding="utf-8"))
    desktop = XSCRIPTCONTEXT.getDesktop()
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(job["src"]), "_blank", 0, (_prop("Hidden", True),))
    step = None
    try:
        for step in job["edits"]:
            e = step
            sheet = doc.Sheets.getByName(e["sheet"])
            if e["kind"] == "sort":
                _sort(sheet, e)
            elif e["kind"] == "delete_row":
                sheet.Rows.removeByIndex(e["row"] - 1, 1)
            elif e["kind"] == "insert_column":
                sheet.Columns.insertByIndex(e["column"], 1)
            else:
                cell = sheet.getCellRangeByName(e["cell"])
                if e["kind"] == "number":
                    cell.setValue(float(e["value"]))
                elif e["kind"] == "text":
                    cell.setString(e["value"])
                else:
                    cell.setFormula(e["value"])
        doc.calculateAll()
        doc.storeToURL(uno.systemPathToFileUrl(job["dst"]), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
    except Exception as exc:  # say which step LibreOffice refused, instead of aborting
        with open(job["error"], "w", encoding="utf-8") as out:
            out.write(f"{type(exc).__name__} {exc} at {json.dumps(step)}")
    finally:
        doc.close(True)
        desktop.terminate()
'''


class Unavailable(Exception):
    """LibreOffice cannot be used here; the message says why and how to get it."""


def find_soffice() -> str | None:
    """The soffice to drive: SHEETSYNC_SOFFICE when set (empty: none), else the one on PATH."""
    chosen = os.environ.get(SOFFICE_ENV)
    if chosen is not None:
        return chosen if chosen and Path(chosen).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


SOFFICE = find_soffice()  # as found when the tests start (tests/pitfalls.py asks before making a LibreOffice)


def script_provider(soffice: str) -> Path | None:
    """LibreOffice's Python script provider (pythonscript.py) beside the real soffice binary:
    program/ on Linux and Windows, Resources/ in the macOS bundle."""
    program = Path(soffice).resolve().parent
    for candidate in (program / "pythonscript.py", program.parent / "Resources" / "pythonscript.py"):
        if candidate.is_file():
            return candidate
    return None


class LibreOffice:
    def __init__(self, profile: Path, soffice: str | None = None) -> None:
        """Set up a throw-away profile; raises Unavailable when soffice is missing or does not start."""
        self.soffice = soffice or find_soffice()
        if self.soffice is None:
            raise Unavailable(f"LibreOffice (soffice) is not installed: {INSTALL_HINT}")
        self.profile = profile
        self.url = f"-env:UserInstallation={profile.as_uri()}"
        self._macros: str | None = None  # why macros cannot run ("" once they were seen to run)
        try:
            self._run("--terminate_after_init", timeout=START_TIMEOUT)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"{self.soffice} does not start headless: {str(exc)[:300]}") from exc
        modifications = profile / "user" / "registrymodifications.xcu"
        if not modifications.is_file():
            raise Unavailable(f"{self.soffice} started but made no profile in {profile}")
        scripts = profile / "user" / "Scripts" / "python"
        scripts.mkdir(parents=True, exist_ok=True)
        (scripts / "sheetsync_edit.py").write_text(MACRO, encoding="utf-8")
        # Recalculate every formula of an .xlsx on load, whatever the file's cached values say.
        text = modifications.read_text(encoding="utf-8")
        item = ('<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
                'oor:op="fuse"><value>0</value></prop></item>')
        modifications.write_text(text.replace("</oor:items>", item + "\n</oor:items>"), encoding="utf-8")

    def _run(self, *args: str, env: dict[str, str] | None = None,
             timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        # LibreOffice's embedded Python looks for a `python` on PATH to place its standard library:
        # a pyenv or virtualenv Python anywhere on PATH makes its macros fail to load (soffice
        # aborts). Give it only the system's directories.
        path = os.pathsep.join(d for d in ("/usr/bin", "/bin") if os.path.isdir(d))
        result = subprocess.run([self.soffice, self.url, "--headless", "--norestore", *args], capture_output=True,
                                text=True, timeout=timeout, env={**os.environ, "PATH": path, **(env or {})})
        if result.returncode != 0:
            raise RuntimeError(f"soffice failed ({result.returncode}) on {args[-1][:60]}: {result.stderr[:600]}")
        return result

    def macros_missing(self) -> str | None:
        """Why Python macros cannot run here, or None when they can. Checked once: the script
        provider's file, then a one-line macro (a provider that is present but broken aborts)."""
        if self._macros is None:
            self._macros = self._check_macros()
        return self._macros or None

    def _check_macros(self) -> str:
        assert self.soffice is not None
        if script_provider(self.soffice) is None:
            return (f"LibreOffice's Python script provider is missing (no pythonscript.py beside "
                    f"{Path(self.soffice).resolve()}): apt-get install libreoffice-script-provider-python")
        proof = self.profile / "macro-probe.txt"
        try:
            self._run("vnd.sun.star.script:sheetsync_edit.py$probe?language=Python&location=user",
                      env={"SHEETSYNC_LO_JOB": str(proof)})
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return f"LibreOffice cannot run a Python macro: {str(exc)[:300]}"
        return "" if proof.is_file() else "LibreOffice ran the probe macro but it wrote nothing"

    def resave(self, source: Path, out_dir: Path, fmt: str = "xlsx:Calc MS Excel 2007 XML") -> Path:
        """Open and save again, as `soffice --headless --convert-to` does."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self._run("--convert-to", fmt, "--outdir", str(out_dir), str(source))
        return out_dir / (source.stem + "." + fmt.split(":")[0])

    def edit(self, source: Path, target: Path, edits: list[dict[str, Any]]) -> Path:
        """Edit through UNO and save as xlsx. Kinds: number (setValue), text (setString), input
        (setFormula, as if typed) on a `cell`; sort (`first_row`..`last_row` by 0-based `column`,
        `ascending`), delete_row (1-based `row`), insert_column (before 0-based `column`).
        Skips the calling test when Python macros cannot run here."""
        reason = self.macros_missing()
        if reason:
            pytest.skip(reason)
        job = target.with_suffix(".job.json")
        error = target.with_suffix(".error.txt")
        job.write_text(json.dumps({"src": str(source), "dst": str(target), "edits": edits, "error": str(error)}),
                       encoding="utf-8")
        self._run("vnd.sun.star.script:sheetsync_edit.py$edit?language=Python&location=user",
                  env={"SHEETSYNC_LO_JOB": str(job)})
        if error.exists():
            raise RuntimeError(f"LibreOffice refused an edit: {error.read_text(encoding='utf-8')}")
        if not target.exists():
            raise RuntimeError("LibreOffice did not write the edited file")
        return target


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    try:
        return LibreOffice(tmp_path_factory.mktemp("lo-profile"))
    except Unavailable as exc:
        pytest.skip(str(exc))
