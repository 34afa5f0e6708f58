"""The default target: the embedded catalog itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..results import Change, PushResult

if TYPE_CHECKING:
    from ..store import Store


class LocalTarget:
    """Applies a change set to the store in one transaction: all of it or none of it."""

    name = "local"

    def __init__(self, store: Store) -> None:
        self.store = store

    def current(self, sku_ids: list[str], catalog: pd.DataFrame) -> pd.DataFrame:
        return catalog

    def apply(self, run_id: str, changes: list[Change]) -> list[PushResult]:
        self.store.apply_changes(run_id, changes)
        results: dict[str, PushResult] = {}
        for change in changes:
            results.setdefault(change.sku_id, PushResult(change.product_id, change.sku_id, "applied"))
        return list(results.values())
