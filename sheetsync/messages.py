"""Every word a seller reads, in English and Chinese: the one place they live, so that a seller
working in Chinese reads Chinese everywhere and a new line cannot be added in one language only.

Each table holds a key's English and Chinese side by side, and each kind of word has one lookup:
`message` (MESSAGES, keyed by the closed vocabulary of rule codes `Rule`: the sentence of what is
wrong and how to fix it), `say` (WORDS: every other line and word of the CLI, the report, the mail
and the template), `value_word` and `choice_from_word` (VALUE_WORDS: statuses, results, dropdown
choices, both ways), `sheet_name`, `report_column`, `status_words`, `next_step`. Parameters are
filled by name; a missing one raises under SHEETSYNC_STRICT_MESSAGES=1 (the test suite runs so),
otherwise it stays visible as {name} rather than stopping a run whose work is done. The tests
render every key of every table in both languages.
"""

from __future__ import annotations

import os
import re
import string
from enum import StrEnum


class Rule(StrEnum):
    """Every rule code an Issue or a SheetsyncError may carry; each has a message in MESSAGES."""

    REQUIRED = "required"
    STOCK_REQUIRED = "stock_required"
    PRICE_FORMAT = "price_format"
    PRICE_DECIMALS = "price_decimals"
    PRICE_RANGE = "price_range"
    WEIGHT_FORMAT = "weight_format"
    WEIGHT_DECIMALS = "weight_decimals"
    WEIGHT_RANGE = "weight_range"
    INTEGER_FORMAT = "integer_format"
    DIMENSION_RANGE = "dimension_range"
    STOCK_RANGE = "stock_range"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    TITLE_LENGTH = "title_length"
    TITLE_INCONSISTENT = "title_inconsistent"
    SKU_CODE_FORMAT = "sku_code_format"
    SKU_CODE_DUPLICATE = "sku_code_duplicate"
    BARCODE_FORMAT = "barcode_format"
    BARCODE_CHECK_DIGIT = "barcode_check_digit"
    LOGISTICS_ATTRIBUTE = "logistics_attribute"
    LEADING_ZEROS_LOST = "leading_zeros_lost"
    NUMBER_PRECISION_LOST = "number_precision_lost"
    IDENTIFIER_BECAME_NUMBER = "identifier_became_number"
    MERGED_CELL = "merged_cell"
    IDENTIFIER_AS_NUMBER = "identifier_as_number"
    IDENTIFIER_FORMAT = "identifier_format"
    FORMULA_WITHOUT_VALUE = "formula_without_value"
    CELL_ERROR = "cell_error"
    CELL_DAMAGED = "cell_damaged"
    DATE_IN_NUMBER = "date_in_number"
    DATE_IN_TEXT = "date_in_text"
    BOOLEAN_CELL = "boolean_cell"
    TEXT_CONTROL = "text_control"
    INVISIBLE_TEXT = "invisible_text"
    UNKNOWN_SKU = "unknown_sku"
    DUPLICATE_SKU = "duplicate_sku"
    SKU_PRODUCT_MISMATCH = "sku_product_mismatch"
    MISSING_SKU_ID = "missing_sku_id"
    NO_FREIGHT_BRACKET = "no_freight_bracket"
    NO_RATE_FOR_COUNTRY = "no_rate_for_country"
    NO_RATE_FOR_COUNTRY_SKUS = "no_rate_for_country_skus"
    RATE_CURRENCY_MISMATCH = "rate_currency_mismatch"
    READ_ONLY_CHANGED = "read_only_changed"
    UNKNOWN_COLUMN = "unknown_column"
    KEY_CELL_BROKEN = "key_cell_broken"
    DUPLICATE_COLUMN = "duplicate_column"
    UNSUPPORTED_COUNTRY = "unsupported_country"
    MISSING_ID_COLUMN = "missing_id_column"
    CONFLICT = "conflict"
    LARGE_PRICE_CHANGE = "large_price_change"
    LARGE_STOCK_CHANGE = "large_stock_change"
    LARGE_MEASURE_CHANGE = "large_measure_change"
    LARGE_DISPLAY_PRICE_CHANGE = "large_display_price_change"
    NOT_IN_EXPORT = "not_in_export"
    TITLE_NOT_SUPPORTED = "title_not_supported"
    SHARED_WAREHOUSE_STOCK = "shared_warehouse_stock"
    QUOTA_EXCEEDED = "quota_exceeded"
    PLATFORM_REFUSED = "platform_refused"
    AE_CREDENTIALS_MISSING = "ae_credentials_missing"
    AE_PULL_FIRST = "ae_pull_first"
    AE_ENDPOINT_INVALID = "ae_endpoint_invalid"
    AE_ENDPOINT_INSECURE = "ae_endpoint_insecure"
    PLATFORM_BAD_ANSWER = "platform_bad_answer"
    PLATFORM_ERROR = "platform_error"
    PLATFORM_UNREACHABLE = "platform_unreachable"
    PLATFORM_REDIRECT = "platform_redirect"
    ROW_SKIPPED = "row_skipped"
    STOCK_HELP = "stock_help"
    READ_ONLY_TITLE = "read_only_title"
    READ_ONLY_HELP = "read_only_help"
    PREVIEW_HELP = "preview_help"
    MAIL_FAILED = "mail_failed"
    NO_BRACKET_SHORT = "no_bracket_short"
    FREIGHT_COUNTRY_ALIAS = "freight_country_alias"
    FREIGHT_UNKNOWN_COUNTRY = "freight_unknown_country"
    FREIGHT_TOO_HEAVY = "freight_too_heavy"
    FILE_MISSING = "file_missing"
    INPUT_NOT_FILE = "input_not_file"
    FILE_EMPTY = "file_empty"
    FILE_EXCEL_LOCK = "file_excel_lock"
    FILE_IS_STORE = "file_is_store"
    FILE_OLD_XLS = "file_old_xls"
    FILE_ENCRYPTED = "file_encrypted"
    FILE_NOT_XLSX = "file_not_xlsx"
    FILE_CORRUPT = "file_corrupt"
    FILE_TOO_LARGE = "file_too_large"
    NO_PRODUCTS_SHEET = "no_products_sheet"
    NOT_SHEETSYNC = "not_sheetsync"
    OTHER_STORE = "other_store"
    OTHER_STORE_NEARBY = "other_store_nearby"
    UNKNOWN_EXPORT = "unknown_export"
    METADATA_MOVED = "metadata_moved"
    METADATA_UNBOUND = "metadata_unbound"
    TEMPLATE_VERSION = "template_version"
    STORE_MISSING = "store_missing"
    STORE_MISSING_NEARBY = "store_missing_nearby"
    STORE_MISSING_SEVERAL = "store_missing_several"
    STORE_EXISTS = "store_exists"
    STORE_NEWER = "store_newer"
    STORE_BUSY = "store_busy"
    STORE_NOT_CATALOG = "store_not_catalog"
    STORE_CORRUPT = "store_corrupt"
    STORE_READONLY = "store_readonly"
    STORE_DISK_FULL = "store_disk_full"
    STORE_IO_ERROR = "store_io_error"
    UNKNOWN_RUN = "unknown_run"
    RATES_MISSING = "rates_missing"
    RATES_HEADER = "rates_header"
    RATES_LINE = "rates_line"
    CONFIG_INVALID = "config_invalid"
    PREVIEW_UNKNOWN = "preview_unknown"
    EXPORT_TOO_MANY_ROWS = "export_too_many_rows"
    EXPORT_TEXT_TOO_LONG = "export_text_too_long"
    LANG_UNKNOWN = "lang_unknown"
    EXPORT_NOT_XLSX = "export_not_xlsx"
    EXPORT_NOT_IMPORTED = "export_not_imported"
    ORDERS_NOT_IMPORTED = "orders_not_imported"
    EXPORT_NOT_CHECKED = "export_not_checked"
    # sheetsync demo
    DEMO_START = "demo_start"
    DEMO_CREATED = "demo_created"
    DEMO_EXPORTED = "demo_exported"
    DEMO_EDITED = "demo_edited"
    DEMO_VALIDATE = "demo_validate"
    DEMO_IMPORT = "demo_import"
    DEMO_FILES = "demo_files"
    DEMO_NEXT = "demo_next"
    DEMO_FOLDER_IN_USE = "demo_folder_in_use"
    OUTPUT_IS_STORE = "output_is_store"
    OUTPUT_IS_INPUT = "output_is_input"
    OUTPUT_IS_FOLDER = "output_is_folder"
    OUTPUT_NOT_FILE = "output_not_file"
    OUTPUT_FOLDER_MISSING = "output_folder_missing"
    OUTPUT_NOT_WRITABLE = "output_not_writable"
    OUTPUT_OPEN = "output_open"
    OUTPUT_LOCKED = "output_locked"
    OUTPUT_DISK_FULL = "output_disk_full"
    OUTPUT_NOT_ALLOWED = "output_not_allowed"
    OUTPUT_FAILED = "output_failed"
    OUTPUT_UNUSABLE = "output_unusable"

    REPORT_FAILED = "report_failed"
    MAIL_SETTINGS = "mail_settings"
    TARGET_UNKNOWN = "target_unknown"
    PULL_NOT_SUPPORTED = "pull_not_supported"
    AE_COUNTRY_WITHOUT_WAREHOUSE = "ae_country_without_warehouse"
    AE_NO_COUNTRIES = "ae_no_countries"
    AE_WAREHOUSE_MAPPING = "ae_warehouse_mapping"
    # connecting a store (sheetsync auth) and its tokens
    AE_NOT_CONNECTED = "ae_not_connected"
    AE_AUTH_EXPIRED = "ae_auth_expired"
    AE_AUTH_REFUSED = "ae_auth_refused"
    AE_AUTH_STATE = "ae_auth_state"
    AE_AUTH_DENIED = "ae_auth_denied"
    AE_AUTH_NO_CODE = "ae_auth_no_code"
    AE_AUTH_TIMEOUT = "ae_auth_timeout"
    AE_AUTH_PORT = "ae_auth_port"
    AE_REDIRECT_MISSING = "ae_redirect_missing"
    AE_REDIRECT_INVALID = "ae_redirect_invalid"
    AE_AUTH_PAGE_DONE = "ae_auth_page_done"
    AE_AUTH_OPEN = "ae_auth_open"
    AE_AUTH_WAITING = "ae_auth_waiting"
    AE_AUTH_PASTE = "ae_auth_paste"
    AE_AUTH_CONNECTED = "ae_auth_connected"
    AE_AUTH_CREATED = "ae_auth_created"
    AE_AUTH_ENV_OVERRIDES = "ae_auth_env_overrides"
    # JIT purchase orders on AliExpress (targets/aliexpress/orders.py)
    AE_ORDER_REJECTED = "ae_order_rejected"
    AE_ORDER_UNKNOWN = "ae_order_unknown"
    AE_ORDERS_CHANGING = "ae_orders_changing"
    # a product the platform did not take
    PUSH_REJECTED = "push_rejected"
    PUSH_FAILED = "push_failed"
    # found by a hostile review: faults met half way, seller mix-ups
    STORE_REPLACED = "store_replaced"
    INTERRUPTED = "interrupted"
    STOPPED_BY_CTRL_C = "stopped_by_ctrl_c"
    INTERRUPT_STOPPING = "interrupt_stopping"
    AE_PAGES_INCONSISTENT = "ae_pages_inconsistent"
    AE_OTHER_SELLER = "ae_other_seller"
    # JIT purchase orders (the Orders workbook)
    NO_ORDERS_SHEET = "no_orders_sheet"
    ORDERS_FILE_EMPTY = "orders_file_empty"
    ORDERS_FILE_IS_STORE = "orders_file_is_store"
    WORKBOOK_IS_ORDERS = "workbook_is_orders"
    WORKBOOK_IS_CATALOG = "workbook_is_catalog"
    ORDER_KEY_EMPTY = "order_key_empty"
    CONFIRM_FORMAT = "confirm_format"
    DELIVERY_TYPE_FORMAT = "delivery_type_format"
    DELIVERY_TYPE_REQUIRED = "delivery_type_required"
    CARRIER_REQUIRED = "carrier_required"
    TRACKING_REQUIRED = "tracking_required"
    TRACKING_FORMAT = "tracking_format"
    TRACKING_INVISIBLE = "tracking_invisible"
    CARRIER_INVISIBLE = "carrier_invisible"
    CARRIER_ONE = "carrier_one"
    TRACKING_TWO_CARRIERS = "tracking_two_carriers"
    PLATE_REQUIRED = "plate_required"
    PHONE_REQUIRED = "phone_required"
    PHONE_FORMAT = "phone_format"
    BOXES_RANGE = "boxes_range"
    ORDER_ROWS_DISAGREE = "order_rows_disagree"
    ORDER_NOT_IN_EXPORT = "order_not_in_export"
    ORDER_ROW_DUPLICATE = "order_row_duplicate"
    ORDER_GONE = "order_gone"
    ORDER_CANCELLED = "order_cancelled"
    CONFIRM_NOT_WAITING = "confirm_not_waiting"
    DELIVERY_NEEDS_CONFIRM = "delivery_needs_confirm"
    DELIVERY_NOT_OPEN = "delivery_not_open"
    DELIVERY_CLEARED = "delivery_cleared"
    DELIVERY_SPLIT = "delivery_split"
    ORDER_DELIVERY_CONFLICT = "order_delivery_conflict"
    ORDER_OVERDUE = "order_overdue"
    LABELS_NEED_PLATFORM = "labels_need_platform"
    DELIVERY_WAITS_FOR_CONFIRM = "delivery_waits_for_confirm"
    AE_ORDER_NOT_DONE = "ae_order_not_done"
    LABELS_BOXES_RANGE = "labels_boxes_range"
    ORDERS_STATUS_UNKNOWN = "orders_status_unknown"
    ORDERS_RUN_NOT_REVERTIBLE = "orders_run_not_revertible"
    LABELS_FAILED = "labels_failed"
    BOXES_UNUSED = "boxes_unused"
    ORDER_TEXT_TOO_LONG = "order_text_too_long"
    TRACKING_IN_OTHER_DELIVERY = "tracking_in_other_delivery"
    ORDERS_OTHER_TARGET = "orders_other_target"
    ORDERS_NOT_SHEETSYNC = "orders_not_sheetsync"


