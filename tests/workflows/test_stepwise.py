"""One step at a time from the run store (the Celery seam), on SQLite and on a real PostgreSQL.

A "redelivery" here is what a broker does after a worker died: the same (run, step) handed out again.
The state a dead worker leaves behind is written with the store's own ``start_step``.
"""

from __future__ import annotations

import threading

import pytest

from ac_connector.backends.postgres_runs import PostgresRunBackend
from ac_connector.workflows import RunStore, prepare_run, run_workflow
from ac_connector.workflows.stepwise import StepBusy, StepDeferred, mark_resent, run_step, stalled_steps

TRIGGER = {"email": "ada@example.com", "first_name": "Ada", "value": 1250.5}


@pytest.fixture(params=["sqlite", "postgresql"])
def runs(request, tmp_path):
    if request.param == "sqlite":
        s = RunStore.open(home=tmp_path / "home")
    else:
        s = RunStore(PostgresRunBackend(request.getfixturevalue("pg_store_url")))
    yield s
    s.close()


def _record(connector, store, document, trigger=TRIGGER) -> str:
    flow, data = prepare_run(connector, document, trigger)
    return store.create_run(flow, data)


def _all_steps(connector, store, run_id, auths, count):
    return [run_step(connector, store, run_id, i, authentications=auths.get) for i in range(count)]


def test_step_by_step_gives_the_same_run_as_the_runner(connector, sandbox, auths, runs, four_steps):
    events = []
    run_id = _record(connector, runs, four_steps)
    results = [run_step(connector, runs, run_id, i, authentications=auths.get, on_event=events.append) for i in range(4)]
    assert [r.status for r in results] == ["succeeded"] * 4 and results[-1].run_status == "succeeded"
    assert all(r.sent for r in results)
    stepwise = runs.get(run_id)
    whole = run_workflow(
        connector, four_steps, authentications=auths, store=runs, trigger={**TRIGGER, "email": "bob@example.com"}
    )
    assert stepwise.status == whole.status == "succeeded"
    assert [s.input.keys() for s in stepwise.steps] == [s.input.keys() for s in whole.steps]
    assert stepwise.steps[1].input["contact_id"] == stepwise.steps[0].output["contact"]["id"]
    assert [e["event"] for e in events] == ["step_started", "step_finished"] * 4 + ["run_finished"]


def test_a_redelivered_finished_step_sends_nothing(connector, sandbox, auths, runs, four_steps):
    run_id = _record(connector, runs, four_steps)
    _all_steps(connector, runs, run_id, auths, 2)
    before = len(sandbox.log)
    again = run_step(connector, runs, run_id, 0, authentications=auths.get)
    assert again.status == "succeeded" and not again.sent and len(sandbox.log) == before
    assert runs.get(run_id).steps[0].output == again.output


def test_an_unsafe_step_left_running_by_a_dead_worker_is_not_sent_again(connector, sandbox, auths, runs, four_steps):
    run_id = _record(connector, runs, four_steps)
    _all_steps(connector, runs, run_id, auths, 2)
    runs.start_step(run_id, 2, {"title": "whatever"})  # create_deal: a worker claimed it, then died
    before = len(sandbox.log)
    result = run_step(connector, runs, run_id, 2, authentications=auths.get)
    assert result.status == "outcome_unknown" and result.run_status == "outcome_unknown" and not result.sent
    assert len(sandbox.log) == before
    run = runs.get(run_id)
    assert run.status == "outcome_unknown" and run.stopped_at == "deal"
    assert run.steps[2].error["type"] == "outcome_unknown" and "retry_unknown" in run.steps[2].error["message"]
    assert run.steps[3].status == "pending"
    late = run_step(connector, runs, run_id, 3, authentications=auths.get)  # the chain's next task, if sent
    assert late.status == "pending" and not late.sent and len(sandbox.log) == before


def test_a_safe_step_left_running_by_a_dead_worker_runs_again(connector, sandbox, auths, runs, four_steps):
    four_steps["steps"][1:] = [
        {
            "id": "read",
            "name": "Read it back",
            "operation": "get_contact",
            "authentication": "Sandbox",
            "input": {"contact_id": "$.steps.contact.contact.id"},
        }
    ]
    run_id = _record(connector, runs, four_steps)
    _all_steps(connector, runs, run_id, auths, 1)
    runs.start_step(run_id, 1, {"contact_id": "x"})
    result = run_step(connector, runs, run_id, 1, authentications=auths.get)
    assert result.status == "succeeded" and result.sent and result.run_status == "succeeded"
    assert result.output["contact"]["email"] == "ada@example.com"
    assert runs.get(run_id).steps[1].input == {"contact_id": result.output["contact"]["id"]}


