"""Done when: two real Celery workers share Redis and PostgreSQL, one is killed with SIGKILL mid-run, and
nothing is lost, no unsafe step is sent twice, every step has its final state, and no account saw a 429."""

from __future__ import annotations

import time

from tests.helpers.workload import audit, lead_workflow, mixed_steps, store_rows, wait_until_settled

STEPS = 200


def _idempotency(connector) -> dict[str, str]:
    return {name: str(connector.describe(name)["idempotency"]).split("(")[0] for name in connector.spec.operations}


def test_a_workflow_and_200_steps_survive_a_killed_worker(fleet, connector):
    from ac_connector.celery import submit_operation, submit_workflow

    first = fleet.start_worker("w1")
    fleet.start_worker("w2")
    with fleet.client.producer_or_acquire() as producer:  # the runs are recorded before any message is sent
        sent = {"store": fleet.runs, "connector": connector, "sender": fleet.client, "producer": producer}
        workflows = [
            submit_workflow(lead_workflow(account), {"email": f"lead-{i}@example.com"}, **sent)
            for i, account in enumerate(fleet.accounts)
        ]
        steps = [submit_operation(op, data, account, **sent) for op, data, account in mixed_steps(STEPS, fleet.accounts)]
    run_ids = workflows + steps

    # Kill w1 once a third of the work is done: it is then holding steps it has started or reserved.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = store_rows(fleet.store_url, run_ids)
        if sum(r["status"] != "running" for r in rows.values()) >= len(run_ids) // 3:
            break
        time.sleep(0.2)
    received_by_w1 = set(_task_ids(first.log(), "received"))  # run_step task ids (not run ids)
    done_by_w1 = set(_task_ids(first.log(), "succeeded"))
    first.kill()
    in_flight = received_by_w1 - done_by_w1
    assert in_flight, "w1 held no task when it was killed: the test did not test a death mid-run"

    waited = wait_until_settled(fleet.store_url, run_ids, timeout=120)
    result = audit(fleet.store_url, run_ids, fleet.logs(), _idempotency(connector))
    survivor = fleet.workers[1].log()
    taken_over = [t for t in in_flight if t in survivor]
    print(
        f"settled after {waited:.1f}s; {len(in_flight)} tasks in flight on w1, {len(taken_over)} taken over by w2;",
        result.to_dict(),
        "recovery sends:",
        sum(w.log().count("recovery: run") for w in fleet.workers),
    )

    assert result.lost == [], result.lost  # every run reached a final state
    assert result.safe_not_succeeded == [], result.safe_not_succeeded  # every safe step completed
    assert result.unknown_not_unsafe == []  # only unsafe steps may be unknown
    assert result.unsafe_sent_twice == [], result.unsafe_sent_twice  # never sent twice (the accounts' logs)
    assert result.throttled == 0  # one budget per account across workers
    assert result.steps == STEPS + 5 * len(fleet.accounts)
    assert result.statuses["outcome_unknown"] <= len(in_flight)  # only steps w1 may have sent
    assert set(result.statuses) <= {"succeeded", "outcome_unknown", "pending"}
    assert taken_over, "no task of the killed worker was redelivered to the other"
    rows = store_rows(fleet.store_url, run_ids)
    assert len(rows) == len(run_ids)  # one run per task: no duplicates
    for run_id in workflows:  # a chain never skips or repeats a step
        statuses = [s for _, _, s in rows[run_id]["steps"]]
        assert statuses == ["succeeded"] * 5 or (
            rows[run_id]["status"] == "outcome_unknown" and "outcome_unknown" in statuses
        ), statuses


def _task_ids(log: str, what: str) -> list[str]:
    """Task ids from a worker's log lines ``Task name[id] received`` / ``Task name[id] succeeded in``."""
    import re

    return re.findall(r"Task ac_connector\.\w+\[([0-9a-f-]{36})\] " + what, log)
