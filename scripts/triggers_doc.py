"""Write the README's trigger tables from the data (ac_connector/triggers/events.yaml and polls.yaml).

Run: python scripts/triggers_doc.py  (a test checks the README is up to date). Only the text between
the two markers is replaced.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ac_connector.triggers.catalog import sources, webhook_events  # noqa: E402
from ac_connector.triggers.polling import poll_specs  # noqa: E402

README = ROOT / "README.md"
START, END = "<!-- triggers-table:start -->", "<!-- triggers-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [START, "", "| ActiveCampaign event | title | what happened | list filter |", "|---|---|---|---|"]
    for event in sorted(webhook_events().values(), key=lambda e: e.name):
        lines.append(
            f"| `{event.name}` | {_cell(event.title)} | {_cell(event.description)} | {'yes' if event.list_filter else 'no'} |"
        )
    lines += ["", "| source | title | meaning |", "|---|---|---|"]
    for name, source in sources().items():
        lines.append(f"| `{name}` | {_cell(source['title'])} | {_cell(source['description'])} |")
    lines += ["", "| polling trigger | title | what happened | parameter |", "|---|---|---|---|"]
    for spec in poll_specs().values():
        lines.append(
            f"| `{spec.name}` | {_cell(spec.title)} | {_cell(spec.description)} | "
            f"{f'`{spec.parameter}`' if spec.parameter else ''} |"
        )
    return "\n".join([*lines, "", END])


def updated(readme: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + render() + tail


if __name__ == "__main__":
    README.write_text(updated(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the trigger tables in {README.relative_to(ROOT)}")
