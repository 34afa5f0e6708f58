"""AliExpress Open Platform: the client (transport and signing), the mapping between the
platform's products and sheetsync's rows, and the target (push and pull)."""

from .catalog import AliExpressTarget, PushOutcome, connect
from .client import AmbiguousWrite, BusinessResult, Client, Credentials, PlatformError, RateLimiter, sign
from .mapping import desired_product, product_rows, shared_warehouse_problems

__all__ = ["AliExpressTarget", "AmbiguousWrite", "BusinessResult", "Client", "Credentials", "PlatformError",
           "PushOutcome", "RateLimiter", "connect", "desired_product", "product_rows",
           "shared_warehouse_problems", "sign"]