MESSAGES: dict[str, tuple[str, str]] = {
    # cell rules
    "required": ("This cell is empty. Fill in {what}; an empty cell never erases a value.",
                 "此单元格为空。请填写{what}；空单元格不会清除原有的值。"),
    "stock_required": ("Stock is empty. Type 0 to stop selling in {country}, or the number you can ship.",
                       "库存为空。填 0 表示停止在 {country} 销售，或填写可发货数量。"),
    "price_format": ("Seller price must be a number with at most 2 decimals, like 12.50 (found \"{value}\").",
                     "供货价必须是最多 2 位小数的数字，例如 12.50（当前为“{value}”）。"),
    "price_decimals": ("Seller price has more than 2 decimals ({value}); round it to cents, like 12.50.",
                       "供货价超过 2 位小数（{value}），请保留到分，例如 12.50。"),
    "price_range": ("Seller price must be between 0.01 and 999999 (found {value}).",
                    "供货价必须在 0.01 到 999999 之间（当前为 {value}）。"),
    "weight_format": ("Weight must be a number of kilograms with at most 3 decimals, like 0.350 (found \"{value}\").",
                      "重量必须是最多 3 位小数的千克数，例如 0.350（当前为“{value}”）。"),
    "weight_decimals": ("Weight has more than 3 decimals ({value}); give it to the gram, like 0.350.",
                        "重量超过 3 位小数（{value}），请精确到克，例如 0.350。"),
    "weight_range": ("Weight must be between 0.001 and 500 kg (found {value}). The column is in kilograms: "
                     "grams typed here go divided by 1000 (350 g is 0.350).",
                     "重量必须在 0.001 到 500 千克之间（当前为 {value}）。此列单位为千克：克数需除以 1000"
                     "（350 克填 0.350）。"),
    "integer_format": ("{label} must be a whole number, like 12 (found \"{value}\").",
                       "{label} 必须是整数，例如 12（当前为“{value}”）。"),
    "dimension_range": ("{label} must be a whole number of cm between 1 and 700 (found {value}).",
                        "{label} 必须是 1 到 700 之间的整数厘米（当前为 {value}）。"),
    "stock_range": ("Stock must be a whole number between 0 and 999999 (found {value}); type 0 to stop selling.",
                    "库存必须是 0 到 999999 之间的整数（当前为 {value}）；填 0 表示停止销售。"),
    "ambiguous_number": ("\"{value}\" can be read two ways (a thousands separator or a decimal one). "
                         "Type it without thousands separators, like 1250 or 1.25.",
                         "“{value}”有两种读法（千位分隔符或小数点）。请去掉千位分隔符，例如 1250 或 1.25。"),
    "title_length": ("Title must be 1 to 128 characters (this one has {length}).",
                     "标题必须为 1 到 128 个字符（当前 {length} 个）。"),
    "title_inconsistent": ("Product {product_id} has different titles on different rows; make them the same "
                           "(row {first_row} says \"{first}\").",
                           "商品 {product_id} 在不同行的标题不一致，请改成相同（第 {first_row} 行为“{first}”）。"),
    "sku_code_format": ("SKU code must be up to 20 letters, digits, - _ or . (found \"{value}\").",
                        "商家编码最多 20 个字母、数字、- _ 或 .（当前为“{value}”）。"),
    "sku_code_duplicate": ("SKU code \"{value}\" is already used by SKU {other}; SKU codes must be unique.",
                           "商家编码“{value}”已被 SKU {other} 使用；商家编码必须唯一。"),
    "barcode_format": ("Barcode must be 8, 12, 13 or 14 digits (EAN-8, UPC-A, EAN-13, GTIN-14) (found \"{value}\").",
                       "条形码必须是 8、12、13 或 14 位数字（EAN-8、UPC-A、EAN-13、GTIN-14）（当前为“{value}”）。"),
    "barcode_check_digit": ("Barcode {value} has a wrong check digit (the last digit should be {expected}); "
                            "check for a typo.",
                            "条形码 {value} 的校验位错误（最后一位应为 {expected}），请检查是否输错。"),
    "logistics_attribute": ("Logistics attribute must be one of: {allowed} (found \"{value}\"). Pick it from the list.",
                            "物流属性必须是以下之一：{allowed}（当前为“{value}”）。请从下拉列表中选择。"),
    "leading_zeros_lost": ("{label} {value} came back as a number and lost its leading zeros (it was {base}). "
                           "Format the column as Text and type {base} again.",
                           "{label} {value} 被当作数字保存，丢失了开头的 0（原为 {base}）。请把该列设为文本格式后重新输入 {base}。"),
    "number_precision_lost": ("{label} {value} was stored as a number and lost digits. Format the column as Text "
                              "and type the code again.",
                              "{label} {value} 被当作数字保存，丢失了部分数字。请把该列设为文本格式后重新输入。"),
    "identifier_became_number": ("{label} came back as the number {value}, but it was exported as the text {base}: a spreadsheet turned it into a number (codes like 219E01 become 2190). Format the column as Text and type {base} again.",
                                 "{label} 变成了数字 {value}，导出时是文本 {base}：表格软件把它转换成了数字（例如 219E01 会变成 2190）。请把该列设为文本格式后重新输入 {base}。"),
    "merged_cell": ("This cell is part of the merged range {range}, so it reads as empty. Unmerge the cells and fill each one.",
                    "此单元格属于合并区域 {range}，读取为空。请取消合并并逐格填写。"),
    "identifier_as_number": ("{label} was stored as a number ({value}); sheetsync read it as text. "
                             "Keep identifier columns formatted as Text.",
                             "{label} 被保存为数字（{value}），已按文本读取。请保持编号列为文本格式。"),
    "identifier_format": ("{label} must be digits only (found \"{value}\"). Do not change IDs.",
                          "{label} 只能是数字（当前为“{value}”）。请勿修改编号。"),
    "formula_without_value": ("This cell holds a formula with no computed value. Open and save the file in "
                              "Excel or LibreOffice, or type the value itself.",
                              "此单元格是没有计算结果的公式。请用 Excel 或 LibreOffice 打开并保存，或直接填写数值。"),
    "cell_error": ("This cell shows the error {value}. Replace it with a value.",
                   "此单元格显示错误 {value}，请改为有效的值。"),
    "cell_damaged": ("This cell is damaged: the file says it holds a value ({value}) but it holds none, so it is "
                     "not read as empty. Type the cell's value again (or clear it) in your spreadsheet program and save.",
                     "此单元格已损坏：文件标明它有值（{value}），但其中没有值，因此不会当作空单元格。请在表格软件中重新输入该单元格的值（或清空它）后保存。"),
    "date_in_number": ("This cell holds a date ({value}) where {label} was expected. Format the cell as a "
                       "number and type the value again.",
                       "此单元格是日期（{value}），这里应为{label}。请把单元格设为数字格式并重新输入。"),
    "date_in_text": ("This cell holds a date ({value}) where {label} was expected: the spreadsheet turned what you "
                     "typed into a date. Format the cell as Text and type it again.",
                     "此单元格是日期（{value}），这里应为{label}：表格软件把您输入的内容转换成了日期。请把单元格设为文本格式并重新输入。"),
    "boolean_cell": ("This cell holds the yes/no value {value} where {label} was expected. Type the {what} itself "
                     "(format the cell as Text if the spreadsheet keeps turning it into TRUE or FALSE).",
                     "此单元格是逻辑值 {value}，这里应为{label}。请直接填写{what}（如果表格软件总把它变成 TRUE 或 FALSE，请把单元格设为文本格式）。"),
    "text_control": ("{label} contains an invisible control character ({code}), often left by copying from another "
                     "program; a line break, a line or paragraph separator and a text-direction override count too. "
                     "Retype the text on one line without it.",
                     "{label} 含有不可见的控制字符（{code}），通常是从其他程序复制时带入的；换行、行分隔符、段落分隔符和文字方向控制符也算。请在一行内重新输入，不要包含该字符。"),
    "invisible_text": ("This cell holds only invisible characters (such as zero-width spaces), so it looks empty. "
                       "Type the {what} itself.",
                       "此单元格只有不可见字符（例如零宽空格），看起来是空的。请直接填写{what}。"),
    # row and sheet rules
    "unknown_sku": ("SKU {value} is not in this store. sheetsync never creates SKUs; remove the row or "
                    "check that the file comes from this store.",
                    "SKU {value} 不在本店铺中。sheetsync 不会新建 SKU；请删除该行，或确认文件来自本店铺。"),
    "duplicate_sku": ("SKU {value} appears on rows {rows}; keep one row per SKU.",
                      "SKU {value} 出现在第 {rows} 行；每个 SKU 只能保留一行。"),
    "sku_product_mismatch": ("SKU {sku_id} belongs to product {expected}, not {value}. Do not change IDs.",
                             "SKU {sku_id} 属于商品 {expected}，而不是 {value}。请勿修改编号。"),
    "missing_sku_id": ("This row has data but no SKU ID; sheetsync cannot tell which SKU it is.",
                       "此行有数据但没有 SKU ID，无法判断对应哪个 SKU。"),
    "no_freight_bracket": ("The chargeable weight {weight} kg is above the rate card's heaviest bracket for {countries}, "
                           "where this SKU has stock, so it cannot be priced there. Check the weight (grams typed as "
                           "kilograms?) and the package size; or set the stock to 0 there, or add a heavier bracket "
                           "to the rate card (--rates FILE).",
                           "计费重量 {weight} 千克超过了运费表中 {countries} 的最重区间，而该 SKU 在这些国家有库存，"
                           "因此无法计算价格。请检查重量（是否把克当成了千克？）和包裹尺寸；或把这些国家的库存设为 0，"
                           "或在运费表中增加更重的区间（--rates 文件）。"),
    "no_rate_for_country": ("The rate card has no rows for {country}, but stock there is {stock}. "
                            "Add {country} to the rate card or set the stock to 0.",
                            "运费表中没有 {country}，但该国库存为 {stock}。请在运费表中加入 {country}，或把库存设为 0。"),
    "no_rate_for_country_skus": ("The rate card has no rows for {country}, but {count} SKUs have stock there (this is "
                                 "the first, with {stock}). Add {country} to the rate card (--rates FILE) or set "
                                 "their stock to 0.",
                                 "运费表中没有 {country}，但有 {count} 个 SKU 在该国有库存（此处为第一个，库存 {stock}）。"
                                 "请在运费表中加入 {country}（--rates 文件），或把这些库存设为 0。"),
    "rate_currency_mismatch": ("The rate card prices {country} in {rate_currency} but this product is in "
                               "{currency}; use a rate card in {currency}.",
                               "运费表中 {country} 的币种为 {rate_currency}，而该商品币种为 {currency}；"
                               "请使用 {currency} 的运费表。"),
    "read_only_changed": ("{label} is read-only; your change from \"{base}\" to \"{value}\" was ignored.",
                          "{label} 为只读；您从“{base}”改为“{value}”的修改已被忽略。"),
    "key_cell_broken": ("The key cell {cell} under \"{label}\" holds {value} instead of {key}: sheetsync finds each "
                        "column by its key in row 2, so this column could not be read. Type {key} back into {cell} "
                        "(or copy row 2 from a fresh export) and import again.",
                        "“{label}”下方的键单元格 {cell} 的内容是 {value}，而不是 {key}：sheetsync 按第 2 行的键识别"
                        "每一列，因此无法读取此列。请在 {cell} 中重新填写 {key}（或从新导出的文件复制第 2 行）后再导入。"),
    "unknown_column": ("Column \"{value}\" is not a sheetsync column and was ignored.",
                       "列“{value}”不是 sheetsync 的列，已忽略。"),
    "duplicate_column": ("Column {value} appears twice (columns {columns}); delete one of them.",
                         "列 {value} 出现了两次（第 {columns} 列），请删除其中一列。"),
    "unsupported_country": ("Column {value} is for a country this store does not sell in; it was ignored.",
                            "列 {value} 对应的国家不在本店铺的销售国家中，已忽略。"),
    "missing_id_column": ("The sheet has no {value} column; sheetsync needs it to know which SKU each row is.",
                          "表格中没有 {value} 列；sheetsync 需要它来识别每一行对应的 SKU。"),
    "conflict": ("{label} was changed elsewhere since the export: it was \"{base}\", is now \"{current}\", and "
                 "your sheet says \"{value}\". Export again and redo this edit, or import with --force to keep "
                 "your value.",
                 "{label} 在导出后已被其他人修改：原为“{base}”，现为“{current}”，您的表格为“{value}”。"
                 "请重新导出后再修改，或使用 --force 保留您的值。"),
    "large_price_change": ("Seller price {direction} {percent}% (from {base} to {value}), more than the {limit}% "
                           "limit. {advice}",
                           "供货价{direction} {percent}%（从 {base} 到 {value}），超过 {limit}% 的上限。{advice}"),
    "large_stock_change": ("Stock {direction} by {jump} (from {base} to {value}), more than the limit of {limit}. "
                           "{advice}",
                           "库存{direction} {jump}（从 {base} 到 {value}），超过 {limit} 的上限。{advice}"),
    "large_measure_change": ("{label} {direction} {percent}% (from {base} to {value}): {factor} times or more, which is "
                             "usually a typo (grams typed into the kilogram column, mm into cm?). {advice}",
                             "{label}{direction} {percent}%（从 {base} 到 {value}）：变化达 {factor} 倍或以上，"
                             "通常是输入错误（把克填进了千克列，或把毫米当成了厘米？）。{advice}"),
    "large_display_price_change": ("With this {label} (from {base} to {value}), the display price in {country} "
                                   "{direction} {percent}% (from {price_before} to {price_after}), more than the "
                                   "{limit}% limit. {advice}",
                                   "按此{label}（从 {base} 到 {value}），{country} 的前台价{direction} {percent}%"
                                   "（从 {price_before} 到 {price_after}），超过 {limit}% 的上限。{advice}"),
    "not_in_export": ("SKU {value} was not in the export this file comes from (rows pasted from another "
                      "file?). Export again and copy your edits into the new file.",
                      "SKU {value} 不在本文件对应的导出中（是否从其他文件粘贴？）。请重新导出，并把修改复制到新文件中。"),
    "title_not_supported": ("AliExpress's semi-managed edit call has no field for the title, so this title change cannot be sent. Change the title in the seller center, or import to the local catalog only.",
                            "速卖通半托管编辑接口没有标题字段，无法发送此标题修改。请在卖家后台修改标题，或只导入到本地店铺数据库。"),
    "shared_warehouse_stock": ("AliExpress keeps one stock per SKU and JIT warehouse, and {country} and {other} share the warehouse {warehouse}: this SKU's stock is {stock} in {country} but {other_stock} in {other}. Type the same number in both. To stop selling product {product_id} in {country}, type 0 in stock_{country} on every SKU of the product (it is sold in a country while any of its SKUs has stock there).",
                               "速卖通每个 SKU 在每个 JIT 仓只有一个库存，而 {country} 和 {other} 共用仓库 {warehouse}：此 SKU 在 {country} 的库存为 {stock}，在 {other} 却为 {other_stock}。请在两国填相同的数量。如要停止在 {country} 销售商品 {product_id}，请在该商品每个 SKU 的 stock_{country} 中都填 0（只要任一 SKU 在某国有库存，商品就在该国销售）。"),
    "quota_exceeded": ("AliExpress's call quota for this app is used up; calls resume in {seconds} seconds. Run the same import again then: it sends only what is still missing.",
                       "本应用的速卖通调用额度已用完，{seconds} 秒后恢复。届时再次运行同样的导入：只会发送尚未完成的部分。"),
    "platform_refused": ("AliExpress refused the call ({code}): {detail}. Check SHEETSYNC_AE_APP_KEY, SHEETSYNC_AE_APP_SECRET and the access token; nothing was changed.",
                         "速卖通拒绝了调用（{code}）：{detail}。请检查 SHEETSYNC_AE_APP_KEY、SHEETSYNC_AE_APP_SECRET 和访问令牌；未做任何修改。"),
    "ae_credentials_missing": ("To use AliExpress, set SHEETSYNC_AE_APP_KEY and SHEETSYNC_AE_APP_SECRET (your app's key and secret) in the environment, then connect the store with `{command}`.",
                               "使用速卖通前，请在环境变量中设置 SHEETSYNC_AE_APP_KEY 和 SHEETSYNC_AE_APP_SECRET（应用的 key 和 secret），然后用 `{command}` 连接店铺。"),
    "ae_pull_first": ("This catalog has not been pulled from AliExpress yet, so sheetsync does not know your JIT warehouses. Run `sheetsync pull --target aliexpress`, export again, and redo your edits.",
                      "本店铺数据库尚未从速卖通拉取，sheetsync 还不知道您的 JIT 仓。请先运行 `sheetsync pull --target aliexpress`，重新导出后再修改。"),
    "ae_endpoint_invalid": ("SHEETSYNC_AE_ENDPOINT ({endpoint}) is not a gateway address: {problem}. Give the address alone, like https://api-sg.aliexpress.com (a :port may follow the host), or unset it to use that default.",
                            "SHEETSYNC_AE_ENDPOINT（{endpoint}）不是有效的网关地址：{problem}。请只填写地址本身，例如 https://api-sg.aliexpress.com（主机名后可加 :端口），或删除该变量以使用此默认地址。"),
    "ae_endpoint_insecure": ("SHEETSYNC_AE_ENDPOINT ({endpoint}) uses http://, which would send your access token unencrypted. Use https:// (http:// is accepted only for a test gateway on this computer, such as http://127.0.0.1).",
                             "SHEETSYNC_AE_ENDPOINT（{endpoint}）使用 http://，访问令牌将以明文发送。请使用 https://（只有本机上的测试网关，例如 http://127.0.0.1，才可使用 http://）。"),
    "platform_bad_answer": ("AliExpress answered {method} with something sheetsync cannot use: {detail}. Nothing from this answer was used. Run the same command again later; if this keeps happening, send this message to support.",
                            "速卖通对 {method} 的应答无法使用：{detail}。此应答中的内容均未采用。请稍后再次运行同样的命令；如仍出现，请将此消息发给技术支持。"),
    "platform_error": ("AliExpress answered {method} with an error ({code}): {detail}. Run the same command again later: it sends only what is still missing. If it keeps failing, the code tells AliExpress support what happened.",
                       "速卖通对 {method} 返回错误（{code}）：{detail}。请稍后再次运行同样的命令：只会发送尚未完成的部分。如持续失败，可把错误码提供给速卖通客服。"),
    "platform_unreachable": ("AliExpress could not be reached for {method}: {detail}. Check the internet connection, then run the same command again: it sends only what is still missing.",
                             "调用 {method} 时无法连接速卖通：{detail}。请检查网络连接，然后再次运行同样的命令：只会发送尚未完成的部分。"),
    "platform_redirect": ("The AliExpress address {endpoint} answered {method} with a redirect to {location}. sheetsync does not follow redirects, so your access token is never sent to another address. Check SHEETSYNC_AE_ENDPOINT (the default is https://api-sg.aliexpress.com).",
                          "速卖通地址 {endpoint} 对 {method} 的应答是重定向到 {location}。sheetsync 不跟随重定向，因此访问令牌绝不会发往其他地址。请检查 SHEETSYNC_AE_ENDPOINT（默认为 https://api-sg.aliexpress.com）。"),
    "row_skipped": ("This row was not imported because of the errors above (--skip-invalid).",
                    "由于上述错误，此行未导入（--skip-invalid）。"),
    "stock_help": ("JIT stock per country, one column each: a whole number 0–999999; 0 = not sold in that country.",
                   "各国 JIT 库存，每国一列：0–999999 的整数；0 表示不在该国销售。"),
    "read_only_title": ("Read-only", "只读"),
    "read_only_help": ("Read-only: sheetsync ignores any change to this column on import (and says so in a "
                       "warning).",
                       "只读：导入时会忽略对此列的任何修改（并给出警告）。"),
    "preview_help": ("Live preview of the buyer's display price (seller price + freight from the rate card) in "
                     "a few markets, one column each in the order of the stock columns; recalculated as you edit "
                     "the price, weight or size. Read-only, never imported; empty where stock is 0.",
                     "部分市场的前台价实时预览（供货价 + 按运费表计算的运费），每个市场一列，顺序与库存列相同；"
                     "修改价格、重量或尺寸时自动更新。只读，不会导入；库存为 0 时为空。"),
    "mail_failed": ("The report could not be emailed: {reason}. The import itself is as reported above.",
                    "报告邮件发送失败：{reason}。导入结果以上文为准。"),
    "report_failed": ("The report could not be written: {reason}. The import itself is as reported above.",
                     "报告无法写入：{reason}。导入结果以上文为准。"),
    "mail_settings": ("The mail settings cannot work: {detail}. Fix the SHEETSYNC_SMTP_* settings; nothing was imported.",
                     "邮件设置无法使用：{detail}。请修正 SHEETSYNC_SMTP_* 设置；未导入任何内容。"),
    "target_unknown": ("Unknown target {value}; use one of: {allowed}.",
                      "未知的目标 {value}；请使用：{allowed}。"),
    "pull_not_supported": ("The {target} target has nothing to pull from; pull from a platform, like `sheetsync pull --target aliexpress`.",
                          "{target} 目标没有可拉取的来源；请从平台拉取，例如 `sheetsync pull --target aliexpress`。"),
    "ae_country_without_warehouse": ("{country} is mapped to no JIT warehouse, so AliExpress cannot hold stock for it. Set country_warehouses in sheetsync.toml and pull again, or leave this stock unchanged.",
                                    "{country} 没有对应的 JIT 仓，速卖通无法保存该国库存。请在 sheetsync.toml 中设置 country_warehouses 并重新拉取，或不要修改此库存。"),
    "ae_no_countries": ("AliExpress listed no supported countries ({detail}); nothing was pulled. Try again later.",
                       "速卖通没有返回任何支持的国家（{detail}）；未拉取任何内容。请稍后再试。"),
    "ae_warehouse_mapping": ("The countries cannot all be mapped to one of your JIT warehouses (unmapped: {countries}; unknown warehouses: {unknown}; yours: {warehouses}). Set country_warehouses in sheetsync.toml, like country_warehouses = {{UK = \"UK-JIT\"}}; nothing was pulled.",
                            "无法把所有国家对应到您的 JIT 仓（未对应：{countries}；未知仓库：{unknown}；您的仓库：{warehouses}）。请在 sheetsync.toml 中设置 country_warehouses，例如 country_warehouses = {{UK = \"UK-JIT\"}}；未拉取任何内容。"),
    "ae_not_connected": ("This store is not connected to an AliExpress seller yet. Connect it with `{command}` (or set SHEETSYNC_AE_ACCESS_TOKEN to a token you manage yourself).",
                         "本店铺尚未连接速卖通卖家账号。请用 `{command}` 连接（或把自行管理的令牌设置到 SHEETSYNC_AE_ACCESS_TOKEN）。"),
    "ae_auth_expired": ("The AliExpress authorization of this store can no longer be used ({code}: {detail}). Connect the store again with `{command}`, then run the same command again: it sends only what is still missing.",
                        "本店铺的速卖通授权已无法使用（{code}：{detail}）。请用 `{command}` 重新连接店铺，然后再次运行同样的命令：只会发送尚未完成的部分。"),
    "ae_auth_refused": ("AliExpress did not accept the authorization code ({code}: {detail}). A code works once and only for a few minutes: run `{command}` again and use the new code.",
                        "速卖通不接受该授权码（{code}：{detail}）。授权码只能使用一次，且几分钟内有效：请再次运行 `{command}` 并使用新的授权码。"),
    "ae_auth_state": ("The address does not belong to this authorization (its state differs from the one sheetsync sent), so it was not used. Run `sheetsync auth` again and use the address it prints.",
                      "该地址不属于本次授权（其 state 与 sheetsync 发出的不同），因此未使用。请再次运行 `sheetsync auth` 并使用它显示的地址。"),
    "ae_auth_denied": ("AliExpress did not authorize the app ({detail}). Run `sheetsync auth` again and allow access with the seller account of this store.",
                       "速卖通没有授权该应用（{detail}）。请再次运行 `sheetsync auth`，并用本店铺的卖家账号允许访问。"),
    "ae_auth_no_code": ("No authorization code was found. Paste the whole address the browser was sent to after you allowed access (it contains code=…), or the code alone.",
                        "没有找到授权码。请粘贴允许访问后浏览器跳转到的完整地址（其中含有 code=…），或只粘贴授权码。"),
    "ae_auth_timeout": ("No answer came back from the browser within {minutes} minutes. Run `sheetsync auth` again, then sign in and allow access in the browser.",
                        "{minutes} 分钟内没有收到浏览器返回的应答。请再次运行 `sheetsync auth`，然后在浏览器中登录并允许访问。"),
    "ae_auth_port": ("sheetsync cannot receive the answer on port {port} of this computer ({detail}). Close the program that uses this port, or register a redirect URI with another port for your app and set SHEETSYNC_AE_REDIRECT_URI to it.",
                     "sheetsync 无法在本机端口 {port} 上接收应答（{detail}）。请关闭占用该端口的程序，或为应用登记使用其他端口的回调地址，并把 SHEETSYNC_AE_REDIRECT_URI 设为该地址。"),
    "ae_redirect_missing": ("Set SHEETSYNC_AE_REDIRECT_URI to the redirect URI registered for your app (for example http://127.0.0.1:8765/callback), or run `sheetsync auth --code CODE` with a code you already have.",
                            "请把 SHEETSYNC_AE_REDIRECT_URI 设为应用登记的回调地址（例如 http://127.0.0.1:8765/callback），或用已有的授权码运行 `sheetsync auth --code CODE`。"),
    "ae_redirect_invalid": ("SHEETSYNC_AE_REDIRECT_URI ({uri}) is not an http:// or https:// address. Set it to the redirect URI registered for your app.",
                            "SHEETSYNC_AE_REDIRECT_URI（{uri}）不是 http:// 或 https:// 地址。请设为应用登记的回调地址。"),
    "ae_auth_page_done": ("sheetsync received AliExpress's answer. You can close this window and go back to the terminal.",
                          "sheetsync 已收到速卖通的应答。您可以关闭此窗口，回到命令行窗口。"),
    "ae_auth_open": ("Open this address in a browser, sign in with the seller account of this store and allow access:\n  {url}",
                     "请在浏览器中打开以下地址，用本店铺的卖家账号登录并允许访问：\n  {url}"),
    "ae_auth_waiting": ("Waiting for the browser to come back to {redirect} (up to {minutes} minutes)…",
                        "正在等待浏览器返回 {redirect}（最多 {minutes} 分钟）…"),
    "ae_auth_paste": ("After you allow access, the browser goes to {redirect}?code=…: paste that whole address (or the code alone) here",
                      "允许访问后，浏览器会跳转到 {redirect}?code=…：请把完整地址（或只把授权码）粘贴到这里"),
    "ae_auth_connected": ("{store} is now connected to AliExpress seller {seller} (seller id {seller_id}): imports go to AliExpress. The access token is valid until {access_until} and renews itself until {refresh_until}; after that, run `{command}` again. Next: `sheetsync --store {store} pull`.",
                          "{store} 已连接速卖通卖家 {seller}（卖家 ID {seller_id}）：导入将写入速卖通。访问令牌有效期至 {access_until}，并可自动续期至 {refresh_until}；之后请再次运行 `{command}`。下一步：`sheetsync --store {store} pull`。"),
    "ae_auth_created": ("Created the store {store}.", "已创建店铺数据库 {store}。"),
    "ae_auth_env_overrides": ("SHEETSYNC_AE_ACCESS_TOKEN is set in the environment and overrides the tokens kept in the store: unset it to use this authorization.",
                              "环境变量 SHEETSYNC_AE_ACCESS_TOKEN 已设置，会覆盖店铺数据库中保存的令牌：请删除该变量以使用本次授权。"),
    "ae_order_rejected": ("AliExpress refused {method} for purchase order {orders} ({code}): {detail}. Nothing was changed for this order; sending it again unchanged gets the same answer.",
                          "速卖通拒绝了采购单 {orders} 的 {method}（{code}）：{detail}。该采购单未做任何修改；原样再次发送会得到同样的结果。"),
    "ae_order_unknown": ("The answer of AliExpress to {method} for purchase order {orders} was lost ({detail}), so it is not known whether it was done. sheetsync reads these orders again before doing anything else, and never sends it a second time blindly.",
                         "速卖通对采购单 {orders} 的 {method} 的回应丢失（{detail}），无法确定是否已完成。sheetsync 会先重新读取这些采购单，绝不盲目重复发送。"),
    "ae_orders_changing": ("The purchase orders with status {status} kept changing while sheetsync read them page by page ({detail}). Run the same command again in a moment.",
                           "sheetsync 分页读取状态为 {status} 的采购单时，列表一直在变化（{detail}）。请稍后再次运行同样的命令。"),
    "push_rejected": ("{target} rejected product {product_id} (SKUs {skus}): {detail}. Fix this product's values in the sheet and import again: sending them unchanged gets the same answer.",
                      "{target}拒绝了商品 {product_id}（SKU {skus}）：{detail}。请在表格中修正该商品的值后重新导入：原样再次发送会得到同样的结果。"),
    "push_failed": ("Product {product_id} (SKUs {skus}) could not be written to {target}: {detail}. Run the same import again: it sends only what is still missing.",
                    "商品 {product_id}（SKU {skus}）未能写入{target}：{detail}。请再次运行同样的导入：只会发送尚未完成的部分。"),
    "no_bracket_short": ("too heavy", "超重"),
    "freight_country_alias": ("{typed} is {code} in the rate card (AliExpress writes the United Kingdom as UK, not GB): quoting {code}.",
                              "{typed} 在运费表中写作 {code}（速卖通把英国写作 UK，而不是 GB）：按 {code} 报价。"),
    "freight_unknown_country": ("The rate card {path} has no rows for {country}; it covers {countries}.",
                                "运费表 {path} 中没有 {country}；它包含的国家为 {countries}。"),
    "freight_too_heavy": ("Too heavy for {countries}: the chargeable weight {weight} kg is above the rate card's heaviest bracket ({heaviest} kg). Such a SKU cannot be sold there: lighten or split the parcel, or add a heavier bracket to the rate card (--rates FILE).",
                          "发往 {countries} 超重：计费重量 {weight} 千克超过运费表中最重的区间（{heaviest} 千克）。这样的 SKU 无法在该国销售：请减轻或拆分包裹，或在运费表中增加更重的区间（--rates 文件）。"),
    # fatal: the file or the setup
    "file_missing": ("File {path} does not exist.", "文件 {path} 不存在。"),
    "input_not_file": ("{path} is not an ordinary file (it is a folder, a pipe, a device or a socket), so sheetsync "
                       "did not read it: reading a pipe or a device can wait forever. Nothing was done: give the path "
                       "of the file itself.",
                       "{path} 不是普通文件（而是文件夹、管道、设备或套接字），sheetsync 没有读取它：读取管道或设备可能会永远等待。"
                       "未做任何操作：请提供文件本身的路径。"),
    "file_excel_lock": ("{path} is the lock file Excel keeps while {original} is open: {original} is open in Excel. "
                        "Save and close it first, then import {original}.",
                        "{path} 是 Excel 在打开 {original} 时创建的锁定文件：{original} 正在 Excel 中打开。"
                        "请先保存并关闭它，然后导入 {original}。"),
    "file_is_store": ("{path} is a catalog file (a sheetsync store), not a workbook: pass it with --store, like "
                      "`sheetsync --store {path} import catalog.xlsx`.",
                      "{path} 是店铺数据库文件（sheetsync 的 --store 文件），不是工作簿：请用 --store 指定它，例如 "
                      "`sheetsync --store {path} import catalog.xlsx`。"),
    "file_empty": ("{path} is empty (0 bytes). Export a new template with `sheetsync export catalog.xlsx`.",
                   "{path} 是空文件（0 字节）。请用 `sheetsync export catalog.xlsx` 重新导出模板。"),
    "file_old_xls": ("{path} is an old Excel 97–2003 (.xls) file. Save it as Excel Workbook (.xlsx) and import that.",
                     "{path} 是旧版 Excel 97–2003（.xls）文件。请另存为 Excel 工作簿（.xlsx）后再导入。"),
    "file_encrypted": ("{path} is password-protected. Remove the password (File > Info > Protect Workbook) and "
                       "import again.",
                       "{path} 设置了打开密码。请先取消密码（文件 > 信息 > 保护工作簿）后再导入。"),
    "file_not_xlsx": ("{path} is not an Excel .xlsx file (it looks like {kind}). Open it in Excel or LibreOffice "
                      "and save it as .xlsx.",
                      "{path} 不是 Excel .xlsx 文件（看起来是{kind}）。请在 Excel 或 LibreOffice 中打开并另存为 .xlsx。"),
    "file_corrupt": ("{path} is damaged or incomplete ({detail}). Save it again from your spreadsheet program, or "
                     "export a new template.",
                     "{path} 已损坏或不完整（{detail}）。请在表格软件中重新保存，或重新导出模板。"),
    "file_too_large": ("{path} is beyond what sheetsync reads safely: {detail}.",
                       "{path} 超出了 sheetsync 的安全读取上限：{detail}。"),
    "no_products_sheet": ("{path} has no sheet named Products with sheetsync's columns. Import the file that "
                          "an export wrote (`sheetsync export catalog.xlsx`), keeping its Products sheet.",
                          "{path} 中没有带 sheetsync 列的 Products 工作表。请导入导出生成的文件"
                          "（`sheetsync export catalog.xlsx`），并保留 Products 工作表。"),
    "not_sheetsync": ("{path} is not a sheetsync workbook (its hidden _sheetsync sheet is missing or damaged). "
                      "Export a template with `sheetsync export catalog.xlsx` and copy your edits into it.",
                      "{path} 不是 sheetsync 工作簿（隐藏的 _sheetsync 工作表缺失或损坏）。请用 `sheetsync export catalog.xlsx` 导出模板，"
                      "再把修改复制进去。"),
    "other_store": ("{path} was exported from another store (id {store_id}), not from {store} (id {own_id}). "
                    "Import it into the store it came from with --store, or export a template from {store}.",
                    "{path} 导出自另一个店铺数据库（ID {store_id}），而不是 {store}（ID {own_id}）。请用 --store 指定它"
                    "来源的店铺后导入，或从 {store} 导出模板。"),
    "other_store_nearby": ("{path} was exported from the store {suggestion}, not from {store}: did you mean "
                           "--store {suggestion}?",
                           "{path} 导出自店铺数据库 {suggestion}，而不是 {store}：您是否想用 --store {suggestion}？"),
    "unknown_export": ("This store has no record of export {export_id}; it may come from a copy of the store. "
                       "Export a new template.",
                       "本店铺没有导出记录 {export_id}，文件可能来自店铺副本。请重新导出模板。"),
    "metadata_moved": ("{path} was put together from two files: its hidden _sheetsync sheet belongs to export "
                       "{meta_export}, its Products sheet to export {sheet_export}. Importing it would turn the "
                       "older values into edits, so nothing was read. Import the file as sheetsync exported it, "
                       "or export a new template with `sheetsync export catalog.xlsx` and copy your edits into it.",
                       "{path} 由两个文件拼合而成：隐藏的 _sheetsync 工作表属于导出 {meta_export}，Products 工作表却属于导出 "
                       "{sheet_export}。导入它会把较旧的值当作修改，因此未读取任何内容。请导入 sheetsync 导出的原文件，"
                       "或用 `sheetsync export catalog.xlsx` 导出新模板，再把修改复制进去。"),
    "metadata_unbound": ("{path} has lost the mark that ties its Products sheet to its hidden _sheetsync sheet "
                         "(the sheet-level name SheetsyncExport; some programs drop it when saving), so sheetsync "
                         "cannot tell that the two belong together. Export a new template with "
                         "`sheetsync export catalog.xlsx` and copy your edits into it.",
                         "{path} 丢失了把 Products 工作表与隐藏的 _sheetsync 工作表绑定在一起的标记（工作表级名称 "
                         "SheetsyncExport；某些程序保存时会删除它），sheetsync 无法确认两者属于同一文件。请用 "
                         "`sheetsync export catalog.xlsx` 导出新模板，再把修改复制进去。"),
    "template_version": ("{path} was made by a newer sheetsync (template {version}). Update sheetsync.",
                         "{path} 由更新版本的 sheetsync 生成（模板版本 {version}）。请升级 sheetsync。"),
    "store_missing": ("No catalog at {path}. Create one with `sheetsync init` (or `sheetsync init --sample`).",
                      "{path} 处没有店铺数据库。请先运行 `sheetsync init`（或 `sheetsync init --sample`）。"),
    "store_missing_nearby": ("No catalog at {path}. Did you mean --store {suggestion}? It holds a sheetsync "
                             "catalog. To create a new catalog at {path}, run `sheetsync init`.",
                             "{path} 处没有店铺数据库。您是否想用 --store {suggestion}？它是一个 sheetsync 店铺数据库。"
                             "如要在 {path} 新建店铺数据库，请运行 `sheetsync init`。"),
    "store_missing_several": ("No catalog at {path}. The catalogs nearby are {suggestions}: pass the one you meant with "
                              "--store. To create a new catalog at {path}, run `sheetsync init`.",
                              "{path} 处没有店铺数据库。附近的店铺数据库有 {suggestions}：请用 --store 指定您要用的那个。"
                              "如要在 {path} 新建店铺数据库，请运行 `sheetsync init`。"),
    "store_exists": ("{path} already holds a catalog; sheetsync will not overwrite it.",
                     "{path} 已有店铺数据库，sheetsync 不会覆盖它。"),
    "store_newer": ("The catalog {path} was made by a newer sheetsync (schema {version}). Update sheetsync.",
                    "店铺数据库 {path} 由更新版本的 sheetsync 创建（结构版本 {version}）。请升级 sheetsync。"),
    "store_busy": ("The catalog {path} is in use by another sheetsync command or another program (sheetsync waited "
                   "{seconds} s for it): try again when it has finished, and close any other program that has the "
                   "file open. lock_timeout in sheetsync.toml sets how long to wait.",
                   "店铺数据库 {path} 正被另一个 sheetsync 命令或其他程序占用；sheetsync 已等待 {seconds} 秒。请等它完成后再试，"
                   "并关闭打开该文件的其他程序（等待时间由 sheetsync.toml 中的 lock_timeout 设置）。"),
    "store_not_catalog": ("{path} is not a sheetsync catalog (it is empty, a folder, another kind of file or another "
                          "program's database). If it was your catalog, restore it from a backup; to use another "
                          "catalog, give its path with --store.",
                          "{path} 不是 sheetsync 店铺数据库（它是空文件、文件夹、其他类型的文件或其他程序的数据库）。"
                          "如果它原本是你的店铺数据库，请从备份恢复；要使用其他店铺数据库，请用 --store 指定其路径。"),
    "store_corrupt": ("The catalog {path} is damaged ({detail}); sheetsync will not read or write it. Restore it from "
                      "a backup, then run the command again.",
                      "店铺数据库 {path} 已损坏（{detail}），sheetsync 不会读写它。请从备份恢复后再运行命令。"),
    "store_readonly": ("sheetsync cannot write to the catalog {path}: the file, its folder or the disk is read-only "
                       "(SQLite also needs to create {path}-wal and {path}-shm beside it). Make the folder writable, "
                       "or copy the catalog to a writable folder and give that path with --store.",
                       "sheetsync 无法写入店铺数据库 {path}：文件、所在文件夹或磁盘为只读（SQLite 还需要在旁边创建 "
                       "{path}-wal 和 {path}-shm）。请让该文件夹可写，或把店铺数据库复制到可写的文件夹并用 --store 指定。"),
    "store_disk_full": ("The disk holding the catalog {path} is full; nothing was written to it. Free some space on "
                        "that disk and run the command again.",
                        "店铺数据库 {path} 所在的磁盘已满，没有写入任何内容。请在该磁盘上腾出空间后再运行命令。"),
    "store_io_error": ("sheetsync could not read or write the catalog {path} ({detail}). Check that its disk or "
                       "network share is connected and that you may read and write the file and its folder, then "
                       "run the command again.",
                       "sheetsync 无法读写店铺数据库 {path}（{detail}）。请确认磁盘或网络共享已连接，且你有权读写该文件及其"
                       "所在文件夹，然后再运行命令。"),
    "unknown_run": ("There is no run {run_id} in this store; `sheetsync history` lists them.",
                    "本店铺没有运行记录 {run_id}；可用 `sheetsync history` 查看。"),
    "rates_missing": ("Rate card {path} does not exist.", "运费表 {path} 不存在。"),
    "rates_header": ("Rate card {path}: the header must be {expected}.", "运费表 {path}：表头必须为 {expected}。"),
    "rates_line": ("Rate card {path}, line {line}: {detail}.", "运费表 {path} 第 {line} 行：{detail}。"),
    "config_invalid": ("Config {path}: {detail}.", "配置文件 {path}：{detail}。"),
    "preview_unknown": ("--preview names {countries}, which this store does not sell in; use codes from its stock_<CC> columns (UK, not GB).",
                        "--preview 中的 {countries} 不是本店铺的销售国家；请使用 stock_<CC> 列中的国家代码（UK，而不是 GB）。"),
    "export_too_many_rows": ("The catalog has {rows} SKUs; one Excel sheet holds at most {limit}, so it cannot be "
                             "exported as one workbook.",
                             "店铺数据库共有 {rows} 个 SKU，一个 Excel 工作表最多容纳 {limit} 个，无法导出为一个工作簿。"),
    "export_text_too_long": ("SKU {sku}: {field} has {length} characters, more than the 32,767 an Excel cell holds; "
                             "shorten it on the platform and pull again.",
                             "SKU {sku}：{field} 有 {length} 个字符，超过 Excel 单元格上限 32,767；请在平台上缩短后重新拉取。"),
    "lang_unknown": ("Unknown language {value}; use en or zh.", "未知语言 {value}；请使用 en 或 zh。"),
    "export_not_xlsx": ("{path} does not end in .xlsx: sheetsync exports Excel workbooks (.xlsx) only, and Excel refuses to open one under another name. Nothing was done: give a name ending in .xlsx, like {suggestion}.",
                        "{path} 的扩展名不是 .xlsx：sheetsync 只导出 Excel 工作簿（.xlsx），换成其他扩展名 Excel 会拒绝打开。未做任何操作：请给出以 .xlsx 结尾的文件名，例如 {suggestion}。"),
    "export_not_imported": ("{path} is an export of this store (export {export_id}) holding edits that were never imported (changes: {changes}, cells with errors: {errors}): exporting over it would lose them. Nothing was done: import it first (`sheetsync --store {store} import {path}`), export to another file name, or add --force to replace it.",
                            "{path} 是本店铺的一次导出（导出编号 {export_id}），其中有从未导入的修改（修改：{changes} 处，有错误的单元格：{errors} 个）：覆盖导出会丢失它们。未做任何操作：请先导入它（`sheetsync --store {store} import {path}`），或导出到另一个文件名，或加上 --force 覆盖它。"),
    "export_not_checked": ("{path} is an export of this store (export {export_id}) and sheetsync could not check whether it holds edits never imported: {reason} Nothing was done: import it first (`{command}`), export to another file name, or add --force to replace it.",
                           "{path} 是本店铺的一次导出（导出编号 {export_id}），sheetsync 无法确认其中是否有从未导入的修改：{reason} 未做任何操作：请先导入它（`{command}`），或导出到另一个文件名，或加上 --force 覆盖它。"),
    "orders_not_imported": ("{path} is an orders export of this store (export {export_id}) holding edits that were never imported (actions: {changes}, cells with errors: {errors}): exporting over it would lose them. Nothing was done: import it first (`sheetsync --store {store} orders import {path}`), export to another file name, or add --force to replace it.",
                            "{path} 是本店铺的一次订单导出（导出编号 {export_id}），其中有从未导入的修改（操作：{changes} 项，有错误的单元格：{errors} 个）：覆盖导出会丢失它们。未做任何操作：请先导入它（`sheetsync --store {store} orders import {path}`），或导出到另一个文件名，或加上 --force 覆盖它。"),
    "demo_start": ("sheetsync demo: the main job end to end on the sample catalog, in the folder {folder}.",
                   "sheetsync 演示：在文件夹 {folder} 中用示例商品完整走一遍主要流程。"),
    "demo_created": ("1. Created the store {store} with the sample catalog ({count} SKUs).",
                     "1. 已创建店铺数据库 {store}，载入示例商品（{count} 个 SKU）。"),
    "demo_exported": ("2. Exported it to {path}: {count} SKUs × {countries} countries, the workbook you edit in Excel, WPS or LibreOffice.",
                      "2. 已导出到 {path}：{count} 个 SKU × {countries} 个国家，这就是你在 Excel、WPS 或 LibreOffice 中编辑的工作簿。"),
    "demo_edited": ("3. Edited three cells as a seller would (a price, a weight, and stock 0 to stop selling in France), saved as {path}:",
                    "3. 像卖家一样修改了三个单元格（一个供货价、一个重量，以及把法国库存改为 0 以停止在法国销售），另存为 {path}："),
    "demo_validate": ("4. Checked it without writing anything: {command}",
                      "4. 检查该文件，不写入任何内容：{command}"),
    "demo_import": ("5. Imported it with a report: {command}",
                    "5. 导入并生成报告：{command}"),
    "demo_files": ("Files in {folder}:\n  {store}  the store (the catalog; a real store is connected to AliExpress with `sheetsync auth`)\n  {export}  the export, as sheetsync wrote it\n  {edited}  the edited copy that was imported\n  {report}  the report: Summary, Changes, Display prices and your sheet",
                   "{folder} 中的文件：\n  {store}  店铺数据库（真实店铺用 `sheetsync auth` 连接速卖通）\n  {export}  sheetsync 导出的原始文件\n  {edited}  已导入的修改副本\n  {report}  报告：摘要、修改、前台价和你的工作表"),
    "demo_next": ("Try next:\n  {history}    what each import changed\n  {run}    what undoing it would put back\n  {export}    your own round of edits",
                  "接下来可以试试：\n  {history}    查看每次导入修改了什么\n  {run}    查看撤销会恢复哪些值\n  {export}    开始你自己的一轮修改"),
    "demo_folder_in_use": ("{folder} holds files that the demo did not make; it will not write there. Nothing was done: give a new or empty folder, like `sheetsync demo sheetsync-demo2`.",
                           "{folder} 中有不是演示生成的文件，演示不会写入那里。未做任何操作：请指定一个新的或空的文件夹，例如 `sheetsync demo sheetsync-demo2`。"),
    "output_is_store": ("{path} is the catalog itself ({store}); writing there would destroy it. Nothing was done: choose another file name, like export.xlsx.",
                        "{path} 就是店铺数据库本身（{store}），写入会毁掉它。未做任何操作：请换一个文件名，例如 export.xlsx。"),
    "output_is_input": ("{path} is the file this command reads ({source}); writing there would replace it. Nothing was done: choose another file name, like report.xlsx.",
                        "{path} 是本命令要读取的文件（{source}），写入会覆盖它。未做任何操作：请换一个文件名，例如 report.xlsx。"),
    "output_is_folder": ("{path} is a folder, not a file. Nothing was done: give a file name, like {example}.",
                         "{path} 是文件夹，不是文件。未做任何操作：请给出文件名，例如 {example}。"),
    "output_not_file": ("{path} is not an ordinary file (a device, pipe or socket). Nothing was done: give the name of a file.",
                        "{path} 不是普通文件（而是设备、管道或套接字）。未做任何操作：请给出文件名。"),
    "output_folder_missing": ("Cannot write {path}: the folder {folder} does not exist. Nothing was done: create the folder or choose another one.",
                              "无法写入 {path}：文件夹 {folder} 不存在。未做任何操作：请先创建该文件夹或另选文件夹。"),
    "output_not_writable": ("Cannot write {path}: sheetsync may not create files in {folder} ({reason}). Nothing was done: choose a folder you can write to.",
                            "无法写入 {path}：sheetsync 无法在 {folder} 中创建文件（{reason}）。未做任何操作：请选择一个可写入的文件夹。"),
    "output_open": ("{path} is open in Excel or another program ({lock} is beside it). Nothing was done: close it and run the same command again (if it is not open, delete {lock}).",
                    "{path} 正在 Excel 或其他程序中打开（旁边有 {lock}）。未做任何操作：请关闭它后再次运行同样的命令（如果并未打开，请删除 {lock}）。"),
    "output_locked": ("{path} is open in another program (Excel?), so it cannot be replaced. Close it and run the same command again; the file was left as it was.",
                      "{path} 正被其他程序（Excel？）占用，无法替换。请关闭它后再次运行同样的命令；该文件保持原样。"),
    "output_unusable": ("{path} cannot be used as an output file: {reason}. Nothing was done: choose another file name or folder.",
                        "{path} 无法用作输出文件：{reason}。未做任何操作：请换一个文件名或文件夹。"),
    "output_disk_full": ("The disk is full: {path} could not be written ({reason}). Free some space or choose another drive, then run the same command again; any previous {path} was left as it was.",
                         "磁盘已满：无法写入 {path}（{reason}）。请释放空间或换一个磁盘，然后再次运行同样的命令；原有的 {path} 保持原样。"),
    "output_not_allowed": ("{path} could not be written: {reason}. Choose a folder you can write to and run the same command again; any previous {path} was left as it was.",
                           "无法写入 {path}：{reason}。请选择一个可写入的文件夹，然后再次运行同样的命令；原有的 {path} 保持原样。"),
    "output_failed": ("{path} could not be written: {reason}. Run the same command again, or choose another folder; any previous {path} was left as it was.",
                      "无法写入 {path}：{reason}。请再次运行同样的命令，或另选文件夹；原有的 {path} 保持原样。"),
    "store_replaced": ("The catalog {path} was replaced or deleted by another program (a sync or backup tool, "
                       "a copy) while sheetsync was using it, so sheetsync stopped and recorded nothing more in it. "
                       "Put the right catalog back at {path} (or give it with --store) and run the same command "
                       "again: what was already written is recognised and not written twice.",
                       "店铺数据库 {path} 在 sheetsync 使用期间被其他程序（同步或备份工具、复制操作）替换或删除，"
                       "因此 sheetsync 已停止，没有再向其中记录任何内容。请把正确的店铺数据库放回 {path}（或用 --store "
                       "指定），然后再次运行同样的命令：已写入的内容会被识别，不会重复写入。"),
    "interrupted": ("Stopped by Ctrl-C: {applied} of {changes} changes were written before the stop and are "
                    "recorded in run {run_id}; the rest were not sent. Run the same import again to finish: what "
                    "was written is recognised and not sent twice.",
                    "已按 Ctrl-C 停止：停止前 {changes} 处修改中有 {applied} 处已写入，并记录在运行 {run_id} 中；"
                    "其余未发送。再次运行同样的导入即可完成：已写入的内容会被识别，不会重复发送。"),
    "interrupt_stopping": ("Stopping (Ctrl-C): nothing more is sent; the changes already on their way are being "
                           "recorded. Press Ctrl-C again to stop at once.",
                           "正在停止（Ctrl-C）：不再发送新的修改；正在记录已发出的修改。再按一次 Ctrl-C 立即停止。"),
    "stopped_by_ctrl_c": ("Stopped by Ctrl-C before the command finished; nothing more was done. Run the same "
                          "command again to finish it.",
                          "已按 Ctrl-C 在命令完成前停止；之后未再执行任何操作。再次运行同样的命令即可完成。"),
    "ae_pages_inconsistent": ("AliExpress answered the product list inconsistently ({detail}), so the pull was "
                              "refused: nothing was changed in the catalog and the next pull starts from the same "
                              "point. Run `sheetsync pull` again in a few minutes (the list may have changed while "
                              "it was read).",
                              "速卖通返回的商品列表前后不一致（{detail}），本次拉取已被拒绝：店铺数据库未做任何修改，"
                              "下次拉取仍从同一时间点开始。请几分钟后再次运行 `sheetsync pull`（读取期间列表可能发生了变化）。"),
    "ae_other_seller": ("The catalog {path} is connected to the AliExpress seller {old} (seller id {old_id}), but "
                        "this authorization is for the seller {new} (seller id {new_id}); nothing was changed. "
                        "Sign in as {old} to renew this catalog's connection, or give another catalog with --store "
                        "for {new}; to connect this catalog to {new} anyway, run `sheetsync auth --force`.",
                        "店铺数据库 {path} 已连接速卖通卖家 {old}（卖家 ID {old_id}），但本次授权属于卖家 {new}"
                        "（卖家 ID {new_id}）；未做任何修改。要续期本店铺数据库的连接，请以 {old} 登录；要为 {new} 使用"
                        "另一个店铺数据库，请用 --store 指定；如确要把本店铺数据库改连 {new}，请运行 `sheetsync auth --force`。"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "applied": ("Applied: every change was written to {target}.", "已应用：所有修改均已写入{target}。"),
    "unchanged": ("Unchanged: nothing to write to {target} (no edits, or all were already applied).",
                  "无变化：没有需要写入{target}的内容（没有修改，或已全部应用）。"),
    "dry_run": ("Checked against {target} (dry run): no errors; nothing was written.",
                "已对照{target}检查（试运行）：没有错误；未写入任何内容。"),
    "invalid": ("Not imported: fix the red cells and import again. Nothing was written.",
                "未导入：请修正标红的单元格后重新导入。未写入任何内容。"),
    "invalid_skipped": ("Partly imported (--skip-invalid): valid rows were written to {target}; fix the red cells "
                        "and import again for the rest.",
                        "部分导入（--skip-invalid）：有效行已写入{target}；请修正标红的单元格后重新导入其余部分。"),
    "unreadable": ("Not imported: the file or the command cannot be used as it is (see below). Nothing was written.",
                   "未导入：文件或命令无法按原样使用（见下文）。未写入任何内容。"),
    "unavailable": ("Not imported: the store or the platform cannot be used right now (see below). Nothing was written.",
                    "未导入：店铺或平台暂时无法使用（见下文）。未写入任何内容。"),
    "partial": ("Partly applied: some changes could not be written to {target} (see below). Fix the values of any product it rejected, then run the same import again to finish.",
                "部分应用：部分修改未能写入{target}（见下文）。请先修正被拒绝商品的值，然后再次运行同样的导入以完成。"),
    "interrupted": ("Interrupted (Ctrl-C): what was written to {target} before the stop is kept and recorded "
                    "(see below); run the same command again to finish.",
                    "已中断（Ctrl-C）：停止前写入{target}的内容已保留并记录（见下文）；再次运行同样的命令即可完成。"),
}

# How a target is named in a sentence: the local catalog is named as "only" so that a seller whose
# store is connected to a platform sees at once that the platform was not touched.
TARGET_WORDS: dict[str, tuple[str, str]] = {
    "local": ("the local catalog only", "仅本地店铺数据库"),
    "aliexpress": ("AliExpress", "速卖通"),
}

NEXT_STEPS: dict[str, tuple[str, str]] = {
    "applied": ("Nothing to do. Export again before your next round of edits.",
                "无需操作。下次修改前请重新导出。"),
    "unchanged": ("Nothing to do.", "无需操作。"),
    "dry_run": ("Run the same command without --dry-run to apply the changes.",
                "去掉 --dry-run 再次运行同样的命令即可应用修改。"),
    "invalid": ("Open the Products sheet of this report, fix the red cells (each has a comment), save, and "
                "import this report file.",
                "打开本报告的 Products 工作表，修正标红的单元格（每个都有批注），保存后导入本报告文件。"),
    "partial": ("A product the platform rejected (sheet {push_results}, with its code and reason) needs its values fixed: sending them unchanged gets the same answer. Then run the same import again: it sends only what is still missing.",
                "被平台拒绝的商品（见{push_results}工作表中的错误码和原因）需要先修正其值：原样再次发送会得到同样的结果。然后再次运行同样的导入：只会发送尚未完成的部分。"),
    "unreadable": ("Export a fresh template with `sheetsync export catalog.xlsx`.", "请用 `sheetsync export catalog.xlsx` 重新导出模板。"),
    "unavailable": ("Fix what the error names (the store, the connection or the credentials) and run the same command again.",
                    "请先解决错误中指出的问题（店铺、网络连接或凭证），然后再次运行同样的命令。"),
    "interrupted": ("Run the same import again: it sends only what the stop left unwritten.",
                    "再次运行同样的导入：只会发送停止时尚未写入的部分。"),
}


# Every other word a seller reads, for `say`: the CLI's own lines (the plan, counts, history,
# export, init, status, freight), the report's labels and the mail's. Sentences about a rule or a
# failure are MESSAGES; these are the frame around them.
WORDS: dict[str, tuple[str, str]] = {
    # the result of an import, printed
    "counts": ("rows {rows}, SKUs changed {changed_skus}, changes {changes}, applied {applied}, already applied "
               "{already_applied}, failed {failed}",
               "读取 {rows} 行，修改 SKU {changed_skus} 个，修改 {changes} 处，已应用 {applied}，此前已应用 "
               "{already_applied}，失败 {failed}"),
    "plan_changed": ("Changed:", "已修改："),
    "plan_would_change": ("Would change:", "将修改："),
    "plan_not_written": ("Would change once the errors are fixed (nothing was written):",
                         "修正错误后将修改（未写入任何内容）："),
    "plan_reverted": ("Put back:", "已恢复："),
    "plan_would_revert": ("Would put back:", "将恢复："),
    "plan_more": ("… and {count} more (see --report)", "……另有 {count} 处（见 --report 报告）"),
    "plan_more_in": ("… and {count} more (see {report})", "……另有 {count} 处（见 {report}）"),
    "plan_more_json": ("… and {count} more (`{command}` lists them all)", "……另有 {count} 处（`{command}` 列出全部）"),
    "empty": ("(empty)", "（空）"),
    "more_errors": ("… and {count} more errors", "……另有 {count} 个错误"),
    "more_warnings": ("… and {count} more warnings", "……另有 {count} 个警告"),
    "more_rule": ("… and {count} more [{rule}] beyond the first {limit} (not listed anywhere)",
                  "……另有 {count} 个 [{rule}]，超出前 {limit} 个（未在任何地方列出）"),
    "more_products": ("… and {count} more products (see the report's {push_results})",
                      "……另有 {count} 个商品（见报告的{push_results}工作表）"),
    "report": ("report: {path}", "报告：{path}"),
    "revert_name": ("revert {run_id}", "撤销运行 {run_id}"),
    "validate_next": ("Import it to apply these changes: `sheetsync import {file}`",
                      "导入即可应用这些修改：`sheetsync import {file}`"),
    "history_reverted": ("Since put back by run {run_id}.", "此后已由运行 {run_id} 撤销。"),
    "reverted_by": ("  (put back by {run_id})", "（已由 {run_id} 撤销）"),
    "emailed": ("report emailed", "报告已通过邮件发送"),
    # history
    "col_run": ("run", "运行编号"),
    "col_started": ("started", "开始时间"),
    "col_status": ("status", "状态"),
    "col_target": ("target", "目标"),
    "col_changes": ("changes", "修改数"),
    "col_file": ("file", "文件"),
    "history_none": ("No runs yet.", "尚无运行记录。"),
    "history_run": ("Run {run_id}: {file}, started {started}, {status}, target {target}",
                    "运行 {run_id}：{file}，开始于 {started}，{status}，目标：{target}"),
    "history_reverts": ("It put back the values of run {run_id}.", "它恢复了运行 {run_id} 的值。"),
    "history_skipped": ("{errors} errors: their rows were skipped (--skip-invalid).",
                        "{errors} 个错误：相应的行已跳过（--skip-invalid）。"),
    "history_no_changes": ("It changed nothing.", "它没有修改任何内容。"),
    "history_revert_hint": ("Put these values back: {command}", "恢复这些值：{command}"),
    # progress bars on a terminal
    "progress_export": ("export", "导出"),
    "progress_pull": ("pull", "拉取"),
    "progress_import": ("import", "导入"),
    "progress_stage": ("import: {stage}", "导入：{stage}"),
    "unit_stage": ("stage", "步"),
    "unit_product": ("product", "个商品"),
    # init, export, pull
    "init_done": ("Created {store} with {count} SKUs.", "已创建店铺数据库 {store}，共 {count} 个 SKU。"),
    "export_done": ("Exported {rows} SKUs × {countries} countries to {path}{preview} (export {export_id}).",
                    "已导出 {rows} 个 SKU × {countries} 个国家到 {path}{preview}（导出编号 {export_id}）。"),
    "export_preview": (", live display prices for {countries}", "，含 {countries} 的实时前台价"),
    "pull_done": ("Pulled {products} products from AliExpress (since {since}): {added} SKUs added, {updated} updated, "
                  "{calls} API calls.",
                  "已从速卖通拉取 {products} 个商品（自 {since} 起）：新增 SKU {added} 个，更新 {updated} 个，"
                  "调用接口 {calls} 次。"),
    "pull_since_start": ("the start", "最初"),
    # status
    "status_store": ("Store: {store} (id {store_id})", "店铺数据库：{store}（编号 {store_id}）"),
    "status_local": ("Target: the local catalog only (not connected to a platform; `sheetsync auth` connects it to "
                     "AliExpress)",
                     "目标：仅本地店铺数据库（未连接平台；用 `sheetsync auth` 连接速卖通）"),
    "status_seller": ("Target: AliExpress, seller {seller} (seller id {seller_id})",
                      "目标：速卖通，卖家 {seller}（卖家 ID {seller_id}）"),
    "status_seller_unknown": ("Target: AliExpress (seller unknown: connected with tokens from the environment; "
                              "`sheetsync auth` records who it is)",
                              "目标：速卖通（卖家未知：使用环境变量中的令牌连接；`sheetsync auth` 会记录卖家）"),
    "status_access_token": ("  access token: {state}", "  访问令牌：{state}"),
    "status_refresh_token": ("  refresh token: {state}", "  刷新令牌：{state}"),
    "status_reconnect": ("  connect it again: {command}", "  请重新连接：{command}"),
    "status_last_pull": ("  last pull: {when}; the next reads products modified since {since} UTC (a day of overlap)",
                         "  上次拉取：{when}；下次读取 {since} UTC 之后修改的商品（重叠一天）"),
    "status_not_pulled": ("  not pulled yet: {command}", "  尚未拉取：{command}"),
    "status_catalog": ("Catalog: {products} products, {skus} SKUs, {count} countries ({countries})",
                       "商品：{products} 个商品，{skus} 个 SKU，{count} 个国家（{countries}）"),
    "status_runs": ("Last runs:", "最近的运行："),
    "status_run": ("  {run_id}  {started}  {status} {target} changes {changes}  {file}",
                   "  {run_id}  {started}  {status} {target} 修改 {changes} 处  {file}"),
    "token_none": ("none", "无"),
    "token_environment": ("from the environment (SHEETSYNC_AE_*), expiry unknown",
                          "来自环境变量（SHEETSYNC_AE_*），有效期未知"),
    "token_no_expiry": ("kept in the store, expiry unknown", "保存在店铺数据库中，有效期未知"),
    "token_valid": ("valid until {expires} (kept in the store)", "有效期至 {expires}（保存在店铺数据库中）"),
    "token_expired": ("EXPIRED at {expires} (kept in the store)", "已于 {expires} 过期（保存在店铺数据库中）"),
    # freight
    "freight_country": ("country", "国家"),
    "freight_chargeable": ("chargeable kg", "计费重量 kg"),
    "freight_fee": ("freight", "运费"),
    "freight_display": ("display", "前台价"),
    "freight_currency": ("currency", "币种"),
    "freight_agrees": ("The rate card agrees with the platform's freight everywhere (or nothing was pulled yet).",
                       "运费表与平台的运费处处一致（或尚未拉取任何内容）。"),
    "freight_bracket": ("bracket up to kg", "区间上限 kg"),
    "freight_skus": ("SKUs", "SKU 数"),
    "freight_mean": ("mean diff", "平均差额"),
    "freight_largest": ("largest", "最大差额"),
    "freight_weight_required": ("--weight is required (or use --check)", "需要 --weight（或使用 --check）"),
    "freight_dims_shape": ("--dims must look like 30x20x10 (whole cm)", "--dims 的格式应为 30x20x10（整数厘米）"),
    # what stops a command that is not the input's fault
    "internal_error": ("internal error ({error}). Nothing was written by the failed step. Please report it with the "
                       "file; SHEETSYNC_DEBUG=1 shows the details.",
                       "内部错误（{error}）。失败的步骤没有写入任何内容。请连同文件一起报告此问题；"
                       "设置 SHEETSYNC_DEBUG=1 可显示详细信息。"),
    "usage_missing_argument": ("missing argument {name}", "缺少参数 {name}"),
    "usage_missing_option": ("missing option {name}", "缺少选项 {name}"),
    "usage_no_such_option": ("no such option {name}", "没有选项 {name}"),
    "usage_choice": ("{name} must be one of {choices}", "{name} 只能是 {choices}"),
    "usage_bad_value": ("{name} is not valid: {problem}", "{name} 的值无效：{problem}"),
    "usage_error": ("Wrong usage: {detail}. `{command}` shows how to use it.",
                    "命令用法有误：{detail}。`{command}` 显示用法。"),
    # the report's Summary sheet
    "summary_title": ("sheetsync import report", "sheetsync 导入报告"),
    "summary_file": ("File", "文件"),
    "summary_time": ("Time", "时间"),
    "summary_store": ("Store", "店铺数据库"),
    "summary_target": ("Target", "目标"),
    "summary_saved_by": ("Last saved by", "最后保存程序"),
    "saved_by_library": ("a library ({name}) ({details})", "程序库 {name}（{details}）"),
    "saved_by_program": ("{name} ({details})", "{name}（{details}）"),
    "summary_status": ("Status", "状态"),
    "summary_exit_code": ("Exit code", "退出码"),
    "summary_rows": ("Rows read", "读取行数"),
    "summary_changed_skus": ("SKUs changed", "修改的 SKU 数"),
    "summary_changes": ("Changes (cells)", "修改（单元格）"),
    "summary_applied": ("Applied", "已应用"),
    "summary_already_applied": ("Already applied before", "此前已应用"),
    "summary_failed": ("Failed", "失败"),
    "summary_errors": ("Errors", "错误"),
    "summary_warnings": ("Warnings", "警告"),
    "summary_more_issues": ("Not listed (beyond the first 1,000 of a rule)", "未列出（每条规则只列前 1,000 个）"),
    "summary_next": ("What to do next", "下一步"),
    "summary_run_id": ("Run", "运行编号"),
    # the mail
    "mail_subject": ("sheetsync: {file} — {status}", "sheetsync：{file} — {status}"),
    "mail_title": ("sheetsync import of {file}", "sheetsync 导入 {file}"),
    "mail_counts": ("Rows: {rows}   SKUs changed: {changed_skus}   Changes: {changes}",
                    "读取行数：{rows}   修改的 SKU：{changed_skus}   修改：{changes} 处"),
    "mail_applied": ("Applied: {applied}   Already applied: {already_applied}   Failed: {failed}",
                     "已应用：{applied}   此前已应用：{already_applied}   失败：{failed}"),
    "mail_issues": ("Errors: {errors}   Warnings: {warnings}", "错误：{errors}   警告：{warnings}"),
    "mail_first_errors": ("First errors:", "前几个错误："),
    "mail_more_errors": ("- … {count} more in the attached report", "- ……另有 {count} 个，见附件中的报告"),
    # the {detail} of a rate card's line (rates_line)
    "rates_not_number": ("{column} {value} is not a number", "{column} 的值 {value} 不是数字"),
    "rates_not_positive": ("{column} must be a positive number", "{column} 必须是正数"),
    "rates_too_large": ("{column} {value} is more than {limit}", "{column} 的值 {value} 超过 {limit}"),
    "rates_decimals": ("{column} has more than {places} decimals", "{column} 超过 {places} 位小数"),
    "rates_not_utf8": ("not a UTF-8 CSV file ({error})", "不是 UTF-8 编码的 CSV 文件（{error}）"),
    "rates_missing_columns": ("missing {columns}", "缺少 {columns}"),
    "rates_currency": ("currency {value} is not an ISO 4217 code", "币种 {value} 不是 ISO 4217 代码"),
    "rates_two_currencies": ("{country} is priced in {first} on line {first_line} and in {value} here; use one "
                             "currency per country",
                             "{country} 在第 {first_line} 行以 {first} 计价，这里却是 {value}；每个国家只能用一种币种"),
    "rates_two_divisors": ("{country} has two different volumetric divisors", "{country} 有两个不同的体积系数"),
    "rates_bracket_order": ("bracket up to {weight} kg for {country} overlaps or is out of order (brackets must be "
                            "listed by increasing max_weight_kg)",
                            "{country} 上限 {weight} 千克的区间与其他区间重叠或顺序不对（区间必须按 max_weight_kg "
                            "从小到大排列）"),
    "rates_empty": ("no rate rows", "没有运费行"),
    # the {detail} of a workbook that is damaged or too large (file_corrupt, file_too_large)
    "read_file_size": ("{size} MB, more than {limit} MB", "{size} MB，超过 {limit} MB"),
    "read_parts": ("{count} parts in the zip", "压缩包中有 {count} 个部件"),
    "read_uncompressed": ("{size} MB once uncompressed", "解压后 {size} MB"),
    "read_zip_bomb": ("{part} expands {ratio} times (a zip bomb?)", "{part} 解压后膨胀 {ratio} 倍（压缩炸弹？）"),
    "read_dtd": ("{part} declares a DTD, which sheetsync refuses", "{part} 声明了 DTD，sheetsync 拒绝读取"),
    "read_beyond_grid": ("sheet {sheet} refers to cell {ref}, beyond the last cell a spreadsheet has ({last})",
                         "工作表 {sheet} 引用了单元格 {ref}，超出了表格的最后一个单元格（{last}）"),
    "read_beyond_columns": ("sheet {sheet} has a cell at {ref}, beyond column {column}",
                            "工作表 {sheet} 在 {ref} 有单元格，超出了第 {column} 列"),
    "read_shared_string": ("cell {cell} refers to its text in a way that cannot be read",
                           "单元格 {cell} 引用文本的方式无法读取"),
    "read_no_reference": ("a cell holding an error or a formula has no usable reference ({ref}); save the file again",
                          "含有错误值或公式的单元格没有可用的引用（{ref}）；请重新保存文件"),
    "read_part_missing": ("the {sheet} sheet's XML part is missing", "{sheet} 工作表的 XML 部件缺失"),
    "read_grid_size": ("{rows} rows × {columns} columns", "{rows} 行 × {columns} 列"),
    # the {detail} of the platform's quota (quota_exceeded)
    "quota_resume": ("calls resume in {seconds} seconds", "{seconds} 秒后恢复调用"),
    # the {detail} of a config file that cannot be used (config_invalid)
    "config_missing": ("file not found", "文件不存在"),
    "config_number": ("{key} must be a number, not {value}", "{key} 必须是数字，而不是 {value}"),
    "config_whole_number": ("{key} must be a whole number, not {value}", "{key} 必须是整数，而不是 {value}"),
    "config_range": ("{key} must be between {low} and {high}, not {value}",
                     "{key} 必须在 {low} 到 {high} 之间，而不是 {value}"),
    "config_lang": ("lang must be en or zh, not {value}", "lang 只能是 en 或 zh，而不是 {value}"),
    "config_preview": ("preview_countries must be a list of country codes, like [\"US\", \"FR\"]",
                       "preview_countries 必须是国家代码的列表，例如 [\"US\", \"FR\"]"),
    "config_warehouses": ("country_warehouses must be a table of warehouse codes, like {{UK = \"UK-JIT\"}}",
                          "country_warehouses 必须是仓库代码的表，例如 {{UK = \"UK-JIT\"}}"),
    "config_unknown_key": ("unknown setting {key}", "未知的设置项 {key}"),
    "config_not_toml": ("{error}", "无法按 TOML 读取：{error}"),
    # what keeps the mail from working: the {detail} of mail_settings and the {reason} of mail_failed
    "mail_no_host": ("SHEETSYNC_SMTP_HOST is not set", "未设置 SHEETSYNC_SMTP_HOST"),
    "mail_port": ("SHEETSYNC_SMTP_PORT must be a port number, not {value}",
                  "SHEETSYNC_SMTP_PORT 必须是端口号，而不是 {value}"),
    "mail_address": ("{value} is not an email address", "{value} 不是有效的电子邮件地址"),
    "mail_not_ascii": ("{name} has characters other than ASCII, which SMTP login cannot send",
                       "{name} 含有 ASCII 以外的字符，SMTP 登录无法发送"),
    "mail_cafile": ("SHEETSYNC_SMTP_CAFILE {value} does not exist", "SHEETSYNC_SMTP_CAFILE {value} 不存在"),
    "mail_refused_some": ("the server refused {addresses}", "邮件服务器拒绝了 {addresses}"),
    "mail_login_refused": ("the SMTP server rejected the user name or password ({code})",
                           "SMTP 服务器拒绝了用户名或密码（{code}）"),
    "mail_message_refused": ("the SMTP server refused the message: {code} {text}",
                             "SMTP 服务器拒绝了这封邮件：{code} {text}"),
    "mail_recipients_refused": ("the SMTP server refused every recipient ({addresses})",
                                "SMTP 服务器拒绝了所有收件人（{addresses}）"),
    "mail_send_failed": ("could not send through {server}: {error}", "无法通过 {server} 发送：{error}"),
    "mail_closing": ("The attached report marks every problem in its Products sheet; fix the red cells there and "
                     "import the report file itself.",
                     "附件中的报告在其 Products 工作表中标出了每个问题；请在那里修正标红的单元格，然后直接导入该报告文件。"),
    # the template's file properties (File > Properties)
    "workbook_title": ("sheetsync catalog", "sheetsync 商品表"),
    "workbook_comment": ("export {export_id}", "导出编号 {export_id}"),
    # the template's Instructions sheet: the column table's header and the grouped rows
    "instructions_key": ("key", "字段键"),
    "instructions_label": ("label", "标题"),
    "instructions_rule": ("rule", "说明"),
    "instructions_stock": ("Stock <country>", "库存 <国家>"),
    "instructions_preview": ("Display price <country>", "前台价 <国家>"),
    "instructions_read_only": (" (read-only)", "（只读）"),
    "not_priced": ("n/a", "超重"),
}

# A value of a closed vocabulary (a status, a severity, a target, the result of a change, a
# dropdown choice) as a seller reads it, for `value_word`; in English most are the codes themselves,
# which scripts and the existing reports read. `choice_from_word` reads a dropdown's back.
VALUE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "applied": ("applied", "已应用"),
        "unchanged": ("unchanged", "无变化"),
        "dry_run": ("dry run", "试运行"),
        "invalid": ("invalid", "有错误"),
        "unreadable": ("unreadable", "无法读取"),
        "unavailable": ("unavailable", "无法使用"),
        "partial": ("partial", "部分应用"),
        "running": ("running", "进行中"),
        "interrupted": ("interrupted", "已中断"),
    },
    "severity": {"error": ("error", "错误"), "warning": ("warning", "警告")},
    "stage": {  # of an import, as its progress bar names it (pipeline.IMPORT_STAGES)
        "read": ("read", "读取"),
        "validate": ("validate", "校验"),
        "price": ("price", "计算前台价"),
        "plan": ("plan", "生成修改计划"),
        "apply": ("apply", "写入"),
        "report": ("report", "写报告"),
    },
    "target": {"local": ("local", "本地"), "aliexpress": ("aliexpress", "速卖通")},  # a table's column
    "result": {  # of a change or of a product's push
        "planned": ("planned", "计划中"),
        "applied": ("applied", "已应用"),
        "already_applied": ("already applied", "此前已应用"),
        "dry_run": ("dry run", "试运行"),
        "failed": ("failed", "失败"),
        "rejected": ("rejected", "被拒绝"),
        "not_applied": ("not written", "未写入"),
    },
    "logistics_attribute": {
        "general": ("general", "普货"),
        "built_in_battery": ("built_in_battery", "带电"),
        "weak_magnetic": ("weak_magnetic", "弱磁"),
        "built_in_battery+weak_magnetic": ("built_in_battery+weak_magnetic", "带电+弱磁"),
    },
    "yes_no": {"yes": ("yes", "是"), "no": ("no", "否")},
    "delivery_type": {"express": ("express", "快递"), "truck": ("truck", "卡车"), "other": ("other", "其他")},
    "action": {  # what an orders import does for an order (orders.model.Action.kind)
        "confirm": ("confirm", "确认接单"),
        "selfdelivery": ("selfdelivery", "创建发货"),
        "updateSelfdelivery": ("updateSelfdelivery", "修改发货"),
    },
}

