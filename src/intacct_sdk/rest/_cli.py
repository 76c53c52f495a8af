"""``intacct --api rest query ...``: the query command over the REST API.

Credentials come from the environment: ``INTACCT_CLIENT_ID`` and ``INTACCT_CLIENT_SECRET`` (the
OAuth client), ``INTACCT_USER_ID`` and ``INTACCT_COMPANY_ID`` (and ``INTACCT_ENTITY_ID``) for
the client-credentials username ``user@company[|entity]``. The API base is
``INTACCT_REST_URL``, else the origin of ``--endpoint`` / ``INTACCT_ENDPOINT_URL`` followed by
``/ia/api/v1``, else Intacct's.
"""

from __future__ import annotations

import argparse
import os
import urllib.parse
from collections.abc import Iterator
from itertools import islice
from typing import Any, TextIO

from intacct_sdk._errors import ConfigurationError, MissingCredentialsError

__all__ = ["rest_command"]

_NEEDED = {
    "INTACCT_CLIENT_ID": "client_id",
    "INTACCT_CLIENT_SECRET": "client_secret",
    "INTACCT_USER_ID": "user_id",
    "INTACCT_COMPANY_ID": "company_id",
}


def _base_url(endpoint: str | None) -> str | None:
    explicit = os.environ.get("INTACCT_REST_URL")
    if explicit:
        return explicit
    endpoint = endpoint or os.environ.get("INTACCT_ENDPOINT_URL")
    if not endpoint:
        return None
    parts = urllib.parse.urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/ia/api/v1"


def rest_command(args: argparse.Namespace, out: TextIO) -> None:
    """Run ``args.command`` (``query`` only) over the REST API, writing to ``out``.

    Raises:
        ConfigurationError: A missing variable, a command or option REST does not take.
    """
    from intacct_sdk._retry import RetryPolicy
    from intacct_sdk.cli import _write_csv, _write_json_array, _write_table
    from intacct_sdk.rest import RestClient, RestCredentials, RestOptions, get_path

    if args.command != "query":
        raise ConfigurationError(f"--api rest runs the query command only, not {args.command!r}")
    if args.where:
        raise ConfigurationError("--where is readByQuery syntax: it is not taken with --api rest")
    if not args.fields:
        raise ConfigurationError("--api rest needs --fields (the REST API has no '*')")
    missing = [name for name in _NEEDED if not os.environ.get(name)]
    if missing:
        raise MissingCredentialsError(
            "missing for --api rest: " + ", ".join(missing), tuple(_NEEDED[m] for m in missing)
        )
    username = f"{os.environ['INTACCT_USER_ID']}@{os.environ['INTACCT_COMPANY_ID']}"
    if os.environ.get("INTACCT_ENTITY_ID"):
        username += f"|{os.environ['INTACCT_ENTITY_ID']}"
    creds = RestCredentials(
        client_id=os.environ["INTACCT_CLIENT_ID"],
        client_secret=os.environ["INTACCT_CLIENT_SECRET"],
        username=username,
    )
    options: dict[str, Any] = {}
    base = _base_url(args.endpoint)
    if base:
        options["base_url"] = base
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.retries is not None:
        options["retry"] = RetryPolicy(attempts=max(0, args.retries) + 1)
    size = min(args.page_size or 1000, 4000)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    with RestClient(creds, options=RestOptions(page_size=size, **options)) as rest:
        records = rest.query(args.object, fields)
        if args.format == "json":
            _write_json_array(_pages(records, size), out, args)
            return
        flat = ({f: get_path(r, f) for f in fields} for r in records)
        if args.format == "csv":
            _write_csv(flat, fields, out, args)
        else:
            _write_table(list(flat), out)


def _pages(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while page := list(islice(records, size)):
        yield page
