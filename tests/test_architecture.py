"""The layers of docs/architecture.md, checked on the code: a module imports only from its own layer
or below, edges never import each other, nothing imports the CLI, and each third-party library
stays in the modules named for it. A new module must be given its layer here (and in the doc)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sheetsync"

LAYERS = {
    0: {"errors", "results", "cells", "config", "messages", "outputs", "amounts"},
    1: {"fields", "convert", "schema", "pricing", "preview", "diff", "integrity", "seed", "sheetxml", "orders"},
    2: {"xlsx", "sheetlook", "template", "read", "store", "report", "mail", "targets"},
    3: {"pipeline", "demo", "orders_pipeline"},
    4: {"cli"},
}
# xlsx and sheetlook are the writers' shared adapters over XlsxWriter (its internals; the look of a
# Products sheet), used by template and report
EDGES = LAYERS[2] - {"xlsx", "sheetlook"}
LIBRARIES = {  # a third-party library → the only modules that may import it
    "click": {"cli"},
    "requests": {"targets"},
    "pydantic": {"targets"},
    "pandera": {"schema"},
    "smtplib": {"mail"},
    "xlsxwriter": {"xlsx", "sheetlook", "template", "report"},
    "python_calamine": {"read"},
    "defusedxml": {"read"},
    "sqlite3": {"store"},
    "tqdm": {"cli"},
    "filelock": {"store"},
    "openpyxl": {"demo"},
}


def layer_of(module: str) -> int:
    for layer, names in LAYERS.items():
        if module in names:
            return layer
    raise AssertionError(f"sheetsync.{module} has no layer: add it to LAYERS and to docs/architecture.md")


def top(path: Path) -> str:
    """The top-level module a file belongs to: sheetsync/targets/aliexpress/client.py → targets."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def runtime_imports(path: Path) -> list[tuple[str, int]]:
    """(imported name, line) of every import that runs, i.e. outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
    found = []
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package if path.name == "__init__.py" else package[:-1])
                base = base[:len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
                found += [(name, node.lineno)] if node.module else [(f"{name}.{a.name}", node.lineno)
                                                                    for a in node.names]
            else:
                found.append((node.module or "", node.lineno))
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_imports_follow_the_layers(path):
    here = top(path)
    for name, line in runtime_imports(path):
        where = f"{path.relative_to(PACKAGE)}:{line} imports {name}"
        root = name.split(".")[0]
        if root == "sheetsync":
            parts = name.split(".")
            if len(parts) == 1 or parts[1] in ("templates", "sample_data"):
                continue
            other = parts[1]
            assert other != "cli", where
            if other == here:
                continue
            assert layer_of(other) <= layer_of(here), f"{where}: layer {layer_of(other)} above {layer_of(here)}"
            assert not (here in EDGES and other in EDGES), f"{where}: edges never import each other"
        elif root in LIBRARIES:
            assert here in LIBRARIES[root], f"{where}: {root} belongs in {sorted(LIBRARIES[root])}"


def test_every_module_has_a_layer_and_is_in_the_architecture_doc():
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in SOURCES:
        assert layer_of(top(path)) is not None
        relative = path.relative_to(PACKAGE)
        if path.parent == PACKAGE:
            names = [f"`{top(path)}`"]
        elif path.name == "__init__.py":
            names = [f"`{relative.parent.as_posix()}"]
        else:
            names = [f"`{path.name}`", f"`{relative.as_posix()}`"]
        assert any(name in doc for name in names), f"{relative} is not described in docs/architecture.md"
