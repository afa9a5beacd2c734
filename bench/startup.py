"""2. Start-up: loading every spec in a fresh process, and ``ac-connector run get_contact`` end to end.

Each command runs as a new process, round-robin with the baseline ``python -c "import httpx"`` so
that drift on a busy machine hits all of them alike; the figure is the median wall time. The
loading process also reports, from inside, how long its imports and ``load_connector`` took.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, Figure, Sizes, fake_key, median, ratio_figure
from .serve import SandboxProcess

SECTION = "2. Start-up"
LOAD_LIMIT = 0.150
RUN_LIMIT = 2.0
_LOAD_SCRIPT = (
    "import time, json; t0 = time.perf_counter()\n"
    "from engine.loader import load_connector\n"
    "t1 = time.perf_counter(); spec = load_connector('.'); t2 = time.perf_counter()\n"
    "print(json.dumps({'imports': t1 - t0, 'load': t2 - t1, 'operations': len(spec.operations)}))\n"
)
# What the CLI does on every start after the first: the checked specs from the spec cache.
_CACHED_SCRIPT = (
    "import time, json, os; t0 = time.perf_counter()\n"
    "from engine.spec_cache import load_cached\n"
    "t1 = time.perf_counter(); spec = load_cached('.', os.environ['AC_CONNECTOR_CACHE']); t2 = time.perf_counter()\n"
    "print(json.dumps({'imports': t1 - t0, 'load': t2 - t1, 'operations': len(spec.operations)}))\n"
)


# The same one-off call written by hand with httpx: what `ac-connector run` replaces, for scale.
_HAND_SCRIPT = (
    "import json, os, sys, httpx\n"
    "r = httpx.get(os.environ['AC_API_URL'] + '/api/3/contacts/1',\n"
    "              headers={'Api-Token': os.environ['AC_API_KEY'], 'Accept': 'application/json'})\n"
    "r.raise_for_status()\n"
    "sys.stdout.write(json.dumps(r.json(), indent=2) + '\\n')\n"
)


def cli_command() -> list[str]:
    """``ac-connector`` as installed next to this interpreter, else the same entry point through ``-c``."""
    for candidate in (Path(sys.executable).with_name("ac-connector"), shutil.which("ac-connector")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    return [sys.executable, "-c", "import sys; from ac_connector.cli import main; sys.exit(main())"]


def _env(extra: dict[str, str]) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed, done.stdout


def run(sizes: Sizes) -> list[Figure]:
    key = fake_key()
    with tempfile.TemporaryDirectory(prefix="bench-home-") as home, SandboxProcess(key) as sandbox:
        cache = os.path.join(home, "cache")
        env = _env({"AC_CONNECTOR_HOME": home, "AC_CONNECTOR_CACHE": cache})
        run_env = _env({"AC_CONNECTOR_HOME": home, "AC_CONNECTOR_CACHE": cache, "AC_API_URL": sandbox.url, "AC_API_KEY": key})
        commands = {
            "python": ([sys.executable, "-c", "pass"], env),
            "httpx": ([sys.executable, "-c", "import httpx"], env),
            "load": ([sys.executable, "-c", _LOAD_SCRIPT], env),
            "cached": ([sys.executable, "-c", _CACHED_SCRIPT], env),
            "run": ([*cli_command(), "run", "get_contact", "--input", '{"contact_id": "1"}'], run_env),
            "script": ([sys.executable, "-c", _HAND_SCRIPT], run_env),
        }
        out = json.loads(_timed(*commands["run"])[1])  # warm the file cache, and check the answer
        if out.get("contact", {}).get("id") != "1":
            raise AssertionError("ac-connector run get_contact did not return contact 1")
        times: dict[str, list[float]] = {name: [] for name in commands}
        inside: list[dict[str, float]] = []
        cached: list[dict[str, float]] = []
        for _ in range(sizes.startup_runs):
            for name, (args, cmd_env) in commands.items():
                elapsed, stdout = _timed(args, cmd_env)
                times[name].append(elapsed)
                if name == "load":
                    inside.append(json.loads(stdout))
                elif name == "cached":
                    cached.append(json.loads(stdout))
    httpx_time = median(times["httpx"])
    imports = median([i["imports"] for i in inside])
    load = median([i["load"] for i in inside])
    operations = int(inside[0]["operations"])
    whole = ratio_figure(
        SECTION,
        "the same, whole process: python -c \"...load_connector('.')\"",
        median(times["load"]),
        httpx_time,
        "s",
        higher_is_better=False,
        limit=None,
        baseline_name='python -c "import httpx"',
        detail=f"median of {sizes.startup_runs} fresh processes each; "
        f"`python -c pass` takes {median(times['python']) * 1e3:.0f} ms here",
    )
    in_process = Figure(
        SECTION,
        f"load and check every spec ({operations} operations): load_connector() in a fresh process",
        load,
        "s",
        target=f"< {LOAD_LIMIT * 1e3:.0f} ms",
        met=load < LOAD_LIMIT,
        detail=f"timed inside the process, median of {sizes.startup_runs}; the imports before it "
        f"(engine, jsonschema, Jinja, PyYAML) take another {imports * 1e3:.0f} ms",
    )
    in_process.extra.update(imports=imports, load=load)
    from_cache = median([c["load"] for c in cached])
    cached_figure = ratio_figure(
        SECTION,
        "the same specs from the spec cache (every CLI start after the first)",
        from_cache,
        load,
        "s",
        higher_is_better=False,
        limit=None,
        baseline_name="load_connector(), checking everything",
        detail=f"timed inside a fresh process, median of {sizes.startup_runs}; imports "
        f"before it {median([c['imports'] for c in cached]) * 1e3:.0f} ms",
    )
    cli = ratio_figure(
        SECTION,
        "`ac-connector run get_contact` against a running sandbox, whole process",
        median(times["run"]),
        httpx_time,
        "s",
        higher_is_better=False,
        limit=RUN_LIMIT,
        baseline_name='python -c "import httpx"',
        detail=f"median of {sizes.startup_runs} runs",
    )
    script = ratio_figure(
        SECTION,
        "`ac-connector run get_contact` next to a one-off hand-written httpx script",
        median(times["run"]),
        median(times["script"]),
        "s",
        higher_is_better=False,
        limit=None,
        baseline_name='python -c "httpx.get(...); print(json)"',
        detail="for scale: the script's first request already costs more than `import httpx` "
        f"({median(times['script']) / httpx_time:.2f}x)",
    )
    return [in_process, cached_figure, whole, cli, script]
