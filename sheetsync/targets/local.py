"""The default target: the embedded catalog itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..diff import plain
from ..errors import ConfigError
from ..results import Change, Issue, PullResult, PushResult
from . import Applied, Journal

if TYPE_CHECKING:
    from ..store import Store


class LocalTarget:
    """Applies a change set to the store in one transaction: all of it or none of it."""

    name = "local"
    all_or_nothing = True

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The store's write lock (which other sheetsync processes respect) and its write
        transaction, held from before the catalog is read until the changes are committed, so
        what an import compares against cannot change underneath it."""
        with self.store.write_lock(), self.store.transaction():
            yield

    def describe(self) -> dict[str, Any]:
        return {"target": self.name}

    def read(self, edits: Sequence[Change]) -> list[object]:
        catalog = self.store.catalog_frame()
        current: list[object] = [None] * len(edits)
        by_field: dict[str, list[int]] = {}
        for i, change in enumerate(edits):
            by_field.setdefault(change.field, []).append(i)
        for key, positions in by_field.items():
            if key not in catalog:
                continue
            rows = catalog.index.get_indexer([edits[i].sku_id for i in positions])
            column = catalog[key].to_numpy(dtype=object)
            for i, row in zip(positions, rows.tolist(), strict=True):
                if row >= 0:
                    current[i] = plain(column[row])
        return current

    def check(self, changes: Sequence[Change], after: pd.DataFrame) -> list[Issue]:
        return []

    def pull(self, since: str | None = None, progress: Callable[[int], None] | None = None) -> PullResult:
        raise ConfigError("pull_not_supported", target=self.name)

    def apply(self, journal: Journal, changes: list[Change], already: list[Change]) -> Applied:
        journal.record(changes)
        results: dict[str, PushResult] = {}
        for change in changes:
            results.setdefault(change.sku_id, PushResult(change.product_id, change.sku_id, "applied"))
        return Applied(list(results.values()))