# The report's and the template's sheets other than Products (whose name is the same in every
# language: the import finds it by that name).
SHEET_NAMES: dict[str, tuple[str, str]] = {
    "instructions": ("Instructions", "使用说明"),
    "summary": ("Summary", "摘要"),
    "errors": ("Errors", "错误"),
    "changes": ("Changes", "修改"),
    "display_prices": ("Display prices", "前台价"),
    "push_results": ("Push results", "推送结果"),
    "freight_check": ("Freight check", "运费核对"),
    "actions": ("Actions", "操作"),
}

FILE_KINDS: dict[str, tuple[str, str]] = {
    "html": ("a web page or XML file", "网页或 XML 文件"),
    "xml": ("an XML file", "XML 文件"),
    "pdf": ("a PDF document", "PDF 文档"),
    "csv": ("a CSV or text file", "CSV 或文本文件"),
    "other": ("a file of another kind", "其他类型的文件"),
    "ods": ("an OpenDocument file (.ods)", "OpenDocument 文件（.ods）"),
    "zip": ("a zip archive of another kind", "其他类型的 zip 压缩包"),
}


# Which way a guarded value went (the `direction` of a guardrail's message).
DIRECTIONS: dict[str, tuple[str, str]] = {
    "rises": ("rises", "上升"),
    "drops": ("drops", "下降"),
}
# The end of a guardrail's message: an error says how to let the change through; the warning it
# becomes under --allow-large-changes says it was let through, never to use the option it used.
GUARDRAIL_ADVICE: dict[str, tuple[str, str]] = {
    "refused": ("Check for a typo, or import with --allow-large-changes if it is right.",
                "请检查是否输错；如确认无误，请使用 --allow-large-changes 导入。"),
    "allowed": ("Let through by --allow-large-changes: check that it is the value you meant.",
                "已因 --allow-large-changes 放行：请确认这是您想要的值。"),
}


