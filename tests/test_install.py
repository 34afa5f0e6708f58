"""Installing and first use as a new seller meets them: `sheetsync demo` runs the main job end to
end (no shell script, so on Windows too), again in the same folder, and in Chinese; the README's
quick start is exactly two commands, the ones `.ci/run` runs; the install lines and the Python
versions stated agree with what the code supports."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.store import Store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_FILES = ("shop.db", "catalog.xlsx", "catalog-edited.xlsx", "report.xlsx")


def demo(*args: str):
    return CliRunner().invoke(main, ["demo", *args])


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def commands(text: str) -> list[str]:
    """The command lines of the fenced shell blocks of `text` (comments and prompts left out)."""
    blocks = re.findall(r"```(?:sh|console|powershell)\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_demo_runs_the_main_job_and_says_where_the_files_are(tmp_path):
    folder = tmp_path / "demo"
    run = demo(str(folder))
    assert run.exit_code == 0, run.output
    for name in DEMO_FILES:
        assert (folder / name).is_file(), name
        assert str(folder / name) in run.output, name
    assert "Applied: every change was written to the local catalog only." in run.output
    assert f"sheetsync --store {folder / 'shop.db'} history" in run.output
    edits_step = run.output.split("\n3. ")[1].split("\n4. ")[0]
    edited = re.findall(r"Products!(\w+)\s+(\S+)\s+.+?\s+(\S+) → (\S+)", edits_step)
    assert len(edited) == 3
    assert len(re.findall(r"Products!", run.output)) == 9, "the same three changes, planned and applied"
    with Store.open(folder / "shop.db") as store:
        catalog = store.catalog_frame().set_index("sku_code")
        runs = store.runs()
    price_code, price_after = edited[0][1], edited[0][3]
    assert catalog.at[price_code, "seller_price"] == round(float(price_after) * 100)
    assert catalog.at[edited[2][1], "stock_FR"] == 0
    assert [r["status"] for r in runs] == ["applied"] and runs[0]["changes"] == 3
    changes = openpyxl.load_workbook(folder / "report.xlsx")["Changes"]
    assert changes.max_row - 1 == 3


def test_demo_runs_again_in_the_same_folder_from_the_start(tmp_path):
    folder = tmp_path / "demo"
    first = demo(str(folder))
    second = demo(str(folder))
    assert first.exit_code == second.exit_code == 0, second.output

    def without_run_ids(text: str) -> str:
        return re.sub(r"\d{8}-\d{6}-[0-9a-f]{6}", "RUN", text)

    assert without_run_ids(second.output) == without_run_ids(first.output)
    with Store.open(folder / "shop.db") as store:
        assert len(store.runs()) == 1  # a fresh store, not a second import into the first


def test_demo_in_chinese(tmp_path):
    folder = tmp_path / "演示"
    run = demo(str(folder), "--lang", "zh")
    assert run.exit_code == 0, run.output
    assert "sheetsync 演示" in run.output and "已应用" in run.output and "接下来可以试试" in run.output
    demo_lines = [line for line in run.output.splitlines() if re.match(r"\d\. ", line)]
    assert len(demo_lines) == 5
    for line in demo_lines:  # the demo's own steps: Chinese, with only commands, paths and codes in Latin
        words = re.sub(r"`[^`]*`|sheetsync[^：]*$|\S*[/\\]\S*|\b[A-Z]{2,}\b|Excel|WPS|LibreOffice|sheetsync", "",
                       line)
        assert not re.search(r"[a-z]{3,}", words), line
    sheet = openpyxl.load_workbook(folder / "catalog.xlsx")["Products"]
    assert sheet.cell(1, 1).value and re.search(r"[\u4e00-\u9fff]", str(sheet.cell(1, 1).value))


def test_demo_in_the_current_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = demo()
    assert run.exit_code == 0, run.output
    assert all((tmp_path / "sheetsync-demo" / name).is_file() for name in DEMO_FILES)


def test_demo_never_writes_into_a_folder_of_other_files(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "shop.db").write_bytes(b"my real catalog")
    (folder / "catalog.xlsx").write_bytes(b"my edits")
    run = demo(str(folder))
    assert run.exit_code == 2
    assert "did not make" in run.output and "Nothing was done" in run.output
    assert (folder / "shop.db").read_bytes() == b"my real catalog"
    assert (folder / "catalog.xlsx").read_bytes() == b"my edits"
    assert sorted(p.name for p in folder.iterdir()) == ["catalog.xlsx", "shop.db"]


def test_demo_never_remakes_a_real_store(tmp_path):
    folder = tmp_path / "shop"
    assert CliRunner().invoke(main, ["--store", str(folder / "shop.db"), "init", "--sample"]).exit_code == 0
    run = demo(str(folder))
    assert run.exit_code == 2
    with Store.open(folder / "shop.db") as store:
        assert store.meta("demo") is None and store.sku_count() == 63


def test_the_quick_start_is_two_commands_and_ci_runs_them():
    quick = commands(section("Quick start"))
    assert quick == ["pip install . && sheetsync demo", 'pip install -e ".[test]" && python -m pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]"' in ci and "\npython -m pytest\n" in ci
    assert "sheetsync demo" in ci
    assert "bash" not in quick[0] and not (ROOT / "scripts" / "quickstart.sh").exists()


def test_install_says_the_python_version_and_shows_venv_and_pipx_for_each_system():
    install = section("Install")
    assert "Python 3.11 or newer" in install
    unix = install[install.index("Linux and macOS"):install.index("Windows (PowerShell)")]
    windows = install[install.index("Windows (PowerShell)"):]
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install ." in commands(unix)
    assert "py -m venv .venv; .venv\\Scripts\\Activate.ps1; pip install ." in commands(windows)
    assert "pipx install ." in commands(unix) and "pipx install ." in commands(windows)


def test_requires_python_is_what_the_code_is_checked_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"] == ">=3.11"
    assert project["tool"]["ruff"]["target-version"] == "py311"
    assert "Programming Language :: Python :: 3.11" in project["project"]["classifiers"]


def test_the_default_demo_folder_is_ignored_by_git():
    assert "sheetsync-demo/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_demo_output_redirected_in_a_code_page_without_chinese_still_runs(tmp_path):
    """A Windows console redirected to a file writes in the ANSI code page (cp1252 in the West):
    characters it lacks show as ? instead of stopping the command with an encoding error."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "sheetsync.cli", "demo", str(tmp_path / "demo"), "--lang", "zh"],
                         capture_output=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr.decode("cp1252")
    assert b"?" in run.stdout and b"catalog-edited.xlsx" in run.stdout
