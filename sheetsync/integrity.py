"""The template's signature: an HMAC, keyed with the store's secret, over the store id, the export
id and the exported SKU ids. A forged or copied metadata sheet, or an export id swapped in from
elsewhere, fails the check; sorting, filtering or deleting rows does not change what was signed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def sign(secret: bytes, store_id: str, export_id: str, sku_ids: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(sku_ids)).encode("utf-8")).hexdigest()
    message = f"sheetsync/1\n{store_id}\n{export_id}\n{digest}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def matches(expected: str, signature: str | None) -> bool:
    """Compare in constant time, so the check leaks nothing about the expected signature."""
    return hmac.compare_digest(expected, signature or "")
