"""Real redis-server and PostgreSQL processes for tests and benchmarks: free loopback ports, temp dirs.

Plain context managers (no pytest here) so ``bench/`` can start the same servers. PostgreSQL
refuses to run as root, and CI runs as root: then the server runs as ``nobody`` in a folder it owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class ServerMissing(RuntimeError):
    """The server's binaries are not installed (scripts/system-deps.sh installs them)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server with no persistence; yields its ``redis://`` URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerMissing("redis-server is not installed (Debian package redis-server)")
    workdir = tempfile.mkdtemp(prefix="ac-redis-")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            workdir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_bindir() -> Path:
    """Where initdb and postgres live: on PATH, else Debian's versioned folder (newest first)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise ServerMissing("PostgreSQL is not installed (Debian package postgresql)")
    return Path(candidates[-1]).parent


@contextlib.contextmanager
def postgres_server(max_connections: int = 200) -> Iterator[str]:
    """A throw-away PostgreSQL cluster (trust auth on loopback only); yields its ``postgresql://`` URL."""
    bindir = postgres_bindir()
    # As root the server runs as nobody, who must reach the folder: /tmp (1777), whatever TMPDIR says.
    workdir = Path(tempfile.mkdtemp(prefix="ac-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    data, sockets = workdir / "data", workdir / "run"
    sockets.mkdir()
    as_user: dict[str, object] = {}
    if os.geteuid() == 0:  # postgres will not run as root
        nobody = pwd.getpwnam("nobody")
        for path in (workdir, sockets):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        as_user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(workdir)}
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
        check=True,
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **as_user,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"max_connections={max_connections}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **as_user,
    )
    try:
        _wait_for_port(port, process, "postgres")
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_for_sql(url, process)
        yield url
    finally:
        _stop(process, signal.SIGINT)  # "fast" shutdown: roll back, close, exit cleanly
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"{what} did not start on port {port}")
        time.sleep(0.05)


def _wait_for_sql(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    """The port opens before the server accepts sessions ("the database system is starting up")."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                raise
            time.sleep(0.1)
