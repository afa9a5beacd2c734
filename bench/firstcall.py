"""First calls: one case, timed in a brand-new process (what a CLI run or a one-off workflow step gets).

``python -m bench.firstcall CASE URL KEY CACHE`` imports, loads the connector (from the spec cache in
CACHE, as the CLI does), makes one call, and prints ``{"seconds", "records"}``: the call alone, from
request to result. The parent reads the process's peak RSS from ``wait4``. Warmed medians in the
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
        response = client.get(f"{url}/api/3/contacts", params={"limit": 100, "offset": 0},
                              headers={"Api-Token": key, "Accept": "application/json"})
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


def main(argv: list[str]) -> int:
    case, url, key, cache = argv
    if case == "raw":
        fn: Callable[[], int] = lambda: _raw_all(url, key)  # noqa: E731
    elif case == "hand_page":
        fn = lambda: _hand_page(url, key)  # noqa: E731
    else:
        fn = _engine(url, key, cache, CASES[case])
    started = time.perf_counter()
    records = fn()
    print(json.dumps({"seconds": time.perf_counter() - started, "records": records}), flush=True)
    return 0


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def fresh(case: str, url: str, key: str, cache: str) -> dict[str, float]:
    """One case in a new process: the call's seconds, the records it returned, the process's peak RSS (bytes)."""
    args = [sys.executable, "-m", "bench.firstcall", case, url, key, cache]
    out, seconds, peak = _reap(subprocess.Popen(args, cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE), args)
    result = json.loads(out)
    result["peak_rss"] = peak
    result["process_seconds"] = seconds
    return result


def timed_process(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of a whole process, its output thrown away."""
    proc = subprocess.Popen(args, cwd=ROOT, env={**_env(), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, seconds, peak = _reap(proc, args)
    return seconds, peak


def _reap(proc: subprocess.Popen[bytes], args: list[str]) -> tuple[bytes, float, int]:
    """Read a child's output, wait for it with wait4 (its own peak RSS), fail loudly if it failed."""
    started = time.perf_counter()
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return out, seconds, usage.ru_maxrss * 1024


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
