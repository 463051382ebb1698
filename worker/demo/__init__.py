"""`reseller-worker demo`: one full cycle on embedded defaults, with no credentials.

`data/` is a slice of the labelled receipt corpus ("KiwiWeb Design Ltd", one or two receipts of each kind):
open invoices, Xero payments and bank lines are loaded into the loopback Xero sandbox, the notices into a
Maildir; the clock is pinned to the data's own `today` so the demo reads the same on any day.
"""
