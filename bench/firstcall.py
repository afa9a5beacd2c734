"""First calls: one case, timed in a brand-new process (what a CLI run or a one-off workflow step gets).

``python -m bench.firstcall CASE URL KEY CACHE`` imports, loads the connector (from the spec cache in
CACHE, as the CLI does), makes one call, and prints ``{"seconds", "records", "peak_rss"}``: the call
alone, from request to result, and the process's own peak RSS (VmHWM). ``python -m bench.firstcall cli
ARGS`` runs ``ac-connector ARGS`` and reports its peak RSS the same way. Warmed medians in the
same sections measure the same calls after many repetitions; a user running one step never gets those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from .common import ROOT

EVERYTHING = {"return_all": True}
PAGE = {"limit": 100}


def _hand_page(url: str, key: str) -> int:
    import httpx

    with httpx.Client(trust_env=False) as client:
        response = client.get(
            f"{url}/api/3/contacts",
            params={"limit": 100, "offset": 0},
            headers={"Api-Token": key, "Accept": "application/json"},
        )
        response.raise_for_status()
        return len(response.json()["contacts"])


def _raw_all(url: str, key: str) -> int:
    import httpx

    from .large import raw_return_all

    with httpx.Client(trust_env=False, timeout=60) as client:
        return len(raw_return_all(client, url, key))


def _engine(url: str, key: str, cache: str, call: Callable[[Any, Any], int]) -> Callable[[], int]:
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    connector = Connector.load(ROOT, cache_dir=cache, limiter=NoLimit(), allow_loopback=True)
    auth = connector.authentication({"api_url": url, "api_key": key}, name="bench")
    return lambda: call(connector, auth)


CASES: dict[str, Callable[[Any, Any], int]] = {
    "stream": lambda c, a: sum(1 for _ in c.stream("list_contacts", EVERYTHING, a)),
    "run": lambda c, a: len(c.run("list_contacts", EVERYTHING, a)["contacts"]),
    "page": lambda c, a: len(c.run("list_contacts", PAGE, a)["contacts"]),
    "get": lambda c, a: 1 if c.run("get_contact", {"contact_id": "1"}, a)["contact"]["id"] == "1" else 0,
}


def peak_rss() -> int:
    """This process's own peak RSS in bytes (VmHWM: unlike ru_maxrss, not inherited from the parent at fork)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cli(argv: list[str]) -> int:
    """``ac-connector ARGS`` in this process, then its peak RSS as the last line of stderr."""
    from ac_connector.cli import main as cli_main

    code = cli_main(argv)
    sys.stdout.flush()
    sys.stderr.write(json.dumps({"peak_rss": peak_rss()}) + "\n")
    return code


def main(argv: list[str]) -> int:
    if argv and argv[0] == "cli":
        return cli(argv[1:])
    case, url, key, cache = argv
    if case == "raw":
        fn: Callable[[], int] = lambda: _raw_all(url, key)  # noqa: E731
    elif case == "hand_page":
        fn = lambda: _hand_page(url, key)  # noqa: E731
    else:
        fn = _engine(url, key, cache, CASES[case])
    started = time.perf_counter()
    records = fn()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "records": records, "peak_rss": peak_rss()}), flush=True)
    return 0


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def fresh(case: str, url: str, key: str, cache: str) -> dict[str, float]:
    """One case in a new process: the call's seconds, the records it returned, the process's peak RSS (bytes)."""
    args = [sys.executable, "-m", "bench.firstcall", case, url, key, cache]
    out, seconds, peak = _reap(
        subprocess.Popen(args, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE), args
    )
    result = json.loads(out)
    result["process_seconds"] = seconds
    return result


def timed_cli(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of a whole ``ac-connector ARGS`` process, its output thrown away."""
    command = [sys.executable, "-m", "bench.firstcall", "cli", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env={**_env(), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, _, err = _reap(proc, command)
    seconds = time.perf_counter() - started
    return seconds, int(json.loads(err.decode().strip().splitlines()[-1])["peak_rss"])


def _reap(proc: subprocess.Popen[bytes], args: list[str]) -> tuple[bytes, float, bytes]:
    """Read a child's output and wait for it; fail loudly if it failed. (Its ru_maxrss is no measure: Linux
    carries the parent's peak over into a forked child, so children report their own VmHWM instead.)"""
    started = time.perf_counter()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return out or b"", seconds, err or b""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
