"""A LibreOffice test that cannot run here skips with its reason; it never fails the suite.

Each case runs the real LibreOffice tests in a child pytest with SHEETSYNC_SOFFICE pointing at a
machine that lacks something: no soffice at all, a soffice that does not start, a soffice without
the Python script provider (a wrapper around the real one, in a folder with no pythonscript.py
beside it), and one whose provider is there but cannot run a macro. In the last two the re-save
test still runs and only the UNO-macro test skips.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.libreoffice import find_soffice

ROOT = Path(__file__).resolve().parent.parent
MACRO_TEST = "tests/test_libreoffice.py::test_edits_typed_in_libreoffice"
RESAVE_TEST = "tests/test_libreoffice.py::test_resaved_export_imports_with_no_errors_and_no_changes"


def child_pytest(soffice: str, *tests: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHEETSYNC_SOFFICE": soffice}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *tests],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def outcome(run: subprocess.CompletedProcess) -> dict[str, int]:
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|skipped|failed|error)", run.stdout)}


def fake_soffice(folder: Path, body: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_no_soffice_skips_every_libreoffice_test():
    run = child_pytest("", MACRO_TEST, RESAVE_TEST)
    assert run.returncode == 0 and outcome(run) == {"skipped": 2}, run.stdout[-2000:]
    assert "soffice) is not installed" in run.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for soffice")
def test_a_soffice_that_does_not_start_skips(tmp_path):
    broken = fake_soffice(tmp_path / "broken", "echo 'cannot open display' >&2; exit 1")
    run = child_pytest(broken, MACRO_TEST, RESAVE_TEST)
    assert run.returncode == 0 and outcome(run) == {"skipped": 2}, run.stdout[-2000:]
    assert "does not start headless" in run.stdout


@pytest.mark.libreoffice
@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for soffice")
def test_without_the_script_provider_only_the_macro_test_skips(tmp_path):
    real = find_soffice()
    if real is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    # Beside the wrapper there is no pythonscript.py: LibreOffice as installed without
    # libreoffice-script-provider-python, everything else working.
    wrapper = fake_soffice(tmp_path / "no-provider" / "program", f'exec "{real}" "$@"')
    run = child_pytest(wrapper, MACRO_TEST, RESAVE_TEST)
    assert run.returncode == 0 and outcome(run) == {"passed": 1, "skipped": 1}, run.stdout[-2000:]
    assert "Python script provider is missing" in run.stdout
    assert "libreoffice-script-provider-python" in run.stdout


@pytest.mark.libreoffice
@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for soffice")
def test_a_provider_that_cannot_run_macros_skips_the_macro_test(tmp_path):
    """The provider's file is there but a macro aborts soffice (what a broken Python does): the
    one-line probe macro finds out once, and the macro test skips naming the abort."""
    real = find_soffice()
    if real is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path / "broken-provider" / "program"
    wrapper = fake_soffice(folder, 'case "$*" in *vnd.sun.star.script*) echo "Fatal exception: Signal 6" >&2; '
                                   f'exit 134;; esac\nexec "{real}" "$@"')
    (folder / "pythonscript.py").write_text("", encoding="utf-8")
    run = child_pytest(wrapper, MACRO_TEST, RESAVE_TEST)
    assert run.returncode == 0 and outcome(run) == {"passed": 1, "skipped": 1}, run.stdout[-2000:]
    assert "cannot run a Python macro" in run.stdout and "Signal 6" in run.stdout
