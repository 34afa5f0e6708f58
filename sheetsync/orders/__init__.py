"""JIT purchase orders as a second kind of workbook (ARCHITECTURE.md, "Orders workbook"): the
Orders sheet's columns (`fields`), the orders as a target holds them and the actions sent to it
(`model`), the rules a sheet must follow (`rules`) and the three-way plan that turns base, sheet
and current into actions (`plan`). Pure: no file, store or platform is touched here, so every
rule is tested on plain values; reading, writing, targets and the pipeline use these."""
