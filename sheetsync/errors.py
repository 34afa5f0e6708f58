"""Exceptions for what stops a run. Problems with rows and cells are never exceptions: they are
`results.Issue` values collected into the report."""


class SheetsyncError(Exception):
    """A failure that ends the command. `rule` keys the seller-facing message in `messages`."""

    exit_code = 2
    status = "unreadable"

    def __init__(self, rule: str, lang: str | None = None, **params: object) -> None:
        self.rule = rule
        self.params = params
        from .messages import message

        super().__init__(message(rule, lang or "en", **params))

    def message(self, lang: str = "en") -> str:
        from .messages import message

        return message(self.rule, lang, **self.params)


class UnreadableWorkbook(SheetsyncError):
    """Not an xlsx, not a sheetsync workbook, or beyond the safety bounds."""


class ConfigError(SheetsyncError):
    """Bad usage, a bad config file or rate card, a missing store."""


class StoreBusy(SheetsyncError):
    """Another import holds the store's write lock."""
