"""The run store on PostgreSQL: the same RunStore, its tables from the versioned migrations."""

from __future__ import annotations

import sqlite3

from ac_connector.backends.postgres_runs import PostgresRunBackend
from ac_connector.workflows import RunStore, resume_run, run_workflow
from ac_connector.workflows.runs import SCHEMA
from tests.workflows.conftest import FOUR_STEPS

TRIGGER = {"email": "pg@example.com", "first_name": "Pg", "value": 10}


def test_the_migrated_tables_have_the_run_store_columns(pg_store_url):
    """Migrations 3 and 4 must follow runs.SCHEMA and the triggers' SCHEMA: a column added there needs a new
    migration in backends/pg.py."""
    import psycopg

    from ac_connector.triggers.store import SCHEMA as TRIGGER_SCHEMA

    RunStore(PostgresRunBackend(pg_store_url)).close()
    lite = sqlite3.connect(":memory:")
    for statement in (*SCHEMA, *TRIGGER_SCHEMA):
        lite.execute(statement)
    with psycopg.connect(pg_store_url) as conn:
        for table in ("runs", "run_steps", "saved_workflows", "triggers", "trigger_events", "trigger_cursors"):
            expected = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            got = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s "
                    "ORDER BY ordinal_position",
                    (table,),
                )
            ]
            assert got == expected, table


def test_runs_resume_and_prune_on_postgresql(connector, sandbox, auth, pg_store_url, monkeypatch):
    auths = {"Sandbox": auth}
    monkeypatch.setenv("AC_CONNECTOR_STORE", pg_store_url)
    store = RunStore.open()  # chosen by the environment, as the CLI and the workers do
    assert isinstance(store.backend, PostgresRunBackend)
    sandbox.faults.add("POST /api/3/deals", statuses=[422], times=1)
    failed = run_workflow(connector, FOUR_STEPS, authentications=auths, store=store, trigger=TRIGGER)
    assert failed.status == "failed" and failed.stopped_at == "deal"
    other_host = RunStore(PostgresRunBackend(pg_store_url))
    seen = other_host.get(failed.id[:8])  # a prefix finds it (LIKE through the ? to %s translation)
    assert [s.status for s in seen.steps] == ["succeeded", "succeeded", "failed", "pending"]
    resumed = resume_run(connector, failed.id, authentications=auths, store=other_host)
    assert resumed.status == "succeeded" and sandbox.log.count("POST", "/api/3/contacts") == 1
    assert [r.id for r in store.list()] == [resumed.id, failed.id]
    assert store.get(failed.id).resumed_by == resumed.id
    store.save_workflow("Four", FOUR_STEPS)
    assert other_host.get_workflow("Four")["document"] == FOUR_STEPS
    assert store.prune(keep=1) == 1 and [r.id for r in other_host.list()] == [resumed.id]
    store.close()
    other_host.close()
