"""Sandboxes in a separate process, so the client under test has its own interpreter and GIL.

``python -m bench.serve --accounts N --contacts M --key KEY [--rate-limit R] [--control]`` starts N
accounts (rate limit off unless R requests per second is given; ``--control`` opens the test-control
API, for request logs), each with M generated contacts on top of the seeded ones, prints one JSON line
``{"urls": [...]}`` and serves until its standard input closes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from types import TracebackType

from .common import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("--accounts", type=int, default=1)
    parser.add_argument("--contacts", type=int, default=0)
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per second per account (off)")
    parser.add_argument("--control", action="store_true", help="serve /__sandbox__/ (request logs, faults)")
    args = parser.parse_args(argv)

    from sandbox import Sandbox, SandboxServer

    servers = []
    started = time.perf_counter()
    for _ in range(args.accounts):
        sb = Sandbox(api_key=args.key, rate_limit=args.rate_limit, rate_window=1.0, control=args.control)
        if args.contacts:
            sb.load_fixture(contacts=args.contacts)
        servers.append(SandboxServer(sb).start())
    loaded = time.perf_counter() - started
    print(json.dumps({"urls": [s.url for s in servers], "load_seconds": loaded}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        for server in servers:
            server.stop()
    return 0


class SandboxProcess:
    """Run ``bench.serve`` in a child process for the duration of a ``with`` block."""

    def __init__(
        self,
        key: str,
        *,
        accounts: int = 1,
        contacts: int = 0,
        timeout: float = 300.0,
        rate_limit: int | None = None,
        control: bool = False,
    ) -> None:
        self.key = key
        self.rate_limit = rate_limit
        self.control = control
        self.accounts = accounts
        self.contacts = contacts
        self.timeout = timeout
        self.urls: list[str] = []
        self.load_seconds = 0.0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SandboxProcess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.serve",
                "--accounts",
                str(self.accounts),
                "--contacts",
                str(self.contacts),
                "--key",
                self.key,
                *(["--rate-limit", str(self.rate_limit)] if self.rate_limit else []),
                *(["--control"] if self.control else []),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._stop()
            raise RuntimeError("the benchmark sandbox process did not start")
        info = json.loads(line)
        self.urls = info["urls"]
        self.load_seconds = info["load_seconds"]
        return self

    @property
    def url(self) -> str:
        return self.urls[0]

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop()


if __name__ == "__main__":
    sys.exit(main())
