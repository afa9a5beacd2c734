"""The run store: every workflow run, its steps and the saved workflows, beside the authentications.

Tables ``runs``, ``run_steps`` and ``saved_workflows`` in the same SQLite file as the authentications
(``$AC_CONNECTOR_HOME/authentications.sqlite3``), through their own connection: this module never touches
the authentications table. SQL goes through a small ``Backend`` seam (``execute``/``query``/
``transaction``, ``?`` placeholders, portable DDL) so a PostgreSQL backend can sit behind the same
``RunStore`` (chosen by ``AC_CONNECTOR_STORE=postgresql://...``; see ``register_backend``).

What is stored is what a person may see: workflow documents (authentication *names*), trigger data,
resolved inputs, outputs and typed errors. Keys never reach this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.errors import ConnectorError

from ..paths import data_home

DB_FILE = "authentications.sqlite3"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        workflow_name TEXT NOT NULL,
        workflow TEXT NOT NULL,
        trigger_data TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION,
        error TEXT,
        stopped_at TEXT,
        resumed_from TEXT,
        resumed_by TEXT,
        owner TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at)",
    "CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow_name, started_at)",
    """CREATE TABLE IF NOT EXISTS run_steps (
        run_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        name TEXT NOT NULL,
        operation TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        error TEXT,
        started_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        duration_ms DOUBLE PRECISION,
        PRIMARY KEY (run_id, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS saved_workflows (
        name TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    )""",
)

RUN_STATUSES = ("running", "succeeded", "failed", "outcome_unknown")
STEP_STATUSES = ("pending", "running", "succeeded", "failed", "outcome_unknown", "skipped")


class RunNotFound(ConnectorError):
    type = "run_not_found"


class WorkflowNotFound(ConnectorError):
    type = "workflow_not_found"


class Backend(Protocol):
    """The SQL seam: ``?`` placeholders, one transaction at a time, rows as tuples."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def close(self) -> None: ...


def where_equal(**columns: Any) -> tuple[str, list[Any]]:
    """`` WHERE a = ? AND b = ?`` over the columns given a value (empty ones are no filter), with its params:
    the listings of runs and trigger events filter the same way."""
    given = {name: value for name, value in columns.items() if value}
    clause = " WHERE " + " AND ".join(f"{name} = ?" for name in given) if given else ""
    return clause, list(given.values())


class SqliteBackend:
    """One connection shared by threads behind a lock; a busy timeout for other processes' writers."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)  # created private, like the authentications
            os.close(fd)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, tuple(params)).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _postgres(url: str) -> Backend:
    from ..backends.postgres_runs import PostgresRunBackend  # psycopg: the optional extra ac-connector[celery]

    return PostgresRunBackend(url)


_BACKENDS: dict[str, Callable[[str], Backend]] = {"postgresql": _postgres, "postgres": _postgres}


def register_backend(scheme: str, factory: Callable[[str], Backend]) -> None:
    """Make ``AC_CONNECTOR_STORE=<scheme>://...`` open ``factory(url)`` (e.g. postgresql)."""
    _BACKENDS[scheme] = factory


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str) -> bool:
    """Whether the process that ran a run has ended (only knowable on the same host)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class StepRecord:
    index: int
    id: str
    name: str
    operation: str
    status: str
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "name": self.name,
            "operation": self.operation,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_ms": self.duration_ms,
        }


@dataclass
class RunRecord:
    id: str
    workflow_name: str
    workflow: dict[str, Any]
    trigger: Any
    status: str
    started_at: float
    finished_at: float | None = None
    error: dict[str, Any] | None = None
    stopped_at: str | None = None
    resumed_from: str | None = None
    resumed_by: str | None = None
    owner: str = ""
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        """Still marked running, but the process running it has ended (killed, crashed, machine restarted)."""
        return self.status == "running" and _owner_gone(self.owner)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow_name,
            "status": self.status,
            "interrupted": self.interrupted,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "trigger": self.trigger,
            "stopped_at": self.stopped_at,
            "error": self.error,
            "resumed_from": self.resumed_from,
            "resumed_by": self.resumed_by,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "document": self.workflow, "steps": [s.to_dict() for s in self.steps]}

    def outputs(self) -> dict[str, Any]:
        return {s.id: s.output for s in self.steps if s.status in ("succeeded", "skipped")}


_RUN_COLUMNS = (
    "id, workflow_name, workflow, trigger_data, status, started_at, finished_at, error, stopped_at, "
    "resumed_from, resumed_by, owner"
)
_STEP_COLUMNS = "idx, step_id, name, operation, status, input, output, error, started_at, finished_at, duration_ms"


def _run_from_row(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        id=row[0],
        workflow_name=row[1],
        workflow=_loads(row[2]),
        trigger=_loads(row[3]),
        status=row[4],
        started_at=row[5],
        finished_at=row[6],
        error=_loads(row[7]),
        stopped_at=row[8],
        resumed_from=row[9],
        resumed_by=row[10],
        owner=row[11],
    )


class RunStore:
    """Runs, their steps and saved workflows. Thread-safe; one per process is enough."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        with backend.transaction():
            for statement in SCHEMA:
                backend.execute(statement)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, home: str | Path | None = None, url: str | None = None) -> RunStore:
        """``url`` or ``AC_CONNECTOR_STORE`` picks a registered backend; else SQLite beside the authentications."""
        url = url or os.environ.get("AC_CONNECTOR_STORE") or ""
        scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
        if scheme and scheme not in ("sqlite", "file"):
            factory = _BACKENDS.get(scheme) or _BACKENDS.get(scheme.replace("postgres", "postgresql"))
            if factory is None:
                raise ConnectorError(f"no run store backend for {scheme}:// in this installation")
            return cls(factory(url))
        if scheme:
            return cls(SqliteBackend(url.split("://", 1)[1]))
        return cls(SqliteBackend(Path(home or data_home()) / DB_FILE))

    @classmethod
    def memory(cls) -> RunStore:
        """A store that forgets: for a Python caller that keeps no history."""
        return cls(SqliteBackend(":memory:"))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing a run -------------------------------------------------------------------------
    def create_run(self, workflow: Any, trigger: Any, *, resumed_from: str | None = None, run_id: str | None = None) -> str:
        """Record a new run with every step pending; ``workflow`` is a Workflow (its document is stored)."""
        run_id = run_id or uuid.uuid4().hex
        now = time.time()
        with self.backend.transaction():
            self.backend.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    workflow.name,
                    _dumps(workflow.document),
                    _dumps(trigger),
                    "running",
                    now,
                    None,
                    None,
                    None,
                    resumed_from,
                    None,
                    _owner(),
                ),
            )
            for i, step in enumerate(workflow.steps):
                self.backend.execute(
                    f"INSERT INTO run_steps (run_id, {_STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, i, step.id, step.name, step.operation, "pending", None, None, None, None, None, None),
                )
        return run_id

    def start_step(self, run_id: str, index: int, input: Any) -> float:
        now = time.time()
        self.backend.execute(
            "UPDATE run_steps SET status = ?, input = ?, started_at = ? WHERE run_id = ? AND idx = ?",
            ("running", _dumps(input), now, run_id, index),
        )
        return now

    def finish_step(
        self,
        run_id: str,
        index: int,
        status: str,
        *,
        input: Any = None,
        output: Any = None,
        error: Mapping[str, Any] | None = None,
        started_at: float | None = None,
        duration_ms: float | None = None,
    ) -> None:
        assert status in STEP_STATUSES, status
        now = time.time()
        self.backend.execute(
            "UPDATE run_steps SET status = ?, input = COALESCE(?, input), output = ?, error = ?, "
            "started_at = COALESCE(?, started_at, ?), finished_at = ?, duration_ms = ? WHERE run_id = ? AND idx = ?",
            (status, _dumps(input), _dumps(output), _dumps(error), started_at, now, now, duration_ms, run_id, index),
        )

    def finish_run(
        self, run_id: str, status: str, *, error: Mapping[str, Any] | None = None, stopped_at: str | None = None
    ) -> None:
        assert status in RUN_STATUSES, status
        self.backend.execute(
            "UPDATE runs SET status = ?, finished_at = ?, error = ?, stopped_at = ? WHERE id = ?",
            (status, time.time(), _dumps(error), stopped_at, run_id),
        )

    def claim_resume(self, run_id: str, new_run_id: str) -> bool:
        """Mark ``run_id`` as resumed by ``new_run_id``; False when another resume got there first."""
        return (
            self.backend.execute("UPDATE runs SET resumed_by = ? WHERE id = ? AND resumed_by IS NULL", (new_run_id, run_id))
            == 1
        )

    # -- reading -------------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        """A run with its steps; a unique prefix of at least 6 characters of the id also finds it."""
        rows = self.backend.query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows and len(run_id) >= 6 and all(c in "0123456789abcdef" for c in run_id):
            rows = self.backend.query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id LIKE ? LIMIT 2", (run_id + "%",))
            if len(rows) > 1:
                raise RunNotFound(f"several runs start with {run_id!r}: give more of the id")
        if not rows:
            raise RunNotFound(f"no run {run_id!r} (see `ac-connector workflow runs`)")
        run = _run_from_row(rows[0])
        for r in self.backend.query(f"SELECT {_STEP_COLUMNS} FROM run_steps WHERE run_id = ? ORDER BY idx", (run.id,)):
            run.steps.append(
                StepRecord(
                    index=r[0],
                    id=r[1],
                    name=r[2],
                    operation=r[3],
                    status=r[4],
                    input=_loads(r[5]),
                    output=_loads(r[6]),
                    error=_loads(r[7]),
                    started_at=r[8],
                    finished_at=r[9],
                    duration_ms=r[10],
                )
            )
        return run

    def list(self, workflow: str | None = None, limit: int = 50, status: str | None = None) -> list[RunRecord]:
        """Newest first, without their steps."""
        where, params = where_equal(workflow_name=workflow, status=status)
        sql = f"SELECT {_RUN_COLUMNS} FROM runs{where} ORDER BY started_at DESC, id LIMIT ?"
        return [_run_from_row(r) for r in self.backend.query(sql, (*params, max(1, min(int(limit), 1000))))]

    def prune(self, keep: int | None = None, older_than: float | None = None) -> int:
        """Forget finished runs beyond the ``keep`` newest and/or started more than ``older_than`` seconds ago."""
        if keep is None and older_than is None:
            raise ValueError("say what to prune: keep and/or older_than")
        doomed: set[str] = set()
        finished = self.backend.query("SELECT id, started_at FROM runs WHERE status <> 'running' ORDER BY started_at DESC, id")
        if keep is not None:
            doomed.update(r[0] for r in finished[max(0, keep) :])
        if older_than is not None:
            cutoff = time.time() - older_than
            doomed.update(r[0] for r in finished if r[1] < cutoff)
        with self.backend.transaction():
            for run_id in doomed:
                self.backend.execute("DELETE FROM run_steps WHERE run_id = ?", (run_id,))
                self.backend.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        return len(doomed)

    # -- saved workflows -------------------------------------------------------------------------
    def save_workflow(self, name: str, document: Mapping[str, Any]) -> dict[str, Any]:
        now = time.time()
        self.backend.execute(
            "INSERT INTO saved_workflows (name, document, created, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated = excluded.updated",
            (name, _dumps(document), now, now),
        )
        return self.get_workflow(name)

    def get_workflow(self, name: str) -> dict[str, Any]:
        rows = self.backend.query("SELECT name, document, created, updated FROM saved_workflows WHERE name = ?", (name,))
        if not rows:
            raise WorkflowNotFound(f"no saved workflow named {name!r}")
        n, doc, created, updated = rows[0]
        return {"name": n, "document": _loads(doc), "created": iso(created), "updated": iso(updated)}

    def list_workflows(self) -> list[dict[str, Any]]:
        rows = self.backend.query("SELECT name, document, created, updated FROM saved_workflows ORDER BY name")
        out = []
        for n, doc, created, updated in rows:
            document = _loads(doc)
            steps = document.get("steps") if isinstance(document, dict) else None
            out.append(
                {
                    "name": n,
                    "steps": len(steps) if isinstance(steps, list) else 0,
                    "created": iso(created),
                    "updated": iso(updated),
                }
            )
        return out

    def delete_workflow(self, name: str) -> None:
        if not self.backend.execute("DELETE FROM saved_workflows WHERE name = ?", (name,)):
            raise WorkflowNotFound(f"no saved workflow named {name!r}")
