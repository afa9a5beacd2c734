"""Profile one path of the engine: ``python -m bench.profile PATH [--calls N] [--sort cumulative|tottime]``.

PATH is get_contact, create_contact or list_contacts (per call, on the in-process transport of section 1),
load (load_connector in this process) or stream (return all of 20,000 contacts from a sandbox process).
Uses pyinstrument when it is installed (``pip install pyinstrument``; not a dependency), else cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from collections.abc import Callable
from typing import Any

from .common import ROOT, fake_key

CALL_INPUTS: dict[str, dict[str, Any]] = {
    "get_contact": {"contact_id": "1"},
    "create_contact": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    "list_contacts": {"limit": 100},
}


def _profile(fn: Callable[[], Any], sort: str) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.runcall(fn)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(40)
        return out.getvalue()
    p = Profiler(interval=0.0002)
    p.start()
    fn()
    p.stop()
    return p.output_text(unicode=False, color=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("path", choices=[*CALL_INPUTS, "load", "stream"])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args(argv)

    if args.path == "load":
        from engine.loader import load_connector

        print(_profile(lambda: load_connector(ROOT), args.sort))
        return 0
    if args.path == "stream":
        from engine.loader import load_connector
        from engine.ratelimit import NoLimit
        from engine.runtime import Connector

        from .serve import SandboxProcess

        key = fake_key()
        connector = Connector(load_connector(ROOT), limiter=NoLimit(), allow_loopback=True, strict_output=True)
        with SandboxProcess(key, contacts=20_000) as sandbox:
            auth = connector.authentication({"api_url": sandbox.url, "api_key": key})
            everything = {"return_all": True, "max_items": 1_000_000}
            print(_profile(lambda: sum(1 for _ in connector.stream("list_contacts", everything, auth)), args.sort))
        return 0

    from .overhead import make_connector, record

    key = fake_key()
    connector, auth, _ = make_connector(record(key), key)
    data = CALL_INPUTS[args.path]
    for _ in range(20):
        connector.run(args.path, data, auth)

    def calls() -> None:
        for _ in range(args.calls):
            connector.run(args.path, data, auth)

    print(_profile(calls, args.sort))
    return 0


if __name__ == "__main__":
    sys.exit(main())
