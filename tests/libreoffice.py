"""Drive a real LibreOffice from the tests: re-save a workbook, or edit cells through UNO.

Each session gets a throw-away LibreOffice profile (so no user setting leaks in, and formulas are
recalculated on load). Edits run as a Python macro inside LibreOffice, started with the job in an
environment variable; the macro stores the file and ends LibreOffice, so nothing waits on a timer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

MACRO = '''
import json, os
import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def edit(*args):
    job = json.load(open(os.environ["SHEETSYNC_LO_JOB"], encoding="utf-8"))
    desktop = XSCRIPTCONTEXT.getDesktop()
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(job["src"]), "_blank", 0, (_prop("Hidden", True),))
    try:
        for e in job["edits"]:
            cell = doc.Sheets.getByName(e["sheet"]).getCellRangeByName(e["cell"])
            if e["kind"] == "number":
                cell.setValue(float(e["value"]))
            elif e["kind"] == "text":
                cell.setString(e["value"])
            else:
                cell.setFormula(e["value"])
        doc.calculateAll()
        doc.storeToURL(uno.systemPathToFileUrl(job["dst"]), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
    finally:
        doc.close(True)
        desktop.terminate()
'''


class LibreOffice:
    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.url = f"-env:UserInstallation={profile.as_uri()}"
        self._run("--terminate_after_init")
        scripts = profile / "user" / "Scripts" / "python"
        scripts.mkdir(parents=True, exist_ok=True)
        (scripts / "sheetsync_edit.py").write_text(MACRO, encoding="utf-8")
        # Recalculate every formula of an .xlsx on load, whatever the file's cached values say.
        modifications = profile / "user" / "registrymodifications.xcu"
        text = modifications.read_text(encoding="utf-8")
        item = ('<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
                'oor:op="fuse"><value>0</value></prop></item>')
        modifications.write_text(text.replace("</oor:items>", item + "\n</oor:items>"), encoding="utf-8")

    def _run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        # LibreOffice's embedded Python looks for a `python` on PATH to place its standard library:
        # a pyenv or virtualenv Python anywhere on PATH makes its macros fail to load (soffice
        # aborts). Give it only the system's directories.
        path = os.pathsep.join(d for d in ("/usr/bin", "/bin") if os.path.isdir(d))
        result = subprocess.run([SOFFICE, self.url, "--headless", "--norestore", *args], capture_output=True,
                                text=True, timeout=240, env={**os.environ, "PATH": path, **(env or {})})
        if result.returncode != 0:
            raise RuntimeError(f"soffice failed ({result.returncode}) on {args[-1][:60]}: {result.stderr[:600]}")
        return result

    def resave(self, source: Path, out_dir: Path, fmt: str = "xlsx:Calc MS Excel 2007 XML") -> Path:
        """Open and save again, as `soffice --headless --convert-to` does."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self._run("--convert-to", fmt, "--outdir", str(out_dir), str(source))
        return out_dir / (source.stem + "." + fmt.split(":")[0])

    def edit(self, source: Path, target: Path, edits: list[dict[str, Any]]) -> Path:
        """Set cells through UNO: kind number (setValue), text (setString) or input (setFormula,
        as if typed)."""
        job = target.with_suffix(".job.json")
        job.write_text(json.dumps({"src": str(source), "dst": str(target), "edits": edits}), encoding="utf-8")
        self._run("vnd.sun.star.script:sheetsync_edit.py$edit?language=Python&location=user",
                  env={"SHEETSYNC_LO_JOB": str(job)})
        if not target.exists():
            raise RuntimeError("LibreOffice did not write the edited file")
        return target


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui "
                    "libreoffice-script-provider-python")
    return LibreOffice(tmp_path_factory.mktemp("lo-profile"))
