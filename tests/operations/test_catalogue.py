"""The catalogue: every listed operation exists, every example runs, the docs match the specs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.loader import load_connector
from tests.conftest import ROOT

SPEC = load_connector(ROOT)
# The reference connector's operation ids, extracted by scripts/openapi_facts.py (the reference folder is not read).
REFERENCE = ROOT / "tests" / "data" / "reference-operations.txt"


def test_every_operation_of_the_reference_list_exists():
    listed = set(REFERENCE.read_text(encoding="utf-8").split())
    assert len(listed) == 59
    assert listed - set(SPEC.operations) == set()


EXAMPLES = [(op.name, i) for op in SPEC.operations.values() for i, _ in enumerate(op.examples)]


def test_every_operation_has_an_example():
    assert {name for name, _ in EXAMPLES} == set(SPEC.operations)


@pytest.mark.parametrize(("operation", "index"), EXAMPLES, ids=[f"{n}-{i}" for n, i in EXAMPLES])
def test_every_example_runs_against_the_seeded_sandbox(run, operation, index):
    output = run(operation, SPEC.operations[operation].examples[index]["input"])
    assert output is not None


def test_operations_doc_is_up_to_date():
    current = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, 'scripts'); import operations_doc; print(operations_doc.render(), end='')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert current == fresh, "run: python scripts/operations_doc.py"


def test_readme_lists_every_operation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in SPEC.operations if f"`{name}`" not in readme] == []
