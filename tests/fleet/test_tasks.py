"""The task semantics with one real worker: throttling becomes a Celery retry at the time the API named,
bad input fails its run without a request, and a failed step stops the workflow's chain."""

from __future__ import annotations

from tests.helpers.workload import lead_workflow, store_rows, wait_until_settled


def test_throttle_bad_input_and_a_failed_step(fleet):
    worker = fleet.start_worker("solo", concurrency=4)
    throttled, failing, clean = fleet.sandboxes[0], fleet.sandboxes[1], fleet.sandboxes[2]
    throttled.faults.add("POST /api/3/contacts", statuses=[429], headers={"Retry-After": "2"}, times=1)
    failing.faults.add("POST /api/3/deals", statuses=[422], times=1)
    sent = [
        fleet.client.send_task(
            "ac_connector.run_operation", ("create_contact", {"email": "throttled@example.com"}, fleet.accounts[0])
        ),
        fleet.client.send_task("ac_connector.run_operation", ("create_contact", {"email": "not-an-email"}, fleet.accounts[2])),
        fleet.client.send_task("ac_connector.run_workflow", (lead_workflow(fleet.accounts[1]), {"email": "lead@example.com"})),
    ]
    ids = [r.id for r in sent]
    wait_until_settled(fleet.store_url, ids, timeout=60)
    rows = store_rows(fleet.store_url, ids)

    # 1. The 429 was answered once; the create went 2 s later (Retry-After), not in a loop, and only once.
    assert rows[ids[0]]["status"] == "succeeded"
    posts = throttled.log.matching("POST", "/api/3/contacts")
    assert [e.status for e in posts] == [429, 201]
    assert posts[1].time - posts[0].time >= 1.9
    assert "retry: Retry in 2" in worker.log()

    # 2. Bad input: the run failed naming the field, nothing reached the account.
    assert rows[ids[1]]["status"] == "failed"
    assert rows[ids[1]]["errors"][0]["errors"][0]["pointer"] == "/email"
    assert clean.log.count() == 0

    # 3. The workflow stopped at the failed deal: the note and the read never ran.
    assert [s for _, _, s in rows[ids[2]]["steps"]] == ["succeeded", "succeeded", "failed", "pending", "pending"]
    assert failing.log.count("POST", "/api/3/deals") == 1 and failing.log.count("GET") == 0