ENDPOINT_PROBLEMS: dict[str, tuple[str, str]] = {
    "spaces": ("it is empty or holds spaces or invisible characters", "为空，或含有空格或不可见字符"),
    "no_scheme": ("it does not start with https://", "没有以 https:// 开头"),
    "scheme": ("only https:// addresses are gateways", "只有 https:// 地址才是网关"),
    "userinfo": ("it holds a user name or password, which does not belong there", "其中含有用户名或密码，不应出现在这里"),
    "path": ("it has a path, query or # after the host, which sheetsync adds itself", "主机名后带有路径、查询参数或 #，这些由 sheetsync 自行添加"),
    "host": ("its host name or port is not valid", "主机名或端口无效"),
}


class MessageError(KeyError):
    """A message asked for without a parameter its sentence needs: a bug in sheetsync."""


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        if os.environ.get("SHEETSYNC_STRICT_MESSAGES") == "1":
            raise MessageError(key)
        return "{" + key + "}"


def _pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    en, zh = table[key]
    return zh if lang == "zh" else en


def _fill(template: str, params: dict[str, object]) -> str:
    return string.Formatter().vformat(template, (), _Lenient(params))


def message(rule: str, lang: str = "en", /, **params: object) -> str:
    """The seller-facing sentence for `rule`, in `lang` (en or zh). An unknown rule raises
    ValueError; a missing parameter raises MessageError in strict mode (see the module's doc)."""
    template = _pick(MESSAGES, Rule(rule), lang)
    if lang == "zh":  # labels and lists travel in both languages; use the seller's
        params = {**params, **{k: params[f"{k}_zh"] for k in ("label", "what", "allowed", "state")
                               if f"{k}_zh" in params}}
    if params.get("kind") in FILE_KINDS:
        params = {**params, "kind": _pick(FILE_KINDS, str(params["kind"]), lang)}
    if params.get("direction") in DIRECTIONS:
        params = {**params, "direction": _pick(DIRECTIONS, str(params["direction"]), lang)}
    if params.get("advice") in GUARDRAIL_ADVICE:
        params = {**params, "advice": _pick(GUARDRAIL_ADVICE, str(params["advice"]), lang)}
    if "detail_key" in params:  # a detail in the seller's words, from WORDS
        params = {**params, "detail": say(str(params["detail_key"]), lang, **params)}
    if params.get("problem") in ENDPOINT_PROBLEMS:
        params = {**params, "problem": _pick(ENDPOINT_PROBLEMS, str(params["problem"]), lang)}
    return _fill(template, {"push_results": sheet_name("push_results", lang), **params})


