"""What triggers remember, in the run store's database, behind its SQL seam (``Backend``: SQLite by default,
PostgreSQL when the run store is): enabled triggers, received events (the dedupe records), poll cursors.

Exactly-once runs from at-least-once events: every event gets a key (its type, object, date-time and a
hash of its content) and a run id derived from that key. ``record_event`` inserts it once
(``ON CONFLICT DO NOTHING``: the first process wins, across restarts and processes); the run is then
created under that derived id, so even two dispatchers of one event cannot make two runs (the second
insert of the run id fails). Records are kept ``DEDUPE_WINDOW`` seconds (7 days), far beyond
ActiveCampaign's redeliveries (seconds); an identical event after the window starts a new run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from ..workflows.runs import where_equal

DEDUPE_WINDOW = 7 * 24 * 3600

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS triggers (
        id TEXT PRIMARY KEY,
        workflow_name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        workflow TEXT NOT NULL,
        secret_hash TEXT,
        webhook_id TEXT,
        public_url TEXT,
        enabled DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS trigger_events (
        trigger_id TEXT NOT NULL,
        event_key TEXT NOT NULL,
        run_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        received DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (trigger_id, event_key)
    )""",
    "CREATE INDEX IF NOT EXISTS trigger_events_by_state ON trigger_events (state, received)",
    """CREATE TABLE IF NOT EXISTS trigger_cursors (
        trigger_id TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    )""",
)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def event_key(event_type: str, object_id: str, when: str, content: Any) -> str:
    """Same type, object, date-time and content -> same key (content hashed in canonical JSON)."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    return f"{event_type}:{object_id}:{when}:{digest.hexdigest()[:32]}"


def derived_run_id(trigger_id: str, key: str) -> str:
    return hashlib.sha256(f"{trigger_id}\n{key}".encode()).hexdigest()[:32]


@dataclass
class TriggerRecord:
    id: str
    workflow_name: str
    kind: str
    workflow: dict[str, Any]
    secret_hash: str | None
    webhook_id: str | None
    public_url: str | None
    enabled: float


@dataclass
class EventRecord:
    trigger_id: str
    key: str
    run_id: str
    type: str
    payload: Any
    received: float
    state: str
    seq: int

    def public(self) -> dict[str, Any]:
        return {
            "trigger_id": self.trigger_id,
            "key": self.key,
            "run_id": self.run_id,
            "type": self.type,
            "received": self.received,
            "state": self.state,
            "data": self.payload,
        }


_TRIGGER_COLUMNS = "id, workflow_name, kind, workflow, secret_hash, webhook_id, public_url, enabled"
_EVENT_COLUMNS = "trigger_id, event_key, run_id, event_type, payload, received, state, seq"


class TriggerStore:
    """Trigger registrations, event records and cursors over a run store's ``Backend``."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        with backend.transaction():
            for statement in SCHEMA:
                backend.execute(statement)

    @classmethod
    def beside(cls, run_store: Any) -> TriggerStore:
        """The trigger tables in the same database as ``run_store`` (same backend, same transactions)."""
        return cls(run_store.backend)

    # -- registrations ------------------------------------------------------------------------------
    def save_trigger(self, record: TriggerRecord) -> None:
        self.backend.execute(
            f"INSERT INTO triggers ({_TRIGGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET workflow_name = excluded.workflow_name, kind = excluded.kind, "
            "workflow = excluded.workflow, secret_hash = excluded.secret_hash, webhook_id = excluded.webhook_id, "
            "public_url = excluded.public_url, enabled = excluded.enabled",
            (
                record.id,
                record.workflow_name,
                record.kind,
                json.dumps(record.workflow),
                record.secret_hash,
                record.webhook_id,
                record.public_url,
                record.enabled,
            ),
        )

    def trigger(self, trigger_id: str) -> TriggerRecord | None:
        rows = self.backend.query(f"SELECT {_TRIGGER_COLUMNS} FROM triggers WHERE id = ?", (trigger_id,))
        return _trigger(rows[0]) if rows else None

    def trigger_for(self, workflow_name: str) -> TriggerRecord | None:
        rows = self.backend.query(f"SELECT {_TRIGGER_COLUMNS} FROM triggers WHERE workflow_name = ?", (workflow_name,))
        return _trigger(rows[0]) if rows else None

    def triggers(self, kind: str | None = None) -> list[TriggerRecord]:
        sql = f"SELECT {_TRIGGER_COLUMNS} FROM triggers"
        rows = (
            self.backend.query(sql + " WHERE kind = ? ORDER BY workflow_name", (kind,))
            if kind
            else self.backend.query(sql + " ORDER BY workflow_name")
        )
        return [_trigger(r) for r in rows]

    def delete_trigger(self, trigger_id: str) -> None:
        with self.backend.transaction():
            self.backend.execute("DELETE FROM triggers WHERE id = ?", (trigger_id,))
            self.backend.execute("DELETE FROM trigger_cursors WHERE trigger_id = ?", (trigger_id,))

    # -- events (the dedupe records) ------------------------------------------------------------------
    def record_event(self, trigger_id: str, key: str, event_type: str, payload: Any) -> EventRecord | None:
        """Insert the event once; None when it was already recorded (a duplicate delivery)."""
        now = time.time()
        with self.backend.transaction():
            seq = self.backend.query(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM trigger_events WHERE trigger_id = ?", (trigger_id,)
            )[0][0]
            run_id = derived_run_id(trigger_id, key)
            inserted = self.backend.execute(
                f"INSERT INTO trigger_events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (trigger_id, event_key) DO NOTHING",
                (
                    trigger_id,
                    key,
                    run_id,
                    event_type,
                    json.dumps(payload, ensure_ascii=False, default=str),
                    now,
                    "pending",
                    seq,
                ),
            )
        if inserted != 1:
            return None
        return EventRecord(trigger_id, key, run_id, event_type, payload, now, "pending", seq)

    def mark_event(self, trigger_id: str, key: str, state: str) -> None:
        self.backend.execute(
            "UPDATE trigger_events SET state = ? WHERE trigger_id = ? AND event_key = ?", (state, trigger_id, key)
        )

    def events(self, trigger_id: str | None = None, state: str | None = None, limit: int = 1000) -> list[EventRecord]:
        """Oldest first."""
        where, params = where_equal(trigger_id=trigger_id, state=state)
        sql = f"SELECT {_EVENT_COLUMNS} FROM trigger_events{where} ORDER BY received, seq LIMIT ?"
        return [_event(r) for r in self.backend.query(sql, (*params, limit))]

    def prune_events(self, older_than: float = DEDUPE_WINDOW) -> int:
        """Forget dispatched event records past the dedupe window."""
        return self.backend.execute(
            "DELETE FROM trigger_events WHERE received < ? AND state <> 'pending'", (time.time() - older_than,)
        )

    # -- poll cursors -----------------------------------------------------------------------------------
    def cursor(self, trigger_id: str) -> Any:
        rows = self.backend.query("SELECT cursor FROM trigger_cursors WHERE trigger_id = ?", (trigger_id,))
        return json.loads(rows[0][0]) if rows else None

    def advance(self, trigger_id: str, cursor: Any, events: list[tuple[str, str, Any]]) -> list[EventRecord]:
        """Record a page's events (key, type, payload) and the cursor after them in ONE transaction: a
        poller killed before this commits leaves neither, and re-reads the page."""
        recorded: list[EventRecord] = []
        with self.backend.transaction():
            for key, event_type, payload in events:
                record = self.record_event(trigger_id, key, event_type, payload)
                if record is not None:
                    recorded.append(record)
            self.backend.execute(
                "INSERT INTO trigger_cursors (trigger_id, cursor, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (trigger_id) DO UPDATE SET cursor = excluded.cursor, updated = excluded.updated",
                (trigger_id, json.dumps(cursor), time.time()),
            )
        return recorded


def _trigger(row: tuple[Any, ...]) -> TriggerRecord:
    return TriggerRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], row[7])


def _event(row: tuple[Any, ...]) -> EventRecord:
    return EventRecord(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])
