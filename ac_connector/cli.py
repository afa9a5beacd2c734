"""``ac-connector``: the command line. Results as JSON on stdout; failures as JSON on stderr, non-zero exit.

No traceback ever reaches the user: every failure becomes ``{"error": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine import jsonlimits
from engine.errors import ConnectorError, SpecError, ValidationError

from . import load
from .errors import ConfigurationError
from .paths import connector_root

EXIT_FAILURE, EXIT_INVALID = 1, 2


def _print(data: Any) -> None:
    from .jsonout import write_document

    sys.stdout.flush()
    write_document(sys.stdout.buffer, data)


def _fail(error: dict[str, Any], code: int = EXIT_FAILURE) -> int:
    from .jsonout import dumps

    sys.stderr.flush()
    sys.stderr.buffer.write(dumps({"error": error}, indent=True) + b"\n")
    sys.stderr.flush()
    return code


def _connector(args: argparse.Namespace):
    return load(allow_loopback=True)


def _store(connector):
    from .store import AuthStore

    auth = connector.spec.auth
    return AuthStore(secret_fields=auth.secret_fields, url_field=auth.url_field)


def _authentication(connector, name: str | None):
    """A stored authentication by name, or AC_API_URL + AC_API_KEY for one-off runs."""
    auth = connector.spec.auth
    if name:
        return connector.authentication(_store(connector).fields(name), name=name)
    url, key = os.environ.get("AC_API_URL"), os.environ.get("AC_API_KEY")
    if url and key:
        secret_field = next(iter(sorted(auth.secret_fields)))
        return connector.authentication({auth.url_field: url, secret_field: key}, name="environment")
    stored = _store(connector).list()
    if len(stored) == 1:
        return connector.authentication(_store(connector).fields(stored[0].name), name=stored[0].name)
    from engine.errors import AuthenticationMissing

    raise AuthenticationMissing(
        "no authentication: pass --auth NAME (see `ac-connector auth list`) or set AC_API_URL and AC_API_KEY"
    )


def _bad_input(keyword: str, message: str) -> ValidationError:
    return ValidationError([{"pointer": "/", "keyword": keyword, "message": message}])


def _decoded(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_input(
            "encoding", f"{where} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}); save it as UTF-8"
        ) from None


def _read_file(name: str) -> str:
    path = Path(name)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _bad_input("file", f"--input @{name}: no such file") from None
    except IsADirectoryError:
        raise _bad_input("file", f"--input @{name} is a folder, not a file") from None
    except OSError as exc:
        raise _bad_input("file", f"--input @{name} cannot be read ({exc.strerror or type(exc).__name__})") from None
    return _decoded(raw, f"--input @{name}")


def _read_input(text: str | None) -> Any:
    if text is None:
        return {}
    if text == "-":
        stream = getattr(sys.stdin, "buffer", None)  # a text stream without bytes underneath: read it as text
        text = _decoded(stream.read(), "standard input") if stream is not None else sys.stdin.read()
    elif text.startswith("@"):
        text = _read_file(text[1:])
    try:
        return jsonlimits.loads(text)
    except jsonlimits.JsonLimitError as exc:
        raise _bad_input(exc.rule, f"the input cannot be used: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _bad_input("json", f"the input is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise _bad_input("json", f"the input cannot be read as JSON: {str(exc)[:200]}") from None


# -- commands ----------------------------------------------------------------------------------
def cmd_operations(args: argparse.Namespace) -> int:
    manifest = _connector(args).manifest()
    if args.json:
        _print(manifest["operations"])
    else:
        width = max(len(o["name"]) for o in manifest["operations"])
        for o in manifest["operations"]:
            sys.stdout.write(f"{o['name']:<{width}}  {o['title']}\n")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    _print(_connector(args).describe(args.operation))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from engine.loader import load_connector

    root = Path(args.root) if args.root else connector_root()
    try:
        spec = load_connector(root)
    except SpecError as exc:
        return _fail({"type": "spec", "message": f"{len(exc.problems)} problem(s)", "problems": exc.problems})
    sys.stdout.write(f"ok: {len(spec.operations)} operations in {root}\n")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    connector = _connector(args)
    data = _read_input(args.input)
    connector.validate_input(args.operation, data)  # fail on bad input before touching the store
    auth = _authentication(connector, args.auth)
    if _streams(connector.operation(args.operation)):
        return _run_listing(connector, args, data, auth)
    if args.jsonl:
        return _fail({"type": "validation", "message": f"--jsonl is for listings; {args.operation} is not one"}, EXIT_INVALID)
    _print(connector.run(args.operation, data, auth))
    return 0


def _streams(op: Any) -> bool:
    """Listings of plain records are written as they arrive (dropdowns and sideloaded listings are small)."""
    return op.pagination is not None and op.kind != "ddl" and not op.pagination.sideloads


_ITEMS = object()  # stands for the records in a listing's output while they are written out


def _run_listing(connector: Any, args: argparse.Namespace, data: Any, auth: Any) -> int:
    """Write a listing's records as pages arrive: flat memory however many there are.

    ``--jsonl``: one record a line on stdout, and the other output fields (total, has_more, ...) as one
    line on stderr. Otherwise the same JSON document as ``run`` (the records' list first).
    """
    from .jsonout import DocumentWriter, dumps, write_lines

    listing = connector.run_streamed(args.operation, data, auth)
    out = sys.stdout.buffer
    sys.stdout.flush()
    if args.jsonl:
        for page in listing:
            write_lines(out, page)
            out.flush()
        rest = {k: v for k, v in listing.output(_ITEMS).items() if v is not _ITEMS}
        sys.stderr.buffer.write(dumps({"summary": rest}) + b"\n")
    else:
        shape = _items_key(connector, args.operation)
        writer = None
        for page in listing:
            if writer is None:
                writer = DocumentWriter(out, shape)
            writer.add(page)
        if writer is None:
            writer = DocumentWriter(out, shape)
        writer.close({k: v for k, v in listing.output(_ITEMS).items() if v is not _ITEMS})
    _say_if_stopped_early(listing.result, data)
    return 0


def _items_key(connector: Any, operation: str) -> str:
    """The output field that holds a listing's records (``contacts`` for list_contacts)."""
    from engine.templating import iter_templates

    op = connector.operation(operation)
    for key, value in (op.output or {}).items():
        if any(u.root == "result" and u.attr == "items" for t in iter_templates(value) for u in t.uses):
            return str(key)
    return "items"


def _say_if_stopped_early(result: Any, data: Any) -> None:
    if result is not None and result.has_more and isinstance(data, dict) and data.get("return_all"):
        where = f"; carry on with offset {result.next_offset}" if result.next_offset is not None else ""
        sys.stderr.write(f"note: stopped after {result.count} records (max_items); more remain{where}\n")


def cmd_import_contacts(args: argparse.Namespace) -> int:
    """One JSON line per contact out, as each chunk finishes; a summary on stderr."""
    from .bulk_import import import_lines

    connector = _connector(args)
    auth = _authentication(connector, args.auth)
    counts = {True: 0, False: 0}
    source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        for report in import_lines(connector, auth, source, chunk=args.chunk):
            counts[bool(report["accepted"])] += 1
            sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
    sys.stderr.write(f"accepted {counts[True]}, refused {counts[False]}\n")
    return 0


def cmd_auth_add(args: argparse.Namespace) -> int:
    connector = _connector(args)
    key = args.api_key or os.environ.get("AC_API_KEY")
    if not key:
        if not sys.stdin.isatty():
            return _fail(
                {
                    "type": "validation",
                    "message": "no API key: pass --api-key, set AC_API_KEY, or run in a terminal to be asked for it",
                },
                EXIT_INVALID,
            )
        import getpass

        key = getpass.getpass("API key: ")
    spec = connector.spec.auth
    secret_field = next(iter(sorted(spec.secret_fields)))
    checked = connector.authentication({spec.url_field: args.url, secret_field: key}, name=args.name)
    fields = {spec.url_field: checked.base_url_origin, secret_field: key}
    stored = _store(connector).add(
        args.name, "organisational" if args.organisational else "personal", fields, replace=args.replace
    )
    _print(stored.public())
    return 0


def cmd_auth_list(args: argparse.Namespace) -> int:
    _print([a.public() for a in _store(_connector(args)).list()])
    return 0


def cmd_auth_remove(args: argparse.Namespace) -> int:
    _store(_connector(args)).remove(args.name)
    _print({"removed": args.name})
    return 0


def cmd_auth_test(args: argparse.Namespace) -> int:
    from .authtest import explain

    connector = _connector(args)
    auth = _authentication(connector, args.name)
    result = explain(connector, auth)
    if result["ok"]:
        _print(result)
        return 0
    return _fail(result["error"])


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.__main__ import main as sandbox_main

    argv = ["--host", args.host, "--port", str(args.port)]
    if args.api_key:
        argv += ["--api-key", args.api_key]
    if args.rate_limit:
        argv += ["--rate-limit", args.rate_limit]
    try:
        return sandbox_main(argv) or 0
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        raise ConfigurationError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or type(exc).__name__}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .service.server import serve
    except ImportError:
        return _fail({"type": "unavailable", "message": "the HTTP service is not part of this build"})
    return (
        serve(
            host=args.host,
            port=args.port,
            allow_loopback=args.allow_loopback,
            token=args.token,
            offer_sandbox=not args.no_sandbox,
        )
        or 0
    )


