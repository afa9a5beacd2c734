"""The dedupe record holds across processes: several processes recording the same events, one wins each."""

from __future__ import annotations

import os
import subprocess
import sys

from ac_connector.triggers.store import TriggerStore, event_key
from ac_connector.workflows import RunStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RECORDER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from ac_connector.triggers.store import TriggerStore, event_key
from ac_connector.workflows import RunStore

store = RunStore.open(sys.argv[2])
triggers = TriggerStore.beside(store)
won = 0
for n in range(40):
    payload = {"type": "update", "contact": {"id": str(n)}}
    if triggers.record_event("t1", event_key("update", f"contact:{n}", "2024-01-01T00:00:00-05:00", payload),
                             "update", payload) is not None:
        won += 1
print(won)
"""


def test_four_processes_record_each_event_once(tmp_path):
    home = tmp_path / "home"
    RunStore.open(home).close()  # tables created once, before the race
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, ROOT, str(home)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in results]
    assert sum(int(out) for out, _ in results) == 40
    with RunStore.open(home) as store:
        events = TriggerStore.beside(store).events("t1")
        assert sorted(int(e.payload["contact"]["id"]) for e in events) == list(range(40))


def test_the_key_is_type_object_date_time_and_content():
    base = {"type": "update", "contact": {"id": "1", "email": "a@example.com"}}
    key = event_key("update", "contact:1", "2024-01-01T00:00:00-05:00", base)
    assert key == event_key("update", "contact:1", "2024-01-01T00:00:00-05:00", dict(reversed(list(base.items()))))
    assert key != event_key("update", "contact:1", "2024-01-01T00:00:01-05:00", base)
    assert key != event_key(
        "update", "contact:1", "2024-01-01T00:00:00-05:00", {**base, "contact": {"id": "1", "email": "b@example.com"}}
    )
    assert key != event_key("subscribe", "contact:1", "2024-01-01T00:00:00-05:00", base)
