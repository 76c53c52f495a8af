"""The emulator's own XML reader and writer.

This module shares nothing with the client's envelope builder or response parser on purpose:
if both sides used the same code, a bug in it would be agreed to by both. Requests are parsed
with ``defusedxml`` (no DTD, no entities, no external references); responses are written as
plain strings in the gateway's shapes (see ``docs/emulator-behaviour.md``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from itertools import chain, repeat
from typing import Any

import attrs
import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

__all__ = [
    "MAX_REQUEST_BYTES",
    "ErrorEntry",
    "RenderPlan",
    "WireError",
    "auth_block",
    "child_text",
    "control_block",
    "data_list",
    "error_message",
    "esc",
    "parse_request_xml",
    "plan_for",
    "render_record",
    "render_records",
    "response_document",
    "result_block",
]

MAX_REQUEST_BYTES = 64 * 2**20
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class WireError(Exception):
    """A request body that is not acceptable XML (the gateway answers XL03000003)."""


def parse_request_xml(body: bytes) -> ET.Element:
    """Parse a request body safely.

    Raises:
        WireError: empty, oversized, not well-formed, or carrying a DTD or entity declaration.
    """
    if not body or not body.strip():
        raise WireError("empty request body")
    if len(body) > MAX_REQUEST_BYTES:
        raise WireError("request body too large")
    try:
        root = DET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise WireError("DTDs and entity declarations are not accepted") from exc
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise WireError(f"XML parse error: {exc}") from exc
    if not isinstance(root, ET.Element):  # pragma: no cover - defusedxml always returns one
        raise WireError("no root element")
    return root


def child_text(parent: ET.Element, tag: str) -> str | None:
    """Text of the first child named ``tag`` ("" when empty), or None when absent."""
    el = parent.find(tag)
    if el is None:
        return None
    return (el.text or "").strip()


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"})


def esc(value: str) -> str:
    """Escape text for element content or attribute values."""
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return value.translate(_ESCAPES)
    return value


@attrs.frozen(slots=True)
class ErrorEntry:
    """One ``<error>`` of an ``<errormessage>``."""

    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""


def error_message(errors: Iterable[ErrorEntry]) -> str:
    """Write an ``<errormessage>`` block."""
    parts = ["<errormessage>"]
    for e in errors:
        parts.append(  # noqa: PERF401 - one formatted block per error
            f"<error><errorno>{esc(e.errorno)}</errorno>"
            f"<description>{esc(e.description)}</description>"
            f"<description2>{esc(e.description2)}</description2>"
            f"<correction>{esc(e.correction)}</correction></error>"
        )
    parts.append("</errormessage>")
    return "".join(parts)


def control_block(
    status: str,
    sender_id: str | None,
    control_id: str | None,
    unique_id: str | None,
    dtd_version: str | None,
) -> str:
    """Write the response ``<control>`` block (bare when nothing was readable)."""
    if sender_id is None and control_id is None:
        return f"<control><status>{status}</status></control>"
    return (
        f"<control><status>{status}</status>"
        f"<senderid>{esc(sender_id or '')}</senderid>"
        f"<controlid>{esc(control_id or '')}</controlid>"
        f"<uniqueid>{esc(unique_id or 'false')}</uniqueid>"
        f"<dtdversion>{esc(dtd_version or '3.0')}</dtdversion></control>"
    )


def auth_block(
    status: str,
    user_id: str,
    company_id: str,
    location_id: str | None,
    session_timestamp: str | None = None,
    session_timeout: str | None = None,
) -> str:
    """Write the ``<authentication>`` block of an operation."""
    parts = [
        f"<authentication><status>{status}</status><userid>{esc(user_id)}</userid>"
        f"<companyid>{esc(company_id)}</companyid>"
        f"<locationid>{esc(location_id or '')}</locationid>"
    ]
    if session_timestamp is not None:
        parts.append(f"<sessiontimestamp>{session_timestamp}</sessiontimestamp>")
    if session_timeout is not None:
        parts.append(f"<sessiontimeout>{session_timeout}</sessiontimeout>")
    parts.append("</authentication>")
    return "".join(parts)


def result_block(
    status: str,
    function: str,
    control_id: str,
    payload: str = "",
    errors: Sequence[ErrorEntry] = (),
) -> str:
    """Write one ``<result>``: status, function, controlid, then data and errors."""
    err = error_message(errors) if errors else ""
    return (
        f"<result><status>{status}</status><function>{esc(function)}</function>"
        f"<controlid>{esc(control_id)}</controlid>{payload}{err}</result>"
    )


def data_list(attributes: Sequence[tuple[str, str | int]], rows: Sequence[str]) -> str:
    """Write ``<data attr="..">rows</data>`` (self-closing when there are no rows)."""
    attrs_text = "".join(f' {k}="{esc(str(v))}"' for k, v in attributes)
    if not rows:
        return f"<data{attrs_text}/>"
    return f"<data{attrs_text}>{''.join(rows)}</data>"


def response_document(control: str, body: str) -> bytes:
    """Wrap a control block and the rest (operation or errormessage) into a response."""
    return f"{XML_DECLARATION}<response>{control}{body}</response>".encode()


# ---------------------------------------------------------------------------------------------
# Records


@attrs.frozen(slots=True)
class _Leaf:
    tag: str
    key: str


@attrs.frozen(slots=True)
class _Group:
    tag: str
    children: tuple[_Leaf | _Group | _List, ...]


@attrs.frozen(slots=True)
class _List:
    tag: str
    item_tag: str
    key: str
    plan: RenderPlan | None


@attrs.frozen(slots=True)
class RenderPlan:
    """How to write a record for one field list: dotted keys become nested elements."""

    nodes: tuple[_Leaf | _Group | _List, ...]


def plan_for(
    fields: Sequence[str],
    nested: bool = True,
    lists: Mapping[str, tuple[str, RenderPlan | None]] | None = None,
    flat: AbstractSet[str] = frozenset(),
) -> RenderPlan:
    """Build a render plan for ``fields`` in order.

    Args:
        fields: record keys; dotted keys (``PERSONALINFO.EMAIL1``) become nested elements when
            ``nested`` is true, otherwise elements named with the dots.
        nested: nest dotted keys.
        lists: keys holding a list of child records: key -> (child element tag, child plan).
        flat: keys written as one element named with the dots (relationship paths, aggregates).
    """
    lists = lists or {}
    root: dict[str, Any] = {}
    for f in fields:
        if f in lists:
            root[f] = ("list", f)
            continue
        parts = f.split(".") if nested and f not in flat else [f]
        node = root
        for p in parts[:-1]:
            existing = node.get(p)
            if not isinstance(existing, dict):
                existing = {}
                node[p] = existing
            node = existing
        if parts[-1] not in node:
            node[parts[-1]] = ("leaf", f)

    def build(tree: dict[str, Any]) -> tuple[_Leaf | _Group | _List, ...]:
        out: list[_Leaf | _Group | _List] = []
        for tag, v in tree.items():
            if isinstance(v, dict):
                out.append(_Group(tag, build(v)))
            elif v[0] == "list":
                item_tag, sub = lists[v[1]]
                out.append(_List(tag, item_tag, v[1], sub))
            else:
                out.append(_Leaf(tag, v[1]))
        return tuple(out)

    return RenderPlan(build(root))


def _render_nodes(nodes: tuple[_Leaf | _Group | _List, ...], record: Mapping[str, Any]) -> str:
    out: list[str] = []
    for n in nodes:
        if isinstance(n, _Leaf):
            v = record.get(n.key)
            if v is None or v == "":
                out.append(f"<{n.tag}></{n.tag}>")
            else:
                out.append(f"<{n.tag}>{esc(str(v))}</{n.tag}>")
        elif isinstance(n, _Group):
            out.append(f"<{n.tag}>{_render_nodes(n.children, record)}</{n.tag}>")
        else:
            items = record.get(n.key) or []
            sub = n.plan
            inner = "".join(
                f"<{n.item_tag}>"
                + _render_nodes(
                    sub.nodes if sub else plan_for(list(item)).nodes,
                    item,
                )
                + f"</{n.item_tag}>"
                for item in items
            )
            out.append(f"<{n.tag}>{inner}</{n.tag}>")
    return "".join(out)


def render_record(tag: str, record: Mapping[str, Any], plan: RenderPlan) -> str:
    """Write one record as ``<tag>fields</tag>`` following ``plan``."""
    return f"<{tag}>{_render_nodes(plan.nodes, record)}</{tag}>"


def _cell(value: Any) -> str:
    """One leaf's text, exactly as :func:`_render_nodes` writes it."""
    return "" if value is None or value == "" else esc(str(value))


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=256)
def _template(plan: RenderPlan) -> tuple[str, tuple[str, ...]] | None:
    """A ``str.format`` template of ``plan`` and its leaf keys in order; None with lists."""
    parts: list[str] = []
    keys: list[str] = []

    def walk(nodes: tuple[_Leaf | _Group | _List, ...]) -> bool:
        for n in nodes:
            tag = _braces(n.tag)
            if isinstance(n, _Leaf):
                parts.append(f"<{tag}>{{}}</{tag}>")
                keys.append(n.key)
            elif isinstance(n, _Group):
                parts.append(f"<{tag}>")
                if not walk(n.children):
                    return False
                parts.append(f"</{tag}>")
            else:
                return False
        return True

    return ("".join(parts), tuple(keys)) if walk(plan.nodes) else None


def render_records(tag: str, records: Iterable[Mapping[str, Any]], plan: RenderPlan) -> list[str]:
    """:func:`render_record` for many records of one plan (a query page), the same text.

    A plan without lists is written through one format template; when every value of the
    page is a string with nothing to escape, the values go in as they are.
    """
    compiled = _template(plan)
    if compiled is None:
        return [render_record(tag, r, plan) for r in records]
    inner, keys = compiled
    # %-formatting reads its template faster than str.format; "%" cannot be in a tag name,
    # but is doubled anyway.
    template = f"<{tag}>{inner}</{tag}>".replace("{{", "{").replace("}}", "}")
    template = template.replace("%", "%%").replace("{}", "%s")
    fill = template.__mod__
    # A missing key reads as "" (written as an empty element, like None).
    rows = [tuple(map(r.get, keys, blanks)) for r in records for blanks in (repeat(""),)]
    values = list(chain.from_iterable(rows))
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        joined = "".join(filter(None, values))
        if not any(c in joined for c in "&<>\"'"):
            if type(None) not in kinds:
                return list(map(fill, rows))
            return [fill(row) if None not in row else fill(tuple(map(_cell, row))) for row in rows]
    return [fill(tuple(map(_cell, row))) for row in rows]
