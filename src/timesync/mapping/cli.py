"""``timesync mapping check FILE`` and ``timesync mapping show OBJECT``.

The ``timesync`` command builds its parser elsewhere and calls :func:`register` to add these.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from timesync.errors import ConfigurationError
from timesync.mapping.loading import dump_spec_toml, load_specs
from timesync.mapping.spec import MappingSpec

__all__ = ["format_table", "register"]


def register(subparsers: Any) -> None:
    """Add the ``mapping`` command (with ``check`` and ``show``) to ``subparsers``.

    Args:
        subparsers: The object ``ArgumentParser.add_subparsers()`` returned.
    """
    mapping = subparsers.add_parser("mapping", help="check and show mapping specs")
    sub = mapping.add_subparsers(dest="mapping_command", required=True)
    check = sub.add_parser("check", help="validate a TOML spec file against the schema facts")
    check.add_argument("file", help="the TOML spec file")
    check.set_defaults(func=_check)
    show = sub.add_parser("show", help="print the effective spec of an object")
    show.add_argument("object", help="the Intacct object, e.g. TIMESHEET")
    show.add_argument("--format", choices=("table", "toml"), default="table")
    show.add_argument("--config", help="a TOML spec file to merge over the defaults")
    show.set_defaults(func=_show)


def _check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        specs = load_specs(args.file)
    except ConfigurationError as exc:
        print(f"{len(exc.problems)} problem(s) in {args.file}:", file=out)
        for problem in exc.problems:
            print(f"  - {problem}", file=out)
        return 1
    print(f"ok: {len(specs)} specs", file=out)
    return 0


def _show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        specs = load_specs(args.config) if args.config else load_specs({})
    except ConfigurationError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    name = args.object.upper()
    spec = specs.get(name)
    if spec is None:
        print(f"error: no spec for {name} (known: {', '.join(sorted(specs))})", file=sys.stderr)
        return 1
    if args.format == "toml":
        try:
            out.write(dump_spec_toml(spec))
        except ConfigurationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        out.write(format_table(spec))
    return 0


def format_table(spec: MappingSpec) -> str:
    """A spec as a Markdown table (local, label, Intacct field, direction, converter, notes)."""
    rows = [("Local", "Label", "Intacct field", "Direction", "Converter", "Notes")]
    arrows = {"pull": "<- pull", "push": "-> push", "both": "<-> both"}
    for fm in spec.fields:
        notes = []
        if fm.required:
            notes.append("required")
        if fm.default is not None:
            notes.append(f"default {fm.default!r}")
        if not fm.hashed:
            notes.append("not hashed")
        rows.append(
            (
                f"`{fm.local}`",
                spec.label(fm.local) if fm.local in spec.lexicon else "",
                f"`{fm.remote}`",
                arrows.get(fm.direction, fm.direction),
                fm.converter_name or "",
                ", ".join(notes),
            )
        )
    rows.extend(
        (
            f"`{child.local}`",
            "",
            f"`{child.remote}`",
            arrows.get(child.direction, child.direction),
            "",
            f"each mapped by the {child.spec.object_name} spec",
        )
        for child in spec.children
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"
        for row in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    options = [f"Object `{spec.object_name}`, model `{spec.model.__name__}`."]
    if spec.active_only:
        options.append("Filter: active only.")
    elif spec.filter is None:
        options.append("Filter: none.")
    else:
        options.append(f"Filter: `{spec.filter.to_xml()}`.")
    options.append(f"Unknown fields: {spec.unknown}.")
    if spec.exclusive:
        groups = "; ".join(" before ".join(g) for g in spec.exclusive)
        options.append(f"Pushed one of: {groups}.")
    if spec.inactive_when:
        for field, values in spec.inactive_when.items():
            options.append(f"Inactive locally when {field} is {' or '.join(values)}.")
    if spec.udd_passthrough:
        options.append(f"Unmapped GLDIM* fields pass through `{spec.udd_passthrough}`.")
    if spec.custom:
        options.append(
            "Custom fields: " + ", ".join(f"`{k}` ({v})" for k, v in spec.custom.items()) + "."
        )
    return " ".join(options) + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the ``mapping`` commands alone (``python -m timesync.mapping.cli``)."""
    parser = argparse.ArgumentParser(prog="timesync")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
