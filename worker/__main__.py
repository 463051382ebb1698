"""`python -m worker` is the same as the `reseller-worker` command."""

import sys

from worker.cli import main

sys.exit(main())