def say(key: str, lang: str = "en", /, **params: object) -> str:
    """A word or line of WORDS in `lang`, filled with `params`. An unknown key raises KeyError; a
    missing parameter raises MessageError in strict mode, as for `message`."""
    return _fill(_pick(WORDS, key, lang), {"push_results": sheet_name("push_results", lang), **params})


def value_word(kind: str, value: str, lang: str = "en") -> str:
    """`value` of the vocabulary `kind` (VALUE_WORDS) as a seller reads it; a value outside the
    vocabulary (a platform's own status, a code from a newer store) as it is."""
    words = VALUE_WORDS[kind].get(value)
    return (words[1] if lang == "zh" else words[0]) if words else value


def choice_from_word(kind: str, text: str) -> str | None:
    """The value of the dropdown vocabulary `kind` (one of CHOICES) that `text` names in either
    language: its code, or its English or Chinese word, case and spaces ignored; else None. What a
    seller picked from a Chinese workbook's dropdown (带电, 是, 快递) reads as the same value as the
    English one."""
    return _CHOICE_WORDS[kind].get(_folded(text))


def _folded(text: str) -> str:
    return "".join(text.split()).lower().replace("＋", "+")


# Vocabularies offered as a dropdown in a workbook: their words in both languages are read back.
CHOICES = ("logistics_attribute", "yes_no", "delivery_type")
_CHOICE_WORDS = {kind: {_folded(word): value for value, words in VALUE_WORDS[kind].items() for word in (value, *words)}
                 for kind in CHOICES}


