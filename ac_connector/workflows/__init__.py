"""Workflows: ordered steps whose inputs reference the trigger's data and earlier steps' outputs.

Above the engine and generic over ``engine.runtime.Connector``: a document (``document.py``, schema in
``workflow.schema.json``), references (``references.py``), the static check (``check.py``), the runner
with resume (``runner.py``) and the run store (``runs.py``).
"""

from .check import CheckResult, check_workflow
from .document import Step, Workflow, WorkflowInvalid, load_workflow, parse_workflow, read_document, workflow_schema
from .runner import RunNotResumable, aresume_run, arun_workflow, prepare_run, resume_run, run_workflow
from .runs import RunNotFound, RunRecord, RunStore, StepRecord, WorkflowNotFound, register_backend

__all__ = [
    "CheckResult",
    "RunNotFound",
    "RunNotResumable",
    "RunRecord",
    "RunStore",
    "Step",
    "StepRecord",
    "Workflow",
    "WorkflowInvalid",
    "WorkflowNotFound",
    "arun_workflow",
    "aresume_run",
    "check_workflow",
    "load_workflow",
    "parse_workflow",
    "prepare_run",
    "read_document",
    "register_backend",
    "resume_run",
    "run_workflow",
    "workflow_schema",
]
