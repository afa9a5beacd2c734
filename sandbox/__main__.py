"""`python -m sandbox`: run one sandbox account in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .account import Sandbox
from .server import SandboxServer


def _limit(text: str) -> int | None:
    if text.lower() in ("off", "none", "0"):
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("rate limit must be a positive integer or 'off'")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="ActiveCampaign API v3 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="sandbox-key", help="the Api-Token clients must send")
    parser.add_argument("--rate-limit", type=_limit, default=5, help="requests per second, or 'off'")
    parser.add_argument("--throttle-status", type=int, choices=(429, 503), default=429)
    parser.add_argument("--control", action="store_true", help="enable the /__sandbox__/ test-control API")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty account")
    args = parser.parse_args(argv)

    sandbox = Sandbox(
        api_key=args.api_key,
        rate_limit=args.rate_limit,
        throttle_status=args.throttle_status,
        control=args.control,
        seed=not args.no_seed,
    )
    server = SandboxServer(sandbox, host=args.host, port=args.port).start()
    print(f"ActiveCampaign sandbox listening on {server.url}", flush=True)
    print(f"API URL: {server.url}   (API root {server.api_url})", flush=True)
    print(f"API key: {args.api_key}", flush=True)
    if args.control:
        print(f"Control API: {server.url}/__sandbox__/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
