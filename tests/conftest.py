"""Shared fixtures: a sample store, its export, and helpers to edit workbooks like a seller."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import sheetsync
from sheetsync.store import Store

# A message asked for without a parameter its sentence needs fails the test that asked (and the
# CLI processes the tests start inherit it).
os.environ["SHEETSYNC_STRICT_MESSAGES"] = "1"


class Workbook:
    """An exported workbook opened with openpyxl, addressed by sku_id and field key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wb = openpyxl.load_workbook(path)
        self.ws = self.wb["Products"]
        self.keys = {self.ws.cell(2, c).value: c for c in range(1, self.ws.max_column + 1)}
        self.rows = {str(self.ws.cell(r, self.keys["sku_id"]).value): r for r in range(3, self.ws.max_row + 1)
                     if self.ws.cell(r, self.keys["sku_id"]).value}

    @property
    def sku_ids(self) -> list[str]:
        return list(self.rows)

    def get(self, sku: str, key: str) -> Any:
        return self.ws.cell(self.rows[sku], self.keys[key]).value

    def set(self, sku: str, key: str, value: Any) -> str:
        cell = self.ws.cell(self.rows[sku], self.keys[key])
        cell.value = value
        return cell.coordinate

    def coord(self, sku: str, key: str) -> str:
        return self.ws.cell(self.rows[sku], self.keys[key]).coordinate

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path


def exported_with_edits(store: Path, folder: Path, edits: dict[tuple[str, str], Any]) -> Path:
    """Export the store (no preview columns) and make the edits {(sku_id, field key): value}, as a
    seller would in Excel; the edited copy is `folder/edited.xlsx`."""
    sheetsync.export_catalog(store, folder / "catalog.xlsx", preview=[])
    wb = Workbook(folder / "catalog.xlsx")
    for (sku, key), value in edits.items():
        wb.set(sku, key, value)
    return wb.save(folder / "edited.xlsx")


@pytest.fixture(scope="session")
def sample_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sample.db"
    sheetsync.init_store(path, sample=True)
    return path


@pytest.fixture
def store(tmp_path: Path, sample_store_template: Path) -> Path:
    """A fresh copy of the sample catalog for each test."""
    path = tmp_path / "shop.db"
    shutil.copy(sample_store_template, path)
    return path


@pytest.fixture
def exported(store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "export.xlsx"
    sheetsync.export_catalog(store, path)
    return path


@pytest.fixture
def workbook(exported: Path) -> Workbook:
    return Workbook(exported)


@pytest.fixture
def catalog(store: Path) -> Callable[[], Any]:
    """Read the catalog now, as a frame indexed by sku_id."""

    def read() -> Any:
        with Store.open(store) as handle:
            return handle.catalog_frame()

    return read


def stocked_country(wb: Workbook, sku: str) -> str:
    """A country where this SKU has stock > 0."""
    for key in wb.keys:
        if key and key.startswith("stock_") and (wb.get(sku, key) or 0) > 0:
            return key[6:]
    raise AssertionError(f"{sku} has no stock anywhere")
