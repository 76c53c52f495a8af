"""The ``intacct`` command: query, look up and call the gateway from a shell.

::

    intacct query EMPLOYEE --fields RECORDNO,EMPLOYEEID --where "STATUS = 'T'" --format csv
    intacct lookup TIMESHEET
    intacct call function.xml
    intacct emulator ...          (provided by intacct_sdk.testing)

Credentials come from the ``INTACCT_*`` environment variables and the credentials profile
(``--profile`` or ``INTACCT_PROFILE``); ``--endpoint`` overrides the URL. The API user's time
zone and date format come from ``--timezone`` / ``--date-format``, else ``INTACCT_TIMEZONE`` /
``INTACCT_DATE_FORMAT``, else the profile's ``timezone`` / ``date_format`` keys
(``--timezone discover`` reads them from Intacct: two more requests).

``query`` with ``--fields`` and no ``--where`` runs the ``query`` function: pages of up to
2,000 records (the gateway's largest), ordered by ``RECORDNO`` where the object has one (a
stable walk by offset), with ``--prefetch`` pages (default 2) requested while one is written,
so a walk to the end costs the login and one request per 2,000 records. Without ``--fields``,
or with ``--where``, it uses ``readByQuery`` and follows ``readMore`` to the last page (1,000
records a page at most): the one gateway function that takes a query string and returns every
field when none are named. Values are printed as the gateway sent them (strings), except
that with a time zone or date format set, timestamps and dates print as ISO 8601
(timestamps with the user's UTC offset; GMT fields such as ``AUDITHISTORY.ACCESSTIME`` in
UTC).

Errors print one line on stderr. Exit codes: 0 success, 1 gateway or function failure,
2 usage or configuration error, 130 interrupted.

``query`` writes records as pages arrive. A query that fails on its first page writes
nothing to standard output. One that fails on a later page (or is interrupted) still leaves
valid output: ``--format json`` closes the array after the records already written, so the
output is a complete JSON array, truncated; ``csv`` stops after the last whole row. The
error line on stderr then says how many records were written, and the exit code is not 0:
check it before trusting the output as complete.

Imports are deferred to the command that needs them, so ``intacct --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from intacct_sdk._version import __version__

# Not ``typing.TYPE_CHECKING``: the names below are only annotations, and importing typing
# would add a few milliseconds to ``intacct --help``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, TextIO

    from intacct_sdk._client import Client
    from intacct_sdk.query import OrderBy

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_MAX_CELL = 40


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``intacct`` command."""
    parser = argparse.ArgumentParser(
        prog="intacct",
        description="Talk to Sage Intacct's XML gateway (credentials from INTACCT_* / profile).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--endpoint", help="gateway URL (overrides INTACCT_ENDPOINT_URL)")
    parser.add_argument("--profile", help="credentials profile (default: $INTACCT_PROFILE)")
    parser.add_argument(
        "--api",
        choices=("xml", "rest"),
        default="xml",
        help="xml (default) or rest: the REST API, query only (see docs/rest.md)",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per HTTP request")
    parser.add_argument(
        "--retries", type=int, default=None, help="retries of transient failures (default 3)"
    )
    parser.add_argument(
        "--timezone",
        default=None,
        metavar="ZONE",
        help="the API user's time zone (IANA name, or 'discover'); default: $INTACCT_TIMEZONE",
    )
    parser.add_argument(
        "--date-format",
        default=None,
        metavar="FORMAT",
        help="the API user's date format (/mdY, /dmY, .dmY, --date-format=-Ymd, ...); "
        "default: $INTACCT_DATE_FORMAT",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv: wire, redacted)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    query = commands.add_parser("query", help="list records of an object (every page)")
    query.add_argument("object", metavar="OBJECT")
    query.add_argument("--fields", help="comma-separated field names (default: all)")
    query.add_argument(
        "--where",
        default="",
        help="readByQuery condition, e.g. \"STATUS = 'T'\" (then readByQuery is used)",
    )
    query.add_argument(
        "--format",
        choices=("json", "csv", "table"),
        default="json",
        help="json (default), csv or table. When a later page fails, the output holds the "
        "records read before it (json: a complete, truncated array) and the exit code is 1",
    )
    query.add_argument(
        "--page-size",
        type=_page_size,
        default=None,
        help="records per request: 1-2000 for query (default 2000), 1-1000 for readByQuery "
        "(default 1000)",
    )
    query.add_argument(
        "--prefetch",
        type=_prefetch,
        default=2,
        help="query pages requested ahead of the one being written, 0-8 (default 2)",
    )

    lookup = commands.add_parser("lookup", help="print an object's definition as JSON")
    lookup.add_argument("object", metavar="OBJECT")

    call = commands.add_parser("call", help="run one raw function from an XML file ('-': stdin)")
    call.add_argument("file", metavar="FILE.xml")
    call.add_argument(
        "--read-only", action="store_true", help="the function changes nothing (safe to retry)"
    )

    commands.add_parser(
        "emulator", help="run the gateway emulator (see 'intacct emulator --help')", add_help=False
    )
    return parser


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= 2000:
        raise argparse.ArgumentTypeError("page size must be between 1 and 2000")
    return value


def _prefetch(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 8:
        raise argparse.ArgumentTypeError("prefetch must be between 0 and 8")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, _ = parser.parse_known_args(argv)
    if args.command == "emulator":
        # Everything after the word belongs to the emulator's own parser.
        return _emulator(argv[argv.index("emulator") + 1 :])
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    from intacct_sdk._errors import ConfigurationError, IntacctError, with_hint

    try:
        if args.api == "rest":
            from intacct_sdk.rest._cli import rest_command

            rest_command(args, sys.stdout)
            return EXIT_OK
        with _client(args) as client:
            if args.command == "query":
                _query(client, args, sys.stdout)
            elif args.command == "lookup":
                _print_json(client.lookup(args.object), sys.stdout)
            else:
                _call(client, args, sys.stdout)
    except ConfigurationError as exc:
        return _fail(f"configuration error: {exc}", EXIT_USAGE)
    except IntacctError as exc:
        line = f"{type(exc).__name__}: {exc}"
        hint = _hint(exc)
        line = with_hint(line, hint) if hint else line
        written = getattr(args, "written", None)
        if written is not None:
            line = with_hint(line, _truncated(written, args.format))
        return _fail(line, EXIT_FAILURE)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        return _fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}", EXIT_USAGE)
    except KeyboardInterrupt:
        written = getattr(args, "written", None)
        if written is not None:
            return _fail(f"interrupted; {_truncated(written, args.format)}", EXIT_INTERRUPTED)
        return _fail("interrupted", EXIT_INTERRUPTED)
    return EXIT_OK


def _truncated(written: int, fmt: str) -> str:
    """What a query's output holds when it stopped after ``written`` records."""
    shape = "a complete JSON array" if fmt == "json" else "whole rows"
    return f"the output is truncated: it holds the {written} records read before ({shape})"


def _hint(exc: Exception) -> str:
    """What an operator can do about a failure the message alone does not say how to fix."""
    from intacct_sdk._errors import (
        AuthenticationError,
        MalformedResponseError,
        RequestNotSentError,
        ResponseLostError,
        SessionExpiredError,
    )

    # Authentication errors already say what to check; the command adds where it reads it.
    if isinstance(exc, SessionExpiredError):
        return (
            "the session id comes from INTACCT_SESSION_ID or the profile, the user login from "
            "INTACCT_COMPANY_ID, INTACCT_USER_ID and INTACCT_USER_PASSWORD"
        )
    if isinstance(exc, AuthenticationError):
        return (
            "the command reads them from INTACCT_SENDER_ID, INTACCT_SENDER_PASSWORD, "
            "INTACCT_COMPANY_ID, INTACCT_USER_ID, INTACCT_USER_PASSWORD, INTACCT_ENTITY_ID "
            "or the profile"
        )
    if isinstance(exc, RequestNotSentError):
        return "check the endpoint (--endpoint or INTACCT_ENDPOINT_URL) and the network"
    if isinstance(exc, MalformedResponseError):
        return "check that the endpoint (--endpoint or INTACCT_ENDPOINT_URL) is the XML gateway"
    if isinstance(exc, ResponseLostError):
        return "the function may have run; check before running it again"
    return ""


def _fail(message: str, code: int) -> int:
    print(f"intacct: {' '.join(message.split())}", file=sys.stderr)
    return code


def _broken_pipe() -> int:
    # The reader went away (``| head``): stop quietly, and keep Python from complaining
    # again when it flushes stdout at exit.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def _configure_logging(verbose: int) -> None:
    if not verbose:
        return
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("intacct_sdk")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def _client(args: argparse.Namespace) -> Client:
    from intacct_sdk._client import Client
    from intacct_sdk._config import ClientOptions, Credentials, format_settings
    from intacct_sdk._errors import ConfigurationError
    from intacct_sdk._retry import RetryPolicy

    credentials = Credentials.resolve(profile=args.profile, endpoint_url=args.endpoint)
    formats = format_settings(profile=args.profile)
    for key in ("timezone", "date_format"):
        if getattr(args, key, None):
            formats[key] = getattr(args, key)
    args.iso_times = bool(formats)  # print timestamps and dates as ISO 8601
    options = ClientOptions(typed=False, **formats)  # type: ignore[arg-type]
    if args.timeout is not None:
        options = options.merge({"timeout": args.timeout})
    if args.retries is not None:
        if args.retries < 0:
            raise ConfigurationError("--retries must not be negative")
        options = options.merge({"retry": RetryPolicy(attempts=args.retries + 1)})
    return Client(credentials, options=options)


def _pages(client: Client, args: argparse.Namespace) -> Iterator[list[dict[str, Any]]]:
    """The query's records, a page at a time, as they arrive."""
    from operator import attrgetter

    from intacct_sdk._errors import ConfigurationError

    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    if fields and not args.where:
        pages = client.query_pages(
            args.object,
            fields,
            order_by=_stable_order(args.object),
            page_size=args.page_size or 2000,
            prefetch=args.prefetch,
        )
    else:
        if args.page_size is not None and args.page_size > 1000:
            raise ConfigurationError(
                "--page-size must be between 1 and 1000 with --where or without --fields "
                "(readByQuery)"
            )
        pages = client.read_by_query_pages(
            args.object, args.where, fields=fields, page_size=args.page_size or 1000
        )
    records = map(attrgetter("records"), pages)
    if not getattr(args, "iso_times", False):
        return records
    convert = _iso_times(client, args.object)
    return ([convert(r) for r in page] for page in records)


def _stable_order(object_name: str) -> list[OrderBy]:
    """``RECORDNO`` ascending where the object has it: offset pages then neither skip nor
    repeat a record that stays put."""
    from intacct_sdk import schema

    info = schema.get_schema(object_name)
    if info is not None and "RECORDNO" in info.fields:
        return [("RECORDNO", "asc")]
    return []


def _records(client: Client, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    from itertools import chain

    return chain.from_iterable(_pages(client, args))


def _iso_times(client: Client, object_name: str) -> Any:
    """A function giving a record with its timestamps and dates in ISO 8601."""
    from intacct_sdk import schema
    from intacct_sdk._values import converters

    fmt = client.value_format()
    info = schema.get_schema(object_name)
    table = converters(object_name.upper(), fmt.timezone, fmt.date_format)
    temporal = {
        name: table[name]
        for name, f in (info.fields.items() if info is not None else ())
        if f.datatype in ("DATE", "TIMESTAMP") and name in table
    }

    def convert(record: dict[str, Any]) -> dict[str, Any]:
        for name, conv in temporal.items():
            text = record.get(name)
            if text:
                value = conv(text)
                record[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return record

    return convert


def _query(client: Client, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        _write_json_array(_pages(client, args), out, args)
    elif args.format == "csv":
        fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
        _write_csv(_records(client, args), fields, out, args)
    else:
        _write_table(list(_records(client, args)), out)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _write_json_array(
    pages: Iterator[list[dict[str, Any]]], out: TextIO, args: argparse.Namespace | None = None
) -> None:
    """One JSON array, written page by page as pages arrive (never held in memory).

    The array is always closed: when a later page fails (or the command is interrupted),
    the records written so far end it, and ``args.written`` tells :func:`main` to say the
    output is truncated. Each page is serialised whole before any of it is written.
    """
    import json

    encode = json.JSONEncoder(default=_json_default, ensure_ascii=False).encode
    # The first page is fetched before anything is written, so a failing query (bad
    # credentials, object, field or --where) leaves standard output empty.
    first: list[dict[str, Any]] = []
    for page in pages:
        if page:
            first = page
            break
    if not first:
        out.write("[]\n")
        out.flush()
        return
    out.write("[\n" + ",\n".join(map(encode, first)))
    written = len(first)
    try:
        for page in pages:
            if page:
                out.write(",\n" + ",\n".join(map(encode, page)))
                written += len(page)
    except BaseException:
        if args is not None:
            args.written = written
        _close(out, "\n]\n")
        raise
    out.write("\n]\n")
    out.flush()


def _close(out: TextIO, tail: str) -> None:
    """Write ``tail`` and flush, on the way out of a failure (a closed pipe is ignored)."""
    try:
        out.write(tail)
        out.flush()
    except OSError:
        pass


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, default=_json_default, ensure_ascii=False)
    return str(value)


def _write_csv(
    records: Iterator[dict[str, Any]],
    fields: list[str] | None,
    out: TextIO,
    args: argparse.Namespace | None = None,
) -> None:
    """CSV rows as pages arrive; a failure after the first row leaves whole rows only
    (``args.written`` counts them for :func:`main`)."""
    import csv

    writer: Any = None
    written = 0
    try:
        for record in records:
            if writer is None:
                columns = fields or list(record)
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(columns)
            writer.writerow([_cell(record.get(c)) for c in columns])
            written += 1
    except BaseException:
        if args is not None and writer is not None:
            args.written = written
        _close(out, "")
        raise
    if writer is None and fields:
        csv.writer(out, lineterminator="\n").writerow(fields)
    out.flush()


def _write_table(records: list[dict[str, Any]], out: TextIO) -> None:
    """An aligned text table, for a screenful of records (it needs them all for widths)."""
    if not records:
        out.write("(no records)\n")
        return
    columns: list[str] = []
    for record in records:
        columns.extend(k for k in record if k not in columns)
    rows = [[_cell(r.get(c)).replace("\n", " ")[:_MAX_CELL] for c in columns] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} records)\n")


def _print_json(value: Any, out: TextIO) -> None:
    import json

    out.write(json.dumps(value, default=_json_default, indent=2, ensure_ascii=False) + "\n")


def _call(client: Client, args: argparse.Namespace, out: TextIO) -> None:
    from intacct_sdk._errors import ConfigurationError

    if args.file == "-":
        xml = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8") as fh:
            xml = fh.read()
    if not xml.strip():
        raise ConfigurationError(f"{args.file} is empty")
    result = client.call(xml, is_write=not args.read_only)
    _print_json(result.data, out)


def _emulator(rest: list[str]) -> int:
    import importlib

    try:
        emulator_cli: Any = importlib.import_module("intacct_sdk.testing._cli")
    except ImportError as exc:
        if exc.name not in ("intacct_sdk.testing._cli", "intacct_sdk.testing"):
            raise
        return _fail(
            "the emulator is not available in this installation "
            "(module intacct_sdk.testing._cli is missing)",
            EXIT_USAGE,
        )
    parser = argparse.ArgumentParser(prog="intacct")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    emulator_cli.register(subparsers)
    args = parser.parse_args(["emulator", *rest])
    return int(emulator_cli.run(args))


if __name__ == "__main__":
    sys.exit(main())
