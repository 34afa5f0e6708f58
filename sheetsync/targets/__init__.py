"""Where changes go. A target reads the current values of SKUs (the `current` of the change rule)
and applies a change set, returning one PushResult per SKU touched."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from ..results import Change, PushResult


class Target(Protocol):
    name: str

    def current(self, sku_ids: list[str], catalog: pd.DataFrame) -> pd.DataFrame:
        """Current values of these SKUs, indexed by sku_id, one column per field key. `catalog` is
        the local store as already loaded: the local target returns it, a remote one re-reads."""
        ...

    def apply(self, run_id: str, changes: list[Change]) -> list[PushResult]:
        """Write the changes; each one's `result` is set to applied or failed."""
        ...
