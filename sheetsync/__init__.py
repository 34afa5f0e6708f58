"""sheetsync: manage an AliExpress semi-managed (POP Choice) catalog in Excel.

    >>> import sheetsync
    >>> sheetsync.init_store("shop.db", sample=True)
    >>> sheetsync.export_catalog("shop.db", "catalog.xlsx")
    >>> result = sheetsync.import_workbook("shop.db", "catalog.xlsx", report="report.xlsx")
    >>> result.status, result.exit_code
    >>> sheetsync.export_orders("shop.db", "orders.xlsx")          # JIT purchase orders
    >>> sheetsync.import_orders("shop.db", "orders.xlsx", dry_run=True).status
"""

from .errors import SheetsyncError
from .orders.model import OrdersResult
from .orders_pipeline import OrdersExport, export_orders, import_orders
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

__all__ = ["Change", "ExportSummary", "ImportResult", "Issue", "OrdersExport", "OrdersResult", "PullResult",
           "PushResult", "SheetsyncError", "authorize", "export_catalog", "export_orders", "history", "import_orders",
           "import_workbook", "init_store", "pull", "revert", "run_changes", "status"]
__version__ = "0.1.0"
