"""The demo runs the example workflows through the runner; the examples run from the CLI as documented."""

from __future__ import annotations

import json

import pytest

from ac_connector.cli import main
from ac_connector.demo import examples_dir
from ac_connector.workflows import check_workflow, read_document


def test_the_demo_runs_both_examples_and_resumes_the_second(capsys):
    code = main(["demo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(" ok ") >= 7 and out.count("reused") >= 2
    assert "Resume without --retry-unknown is refused" in out
    assert "Requests the resume sent: ['POST /api/3/deals', 'POST /api/3/dealTasks']" in out
    assert "Demo finished" in out


@pytest.mark.parametrize("name", ["new-lead", "quote-follow-up"])
def test_examples_pass_the_check_and_run_from_the_cli(
    name, connector, tmp_path, monkeypatch, capsys, sandbox_server, sandbox, api_key, run
):
    path = examples_dir() / f"{name}.json"
    assert check_workflow(connector, read_document(path)).to_dict() == {"ok": True, "errors": [], "warnings": []}
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AC_CONNECTOR_STORE", raising=False)
    assert main(["auth", "add", "Sandbox", "--url", sandbox_server.url, "--api-key", api_key]) == 0
    capsys.readouterr()
    code = main(["workflow", "run", str(path), "--input", f"@{examples_dir() / (name + '.input.json')}", "--json"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and events[-1]["status"] == "succeeded"
    outputs = {e["step"]: e["output"] for e in events if e["event"] == "step_finished"}
    deal = run("get_deal", {"deal_id": outputs["deal"]["deal"]["id"]})
    assert deal["deal"]["contact"] == outputs["contact"]["contact"]["id"]
