"""Bulk import from a JSON-lines file: peak memory of the command line's importer at N and 10 x N contacts.

``python -m bench.bulk [--small 1000] [--large 10000]`` imports generated contacts (with a tag, a list and a
custom field each) into a sandbox in a child process and prints the tracemalloc peak of the client
process for both sizes, and their ratio: flat memory means the ratio stays near 1.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from .common import ROOT, fake_key
from .serve import SandboxProcess


def write_contacts(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                json.dumps(
                    {
                        "email": f"import{i}@example.com",
                        "first_name": f"Name{i}",
                        "tags": ["Imported"],
                        "list_ids": ["1"],
                        "field_values": [{"field_id": "1", "value": "11-50"}],
                    }
                )
                + "\n"
            )


def measure(count: int, folder: Path) -> dict[str, float]:
    """Import ``count`` contacts into a fresh sandbox; the client's peak memory and the time it took."""
    from ac_connector.bulk_import import import_lines
    from engine.loader import load_connector
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    source = folder / f"contacts-{count}.jsonl"
    write_contacts(source, count)
    key = fake_key()
    connector = Connector(load_connector(ROOT), limiter=NoLimit(), allow_loopback=True)
    with SandboxProcess(key, timeout=600) as sandbox:
        auth = connector.authentication({"api_url": sandbox.url, "api_key": key}, name="bench")
        accepted = 0
        started = time.perf_counter()
        tracemalloc.start()
        try:
            with source.open(encoding="utf-8") as lines:
                for report in import_lines(connector, auth, lines):
                    accepted += report["accepted"]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        seconds = time.perf_counter() - started
    connector.close()
    if accepted != count:
        raise RuntimeError(f"{accepted} of {count} contacts accepted")
    return {"contacts": count, "peak_bytes": peak, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(args.small, Path(tmp))
        large = measure(args.large, Path(tmp))
    print(json.dumps({"small": small, "large": large, "peak_ratio": large["peak_bytes"] / small["peak_bytes"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
