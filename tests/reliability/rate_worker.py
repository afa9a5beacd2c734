"""One worker OS process for the shared rate-limit tests.

Loads a one-operation copy of the connector (fast start), builds its limiter from a backend URL,
prints "ready", waits for "go" on stdin, makes COUNT calls, and prints one JSON line: how many
succeeded and the type of every error. The API key comes from the environment, never argv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from engine.errors import ConnectorError
from engine.loader import load_connector
from engine.ratelimit import make_limiter
from engine.runtime import Connector


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--per-seconds", type=float, default=1.0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--guard", type=float, default=0.05)
    args = parser.parse_args()
    limiter = make_limiter(args.backend, args.requests, args.per_seconds, guard=args.guard)
    connector = Connector(load_connector(Path(args.root)), limiter=limiter, allow_loopback=True)
    auth = connector.authentication({"api_url": args.url, "api_key": os.environ["WORKER_API_KEY"]})
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    ok, failures = 0, []
    for _ in range(args.count):
        try:
            connector.run("get_current_user", {}, auth)
            ok += 1
        except ConnectorError as exc:
            failures.append(exc.type)
    print(json.dumps({"ok": ok, "errors": failures}), flush=True)
    connector.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
