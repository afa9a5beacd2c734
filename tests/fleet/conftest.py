"""A small fleet: real Redis and PostgreSQL, sandbox accounts at ActiveCampaign's 5 requests/second, and
a client that submits tasks by name (as any producer would), sharing only URLs and the data key."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")

ACCOUNTS = 5


@dataclass
class Fleet:
    shared: dict[str, str]
    store_url: str
    accounts: list[str]
    sandboxes: list[Any]
    client: Any
    tmp: Path
    runs: Any
    sandboxes_urls: list[str]
    api_key: str
    workers: list[Any] = field(default_factory=list)

    def start_worker(self, name: str, concurrency: int = 8, **overrides: str) -> Any:
        from tests.helpers.fleet import host_env, start_worker

        worker = start_worker(name, host_env(self.tmp / name, {**self.shared, **overrides}), self.tmp, concurrency=concurrency)
        self.workers.append(worker)
        return worker

    def logs(self) -> list[list[dict[str, Any]]]:
        from dataclasses import asdict

        return [[asdict(e) for e in sb.log] for sb in self.sandboxes]


@pytest.fixture
def fleet(redis_url, pg_store_url, api_key, tmp_path) -> Iterator[Fleet]:
    import redis
    from celery import Celery

    from ac_connector.store import AuthStore
    from sandbox import Sandbox, SandboxServer

    broker = redis_url.rsplit("/", 1)[0] + "/1"  # its own database: other tests' rate windows stay apart
    redis.Redis.from_url(broker).flushdb()
    shared = {
        "AC_CONNECTOR_BROKER_URL": broker,
        "AC_CONNECTOR_STORE": pg_store_url,
        "AC_CONNECTOR_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AC_CONNECTOR_ALLOW_LOOPBACK": "1",
        "AC_CONNECTOR_VISIBILITY_TIMEOUT": "20",
        "AC_CONNECTOR_STEP_DEADLINE": "10",
        "AC_CONNECTOR_RECOVER_AFTER": "20",
        # Two workers, five sandboxes, Redis and PostgreSQL share 2 cores here: a request can leave a
        # good while after its slot was taken, so the window gets more room than the 50 ms default.
        "AC_CONNECTOR_RATE_LIMIT_GUARD": "0.2",
    }
    sandboxes = [Sandbox(api_key=api_key, rate_limit=5, rate_window=1.0) for _ in range(ACCOUNTS)]
    servers = [SandboxServer(sb).start() for sb in sandboxes]
    old = {k: os.environ.get(k) for k in ("AC_CONNECTOR_SECRET_KEY",)}
    os.environ["AC_CONNECTOR_SECRET_KEY"] = shared["AC_CONNECTOR_SECRET_KEY"]
    store = AuthStore(tmp_path / "client", url=pg_store_url)
    names = [f"account-{i}" for i in range(ACCOUNTS)]
    for name, server in zip(names, servers, strict=True):
        store.add(name, "personal", {"api_url": server.url, "api_key": api_key})
    store.close()
    client = Celery("producer", broker=broker)  # results are read from the run store
    client.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"], task_default_queue="ac-connector"
    )
    from ac_connector.backends.postgres_runs import PostgresRunBackend
    from ac_connector.workflows import RunStore

    runs = RunStore(PostgresRunBackend(pg_store_url))
    fleet = Fleet(shared, pg_store_url, names, sandboxes, client, tmp_path, runs, [s.url for s in servers], api_key)
    try:
        yield fleet
    finally:
        for worker in fleet.workers:
            worker.kill()
        runs.close()
        for server in servers:
            server.stop()
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