def _port(text: str) -> int:
    """A TCP port (0 for any free one); argparse turns the error into a usage message and exit 2."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def build_parser(workflows: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ac-connector", description="ActiveCampaign connector for workflow engines")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    add("operations", cmd_operations, "list the operations").add_argument("--json", action="store_true")
    add("describe", cmd_describe, "describe one operation as JSON").add_argument("operation")
    add("check", cmd_check, "load and check every spec, reporting every problem").add_argument("--root")
    run = add("run", cmd_run, "run an operation")
    run.add_argument("operation")
    run.add_argument("--input", help="JSON, @file or - for standard input")
    run.add_argument("--auth", help="name of a stored authentication")
    run.add_argument(
        "--jsonl", action="store_true", help="listings: one record a line as pages arrive (other output fields on stderr)"
    )

    imp = add(
        "import-contacts",
        cmd_import_contacts,
        "bulk import contacts from a JSON-lines file (one contact object a line), in flat memory",
    )
    imp.add_argument("file", help="the JSON-lines file, or - for standard input")
    imp.add_argument("--auth", help="name of a stored authentication")
    imp.add_argument("--chunk", type=int, default=1000, help="contacts per bulk_import_contacts call (default 1000)")
    auth = sub.add_parser("auth", help="manage stored authentications").add_subparsers(dest="auth_command", required=True)
    a = auth.add_parser("add", help="store an authentication")
    a.add_argument("name")
    a.add_argument("--url", required=True, help="the account's API URL")
    a.add_argument("--organisational", action="store_true", help="an organisational (shared) authentication")
    a.add_argument("--api-key", help="the API key (else AC_API_KEY, else a hidden prompt)")
    a.add_argument("--replace", action="store_true", help="replace an authentication of the same name")
    a.set_defaults(func=cmd_auth_add)
    auth.add_parser("list", help="list stored authentications (no keys)").set_defaults(func=cmd_auth_list)
    t = auth.add_parser("test", help="check that the URL and the key work")
    t.add_argument("name", nargs="?")
    t.set_defaults(func=cmd_auth_test)
    r = auth.add_parser("remove", help="forget an authentication")
    r.add_argument("name")
    r.set_defaults(func=cmd_auth_remove)

    sb = add("sandbox", cmd_sandbox, "run the local ActiveCampaign-compatible sandbox in the foreground")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=_port, default=8765)
    sb.add_argument("--api-key")
    sb.add_argument("--rate-limit", help="requests per second the sandbox allows, or 'off' (default 5)")
    add("demo", cmd_demo, "run the example workflows against a fresh sandbox")
    if workflows:
        from .workflow_cli import add_commands as add_workflow_commands

        add_workflow_commands(sub)
    else:  # named in --help; main() builds the real one only when `workflow` is the command (it imports the runner)
        sub.add_parser("workflow", help="check, run and resume workflows; list and show runs")
    serve = add("serve", cmd_serve, "serve the builder page and the JSON API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080)
    serve.add_argument(
        "--allow-loopback", action="store_true", help="accept authentications pointing at loopback addresses (the sandbox)"
    )
    serve.add_argument("--token", help="access token required from clients (needed off loopback)")
    serve.add_argument(
        "--no-sandbox", action="store_true", help="do not offer the in-memory sandbox account 'Sandbox' (offered by default)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(workflows=words[:1] == ["workflow"]).parse_args(words)
    try:
        return args.func(args)
    except (ValidationError, ConfigurationError) as exc:
        return _fail(exc.to_dict(), EXIT_INVALID)
    except ConnectorError as exc:
        return _fail(exc.to_dict())
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so plainly, never with a traceback or a secret
        return _fail(
            {"type": "internal", "message": f"internal error ({type(exc).__name__}); please report it with the command you ran"}
        )


if __name__ == "__main__":
    sys.exit(main())
