"""Exceptions for what stops a run, and only those. Problems with rows and cells are never
exceptions: they are `results.Issue` values collected into the report.

Every class carries the status (and so the exit code) it ends a run with, so the library and the
CLI translate any of them in one place: `pipeline` turns one into an `ImportResult`, `cli` prints
its message and exits with its code. Anything else that escapes is a bug in sheetsync (exit 70).
"""

from __future__ import annotations

from .results import Status


class SheetsyncError(Exception):
    """A failure that ends the command. `rule` keys the seller-facing message in `messages`."""

    status = Status.UNREADABLE

    def __init__(self, rule: str, **params: object) -> None:
        from .messages import Rule, message

        self.rule = Rule(rule)
        self.params = params
        super().__init__(message(self.rule, "en", **params))

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    def message(self, lang: str = "en") -> str:
        from .messages import message

        return message(self.rule, lang, **self.params)


class UnreadableWorkbook(SheetsyncError):
    """The file: not an xlsx, not a sheetsync workbook, another store's, beyond the safety bounds."""


class ConfigError(SheetsyncError):
    """Bad usage: a bad option, config file or rate card, an output path that must not be written."""


class StoreUnavailable(SheetsyncError):
    """Not the file's fault: the store is missing, corrupt, read-only, full or held by another program."""

    status = Status.UNAVAILABLE


class StoreBusy(StoreUnavailable):
    """Another sheetsync command holds the store's write lock."""


class TargetUnavailable(SheetsyncError):
    """The platform cannot be used: unreachable, credentials refused, an answer of the wrong shape,
    or the quota used up. Raised before anything was written it ends the run as `unavailable`; met
    half way, the pipeline records what was written and the run ends as `partial`."""

    status = Status.UNAVAILABLE

    def __init__(self, rule: str = "platform_refused", *, code: str = "", detail: str = "", **params: object) -> None:
        self.code = code
        self.detail = detail
        super().__init__(rule, code=code, detail=detail, **params)


class QuotaExceeded(TargetUnavailable):
    """The app's call quota is used up: stop, do not wait."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__("quota_exceeded", code="ApiCallLimit", detail_key="quota_resume",
                         seconds=seconds)


class OutputFailed(SheetsyncError):
    """A file sheetsync was writing (export, report, label) could not be completed: the disk is
    full, the folder became read-only, another program holds the file. The previous file, if any,
    is left as it was (`outputs.replacing`); work already applied stays applied."""

    status = Status.UNAVAILABLE


class Interrupted(SheetsyncError):
    """Ctrl-C during a run that writes: the changes in flight were finished and journaled, the
    rest were not sent (the run is journaled `interrupted`; running it again finishes it)."""

    status = Status.INTERRUPTED

    def __init__(self, applied: int, changes: int, run_id: str) -> None:
        super().__init__("interrupted", applied=applied, changes=changes, run_id=run_id)
