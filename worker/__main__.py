"""`python -m worker` is the same as the `reseller-worker` command."""

import sys

from worker.cli import entry

sys.exit(entry())
