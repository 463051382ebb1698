"""A stateful Xero on loopback, validated against Xero's own OpenAPI documents: for tests and `make demo`."""

from integrations.xero.sandbox.demo import apply_payments, seed_demo, seed_demo_from_dir
from integrations.xero.sandbox.server import XeroSandbox

__all__ = ["XeroSandbox", "apply_payments", "seed_demo", "seed_demo_from_dir"]
