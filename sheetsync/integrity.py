"""The template's integrity: the hidden metadata sheet is genuine, and it belongs to the rows beside it.

Two marks, written by `template` and checked on import:

- the metadata sheet (`_sheetsync`) carries a signature, an HMAC keyed with the store's secret over
  the store id, the export id and the exported SKU ids: a forged metadata sheet, or an export id
  swapped in by hand, fails it; sorting, filtering or deleting rows does not change what was signed;
- the Products sheet carries the export id in a sheet-scoped defined name (`SheetsyncExport`, a
  text constant). It moves with the Products sheet, not with the metadata sheet, so a metadata
  sheet copied from another export's file (a hostile tester's way to make an older file's values
  look like edits against a newer snapshot) names an export the Products sheet does not.

Why a sheet-scoped defined name: Excel, LibreOffice (tested: it keeps the name and its value on
every re-save, though not its hidden flag) and openpyxl keep it; sorting, filtering, deleting rows,
inserting columns and typing anywhere leave it alone, since it refers to no cell; and a
"move or copy sheet" carries it along with the Products sheet. A cell would be sorted, typed over or
deleted with a column.

A program that drops the name makes the binding unprovable: a file whose metadata is signed for
the binding (`sheetsync/2`) but whose Products sheet has no mark is refused, because it cannot be
told from one assembled from two files, and accepting it would reopen the hole (strip the name,
then paste). Files exported before the binding existed (`sheetsync/1` signatures) carry no mark;
they are accepted as before, and a newer metadata sheet cannot pass for one of them, since only
the store's secret makes a `sheetsync/1` signature.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import UnreadableWorkbook

MARK_NAME = "SheetsyncExport"  # the defined name, scoped to the Products sheet
_BOUND = "sheetsync/2"  # signatures of metadata that needs the Products sheet's mark
_LEGACY = "sheetsync/1"  # signatures written before the mark existed


@dataclass(frozen=True)
class Expected:
    """What an export's metadata must be signed with, under either scheme."""

    export_id: str
    bound: str
    legacy: str


def _sign(version: str, secret: bytes, store_id: str, export_id: str, digest: str) -> str:
    message = f"{version}\n{store_id}\n{export_id}\n{digest}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _digest(sku_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(sku_ids)).encode("utf-8")).hexdigest()


def sign(secret: bytes, store_id: str, export_id: str, sku_ids: Iterable[str]) -> str:
    """The signature a new export's metadata carries: it requires the Products sheet's mark."""
    return _sign(_BOUND, secret, store_id, export_id, _digest(sku_ids))


def expected(secret: bytes, store_id: str, export_id: str, sku_ids: Iterable[str]) -> Expected:
    """Both signatures an export's metadata may carry, computed once (sorting 100k ids is the cost)."""
    digest = _digest(sku_ids)
    return Expected(export_id, _sign(_BOUND, secret, store_id, export_id, digest),
                    _sign(_LEGACY, secret, store_id, export_id, digest))


def mark_formula(export_id: str) -> str:
    """The defined name's content: the export id as a text constant."""
    return '="' + export_id.replace('"', '""') + '"'


def check(wanted: Expected, signature: str | None, mark: str | None, path: str) -> None:
    """Refuse metadata that is forged, or that does not belong to the Products sheet beside it.

    `signature` is the metadata sheet's, `mark` the Products sheet's export id (None when the file
    has none). The signature is checked first: a forged one is `not_sheetsync` whatever the mark."""
    given = (signature or "").encode("utf-8")  # bytes: compare_digest refuses non-ASCII text
    bound = hmac.compare_digest(wanted.bound.encode(), given)
    if not bound and not hmac.compare_digest(wanted.legacy.encode(), given):
        raise UnreadableWorkbook("not_sheetsync", path=path)
    if mark is None:
        if bound:
            raise UnreadableWorkbook("metadata_unbound", path=path)
        return  # exported before the mark existed
    if mark != wanted.export_id:
        raise UnreadableWorkbook("metadata_moved", path=path, meta_export=wanted.export_id, sheet_export=mark[:64])
