"""Run the Xero sandbox on its own: `python -m integrations.xero.sandbox [--port N] [--seed CORPUS_DIR]`.

Prints the base URL (set it as xero.base_url, mode "sandbox") and serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

from integrations.xero.sandbox.demo import seed_demo_from_dir
from integrations.xero.sandbox.server import XeroSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.xero.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument(
        "--seed", type=Path, help="a corpus directory: orders.json, xero/payments.json, bank/statements.json"
    )
    args = parser.parse_args(argv)
    sandbox = XeroSandbox(port=args.port).start()
    try:
        if args.seed is not None:
            print(json.dumps(seed_demo_from_dir(sandbox, args.seed)))
        print(f"Xero sandbox at {sandbox.base_url} (client id {sandbox.client_id}); Ctrl-C stops it", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
