"""The embedded catalog: one SQLite file with products, SKUs, per-country stock, export snapshots
and the run journal.

Values are stored in their canonical form (cents, grams, ints, text) so that nothing is ever
rounded on the way in or out. Stock is a JSON array per SKU in the order of the countries table
([12, 0, 5, ...]): a catalog of 100k SKUs × 47 countries stays one row per SKU, loads with one
JSON parse into a numpy matrix, and SQLite's json_set writes single countries.
Export snapshots are stored column by column (one JSON array per field), which costs a few
milliseconds per column instead of one JSON document per row.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from .config import Country
from .errors import ConfigError, StoreBusy, StoreUnavailable
from .fields import BASE_FIELDS
from .orders.model import Delivery, Item, Order
from .outputs import is_special
from .results import Change

SCHEMA_VERSION = 1
_FETCH_ROWS = 10_000
_T = TypeVar("_T")

SKU_COLUMNS = ("sku_code", "variant", "barcode", "seller_price", "weight_kg", "length_cm", "width_cm",
               "height_cm", "logistics_attribute")

# Added after the first catalogs were made: created by Store.open in those as well.
_PLATFORM_PRICES = """CREATE TABLE IF NOT EXISTS platform_prices (sku_id TEXT NOT NULL, country TEXT NOT NULL,
    freight INTEGER, price INTEGER, PRIMARY KEY (sku_id, country)) WITHOUT ROWID"""

# JIT purchase orders (issue 14), added after the first catalogs were made: created by Store.open
# in those as well. An order's items, its delivery (one delivery carries up to 99 orders), and the
# Orders workbooks exported (each row as written: the `base` of the orders' change rule).
_ORDERS = (
    """CREATE TABLE IF NOT EXISTS jit_orders (purchase_order_no TEXT PRIMARY KEY, status INTEGER NOT NULL,
        deadline TEXT NOT NULL, warehouse TEXT NOT NULL DEFAULT '', warehouse_address TEXT NOT NULL DEFAULT '',
        delivery_no TEXT, position INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS jit_order_items (purchase_order_no TEXT NOT NULL, sku_id TEXT NOT NULL,
        sku_code TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', barcode TEXT NOT NULL DEFAULT '',
        quantity INTEGER NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (purchase_order_no, sku_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS jit_deliveries (delivery_no TEXT PRIMARY KEY, delivery_type TEXT NOT NULL,
        carrier TEXT NOT NULL DEFAULT '', tracking TEXT NOT NULL DEFAULT '[]', license_plate TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', boxes INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS order_exports (export_id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
        lang TEXT NOT NULL, target TEXT NOT NULL, path TEXT NOT NULL, rows TEXT NOT NULL)""",
)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE countries (code TEXT PRIMARY KEY, name_en TEXT NOT NULL, name_zh TEXT NOT NULL,
                        position INTEGER NOT NULL);
CREATE TABLE products (product_id TEXT PRIMARY KEY, title TEXT NOT NULL, currency TEXT NOT NULL,
                       position INTEGER NOT NULL);
CREATE TABLE skus (
    sku_id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(product_id),
    position INTEGER NOT NULL,
    sku_code TEXT NOT NULL DEFAULT '',
    variant TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    seller_price INTEGER NOT NULL,      -- cents
    weight_kg INTEGER NOT NULL,         -- grams
    length_cm INTEGER NOT NULL,
    width_cm INTEGER NOT NULL,
    height_cm INTEGER NOT NULL,
    logistics_attribute TEXT NOT NULL,
    stock TEXT NOT NULL DEFAULT '[]'    -- JSON array, one quantity per country in countries.position order
);
CREATE INDEX skus_product ON skus(product_id);
CREATE UNIQUE INDEX skus_code ON skus(sku_code) WHERE sku_code != '';
CREATE TABLE exports (export_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, lang TEXT NOT NULL,
                      countries TEXT NOT NULL, path TEXT NOT NULL);
CREATE TABLE export_columns (export_id TEXT NOT NULL REFERENCES exports(export_id), field TEXT NOT NULL,
                             kind TEXT NOT NULL,   -- 'i8': little-endian int64 array; 'json': JSON array
                             data BLOB NOT NULL, PRIMARY KEY (export_id, field)) WITHOUT ROWID;
CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, file TEXT NOT NULL,
                   export_id TEXT, target TEXT NOT NULL, status TEXT NOT NULL, counts TEXT NOT NULL DEFAULT '{}');
CREATE TABLE run_changes (run_id TEXT NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL,
                          sku_id TEXT NOT NULL, product_id TEXT NOT NULL, field TEXT NOT NULL,
                          before TEXT, after TEXT, state TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
"""
# Every table a catalog has; a file without them is not one (or is a damaged one).
_TABLES = frozenset(re.findall(r"CREATE TABLE (\w+)", _SCHEMA))

_SQLITE_HEADER = b"SQLite format 3\x00"

# The first row that is not what sheetsync writes (another program's edit, a half-restored copy):
# a value of the wrong type (NULL or text where a number belongs, a number where text does), a
# SKU of no product. Checked before the catalog is used, so a damaged row is named instead of being
# exported, imported against or met as a crash deep inside a command. One scan in SQLite, about
# 80 ms at 100k SKUs; the stock's contents are checked where they are parsed (`_stock_matrix`),
# since SQLite's JSON functions would cost 0.4 s more.
_DAMAGED_ROW = """
SELECT 'countries', code, CASE
    WHEN typeof(code) != 'text' THEN 'code' WHEN typeof(name_en) != 'text' THEN 'name_en'
    WHEN typeof(name_zh) != 'text' THEN 'name_zh' WHEN typeof(position) != 'integer' THEN 'position' END AS bad
  FROM countries WHERE bad IS NOT NULL
UNION ALL
SELECT 'products', product_id, CASE
    WHEN typeof(product_id) != 'text' THEN 'product_id' WHEN typeof(title) != 'text' THEN 'title'
    WHEN typeof(currency) != 'text' THEN 'currency' WHEN typeof(position) != 'integer' THEN 'position' END AS bad
  FROM products WHERE bad IS NOT NULL
UNION ALL
SELECT 'skus', sku_id, CASE
    WHEN typeof(sku_id) != 'text' THEN 'sku_id' WHEN typeof(product_id) != 'text' THEN 'product_id'
    WHEN typeof(position) != 'integer' THEN 'position'
    WHEN typeof(sku_code) != 'text' THEN 'sku_code' WHEN typeof(variant) != 'text' THEN 'variant'
    WHEN typeof(barcode) != 'text' THEN 'barcode' WHEN typeof(seller_price) != 'integer' THEN 'seller_price'
    WHEN typeof(weight_kg) != 'integer' THEN 'weight_kg' WHEN typeof(length_cm) != 'integer' THEN 'length_cm'
    WHEN typeof(width_cm) != 'integer' THEN 'width_cm' WHEN typeof(height_cm) != 'integer' THEN 'height_cm'
    WHEN typeof(logistics_attribute) != 'text' THEN 'logistics_attribute'
    WHEN typeof(stock) != 'text' THEN 'stock'
    WHEN NOT EXISTS (SELECT 1 FROM products p WHERE p.product_id = skus.product_id) THEN 'product_id' END AS bad
  FROM skus WHERE bad IS NOT NULL
LIMIT 1
"""
_DAMAGED_STOCK = """
SELECT 'skus', sku_id, 'stock' FROM skus
 WHERE NOT json_valid(stock) OR json_type(stock) != 'array'
    OR json_array_length(stock) != (SELECT COUNT(*) FROM countries)
    OR EXISTS (SELECT 1 FROM json_each(skus.stock) WHERE type != 'integer' OR value < 0)
LIMIT 1
"""

# Files SQLite keeps beside the catalog while it is in use (WAL mode; a rollback journal otherwise).
_SIDE_FILES = ("-wal", "-shm", "-journal")
# The file beside the catalog that sheetsync's write lock is taken on (Store.write_lock).
LOCK_SUFFIX = ".lock"

# Below this much free space, a disk I/O error on the store is taken for a full disk: SQLite says
# SQLITE_FULL when a write finds no space, but a plain I/O error when its shared-memory index cannot grow.
_NEARLY_FULL = 1 << 20
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ExportRecord:
    export_id: str
    created_at: str
    lang: str
    countries: list[str]


# -- the connection: where the store's faults get their names --------------------------------------
@contextmanager
def faults_named(path: Path, lock_timeout: float = 30.0) -> Iterator[None]:
    """Name the store's faults raised inside: for the file operations of creating and opening a
    catalog. StoreConnection does the same for every SQLite call."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        _raise_named(exc, path, lock_timeout)


def _raise_named(exc: sqlite3.Error | OSError, path: Path, lock_timeout: float) -> NoReturn:
    """The one place where a fault of the store file or of the system (damaged, not a catalog,
    read-only, full, held by another program, unreachable) becomes a StoreUnavailable that names
    the file and what to do. An error that means a bug in sheetsync (wrong SQL, a misused API, a
    broken constraint) is raised unchanged."""
    fault = _named_fault(exc, path, lock_timeout)
    if fault is None:
        raise exc
    raise fault from exc


def _named_fault(exc: sqlite3.Error | OSError, path: Path, lock_timeout: float) -> StoreUnavailable | None:
    """The fault an error means, by SQLite's result code (sqlite.org/rescode.html) or the OS's
    errno; None for an error that is not a fault of the file or the system."""
    where = {"path": str(path)}
    if isinstance(exc, OSError):
        if exc.errno in _NO_SPACE:
            return StoreUnavailable("store_disk_full", **where)
        if exc.errno == errno.EROFS:
            return StoreUnavailable("store_readonly", **where)
        return _unopenable(path, exc.strerror or str(exc))
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError | sqlite3.IntegrityError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL):
        return StoreBusy("store_busy", **where, seconds=f"{lock_timeout:g}")
    if primary == sqlite3.SQLITE_FULL or code == sqlite3.SQLITE_IOERR_SHMSIZE:
        return StoreUnavailable("store_disk_full", **where)
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return StoreUnavailable("store_readonly", **where)
    if primary == sqlite3.SQLITE_NOTADB:
        return StoreUnavailable("store_not_catalog", **where)
    if primary == sqlite3.SQLITE_CORRUPT:
        return StoreUnavailable("store_corrupt", **where, detail=str(exc))
    if primary == sqlite3.SQLITE_CANTOPEN:
        return _unopenable(path, str(exc))
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOLFS):
        if _nearly_full(path):
            return StoreUnavailable("store_disk_full", **where)
        return StoreUnavailable("store_io_error", **where, detail=str(exc))
    return None


def _unopenable(path: Path, detail: str) -> StoreUnavailable:
    """The file, or the -wal/-shm files SQLite needs beside it, could not be opened: say why."""
    if os.path.isdir(path):
        return StoreUnavailable("store_not_catalog", path=str(path))
    if not os.access(path.parent, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return StoreUnavailable("store_readonly", path=str(path))
    return StoreUnavailable("store_io_error", path=str(path), detail=detail)


def _nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < _NEARLY_FULL
    except OSError:
        return False


class StoreConnection:
    """The store's SQLite connection, with the surface the store uses (execute, executemany,
    executescript, rows to fetch). Every call goes through `faults_named`, so no statement,
    however it is added later, can let a fault of the file reach the seller as a traceback."""

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        # The busy timeout covers reads as well as writes: a program holding the file exclusively
        # makes even `history` wait, for lock_timeout seconds and no longer.
        self._db = self._guarded(sqlite3.connect, path, timeout=lock_timeout, isolation_level=None)
        try:
            self.execute("PRAGMA foreign_keys = ON")
            self.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            self._db.close()
            raise

    def _guarded(self, operation: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        # faults_named, without a context manager's cost on the hot path (one call per SKU written)
        try:
            return operation(*args, **kwargs)
        except sqlite3.Error as exc:
            _raise_named(exc, self.path, self.lock_timeout)

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        return Rows(self, self._guarded(self._db.execute, sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Rows:
        return Rows(self, self._guarded(self._db.executemany, sql, parameters))

    def executescript(self, script: str) -> None:
        self._guarded(self._db.executescript, script)

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def close(self) -> None:
        self._guarded(self._db.close)


class _Damaged(ValueError):
    """A value read from the store that is not what sheetsync wrote. `Store.decoded` names it,
    with this exception's text when it says where (`located`)."""

    def __init__(self, detail: str, located: bool = False) -> None:
        super().__init__(detail)
        self.located = located


class Rows:
    """A statement's result rows; fetching goes through the same fault names (a damaged page
    may only be met on the thousandth row)."""

    def __init__(self, connection: StoreConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._connection._guarded(self._cursor.fetchone)

    def fetchmany(self, size: int) -> list[Any]:
        return self._connection._guarded(self._cursor.fetchmany, size)

    def fetchall(self) -> list[Any]:
        return self._connection._guarded(self._cursor.fetchall)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchone, None)


# -- the file: private to its owner ------------------------------------------------------------
def _create_private(path: Path) -> bool:
    """Create the empty catalog file readable and writable by its owner only, whatever the umask
    (SQLite then gives its -wal/-shm/-journal files the same mode). True when it was made here;
    False when an empty file was already there (it is tightened instead)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _owner_only(path)
        return False
    return True


def _owner_only(path: Path) -> None:
    """Take away group and other access from the catalog and its side files. The catalog holds the
    secret that signs exports and the platform tokens: a store readable by others is a leak, and
    a warning that scrolls past would leave it one, so an existing store is tightened on every
    open. A file sheetsync may not change (another user's, a file system without modes, read-only
    media) is left as it is: opening it goes on, and read-only media are named when written.
    The owner's own bits are kept. On Windows chmod only sets the read-only flag (access there is
    the folder's ACL), so nothing is changed."""
    if os.name == "nt":
        return
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(mode & 0o700)
        except OSError:
            continue


def _identity(path: Path) -> tuple[int, int] | None:
    """The file at `path` (device and inode, the file index on Windows), None where there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _header(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(len(_SQLITE_HEADER))


def _remove_store_files(path: Path) -> None:
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        with suppress(OSError):
            file.unlink(missing_ok=True)


class Store:
    """A handle on one catalog file. Cheap to open; every write is one transaction."""

    def __init__(self, path: Path, connection: StoreConnection) -> None:
        self.path = path
        self.db = connection
        # Called after each change is written, inside the transaction: lets tests stop the process
        # at an exact point of an apply (crash consistency) without timers.
        self.after_write: Callable[[Change], None] | None = None
        self._writes = 0  # write blocks entered through this handle: a cached catalog is stale after one
        self._catalog: tuple[tuple[int, int], pd.DataFrame] | None = None
        self._lock: FileLock | None = None
        self._identity = _identity(path)  # the file opened: another program may put another in its place

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, countries: Sequence[Country], lock_timeout: float = 30.0) -> Store:
        """Make a new catalog, readable by its owner only. A creation that fails half way (a full
        disk) removes what it made, so the same `init` can simply run again."""
        path = Path(path)
        with faults_named(path, lock_timeout):
            if path.exists() and path.stat().st_size > 0:
                raise ConfigError("store_exists", path=str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            made = _create_private(path)
        try:
            store = cls(path, StoreConnection(path, lock_timeout))
            try:
                store.db.execute("PRAGMA journal_mode = WAL")
                store.db.executescript(f"BEGIN; {_SCHEMA} {_PLATFORM_PRICES}; {'; '.join(_ORDERS)}; COMMIT;")
                with store.transaction():
                    store.db.executemany("INSERT INTO meta VALUES (?, ?)", [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("store_id", uuid.uuid4().hex[:12]),
                        ("secret", secrets.token_hex(32)),
                        ("created_at", now_iso()),
                    ])
                    store._set_countries(countries)
            except BaseException:
                store._close_quietly()
                raise
        except BaseException:
            if made:
                _remove_store_files(path)
            raise
        return store

    @staticmethod
    def remove(path: str | Path) -> None:
        """Delete a catalog and SQLite's files beside it (`sheetsync demo` starts afresh in its own
        folder); the caller has made sure it is the catalog to delete and that it is closed."""
        _remove_store_files(Path(path))

    @classmethod
    def open(cls, path: str | Path, lock_timeout: float = 30.0, near: Sequence[Path] = (), *,
             exported_from: Callable[[], str | None] | None = None) -> Store:
        """Open a catalog; any access waits up to `lock_timeout` seconds for a program that holds
        it. Whatever the file turns out to be, the answer is a catalog or a StoreUnavailable that
        names the file and what to do; a missing one names a catalog found in the current folder
        or in `near` (the workbook's folder), the likely intended --store: among several, the one
        whose id `exported_from` gives (the workbook's, read only then), else all of them."""
        path = Path(path)
        with faults_named(path, lock_timeout):
            if not path.exists():
                found = nearby_stores(near, exclude=path)
                if found:
                    raise _missing_nearby(path, found, exported_from)
                raise StoreUnavailable("store_missing", path=str(path))
            # Nothing is written to a file that is not an SQLite database (an empty file, a
            # workbook saved over the store), and nothing to one that is not a catalog.
            if is_special(path) or _header(path) != _SQLITE_HEADER:
                raise StoreUnavailable("store_not_catalog", path=str(path))
        store = cls(path, StoreConnection(path, lock_timeout))
        try:
            version = store._catalog_version()
            if version > SCHEMA_VERSION:
                raise ConfigError("store_newer", path=str(path), version=version)
            store.db.execute("PRAGMA journal_mode = WAL")
            _owner_only(path)
            store.db.execute(_PLATFORM_PRICES)
            for statement in _ORDERS:
                store.db.execute(statement)
        except BaseException:
            store._close_quietly()
            raise
        return store

    def _catalog_version(self) -> int:
        """The schema version, after checking the file holds a catalog's tables at all."""
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            raise StoreUnavailable("store_not_catalog", path=str(self.path))
        version = self.meta("schema_version") or ""
        missing = sorted(_TABLES - tables)
        if missing or not version.isdigit():
            detail = f"missing tables: {', '.join(missing)}" if missing else "no schema version"
            raise StoreUnavailable("store_corrupt", path=str(self.path), detail=detail)
        return int(version)

    def close(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release(force=True)
        self.db.close()

    def _close_quietly(self) -> None:
        """Close after a failure: the failure is what the seller needs to hear about."""
        with suppress(StoreUnavailable):
            self.close()

    @contextmanager
    def decoded(self, what: str) -> Iterator[None]:
        """Decode values kept in the store (JSON, numbers, dates, hex) inside this block: a value
        another program or a damaged copy left in a shape sheetsync never writes is named as a
        damaged catalog (`what` says where), exit 2, instead of escaping as a crash (exit 70).
        Only decoding goes inside, so a bug elsewhere still surfaces as a bug."""
        try:
            yield
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            detail = str(exc) if isinstance(exc, _Damaged) and exc.located else \
                f"{what} does not hold what sheetsync wrote there"
            raise StoreUnavailable("store_corrupt", path=str(self.path), detail=detail) from exc

    def check_rows(self, stock: bool = False) -> None:
        """Refuse a catalog with a damaged row (`_DAMAGED_ROW`), naming the table, the row and the
        column, before any of it is used. `stock`: also check each SKU's stock in SQL, for a
        command that does not parse it (loading the catalog does, in `_stock_matrix`)."""
        row = self.db.execute(_DAMAGED_ROW).fetchone()
        if row is None and stock:
            row = self.db.execute(_DAMAGED_STOCK).fetchone()
        if row is None:
            self.secret  # noqa: B018  (decoded here: every export is signed with it)
            return
        table, key, column = row
        raise StoreUnavailable("store_corrupt", path=str(self.path),
                               detail=f"the {table} row {key!s} has no valid {column}")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two imports
        into one store never interleave: the second waits up to the lock timeout, then stops
        with StoreBusy. Re-entrant: inside an open transaction it joins it."""
        self._writes += 1
        if self.db.in_transaction:
            try:
                yield
            finally:
                self._writes += 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._writes += 1
            self.check_same_file()
            self.db.execute("COMMIT")
        except BaseException:
            self._writes += 1
            # SQLite may have rolled back already (a full disk, an I/O error); the error that
            # stopped the transaction is the one to report, not a failed ROLLBACK.
            if self.db.in_transaction:
                with suppress(StoreUnavailable):
                    self.db.execute("ROLLBACK")
            raise

    def check_same_file(self) -> None:
        """Refuse to commit into a file that is no longer the catalog at the store's path: another
        program (a sync or backup tool, a copy made over it) deleted it or put another file in its
        place while this command had it open. SQLite would go on writing into the open, now
        nameless file, and the seller's catalog would never see the changes (nor their journal),
        so they would be sent again by a platform push that trusted it. Checked before every
        commit: one stat."""
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StoreUnavailable("store_replaced", path=str(self.path))

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """The store's write lock, held by every run that writes (an import, local or to a
        platform, a revert, a pull, an authorization): a second sheetsync process on the same store
        waits up to the lock timeout, then stops with StoreBusy naming the file.

        A SQLite transaction cannot be this lock: a push to a platform journals each product as
        the platform accepts it, in its own short transaction, so that a run killed half way keeps
        what was written. The lock is an OS file lock (filelock: flock on POSIX, LockFileEx on
        Windows) on `<store>.lock`, released by the OS when the process dies, so a crash never
        leaves the store locked. Re-entrant within this handle."""
        if self._lock is None:
            self._lock = FileLock(self.path.with_name(self.path.name + LOCK_SUFFIX), timeout=self.db.lock_timeout,
                                  mode=0o600, thread_local=False)
        with faults_named(self.path, self.db.lock_timeout):
            try:
                self._lock.acquire()
            except Timeout:
                raise StoreBusy("store_busy", path=str(self.path), seconds=f"{self.db.lock_timeout:g}") from None
        try:
            yield
        finally:
            self._lock.release()

    # -- metadata ----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def set_metas(self, values: dict[str, str | None]) -> None:
        """Set several meta keys in one transaction (None removes a key): values that belong
        together, such as a token and its expiry, are never kept half."""
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(k, v) for k, v in values.items() if v is not None])
            self.db.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k, v in values.items() if v is None])

    @property
    def store_id(self) -> str:
        return self.meta("store_id") or ""

    @property
    def secret(self) -> bytes:
        with self.decoded("the signing secret"):
            return bytes.fromhex(self.meta("secret") or "")

    def set_countries(self, countries: Sequence[Country]) -> None:
        """Replace the supported countries; every SKU's stock array follows the new order (0 for a
        new country, dropped for a removed one)."""
        with self.transaction():
            old = [c.code for c in self.countries()]
            self._set_countries(countries)
            new = [c.code for c in countries]
            if old != new:
                self.check_rows()
                rows = self.db.execute("SELECT sku_id, stock FROM skus").fetchall()
                self.db.executemany("UPDATE skus SET stock = ? WHERE sku_id = ?", [
                    (_stock_text(dict(zip(old, json.loads(stock), strict=False)), new), sku) for sku, stock in rows])

    def upsert_catalog(self, products: Sequence[dict[str, Any]], skus: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Add or update products and SKUs from the platform; only rows whose values differ are
        written. Returns (SKUs added, SKUs updated)."""
        added = updated = 0
        with self.transaction():
            for p in products:
                row = self.db.execute("SELECT title, currency FROM products WHERE product_id = ?",
                                      (p["product_id"],)).fetchone()
                if row is None:
                    position = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM products").fetchone()[0]
                    self.db.execute("INSERT INTO products VALUES (?, ?, ?, ?)",
                                    (p["product_id"], p["title"], p["currency"], position))
                elif (p["title"] or row[0], p["currency"]) != tuple(row):
                    self.db.execute("UPDATE products SET title = ?, currency = ? WHERE product_id = ?",
                                    (p["title"] or row[0], p["currency"], p["product_id"]))
            codes = [c.code for c in self.countries()]
            for s in skus:
                stock = _stock_text(s["stock"], codes)
                values = (*(s[c] for c in SKU_COLUMNS), stock)
                row = self.db.execute(f"SELECT {', '.join(SKU_COLUMNS)}, stock FROM skus WHERE sku_id = ?",
                                      (s["sku_id"],)).fetchone()
                if row is None:
                    position = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM skus").fetchone()[0]
                    self.db.execute(f"INSERT INTO skus (sku_id, product_id, position, {', '.join(SKU_COLUMNS)}, stock) "
                                    f"VALUES (?, ?, ?, {', '.join('?' * len(SKU_COLUMNS))}, ?)",
                                    (s["sku_id"], s["product_id"], position, *values))
                    added += 1
                elif tuple(row) != values:
                    self.db.execute(f"UPDATE skus SET {', '.join(c + ' = ?' for c in SKU_COLUMNS)}, stock = ? "
                                    "WHERE sku_id = ?", (*values, s["sku_id"]))
                    updated += 1
        return added, updated

    def set_platform_prices(self, rows: Sequence[tuple[str, str, int | None, int | None]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO platform_prices VALUES (?, ?, ?, ?)", rows)

    def platform_prices(self) -> list[tuple[str, str, int | None, int | None]]:
        return self.db.execute("SELECT sku_id, country, freight, price FROM platform_prices").fetchall()

    def sku_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM skus").fetchone()[0]

    def product_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM products").fetchone()[0]

    def countries(self) -> list[Country]:
        rows = self.db.execute("SELECT code, name_en, name_zh FROM countries ORDER BY position").fetchall()
        return [Country(*r) for r in rows]

    def _set_countries(self, countries: Sequence[Country]) -> None:
        self.db.execute("DELETE FROM countries")
        self.db.executemany("INSERT INTO countries VALUES (?, ?, ?, ?)",
                            [(c.code, c.name_en, c.name_zh, i) for i, c in enumerate(countries)])

    # -- catalog -----------------------------------------------------------------------------
    def insert_catalog(self, products: Iterable[dict[str, Any]], skus: Iterable[dict[str, Any]]) -> int:
        """Add products and SKUs (canonical values, `stock` a {country: qty} dict). Returns SKUs added."""
        codes = [c.code for c in self.countries()]
        with self.transaction():
            start = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM products").fetchone()[0]
            self.db.executemany(
                "INSERT INTO products VALUES (?, ?, ?, ?)",
                ((p["product_id"], p["title"], p["currency"], start + i) for i, p in enumerate(products)))
            start = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM skus").fetchone()[0]
            cursor = self.db.executemany(
                f"INSERT INTO skus (sku_id, product_id, position, {', '.join(SKU_COLUMNS)}, stock) "
                f"VALUES (?, ?, ?, {', '.join('?' * len(SKU_COLUMNS))}, ?)",
                ((s["sku_id"], s["product_id"], start + i, *(s[c] for c in SKU_COLUMNS),
                  _stock_text(s["stock"], codes)) for i, s in enumerate(skus)))
            return cursor.rowcount

    def catalog_frame(self, sku_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The catalog as one row per SKU, indexed by sku_id, sorted by product then SKU, with
        every field key as a column (stock as stock_<CC>).

        The whole catalog is kept until it may have changed (a write through this handle, or a
        commit by another connection, which SQLite's data_version tells), so the stages of one
        import that need it load it once. Treat the frame as read-only."""
        if sku_ids is None:
            version = (self.db.execute("PRAGMA data_version").fetchone()[0], self._writes)
            if self._catalog is not None and self._catalog[0] == version:
                return self._catalog[1]
            frame = self._load_catalog(None)
            self._catalog = (version, frame)
            return frame
        return self._load_catalog(sku_ids)

    def _load_catalog(self, sku_ids: Iterable[str] | None) -> pd.DataFrame:
        self.check_rows()
        countries = [c.code for c in self.countries()]
        query = (f"SELECT s.sku_id, s.product_id, p.title, p.currency, {', '.join('s.' + c for c in SKU_COLUMNS)}, "
                 "s.stock FROM skus s JOIN products p USING (product_id) ORDER BY p.position, s.position")
        wanted = set(sku_ids) if sku_ids is not None else None
        cursor = self.db.execute(query)
        # A chunk of rows at a time: the rows as Python tuples and their stock texts never all
        # exist at once (at 100k SKUs that was ~100 MB more at the import's peak).
        with self.decoded("a SKU's stock"):
            parts = [_catalog_part(rows, countries, wanted)
                     for rows in iter(lambda: cursor.fetchmany(_FETCH_ROWS), [])]
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts or [_catalog_part([], countries)])[0]
        frame = frame.set_index("sku_id", drop=False)
        frame.index.name = None
        return frame

    # -- exports -----------------------------------------------------------------------------
    def record_export(self, frame: pd.DataFrame, lang: str, countries: Sequence[str], path: str) -> ExportRecord:
        """Keep the exported values column by column: they are the `base` of the change rule."""
        record = ExportRecord(uuid.uuid4().hex, now_iso(), lang, list(countries))
        with self.transaction():
            self.db.execute("INSERT INTO exports VALUES (?, ?, ?, ?, ?)",
                            (record.export_id, record.created_at, lang, json.dumps(list(countries)), path))
            self.db.executemany("INSERT INTO export_columns VALUES (?, ?, ?, ?)",
                                ((record.export_id, col, *_column_data(frame[col])) for col in frame.columns))
        return record

    def export_record(self, export_id: str) -> ExportRecord | None:
        row = self.db.execute("SELECT export_id, created_at, lang, countries FROM exports WHERE export_id = ?",
                              (export_id,)).fetchone()
        if row is None:
            return None
        with self.decoded(f"the record of export {export_id}"):
            countries = json.loads(row[3])
            if not isinstance(countries, list):
                raise _Damaged(row[3])
        return ExportRecord(row[0], row[1], row[2], countries)

    def snapshot_frame(self, export_id: str) -> pd.DataFrame:
        rows = self.db.execute("SELECT field, kind, data FROM export_columns WHERE export_id = ?",
                               (export_id,)).fetchall()
        with self.decoded(f"the snapshot of export {export_id}"):
            frame = pd.DataFrame({field: np.frombuffer(data, dtype="<i8").astype(np.int64) if kind == "i8"
                                  else _json_list(data) for field, kind, data in rows})
        if frame.empty:
            return frame
        frame = frame.set_index("sku_id", drop=False)
        frame.index.name = None
        return frame

    # -- runs and applying -------------------------------------------------------------------
    def begin_run(self, file: str, export_id: str | None, target: str, changes: Sequence[Change]) -> str:
        """Open a run and journal every intended change before anything is written."""
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        with self.transaction():
            self.db.execute("INSERT INTO runs (run_id, started_at, file, export_id, target, status) "
                            "VALUES (?, ?, ?, ?, ?, 'running')", (run_id, now_iso(), file, export_id, target))
            self.db.executemany(
                "INSERT INTO run_changes VALUES (?, ?, ?, ?, ?, ?, ?, 'planned')",
                ((run_id, i, c.sku_id, c.product_id, c.field, json.dumps(c.before), json.dumps(c.after))
                 for i, c in enumerate(changes)))
        for i, change in enumerate(changes):
            change.seq = i
        return run_id

    def apply_changes(self, run_id: str, changes: Sequence[Change]) -> None:
        """Write every change and mark it applied, in one transaction: all or nothing."""
        with self.transaction():
            # SKU codes are unique: park the changing ones on placeholders first, so that two SKUs
            # swapping codes in one sheet never collide halfway.
            self.db.executemany("UPDATE skus SET sku_code = ? WHERE sku_id = ?",
                                [(f"\x00{c.sku_id}", c.sku_id) for c in changes if c.field == "sku_code"])
            for change in changes:
                _write_change(self.db, change)
                if self.after_write:
                    self.after_write(change)
            self.db.executemany("UPDATE run_changes SET state = 'applied' WHERE run_id = ? AND seq = ?",
                                [(run_id, c.seq) for c in changes])
        for change in changes:
            change.result = "applied"

    def write_values(self, changes: Sequence[Change]) -> None:
        """Write values the target already holds (found applied by an earlier, interrupted run)
        so the local catalog mirrors it; not journaled again."""
        with self.transaction():
            for change in changes:
                _write_change(self.db, change)

    def finish_run(self, run_id: str, status: str, counts: dict[str, int]) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
                            (now_iso(), status, json.dumps(counts), run_id))

    def run_changes(self, run_id: str) -> list[Change]:
        rows = self.db.execute("SELECT sku_id, product_id, field, before, after, state FROM run_changes "
                               "WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        with self.decoded(f"the journal of run {run_id}"):
            return [Change(_text(r[0]), _text(r[1]), _text(r[2]), json.loads(r[3]), json.loads(r[4]),
                           result=_text(r[5])) for r in rows]

    def run(self, run_id: str) -> dict[str, Any] | None:
        return next((r for r in self.runs() if r["run_id"] == run_id), None)

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT run_id, started_at, finished_at, file, target, status, counts FROM runs "
                               "ORDER BY started_at, rowid").fetchall()  # two runs in one second: as journaled
        runs = []
        for r in rows:
            with self.decoded(f"the journal's run {r[0]}"):
                counts = json.loads(r[6])
                if not isinstance(counts, dict) or not all(isinstance(key, str) for key in counts):
                    raise _Damaged(r[6])
                datetime.fromisoformat(_text(r[1]))  # history shows it in local time
                runs.append({"run_id": _text(r[0]), "started_at": r[1], "finished_at": r[2], "file": _text(r[3]),
                             "target": _text(r[4]), "status": _text(r[5]), **counts})
        return runs

    # -- JIT purchase orders (the local orders target and the Orders workbook) ----------------
    def insert_orders(self, orders: Sequence[Order]) -> int:
        """Add JIT purchase orders with their items and deliveries (the sample; a test's orders)."""
        with self.transaction():
            start = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM jit_orders").fetchone()[0]
            for i, order in enumerate(orders):
                self.db.execute("INSERT INTO jit_orders VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (order.purchase_order_no, order.status, order.deadline.astimezone(UTC).isoformat(),
                                 order.warehouse, order.warehouse_address, order.delivery_no, start + i))
                self.db.executemany("INSERT INTO jit_order_items VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    ((order.purchase_order_no, it.sku_id, it.sku_code, it.title, it.barcode,
                                      it.quantity, n) for n, it in enumerate(order.items)))
                if order.delivery is not None and order.delivery_no:
                    self._put_delivery(order.delivery_no, order.delivery, order.boxes, insert=True)
        return len(orders)

    def jit_orders(self, statuses: Iterable[int] | None = None,
                   numbers: Iterable[str] | None = None) -> list[Order]:
        """The orders with these statuses (None: all), or these numbers, in the order they came."""
        sql = ("SELECT o.purchase_order_no, o.status, o.deadline, o.warehouse, o.warehouse_address, o.delivery_no, "
               "d.delivery_type, d.carrier, d.tracking, d.license_plate, d.phone, d.boxes FROM jit_orders o "
               "LEFT JOIN jit_deliveries d ON d.delivery_no = o.delivery_no")
        rows = self.db.execute(sql + " ORDER BY o.position").fetchall()
        wanted_status = None if statuses is None else set(statuses)
        wanted_number = None if numbers is None else set(numbers)
        rows = [r for r in rows if (wanted_status is None or r[1] in wanted_status)
                and (wanted_number is None or r[0] in wanted_number)]
        items: dict[str, list[Item]] = {}
        for r in self.db.execute("SELECT purchase_order_no, sku_id, sku_code, title, barcode, quantity "
                                 "FROM jit_order_items ORDER BY purchase_order_no, position"):
            items.setdefault(r[0], []).append(Item(r[1], r[2], r[3], r[4], r[5]))
        return [Order(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4], tuple(items.get(r[0], ())),
                      Delivery.of(r[6], r[7], json.loads(r[8]), r[9], r[10]) if r[6] else None, r[5], r[11])
                for r in rows]

    def sku_codes(self, sku_ids: Iterable[str]) -> dict[str, str]:
        """sku_id → the seller's SKU code, for the SKUs of these the catalog holds with a code (a
        platform's order items carry the sku_id alone)."""
        wanted = list(dict.fromkeys(str(s) for s in sku_ids))
        codes: dict[str, str] = {}
        with self.decoded("a SKU's code"):
            for start in range(0, len(wanted), 500):  # well under SQLite's limit of bound parameters
                chunk = wanted[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                for sku_id, code in self.db.execute(f"SELECT sku_id, sku_code FROM skus WHERE sku_id IN ({marks}) "
                                                    "AND sku_code != ''", chunk):
                    codes[_text(sku_id)] = _text(code)
        return codes

    def confirm_order(self, number: str) -> None:
        """Confirm a whole order waiting for confirmation (a JIT order is never confirmed in part)."""
        self.db.execute("UPDATE jit_orders SET status = 15 WHERE purchase_order_no = ? AND status = 10", (number,))

    def record_delivery(self, numbers: Sequence[str], delivery: Delivery, boxes: int | None) -> str:
        """A new self-delivery for these orders, with a number of its own: the orders are to ship."""
        delivery_no = "SD" + datetime.now(UTC).strftime("%y%m%d") + f"{secrets.randbelow(10**7):07d}"
        self._put_delivery(delivery_no, delivery, boxes, insert=True)
        self.db.executemany("UPDATE jit_orders SET delivery_no = ?, status = 17 WHERE purchase_order_no = ?",
                            [(delivery_no, n) for n in numbers])
        return delivery_no

    def update_delivery(self, delivery_no: str, delivery: Delivery, boxes: int | None) -> None:
        self._put_delivery(delivery_no, delivery, boxes, insert=False)

    def _put_delivery(self, delivery_no: str, delivery: Delivery, boxes: int | None, insert: bool) -> None:
        values = (delivery.delivery_type, delivery.carrier, json.dumps(list(delivery.tracking)),
                  delivery.license_plate, delivery.phone, boxes)
        if insert:
            self.db.execute("INSERT INTO jit_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (delivery_no, *values, now_iso(), now_iso()))
        else:
            self.db.execute("UPDATE jit_deliveries SET delivery_type = ?, carrier = ?, tracking = ?, "
                            "license_plate = ?, phone = ?, boxes = COALESCE(?, boxes), updated_at = ? "
                            "WHERE delivery_no = ?",
                            (*values, now_iso(), delivery_no))

    def record_order_export(self, lang: str, target: str, path: str, rows: Sequence[dict[str, Any]]) -> ExportRecord:
        """Keep an Orders workbook's rows as written: the `base` of the orders' change rule."""
        record = ExportRecord(uuid.uuid4().hex, now_iso(), lang, [])
        with self.transaction():
            self.db.execute("INSERT INTO order_exports VALUES (?, ?, ?, ?, ?, ?)",
                            (record.export_id, record.created_at, lang, target, path, json.dumps(rows, default=str)))
        return record

    def order_export(self, export_id: str) -> list[dict[str, Any]] | None:
        row = self.db.execute("SELECT rows FROM order_exports WHERE export_id = ?", (export_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def mark_applied(self, run_id: str, seqs: Sequence[int], after: Any) -> None:
        """Journal entries the target has confirmed (an order confirmed, an order in a delivery),
        with what they became (the delivery and its number)."""
        with self.transaction():
            self.db.executemany("UPDATE run_changes SET state = 'applied', after = ? WHERE run_id = ? AND seq = ?",
                                [(json.dumps(after), run_id, seq) for seq in seqs])


def nearby_stores(folders: Sequence[Path] = (), exclude: Path | None = None) -> list[Path]:
    """The sheetsync catalogs (`*.db` files that are SQLite databases) in the current folder and
    in `folders`: where a seller who typed the wrong --store, or none, keeps the right one."""
    found: list[Path] = []
    for folder in dict.fromkeys([Path.cwd(), *(Path(f).resolve() for f in folders)]):
        try:
            candidates = sorted(folder.glob("*.db"))
        except OSError:
            continue
        for candidate in candidates:
            try:
                if exclude is not None and candidate.resolve() == Path(exclude).resolve():
                    continue
                if candidate.is_file() and _header(candidate) == _SQLITE_HEADER and candidate not in found:
                    found.append(candidate)
            except OSError:
                continue
    return found


def _missing_nearby(path: Path, found: list[Path], exported_from: Callable[[], str | None] | None) -> StoreUnavailable:
    """A missing store's refusal naming the --store the seller meant: the one catalog nearby, or of
    several the one the workbook was exported from (the first found is as likely wrong as right),
    else every one of them to choose from."""
    if len(found) > 1:
        wanted = exported_from() if exported_from is not None else None
        found = [candidate for candidate in found if wanted and peek_store_id(candidate) == wanted] or found
    if len(found) > 1:
        return StoreUnavailable("store_missing_several", path=str(path),
                                suggestions=", ".join(shown_path(candidate) for candidate in found))
    return StoreUnavailable("store_missing_nearby", path=str(path), suggestion=shown_path(found[0]))


def peek_store_id(path: Path) -> str | None:
    """The id of the catalog at `path`, read without opening it for work (read-only, no lock taken,
    nothing changed); None for anything that is not a readable catalog."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
        finally:
            connection.close()
    except (sqlite3.Error, OSError, ValueError):
        return None
    return row[0] if row else None


def shown_path(path: Path) -> str:
    """A path as the seller would type it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _text(value: object) -> str:
    """A stored value that must be text (NOT NULL TEXT in the schema, but another program may have
    written anything)."""
    if not isinstance(value, str):
        raise _Damaged(repr(value))
    return value


def _json_list(data: str | bytes) -> list[Any]:
    values = json.loads(data)
    if not isinstance(values, list):
        raise _Damaged("not a list")
    return values


def _write_change(db: StoreConnection, change: Change) -> None:
    if change.field == "title":
        db.execute("UPDATE products SET title = ? WHERE product_id = ?", (change.after, change.product_id))
    elif change.field.startswith("stock_"):
        position = db.execute("SELECT position FROM countries WHERE code = ?", (change.field[6:],)).fetchone()[0]
        db.execute("UPDATE skus SET stock = json_set(stock, ?, ?) WHERE sku_id = ?",
                   (f"$[{position}]", int(change.after), change.sku_id))
    elif change.field in SKU_COLUMNS:
        db.execute(f"UPDATE skus SET {change.field} = ? WHERE sku_id = ?", (change.after, change.sku_id))
    else:
        raise ValueError(f"not a writable field: {change.field}")


def _catalog_part(rows: list[tuple], countries: list[str], wanted: set[str] | None = None) -> pd.DataFrame:
    """Rows of the catalog query → frame columns in field order, stock spread per country."""
    part = pd.DataFrame.from_records(rows, columns=["sku_id", "product_id", "title", "currency", *SKU_COLUMNS,
                                                    "stock"])
    if wanted is not None:
        part = part[part["sku_id"].isin(wanted)].reset_index(drop=True)
    matrix = _stock_matrix(part.pop("stock").tolist(), len(countries), part["sku_id"].tolist())
    stock = pd.DataFrame(matrix, columns=[f"stock_{c}" for c in countries])
    return pd.concat([part, stock], axis=1)[[f.key for f in BASE_FIELDS] + list(stock.columns)]


def _stock_matrix(texts: list[str], width: int, sku_ids: list[str], chunk: int = 20_000) -> np.ndarray:
    """Stock arrays → an int64 matrix (SKU × country), parsed a chunk of SKUs per JSON call: few
    calls, and never millions of Python ints alive at once. Each SKU's stock must be a JSON array
    of `width` whole numbers 0 and up: anything else (another program's edit) is named with its
    SKU, never cast (a float or a text makes another dtype, a wrong length another shape)."""
    matrix = np.zeros((len(texts), width), dtype=np.int64)
    for start in range(0, len(texts), chunk):
        some = texts[start:start + chunk]
        try:
            part = json.loads("[" + ",".join(some) + "]")
        except ValueError:
            part = None
        values = np.array(part, dtype=object if part is None else None) if part else np.zeros((0, width))
        if part is None or (width and (values.dtype.kind not in "iu" or values.shape != (len(some), width)
                                       or (values < 0).any())):
            _raise_bad_stock(some, width, sku_ids[start:start + chunk])
        if width:
            matrix[start:start + len(some)] = values
    return matrix


def _raise_bad_stock(texts: list[str], width: int, sku_ids: list[str]) -> NoReturn:
    """The first SKU whose stock is not `width` whole numbers 0 and up (a slow look, only once a
    chunk is known to hold one)."""
    for text, sku_id in zip(texts, sku_ids, strict=True):
        try:
            stock = json.loads(text)
        except ValueError:
            stock = None
        if not (isinstance(stock, list) and len(stock) == width
                and all(type(q) is int and q >= 0 for q in stock)):
            raise _Damaged(f"the skus row {sku_id} has no valid stock", located=True)
    raise _Damaged("a SKU's stock")


def _column_data(column: pd.Series) -> tuple[str, bytes | str]:
    """Integer columns as raw int64 bytes (loaded with no parsing), the rest as JSON text."""
    if pd.api.types.is_integer_dtype(column.dtype):
        return "i8", column.to_numpy(dtype="<i8").tobytes()
    return "json", json.dumps(column.tolist(), ensure_ascii=False)


def _stock_text(stock: dict[str, int], codes: Sequence[str]) -> str:
    """A {country: qty} mapping as the stored JSON array, in the countries' order."""
    return json.dumps([int(stock.get(code, 0)) for code in codes], separators=(",", ":"))


