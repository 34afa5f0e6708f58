"""Where changes go.

`local.LocalTarget` is the embedded catalog: it returns the catalog as `current` and applies a
whole change set in one transaction. `aliexpress.AliExpressTarget` reads and writes one product
at a time, because the platform is re-read just before each product is written (see the change
rule in pipeline._push).
"""