def sheet_name(key: str, lang: str = "en") -> str:
    """The name a report or template sheet has in `lang` (SHEET_NAMES)."""
    return _pick(SHEET_NAMES, key, lang)


def target_words(target: str, lang: str = "en") -> str:
    return _pick(TARGET_WORDS, target, lang) if target in TARGET_WORDS else target


def status_words(status: str, lang: str = "en", target: str = "local", applied: int = 0) -> str:
    """The headline of a run: its status in words, naming the target it wrote to (or checked
    against). An invalid run that still applied rows (--skip-invalid) says so."""
    key = "invalid_skipped" if status == "invalid" and applied else status
    return _fill(_pick(STATUS_WORDS, key, lang), {"target": target_words(target, lang)})


def suggested_command(rest: str, store: str | None = None) -> str:
    """`sheetsync REST`, with `--store STORE` when the seller named a store: a suggested command
    must run against the store they are using, not the default one."""
    return f"sheetsync --store {quoted(store)} {rest}" if store else f"sheetsync {rest}"


def quoted(path: str) -> str:
    """A path as a shell command needs it: in double quotes when it holds a space."""
    return f'"{path}"' if any(ch.isspace() for ch in path) else path


def with_store(text: str, store: str | None) -> str:
    """Every `sheetsync …` command quoted in a sentence, given the seller's --store (when they gave
    one and the command does not name a store already)."""
    if not store:
        return text
    return _COMMAND.sub(lambda found: "`" + suggested_command(found.group(1), store) + "`", text)


