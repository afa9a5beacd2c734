"""A message the broker lost: the run is in the store, no task carries it. A worker's sweep finds it."""

from __future__ import annotations

from ac_connector.workflows import prepare_run
from ac_connector.workflows.stepwise import run_step
from tests.helpers.workload import lead_workflow, store_rows, wait_until_settled


def test_runs_whose_messages_were_lost_are_finished_by_the_sweep(fleet, connector):
    # What a lost message leaves behind: recorded runs (one untouched, one stopped after two steps run
    # here in-process), and no task for them anywhere.
    untouched_flow, data = prepare_run(connector, lead_workflow(fleet.accounts[0]), {"email": "lost@example.com"})
    untouched = fleet.runs.create_run(untouched_flow, data)
    halfway_flow, data = prepare_run(connector, lead_workflow(fleet.accounts[1]), {"email": "half@example.com"})
    halfway = fleet.runs.create_run(halfway_flow, data)
    auths = {
        fleet.accounts[1]: connector.authentication(
            {"api_url": fleet.sandboxes_urls[1], "api_key": fleet.api_key}, name=fleet.accounts[1]
        )
    }
    for index in (0, 1):
        assert run_step(connector, fleet.runs, halfway, index, authentications=auths.get).status == "succeeded"
    posts_before = fleet.sandboxes[1].log.count("POST", "/api/3/contacts")

    worker = fleet.start_worker("sweeper", concurrency=4, AC_CONNECTOR_RECOVER_AFTER="2")
    wait_until_settled(fleet.store_url, [untouched, halfway], timeout=60)
    rows = store_rows(fleet.store_url, [untouched, halfway])
    assert [s for _, _, s in rows[untouched]["steps"]] == ["succeeded"] * 5
    assert [s for _, _, s in rows[halfway]["steps"]] == ["succeeded"] * 5
    assert fleet.sandboxes[1].log.count("POST", "/api/3/contacts") == posts_before == 1  # step 0 not sent again
    assert fleet.sandboxes[0].log.count("POST", "/api/3/contacts") == 1
    assert worker.log().count("recovery: run") >= 2
