"""AliExpress Open Platform: the client (transport and signing), the mapping between the
platform's products and sheetsync's rows, the target (push and pull), and the JIT purchase
orders' target (`connect_orders`)."""

from .catalog import AliExpressTarget, PushOutcome, connect
from .client import AmbiguousWrite, BusinessResult, Client, Credentials, PlatformError, RateLimiter, sign
from .mapping import desired_product, product_rows, shared_warehouse_problems
from .orders_target import AliExpressOrdersTarget, connect_orders

__all__ = ["AliExpressOrdersTarget", "AliExpressTarget", "AmbiguousWrite", "BusinessResult", "Client", "Credentials",
           "PlatformError", "PushOutcome", "RateLimiter", "connect", "connect_orders", "desired_product",
           "product_rows", "shared_warehouse_problems", "sign"]
