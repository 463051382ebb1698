"""Xero: the `XeroAccounting` adapter over xero-python, its token handling, `FakeAccounting`, and a sandbox server."""
