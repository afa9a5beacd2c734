"""Write docs/operations.md from the specs: every operation with its description and one example.

Run: python scripts/operations_doc.py  (a test checks the file is up to date)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.loader import load_connector  # noqa: E402

TARGET = ROOT / "docs" / "operations.md"


def render() -> str:
    spec = load_connector(ROOT)
    groups: dict[str, list] = {}
    for op in sorted(spec.operations.values(), key=lambda o: o.name):
        groups.setdefault(op.group or "Other", []).append(op)
    lines = [
        "# Operations",
        "",
        f"{len(spec.operations)} operations, generated from `operations/*.yaml` by "
        "`python scripts/operations_doc.py`. Each example runs with",
        "`ac-connector run NAME --input 'JSON'`; a test runs every example against the sandbox.",
        "",
    ]
    for group in sorted(groups):
        lines += [f"## {group}", ""]
        for op in groups[group]:
            kind = " (dropdown)" if op.kind == "ddl" else ""
            lines.append(f"### `{op.name}`: {op.title}{kind}")
            lines.append("")
            lines.append(" ".join(op.description.split()))
            lines.append("")
            if op.examples:
                example = json.dumps(op.examples[0]["input"], ensure_ascii=False)
                lines.append(f"```bash\nac-connector run {op.name} --input '{example}'\n```")
                lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
