"""sheetsync: manage an AliExpress semi-managed (POP Choice) catalog in Excel.

    >>> import sheetsync
    >>> sheetsync.init_store("shop.db", sample=True)
    >>> sheetsync.export_catalog("shop.db", "catalog.xlsx")
    >>> result = sheetsync.import_workbook("shop.db", "catalog.xlsx", report="report.xlsx")
    >>> result.status, result.exit_code
"""

from .errors import SheetsyncError
from .pipeline import (
    ExportSummary,
    PullResult,
    authorize,
    export_catalog,
    history,
    import_workbook,
    init_store,
    pull,
    revert,
    run_changes,
    status,
)
from .results import Change, ImportResult, Issue, PushResult

__all__ = ["Change", "ExportSummary", "ImportResult", "Issue", "PullResult", "PushResult", "SheetsyncError",
           "authorize", "export_catalog", "history", "import_workbook", "init_store", "pull", "revert", "run_changes",
           "status"]
__version__ = "0.1.0"
