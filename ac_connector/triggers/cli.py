"""``ac-connector workflow enable | disable | poll``: a workflow's webhook or poll trigger from the command line.

``enable FILE --public-url URL`` registers the webhook (pointing at the service, which must be running
with the same ``AC_CONNECTOR_HOME`` to receive it) or records the poll trigger; ``disable`` removes it.
``poll`` runs the poll triggers in the foreground (``--once``: one pass) for machines without a service.
"""

from __future__ import annotations

import argparse
import os
import threading
from typing import Any

PUBLIC_URL_ENV = "AC_CONNECTOR_PUBLIC_URL"


def _context(args: argparse.Namespace) -> Any:
    from ..cli import _connector
    from ..workflow_cli import _resolver, _runs
    from .runtime import TriggerContext

    connector = _connector(args)
    return TriggerContext(connector, _runs(), _resolver(connector))


def _workflow_name(target: str) -> str:
    """A workflow file's name, or the argument itself when it is not a file."""
    from ..workflows import load_workflow

    return load_workflow(target).name if os.path.isfile(target) else target


def cmd_enable(args: argparse.Namespace) -> int:
    from ..cli import _print
    from ..workflows import check_workflow, load_workflow, read_document
    from ..workflows.document import WorkflowInvalid

    context = _context(args)
    document = read_document(args.file)
    checked = check_workflow(context.connector, document)
    if not checked.ok:
        raise WorkflowInvalid(checked.errors, checked.warnings)
    _print(context.enable(load_workflow(document), args.public_url or os.environ.get(PUBLIC_URL_ENV)))
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from ..cli import _print

    _print(_context(args).disable(_workflow_name(args.workflow)))
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from ..cli import _print

    context = _context(args)
    records = context.triggers.triggers("poll")
    if args.workflow:
        name = _workflow_name(args.workflow)
        records = [r for r in records if r.workflow_name == name]
    if args.once:
        _print({r.workflow_name: context.poll_once(r.id) for r in records})
        return 0
    context.start_pollers()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        context.stop()
    return 0


def add_trigger_commands(commands: Any) -> None:
    """Add enable, disable and poll to ``workflow``'s subcommands."""
    enable = commands.add_parser("enable", help="enable a workflow's webhook or poll trigger")
    enable.add_argument("file", help="the workflow document")
    enable.add_argument(
        "--public-url", help=f"the service's base URL as ActiveCampaign reaches it (or {PUBLIC_URL_ENV}); webhook triggers only"
    )
    enable.set_defaults(func=cmd_enable)
    disable = commands.add_parser("disable", help="disable a workflow's trigger and remove its webhook")
    disable.add_argument("workflow", help="the workflow document, or its name")
    disable.set_defaults(func=cmd_disable)
    poll = commands.add_parser("poll", help="run the enabled poll triggers in the foreground")
    poll.add_argument("workflow", nargs="?", help="only this workflow (file or name)")
    poll.add_argument("--once", action="store_true", help="one pass, then exit")
    poll.set_defaults(func=cmd_poll)