_COMMAND = re.compile(r"`sheetsync (?!--store)([^`]*)`")


def next_step(status: str, lang: str = "en") -> str:
    return _fill(_pick(NEXT_STEPS, status if status in NEXT_STEPS else "invalid", lang),
                 {"push_results": sheet_name("push_results", lang)})


# The headers of the report's tables for columns that are not fields (a field's header is its own
# label, as in the template): row 1 of each table.
REPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "severity": ("Severity", "级别"),
    "sheet": ("Sheet", "工作表"),
    "cell": ("Cell", "单元格"),
    "row": ("Row", "行号"),
    "field": ("Field", "字段"),
    "value": ("Value", "值"),
    "rule": ("Rule", "规则"),
    "message": ("Message", "说明"),
    "base": ("Exported value", "导出时的值"),
    "current": ("Value now", "当前值"),
    "before": ("Before", "修改前"),
    "after": ("After", "修改后"),
    "result": ("Result", "结果"),
    "status": ("Status", "状态"),
    "code": ("Code", "代码"),
    "chargeable_weight_kg": ("Chargeable weight (kg)", "计费重量(kg)"),
    "country": ("Country", "国家"),
    "bracket_up_to_kg": ("Bracket up to (kg)", "区间上限(kg)"),
    "rate_card_freight": ("Rate card freight", "运费表运费"),
    "platform_freight": ("Platform freight", "平台运费"),
    "difference": ("Difference", "差额"),
    "order": ("Order", "采购单号"),
    "action": ("Action", "操作"),
    "delivery_no": ("Delivery number", "发货单号"),
    "delivery": ("Delivery", "发货信息"),
}


def report_column(key: str, lang: str = "en") -> str:
    """A report table's header for a column that is not a field; an unknown key as it is."""
    return _pick(REPORT_COLUMNS, key, lang) if key in REPORT_COLUMNS else key


