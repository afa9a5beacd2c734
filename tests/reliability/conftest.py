"""A connector on a fake clock per test: retry waits are recorded, not slept."""

from __future__ import annotations

import pytest

from engine.clock import FakeClock

from .support import connector


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fc(clock):
    """The real connector on the fake clock (retry and Retry-After waits cost nothing)."""
    c = connector(clock=clock)
    yield c
    c.close()


@pytest.fixture
def fauth(fc, sandbox_server, sandbox, api_key):
    return fc.authentication({"api_url": sandbox_server.url, "api_key": api_key}, name="retry-tests")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port with its own temp dir, stopped at the end."""
    import shutil
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; scripts/system-deps.sh installs it)")
    from .support import free_port

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
