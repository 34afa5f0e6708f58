"""Every file sheetsync writes (export, report, labels) goes through here: checked before any
work, written whole or not at all; and every file it reads is first checked to be a file (`is_special`).

Why: an output path typed by a seller can name the catalog itself, the workbook being imported,
a folder, or a file open in Excel; and a run can be killed, interrupted or run out of disk half
way. `check_output` refuses the first kind with a sentence before anything is done.
`replacing` writes to a temporary file in the same folder, flushes it to the disk and renames it
over the target only when complete (a rename within one folder is atomic on Windows and POSIX),
so an interrupted run leaves the previous file as it was. A failure while writing becomes an
`OutputFailed` naming the file and what to do, never a bare OSError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import ConfigError, OutputFailed

StrPath = str | os.PathLike[str]

# SQLite keeps a catalog in up to four files: the database and, beside it, these.
STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")
_WINDOWS = os.name == "nt"
# Windows refuses to replace a file that another program (Excel, an antivirus scan, the search
# indexer) holds open; the last two let go within moments, so the rename is retried briefly.
_REPLACE_ATTEMPTS = 10
_REPLACE_PAUSE = 0.1


def check_output(path: StrPath, *, store: StrPath | None = None, inputs: Iterable[StrPath | None] = ()) -> Path:
    """Refuse, before any work, an output path that would destroy something or cannot be written:
    the store (or a file SQLite keeps beside it), a file the command reads (`inputs`), a folder or
    a device, a folder that does not exist or cannot be written, a file open in Excel. Returns the
    path to write, with symbolic links followed, so the link itself is not replaced.

    Total: whatever the operating system says of the path while it is checked (a name too long, a
    file used as a folder, a loop of links, a folder it may not read) is a sentence naming the path
    and the reason, never a bare OSError, which would be reported as a bug."""
    try:
        return _checked(path, store, inputs)
    except OSError as exc:
        raise ConfigError("output_unusable", path=str(path), reason=_reason(exc)) from None


def _checked(path: StrPath, store: StrPath | None, inputs: Iterable[StrPath | None]) -> Path:
    target = Path(os.path.abspath(path))
    if target.is_dir():
        raise ConfigError("output_is_folder", path=str(path), example=str(target / "report.xlsx"))
    target = Path(os.path.realpath(target))
    with contextlib.suppress(FileNotFoundError):
        os.stat(target)  # what the path checks below keep to themselves: a name too long, a loop of links
    if store is not None:
        for companion in STORE_COMPANIONS:
            if _same_file(target, Path(f"{os.fspath(store)}{companion}")):
                raise ConfigError("output_is_store", path=str(path), store=os.fspath(store))
    for source in inputs:
        if source is not None and _same_file(target, Path(source)):
            raise ConfigError("output_is_input", path=str(path), source=os.fspath(source))
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise ConfigError("output_not_file", path=str(path))
    folder = target.parent
    if not folder.is_dir():
        raise ConfigError("output_folder_missing", path=str(path), folder=str(folder))
    _check_writable(folder, path)
    if target.exists():
        _check_not_open(target, path)
    return target


def is_special(path: StrPath) -> bool:
    """Whether `path` exists and is not an ordinary file: a folder, a pipe (FIFO), a device or a
    socket. Every file sheetsync reads (workbook, config, rate card, store) is checked with this
    before it is opened, since opening a pipe waits until something writes to it: forever."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False  # missing or unreadable: the caller's own check names that
    return not stat.S_ISREG(mode)


def _same_file(output: Path, kept: Path) -> bool:
    """Whether `output` names the file `kept`, however either is spelled: through links, `..`, or
    in another letter case on a case-insensitive file system (Windows, macOS). Where both exist
    the file system answers; where neither does, the names are compared ignoring case, which on a
    case-sensitive system only refuses a name that differs from a kept file by case."""
    output_exists, kept_exists = output.exists(), kept.exists()
    if output_exists and kept_exists:
        return os.path.samefile(output, kept)
    if output_exists or kept_exists:  # a case variant of an existing file would exist itself
        return False
    kept = kept.resolve()
    if output.name.casefold() != kept.name.casefold():
        return False
    if output.parent.exists() and kept.parent.exists():
        return os.path.samefile(output.parent, kept.parent)
    return str(output.parent).casefold() == str(kept.parent).casefold()


def _check_writable(folder: Path, path: StrPath) -> None:
    """Create and remove a file in `folder`: the only test that answers for permissions, ACLs,
    read-only media and mounts alike (a root user passes permission checks, not a read-only disk)."""
    try:
        handle, probe = _create_temporary(folder, ".sheetsync-probe")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError("output_not_writable", path=str(path), folder=str(folder),
                          reason=_reason(exc)) from None


def _check_not_open(target: Path, path: StrPath) -> None:
    """Excel keeps `~$name` beside a workbook it has open (LibreOffice `.~lock.name#`); Windows also
    refuses to open for writing a file Excel holds."""
    for lock in (target.with_name("~$" + target.name), target.with_name(f".~lock.{target.name}#")):
        if lock.exists():
            raise ConfigError("output_open", path=str(path), lock=str(lock))
    if _WINDOWS:
        try:
            with open(target, "r+b"):
                pass
        except PermissionError:
            raise ConfigError("output_locked", path=str(path)) from None


@contextlib.contextmanager
def replacing(path: StrPath) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content to. When the block ends normally the content is
    flushed to the disk and renamed over `path`; when it raises (an error, Ctrl-C) the temporary
    file is removed and `path` is untouched. OSErrors, from the block or the rename, become
    `OutputFailed`."""
    temporary: str | None = None
    try:
        target = Path(os.path.realpath(os.path.abspath(path)))
        handle, temporary = _create_temporary(target.parent, f".{target.name[:80]}")
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        _replace(temporary, target, path)
        temporary = None
        _sync_folder(target.parent)
    except OSError as exc:
        raise _failure(exc, path) from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def write_bytes(path: StrPath, data: bytes) -> None:
    """Write `data` (a label PDF, say) to `path` whole or not at all."""
    with replacing(path) as stream:
        stream.write(data)


def _create_temporary(folder: Path, prefix: str) -> tuple[int, str]:
    """A new file in `folder`, created with the usual permissions for a new file (the user's
    umask), not tempfile's owner-only ones, so the output is shared as a plainly written one."""
    for _ in range(100):
        name = str(folder / f"{prefix}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _replace(temporary: str, target: Path, path: StrPath) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            os.replace(temporary, target)
            return
        except PermissionError as exc:
            if not _WINDOWS:
                raise
            if attempt == _REPLACE_ATTEMPTS - 1:
                raise OutputFailed("output_locked", path=str(path)) from exc
            time.sleep(_REPLACE_PAUSE)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder, and NTFS journals it)."""
    if _WINDOWS:
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError as exc:  # some file systems (network, FUSE) cannot sync a folder: the data is synced
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(handle)


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _failure(exc: OSError, path: StrPath) -> OutputFailed:
    if exc.errno in _DISK_FULL:
        return OutputFailed("output_disk_full", path=str(path), reason=_reason(exc))
    if exc.errno in _NOT_ALLOWED:
        return OutputFailed("output_not_allowed", path=str(path), reason=_reason(exc))
    return OutputFailed("output_failed", path=str(path), reason=_reason(exc))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