# -- JIT purchase orders (the Orders workbook) -----------------------------------------------------
MESSAGES.update({
    "orders_file_empty": ("{path} is empty (0 bytes). Export the orders again with `sheetsync orders export "
                          "orders.xlsx`.",
                          "{path} 是空文件（0 字节）。请用 `sheetsync orders export orders.xlsx` 重新导出采购单。"),
    "orders_file_is_store": ("{path} is a catalog file (a sheetsync store), not a workbook: pass it with --store, like "
                             "`sheetsync --store {path} orders import orders.xlsx`.",
                             "{path} 是店铺数据库文件（sheetsync 的 --store 文件），不是工作簿：请用 --store 指定它，例如 "
                             "`sheetsync --store {path} orders import orders.xlsx`。"),
    "workbook_is_orders": ("{path} is an Orders workbook (JIT purchase orders), not a catalog: import it with "
                           "`sheetsync orders import {path}`.",
                           "{path} 是采购单工作簿（JIT 采购单），不是商品表：请用 `sheetsync orders import {path}` 导入。"),
    "workbook_is_catalog": ("{path} is a catalog workbook (its Products sheet), not an Orders workbook: import it with "
                            "`sheetsync import {path}`.",
                            "{path} 是商品表工作簿（Products 工作表），不是采购单工作簿：请用 `sheetsync import {path}` "
                            "导入。"),
    "order_key_empty": ("The {label} cell of this row is empty, so sheetsync cannot tell which order item the row is. "
                        "Type it back as exported, or export the orders again with `sheetsync orders export "
                        "orders.xlsx`.",
                        "此行的{label}单元格为空，sheetsync 无法判断此行是哪张采购单的哪个商品。请按导出时的内容重新填写，"
                        "或用 `sheetsync orders export orders.xlsx` 重新导出采购单。"),
    "no_orders_sheet": ("{path} has no sheet named Orders with sheetsync's columns. Import the file that "
                        "an orders export wrote (`sheetsync orders export orders.xlsx`), keeping its Orders sheet.",
                        "{path} 中没有带 sheetsync 列的 Orders 工作表。请导入采购单导出生成的文件"
                        "（`sheetsync orders export orders.xlsx`），并保留 Orders 工作表。"),
    "confirm_format": ("Confirm takes yes, or no (or an empty cell) to leave order {order} as it is (found \"{value}\").",
                       "确认接单只能填“是”（或 yes），或填“否”（或 no）或留空表示采购单 {order} 不变（当前为“{value}”）。"),
    "delivery_type_format": ("Delivery type must be express, truck or other (found \"{value}\").",
                             "发货方式必须是快递、卡车或其他（当前为“{value}”）。"),
    "delivery_type_required": ("Order {order} has delivery details but no delivery type: choose express, truck or "
                               "other.",
                               "采购单 {order} 填写了发货信息但没有发货方式：请选择 express、truck 或 other。"),
    "carrier_required": ("An express delivery needs its carrier (the logistics company) for order {order}.",
                         "快递发货需要填写物流商（采购单 {order}）。"),
    "tracking_required": ("An express delivery needs at least one tracking number for order {order}.",
                          "快递发货至少需要一个快递单号（采购单 {order}）。"),
    "carrier_invisible": ("Carrier \"{value}\" contains an invisible character ({code}), often left by copying it "
                          "from a web page or a chat: it looks right but is another name. Type it again.",
                          "物流商“{value}”含有不可见字符（{code}），通常是从网页或聊天中复制时带入的：看起来正确，"
                          "实际却是另一个名称。请重新输入。"),
    "carrier_one": ("A delivery has one carrier: give one name (found \"{value}\"). Orders sent with different "
                    "carriers are different deliveries: give each its own carrier and tracking numbers.",
                    "一个发货单只有一个物流商：请只填一个名称（当前为“{value}”）。用不同物流商发出的采购单是不同的"
                    "发货单：请分别填写各自的物流商和快递单号。"),
    "tracking_invisible": ("Tracking number \"{value}\" contains an invisible character ({code}), often left by "
                           "copying it from a web page or a chat: it looks right but is not the number. Type it again.",
                           "快递单号“{value}”含有不可见字符（{code}），通常是从网页或聊天中复制时带入的：看起来正确，"
                           "实际却不是这个单号。请重新输入。"),
    "tracking_format": ("Tracking number \"{value}\" is not valid: use 6–40 letters, digits or hyphens, and separate "
                        "several with commas, spaces or line breaks.",
                        "快递单号“{value}”无效：应为 6–40 位字母、数字或连字符，多个单号用逗号、空格或换行分隔。"),
    "tracking_two_carriers": ("Tracking number {value} is given with carrier {carrier} here and with {other} for "
                              "order {other_order} ({other_cell}); one tracking number belongs to one carrier.",
                              "快递单号 {value} 在此处的物流商为 {carrier}，在采购单 {other_order}（{other_cell}）"
                              "中为 {other}；一个快递单号只能属于一个物流商。"),
    "plate_required": ("A truck delivery needs the licence plate for order {order}.",
                       "卡车送货需要填写车牌号（采购单 {order}）。"),
    "phone_required": ("A truck delivery needs the driver's phone number for order {order}.",
                       "卡车送货需要填写司机电话（采购单 {order}）。"),
    "phone_format": ("Phone must be digits, with +, spaces, brackets or hyphens if you like (found \"{value}\").",
                     "电话必须是数字，可含 +、空格、括号或连字符（当前为“{value}”）。"),
    "boxes_range": ("Boxes must be a whole number from 1 to 99 (found {value}).",
                    "箱数必须是 1 到 99 的整数（当前为 {value}）。"),
    "order_rows_disagree": ("The rows of order {order} disagree on {label}: \"{value}\" here, \"{other}\" in "
                            "{other_cell}. An edit on one row applies to the whole order: make them the same, or "
                            "leave the other rows as exported.",
                            "采购单 {order} 的各行在{label}上不一致：此处为“{value}”，{other_cell} 为“{other}”。"
                            "修改一行即适用于整张采购单：请改为相同，或让其他行保持导出时的值。"),
    "order_not_in_export": ("Order {value} with SKU {sku} is not in the exported file: rows cannot be added. Export "
                            "the orders again with `sheetsync orders export orders.xlsx`.",
                            "采购单 {value}（SKU {sku}）不在导出的文件中：不能新增行。请用 `sheetsync orders export orders.xlsx` "
                            "重新导出。"),
    "order_row_duplicate": ("SKU {value} of order {order} appears twice (also row {other_row}); delete one row.",
                            "采购单 {order} 的 SKU {value} 出现了两次（另见第 {other_row} 行），请删除其中一行。"),
    "order_gone": ("Order {order} is no longer listed by the target; nothing was sent for it. Export the orders "
                   "again.", "目标中已找不到采购单 {order}；未为其发送任何内容。请重新导出采购单。"),
    "order_cancelled": ("Order {order} was cancelled: it can no longer be confirmed or delivered.",
                        "采购单 {order} 已取消：不能再确认或发货。"),
    "confirm_not_waiting": ("Order {order} is {state}: only an order waiting for confirmation can be confirmed.",
                            "采购单 {order} 的状态为{state}：只有待确认的采购单才能确认。"),
    "delivery_needs_confirm": ("Order {order} is not confirmed yet: type yes in its Confirm cell to confirm it in "
                               "this import, and its delivery follows.",
                               "采购单 {order} 尚未确认：在其“确认接单”单元格填“是”，本次导入会先确认再发货。"),
    "delivery_not_open": ("Order {order} is {state}: its delivery can no longer be created or changed.",
                          "采购单 {order} 的状态为{state}：已不能创建或修改发货。"),
    "delivery_cleared": ("Order {order} is in delivery {delivery_no}, which a sheet cannot remove: cancel the delivery "
                         "in the seller centre, or put its details back.",
                         "采购单 {order} 已在发货单 {delivery_no} 中，表格不能删除发货：请在卖家后台取消该发货，"
                         "或恢复其发货信息。"),
    "delivery_split": ("Orders of delivery {delivery_no} ask for different changes of it; one delivery carries one "
                       "carrier and set of tracking numbers. Make them the same.",
                       "发货单 {delivery_no} 中的采购单要求了不同的修改；一个发货单只有一个物流商和一组快递单号。"
                       "请改为相同。"),
    "order_delivery_conflict": ("The delivery of order {order} changed since the export: it was \"{base}\", it is now "
                                "\"{current}\", the sheet says \"{value}\". Nothing was sent; export the orders again "
                                "and fill in the delivery there.",
                                "采购单 {order} 的发货信息在导出后已变化：原为“{base}”，现为“{current}”，表格中为"
                                "“{value}”。未发送任何内容；请重新导出采购单并在新文件中填写。"),
    "order_overdue": ("Order {order} was due {deadline}: deliver it at once; the platform may refuse it or count it "
                      "late.", "采购单 {order} 已于 {deadline} 到期：请立即发货；平台可能拒收或记为延迟。"),
    "labels_need_platform": ("Box labels come from AliExpress: the local store only records deliveries, so no label "
                             "was saved in {folder}. Connect the store (`sheetsync auth`) and import with --target "
                             "aliexpress to get them.",
                             "箱唛由速卖通生成：本地店铺只记录发货，因此没有在 {folder} 中保存箱唛。请连接店铺"
                             "（`sheetsync auth`）并使用 --target aliexpress 导入以获取箱唛。"),
    "delivery_waits_for_confirm": ("Not sent: order {order} of this delivery was not confirmed by this import (see "
                                   "its confirmation above). Once it is confirmed, run the same import again: the "
                                   "delivery is sent then.",
                                   "未发送：此发货中的采购单 {order} 未能在本次导入中确认（见上方的确认结果）。"
                                   "确认后再次运行同样的导入即可发送此发货。"),
    "ae_order_not_done": ("The answer of AliExpress was lost or unreadable ({code}); reading the orders again shows "
                          "it was not done, and it was not sent a second time. Run the same import again to send it.",
                          "速卖通的应答丢失或无法读取（{code}）；重新读取采购单表明该操作未完成，且未重复发送。"
                          "再次运行同样的导入即可发送。"),
    "order_text_too_long": ("{label} of order {order} has {length} characters (\"{value}\"); it takes at most {limit}.",
                            "采购单 {order} 的{label}有 {length} 个字符（“{value}”）；最多 {limit} 个。"),
    "boxes_unused": ("The boxes of order {order} ({value}) changed nothing: the number of boxes only counts the box labels "
                     "of a delivery this import creates or changes, printed with --labels DIR; AliExpress's "
                     "delivery does not carry it, so it is not sent otherwise.",
                     "采购单 {order} 的箱数（{value}）没有产生任何作用：箱数只用于打印本次导入创建或修改的发货单的箱唛"
                     "（--labels DIR）；速卖通的发货单不包含箱数，因此其他情况下不会发送。"),
    "tracking_in_other_delivery": ("Tracking number {value} ({carrier}) of order {order} is already that of delivery "
                                   "{delivery_no} (order {other_order}): this import makes a separate delivery with "
                                   "the same number. Check the number; goods travelling in one parcel belong in one "
                                   "delivery (AliExpress's seller centre adds orders to an existing one).",
                                   "采购单 {order} 的快递单号 {value}（{carrier}）已用于发货单 {delivery_no}（采购单 "
                                   "{other_order}）：本次导入会用同一单号另建一个发货单。请检查单号；同一包裹中的货物"
                                   "应属于同一个发货单（可在速卖通卖家后台把采购单加入已有发货单）。"),
    "labels_boxes_range": ("delivery {delivery_no} has {boxes} boxes, and AliExpress prints the labels of 1 to 99 "
                           "boxes a delivery; print them in the seller centre",
                           "发货单 {delivery_no} 共 {boxes} 箱，而速卖通每个发货单只能打印 1 到 99 箱的箱唛；"
                           "请在卖家后台打印"),
    "orders_status_unknown": ("Unknown order status {value}; use one or more of: {allowed}.",
                              "未知的采购单状态 {value}；请使用以下一个或多个：{allowed}。"),
    "orders_run_not_revertible": ("Run {run_id} confirmed or delivered JIT orders: a confirmation or a delivery is not "
                                  "put back by revert. Cancel a delivery in the seller centre.",
                                  "运行 {run_id} 确认或发货了 JIT 采购单：确认和发货不能用 revert 撤销。"
                                  "发货请在卖家后台取消。"),
    "orders_not_sheetsync": ("{path} is not an Orders workbook as this store's sheetsync exported it (its hidden "
                             "_sheetsync sheet is missing, damaged, from another file, or from an export this store "
                             "has no record of). Export the orders again with `sheetsync orders export orders.xlsx` and fill them "
                             "in there.",
                             "{path} 不是本店铺 sheetsync 导出的采购单工作簿（隐藏的 _sheetsync 工作表缺失、损坏、"
                             "来自其他文件，或本店铺没有该导出记录）。请用 `sheetsync orders export orders.xlsx` 重新导出采购单，"
                             "并在新文件中填写。"),
    "orders_other_target": ("{path} lists the orders of {exported}, not of {target}: import it with --target "
                            "{exported}, or export the orders of {target} with `sheetsync orders export orders.xlsx`.",
                            "{path} 列出的是{exported}的采购单，而不是{target}的：请使用 --target {exported} 导入，"
                            "或用 `sheetsync orders export orders.xlsx` 导出{target}的采购单。"),
    "labels_failed": ("The box labels of delivery {delivery_no} could not be saved: {reason}. The delivery stands; "
                      "run the same import again to fetch them.",
                      "发货单 {delivery_no} 的箱唛未能保存：{reason}。发货已生效；再次运行同样的导入即可重新获取。"),
})

WORDS.update({
    "orders_exported": ("Exported {orders} orders ({rows} items) to {path} (export {export_id}).",
                        "已导出 {orders} 张采购单（{rows} 个商品行）到 {path}（导出编号 {export_id}）。"),
    "orders_counts": ("rows {rows}, orders {orders}, actions {changes}, applied {applied}, already applied "
                      "{already_applied}, failed {failed}",
                      "读取 {rows} 行，采购单 {orders} 张，操作 {changes} 项，已应用 {applied}，此前已应用 "
                      "{already_applied}，失败 {failed}"),
    "orders_plan_done": ("Sent:", "已发送："),
    "orders_plan_would": ("Would send:", "将发送："),
    "orders_plan_blocked": ("Would send once the errors are fixed (nothing was sent):",
                            "修正错误后将发送（未发送任何内容）："),
    "orders_already": ("Already done before (not sent again): {count}", "此前已完成（不再发送）：{count}"),
    "orders_label_saved": ("label: {path}", "箱唛：{path}"),
})

WORDS.update({
    "summary_orders_title": ("sheetsync orders import report", "sheetsync 采购单导入报告"),
    "summary_orders": ("Orders with actions", "有操作的采购单"),
    "summary_actions": ("Actions (orders)", "操作（采购单）"),
})

# What to do next after an orders import (the catalog's NEXT_STEPS name its Products sheet and commands).
ORDERS_NEXT_STEPS: dict[str, tuple[str, str]] = {
    "applied": ("Nothing to do. Export the orders again (`sheetsync orders export orders.xlsx`) before the next round.",
                "无需操作。下一轮操作前请重新导出采购单（`sheetsync orders export orders.xlsx`）。"),
    "dry_run": ("Run the same command without --dry-run to send the actions.",
                "去掉 --dry-run 再次运行即可发送这些操作。"),
    "invalid": ("Open the Orders sheet of this report, fix the red cells (each has a comment), save, and import this "
                "report file as you imported the sheet (orders import, with this file's name).",
                "打开本报告的 Orders 工作表，修正标红的单元格（每个都有批注），保存后按导入原表格的方式导入本报告文件"
                "（orders import，换成本文件名）。"),
    "partial": ("Fix what the platform refused (sheet Actions, with its code and reason), then run the same import "
                "again: it sends only what is still missing.",
                "请先修正平台拒绝的内容（见操作工作表中的错误码和原因），然后再次运行同样的导入：只会发送尚未完成的部分。"),
    "unreadable": ("Export the orders again with `sheetsync orders export orders.xlsx`.", "请用 `sheetsync orders export orders.xlsx` 重新导出采购单。"),
}


def orders_next_step(status: str, lang: str = "en") -> str:
    """What to do after an orders import; the catalog's next step where the orders' is the same."""
    return _pick(ORDERS_NEXT_STEPS, status, lang) if status in ORDERS_NEXT_STEPS else next_step(status, lang)
