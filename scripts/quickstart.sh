#!/usr/bin/env bash
# The main job end to end on the sample catalog, in ./quickstart/: create the catalog, export it,
# edit three cells as a seller would (a price, a weight, a country's stock to 0), import the
# edited workbook with a report, and show the report's summary.
set -euo pipefail
work=quickstart
rm -rf "$work" && mkdir -p "$work" && cd "$work"

sheetsync --store shop.db init --sample
sheetsync --store shop.db export catalog.xlsx
python - <<'PY'
import openpyxl

wb = openpyxl.load_workbook("catalog.xlsx")
ws = wb["Products"]
col = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
price = ws.cell(3, col["seller_price"])
price.value = 19.99                                    # first SKU: new price
weight = ws.cell(4, col["weight_kg"])
weight.value = 0.135                                   # second SKU: new weight
row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, col["stock_FR"]).value)
stock = ws.cell(row, col["stock_FR"])
stock.value = 0                                        # another SKU: stop selling in France
wb.save("catalog-edited.xlsx")
print(f"Edited catalog-edited.xlsx: {price.coordinate} = 19.99, {weight.coordinate} = 0.135, {stock.coordinate} = 0")
PY
sheetsync --store shop.db import catalog-edited.xlsx --report report.xlsx
python - <<'PY'
import openpyxl

wb = openpyxl.load_workbook("report.xlsx")
print("\nreport.xlsx, sheet Summary:")
for label, value in wb["Summary"].iter_rows(min_row=3, max_col=2, values_only=True):
    if label:
        print(f"  {label:<24} {value}")
print("\nsheet Changes:")
for row in wb["Changes"].iter_rows(values_only=True):
    print("  " + " | ".join(str(v) for v in row))
PY
