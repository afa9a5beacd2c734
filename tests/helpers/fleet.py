"""Real Celery worker processes standing in for hosts, for the Celery tests and the scale benchmark.

Each worker is ``celery -A ac_connector.celery worker`` in its own process with its own
``AC_CONNECTOR_HOME``; hosts share only what the environment names (Redis, PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, as when a host dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """A warm shutdown (SIGTERM): finish the tasks at hand, then exit."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def host_env(home: Path, shared: Mapping[str, str]) -> dict[str, str]:
    """A host's environment: its own home folder, the shared URLs and data key, our checkout importable."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AC_CONNECTOR_", "CELERY_"))}
    env.update(shared)
    env["AC_CONNECTOR_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def start_worker(
    name: str, env: Mapping[str, str], log_dir: Path, *, concurrency: int = 8, ready_timeout: float = 60, wait: bool = True
) -> Worker:
    """Start a worker (thread pool: one process, so SIGKILL takes the whole "host") and wait until it consumes
    (``wait=False``: call ``wait_ready`` later, so several start at once)."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ac_connector.celery",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(name, process, log_path, dict(env))
    if wait:
        wait_ready(worker, ready_timeout)
    return worker


def wait_ready(worker: Worker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "ready." not in worker.log():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"worker {worker.name} did not start:\n{worker.log()[-3000:]}")
        time.sleep(0.1)