def test_a_rate_limited_step_is_deferred_and_released(connector, sandbox, auths, runs, four_steps):
    from engine.ratelimit import NoLimit
    from engine.retry import RetryPolicy
    from tests.reliability.support import connector as make_connector

    worker = make_connector(limiter=NoLimit(), retry=RetryPolicy(max_retry_after=0.0))  # as in a Celery worker
    try:
        run_id = _record(connector, runs, four_steps)
        sandbox.faults.add("POST /api/3/contacts", statuses=[429], headers={"Retry-After": "7"}, times=1)
        with pytest.raises(StepDeferred) as deferred:
            run_step(worker, runs, run_id, 0, authentications=auths.get)
        assert deferred.value.retry_after == 7 and deferred.value.error["type"] == "rate_limited"
        run = runs.get(run_id)
        assert run.status == "running" and run.steps[0].status == "pending"  # not mistaken for a crash later
        result = run_step(worker, runs, run_id, 0, authentications=auths.get)
        assert result.status == "succeeded"
        assert sandbox.log.count("POST", "/api/3/contacts") == 2  # the 429 (never carried out) and the create
    finally:
        worker.close()


def test_two_deliveries_at_once_send_a_step_once(connector, sandbox, auths, runs, four_steps):
    sandbox.faults.add("POST /api/3/contacts", delay_headers=0.3, times=1)  # hold the first one in flight
    run_id = _record(connector, runs, four_steps)
    results = []

    def deliver():
        results.append(run_step(connector, runs, run_id, 0, authentications=auths.get))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 1
    assert sandbox.log.count("POST", "/api/3/contacts") == 1
    assert runs.get(run_id).steps[0].status == "succeeded"


def test_a_failure_stops_the_run_and_later_steps_do_nothing(connector, sandbox, auths, runs, four_steps):
    sandbox.faults.add("POST /api/3/contactLists", statuses=[422], times=1)
    run_id = _record(connector, runs, four_steps)
    results = _all_steps(connector, runs, run_id, auths, 4)
    assert [r.status for r in results] == ["succeeded", "failed", "pending", "pending"]
    assert not results[2].sent and sandbox.log.count("POST", "/api/3/deals") == 0
    assert runs.get(run_id).status == "failed" and runs.get(run_id).stopped_at == "subscribe"


def test_bad_input_fails_its_step_by_pointer_and_sends_nothing(connector, sandbox, auths, runs, four_steps):
    four_steps["steps"][1]["input"]["list_id"] = "$.trigger.first_name"  # "Ada": known only when it runs
    run_id = _record(connector, runs, four_steps)
    results = _all_steps(connector, runs, run_id, auths, 2)
    assert results[1].status == "failed"
    assert results[1].error["errors"][0]["pointer"] == "/list_id"
    assert sandbox.log.count("POST", "/api/3/contactLists") == 0


def test_a_step_claimed_moments_ago_is_busy_not_abandoned(connector, sandbox, auths, runs, four_steps):
    run_id = _record(connector, runs, four_steps)
    runs.start_step(run_id, 0, {"email": "ada@example.com"})  # another worker is in it right now
    with pytest.raises(StepBusy) as busy:
        run_step(connector, runs, run_id, 0, authentications=auths.get, abandoned_after=30)
    assert 29 < busy.value.retry_after <= 31 and len(sandbox.log) == 0
    assert runs.get(run_id).steps[0].status == "running"
    judged = run_step(connector, runs, run_id, 0, authentications=auths.get, abandoned_after=0)
    assert judged.status == "outcome_unknown" and len(sandbox.log) == 0  # past the deadline: left behind


def test_stalled_steps_are_found_once_per_sweep(connector, sandbox, auths, runs, four_steps):
    import time

    untouched = _record(connector, runs, four_steps)
    halfway = _record(connector, runs, four_steps)
    _all_steps(connector, runs, halfway, auths, 1)
    done = _record(connector, runs, four_steps)
    _all_steps(connector, runs, done, auths, 4)
    later = time.time() + 60
    assert stalled_steps(runs, older_than=120, abandoned_after=30, now=later) == []  # too recent
    found = {(r, i) for r, i, _ in stalled_steps(runs, older_than=30, abandoned_after=30, now=later)}
    assert found == {(untouched, 0), (halfway, 1)}
    marker = next(m for r, i, m in stalled_steps(runs, older_than=30, abandoned_after=30, now=later) if r == untouched)
    assert mark_resent(runs, untouched, 0, marker, now=later)
    assert not mark_resent(runs, untouched, 0, marker, now=later)  # a second sweeper loses
    again = {(r, i) for r, i, _ in stalled_steps(runs, older_than=30, abandoned_after=30, now=later + 10)}
    assert again == {(halfway, 1)}  # just re-sent: left alone for another older_than
