"""``ac-connector workflow ...`` against the sandbox over HTTP, in-process and (for a kill) as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ac_connector.cli import main
from ac_connector.workflows import RunStore

TRIGGER = json.dumps({"email": "cli@example.com", "first_name": "Cleo", "value": 99})


@pytest.fixture
def home(tmp_path, monkeypatch, sandbox_server, api_key):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    for name in ("AC_API_URL", "AC_API_KEY", "AC_CONNECTOR_SECRET_KEY", "AC_CONNECTOR_STORE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["auth", "add", "Sandbox", "--url", sandbox_server.url, "--api-key", api_key]) == 0
    return tmp_path / "home"


@pytest.fixture
def flow_file(tmp_path, four_steps):
    path = tmp_path / "four.json"
    path.write_text(json.dumps(four_steps))
    return path


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_prints_json_events_and_the_account_holds_the_referenced_data(home, capsys, sandbox, flow_file, run):
    code, out, err = cli(capsys, "workflow", "run", str(flow_file), "--input", TRIGGER, "--json")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in events] == ["run_started"] + ["step_started", "step_finished"] * 4 + ["run_finished"]
    finished = {e["step"]: e for e in events if e["event"] == "step_finished"}
    contact_id = finished["contact"]["output"]["contact"]["id"]
    deal = run("get_deal", {"deal_id": finished["deal"]["output"]["deal"]["id"]})
    assert deal["deal"]["contact"] == contact_id and deal["deal"]["title"] == "Deal for cli@example.com"
    assert sandbox.log.count("POST", "/api/3/contactLists") == 1
    assert sandbox.log.matching("POST", "/api/3/contactLists")[0].body["contactList"]["contact"] == contact_id
    # kept: listed and shown by id or prefix
    run_id = events[0]["run_id"]
    code, out, _ = cli(capsys, "workflow", "runs", "--json")
    assert [r["id"] for r in json.loads(out)] == [run_id]
    code, out, _ = cli(capsys, "workflow", "show", run_id[:8])
    shown = json.loads(out)
    assert shown["status"] == "succeeded" and shown["steps"][3]["input"]["deal_id"] == finished["deal"]["output"]["deal"]["id"]


def test_run_on_a_terminal_prints_each_step(home, capsys, sandbox, flow_file):
    code, out, _ = cli(capsys, "workflow", "run", str(flow_file), "--input", TRIGGER)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Run ") and "'Four steps'" in lines[0]
    assert [line.split()[2] for line in lines[1:5]] == ["contact", "subscribe", "deal", "note"]
    assert all(line.split()[0] == "ok" for line in lines[1:5]) and "succeeded" in lines[-1]
    assert "Open a deal (create_deal)" in lines[3]


def test_check_reports_every_bad_reference_and_run_sends_nothing(home, capsys, sandbox, tmp_path, four_steps):
    four_steps["steps"][1]["input"]["contact_id"] = "$.steps.deal.deal.id"
    four_steps["steps"][2]["input"]["contact_id"] = "$.steps.nobody.contact.id"
    four_steps["steps"][3]["input"]["deal_id"] = "$.steps.deal.deal.number"
    path = tmp_path / "bad.yaml"
    import yaml

    path.write_text(yaml.safe_dump(four_steps))
    code, out, _ = cli(capsys, "workflow", "check", str(path))
    assert code == 2
    result = json.loads(out)
    assert [e["pointer"] for e in result["errors"]] == [
        "/steps/1/input/contact_id",
        "/steps/2/input/contact_id",
        "/steps/3/input/deal_id",
    ]
    code, out, err = cli(capsys, "workflow", "run", str(path), "--input", TRIGGER)
    assert code == 2 and out == "" and len(json.loads(err)["error"]["errors"]) == 3
    assert len(sandbox.log) == 0
    with RunStore.open(home=home) as store:
        assert store.list() == []


def test_unknown_authentication_names_are_refused_before_the_run(home, capsys, sandbox, tmp_path, four_steps):
    four_steps["steps"][2]["authentication"] = "Sales team"
    path = tmp_path / "w.json"
    path.write_text(json.dumps(four_steps))
    code, out, _ = cli(capsys, "workflow", "check", str(path))
    assert code == 0 and json.loads(out)["warnings"][0]["pointer"] == "/steps/2/authentication"
    code, _, err = cli(capsys, "workflow", "run", str(path), "--input", TRIGGER)
    assert code == 2 and json.loads(err)["error"]["errors"][0]["pointer"] == "/steps/2/authentication"
    assert len(sandbox.log) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("workflow", "run", "missing.json"),
        ("workflow", "show", "nope"),
        ("workflow", "resume", "0123456789abcdef"),
        ("workflow", "prune"),
        ("workflow", "run", "{flow}", "--input", "{not json"),
        ("workflow", "run", "{flow}", "--input", '{"first_name": "no email"}'),
    ],
)
def test_failures_are_structured(home, capsys, sandbox, flow_file, args):
    code, out, err = cli(capsys, *[a.replace("{flow}", str(flow_file)) for a in args])
    assert code in (1, 2) and out == "" and "Traceback" not in err
    assert json.loads(err)["error"]["type"]
    assert len(sandbox.log) == 0


def test_resume_from_the_cli_reuses_steps_one_and_two(home, capsys, sandbox, flow_file):
    sandbox.faults.add("POST /api/3/deals", statuses=[400])
    code, out, err = cli(capsys, "workflow", "run", str(flow_file), "--input", TRIGGER)
    assert code == 1 and "failed at step 'deal'" in out and "workflow resume" in out
    run_id = json.loads(err)["error"]["run_id"]
    code, out, _ = cli(capsys, "workflow", "runs")
    assert "failed at deal" in out
    before = len(sandbox.log)
    code, out, err = cli(capsys, "workflow", "resume", run_id, "--json")
    assert code == 0, err
    statuses = [(e["step"], e["status"]) for e in map(json.loads, out.splitlines()) if e["event"] == "step_finished"]
    assert statuses == [("contact", "skipped"), ("subscribe", "skipped"), ("deal", "succeeded"), ("note", "succeeded")]
    assert [e.path for e in sandbox.log[before:]][0] == "/api/3/deals" and len(sandbox.log) - before == 2
    assert sandbox.log.count("POST", "/api/3/contacts") == 1 and sandbox.log.count("POST", "/api/3/contactLists") == 1


def test_prune(home, capsys, sandbox, flow_file):
    for _ in range(3):
        assert cli(capsys, "workflow", "run", str(flow_file), "--input", TRIGGER.replace("cli@", f"c{_}@"))[0] == 0
    code, out, _ = cli(capsys, "workflow", "prune", "--keep", "1")
    assert code == 0 and json.loads(out) == {"pruned": 2}
    code, out, _ = cli(capsys, "workflow", "prune", "--older-than", "0")
    assert json.loads(out) == {"pruned": 1}


def test_a_killed_run_resumes_without_resending_steps_one_and_two(home, sandbox, flow_file):
    """A real process killed while step 3 (an unsafe create) waits for its answer."""
    sandbox.faults.add("POST /api/3/deals", delay_headers=3, times=1)
    env = {**os.environ, "AC_CONNECTOR_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ac_connector.cli", "workflow", "run", str(flow_file), "--input", TRIGGER, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        with RunStore.open(home=home) as store:
            while time.monotonic() < deadline:
                runs = store.list()
                if runs and store.get(runs[0].id).steps[2].status == "running":
                    break
                time.sleep(0.05)
            else:
                pytest.fail("step 3 never started")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            run = store.get(runs[0].id)
            assert run.status == "running" and run.interrupted
            assert [s.status for s in run.steps] == ["succeeded", "succeeded", "running", "pending"]
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    out = subprocess.run(
        [sys.executable, "-m", "ac_connector.cli", "workflow", "resume", run.id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and json.loads(out.stderr)["error"]["type"] == "not_resumable"
    assert "--retry-unknown" in json.loads(out.stderr)["error"]["message"]
    out = subprocess.run(
        [sys.executable, "-m", "ac_connector.cli", "workflow", "resume", run.id, "--retry-unknown", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert sandbox.log.count("POST", "/api/3/contacts") == 1
    assert sandbox.log.count("POST", "/api/3/contactLists") == 1
    assert sandbox.log.count("POST", "/api/3/deals/*/notes") == 1


def test_ctrl_c_records_where_the_run_stopped(home, sandbox, flow_file):
    sandbox.faults.add("POST /api/3/deals", delay_headers=3, times=1)
    env = {**os.environ, "AC_CONNECTOR_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ac_connector.cli", "workflow", "run", str(flow_file), "--input", TRIGGER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with RunStore.open(home=home) as store:
        deadline = time.monotonic() + 60
        while not (store.list() and store.get(store.list()[0].id).steps[2].status == "running"):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        run = store.get(store.list()[0].id)
    assert proc.returncode == 130 and "Traceback" not in err
    error = json.loads(err)["error"]
    assert error["type"] == "interrupted" and error["run_id"] == run.id
    assert run.status == "outcome_unknown" and run.stopped_at == "deal" and run.error["type"] == "interrupted"
