"""Building request envelopes: ``<request>`` with control, operation, authentication, content.

The output follows the request schema (``api.xsd``) element order and is written without
indentation. ``uniqueid`` is always sent explicitly (the documented default differs between
sources), as are ``dtdversion`` and ``includewhitespace``.

The credentials classes keep their secrets out of ``repr`` so they cannot leak into logs
or tracebacks.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

import attrs

from intacct_sdk._errors import ConfigurationError
from intacct_sdk._xml import escape_text
from intacct_sdk.functions import MAX_CONTROL_ID_LENGTH, Function

__all__ = ["Control", "LoginAuth", "SessionAuth", "build_request"]


def _non_empty(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{attribute.name} must be a non-empty string")


def _optional(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{attribute.name} must be a string")


def _control_id(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CONTROL_ID_LENGTH:
        raise ConfigurationError(f"a control id is 1 to {MAX_CONTROL_ID_LENGTH} characters")


@attrs.frozen(slots=True)
class Control:
    """The ``<control>`` block: who sends the request, and how the gateway treats it.

    Attributes:
        sender_id: Web Services sender id.
        sender_password: Web Services sender password (hidden from ``repr``).
        control_id: Echoed back by the gateway to pair answers with requests.
        unique_id: With True the gateway refuses to run a function whose control id it
            has already executed, which makes a repeated write safe.
        policy_id: An asynchronous transport policy; the answer is then only an
            acknowledgement.
        dtd_version: ``3.0`` for the generic functions.
        include_whitespace: Ask for an indented answer (bigger; off by default).
    """

    sender_id: str = attrs.field(validator=_non_empty)
    sender_password: str = attrs.field(repr=False, validator=_non_empty)
    control_id: str = attrs.field(validator=_control_id)
    unique_id: bool = False
    policy_id: str | None = attrs.field(default=None, validator=_optional)
    dtd_version: str = "3.0"
    include_whitespace: bool = False


@attrs.frozen(slots=True)
class LoginAuth:
    """Authentication by company user login.

    Attributes:
        user_id: Web Services user id.
        company_id: Company id.
        password: User password (hidden from ``repr``).
        entity_id: Entity (location) id in a multi-entity company; ``""`` is the top level.
        client_id: Client company when signing in through a console.
    """

    user_id: str = attrs.field(validator=_non_empty)
    company_id: str = attrs.field(validator=_non_empty)
    password: str = attrs.field(repr=False, validator=_non_empty)
    entity_id: str | None = attrs.field(default=None, validator=_optional)
    client_id: str | None = attrs.field(default=None, validator=_optional)


@attrs.frozen(slots=True)
class SessionAuth:
    """Authentication by an existing API session id (hidden from ``repr``)."""

    session_id: str = attrs.field(repr=False, validator=_non_empty)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _el(tag: str, text: str) -> str:
    return f"<{tag}>{escape_text(text)}</{tag}>"


def _control_xml(control: Control) -> str:
    parts = [
        "<control>",
        _el("senderid", control.sender_id),
        _el("password", control.sender_password),
        _el("controlid", control.control_id),
        _el("uniqueid", _bool(control.unique_id)),
        _el("dtdversion", control.dtd_version),
    ]
    if control.policy_id is not None:
        parts.append(_el("policyid", control.policy_id))
    parts.append(_el("includewhitespace", _bool(control.include_whitespace)))
    parts.append("</control>")
    return "".join(parts)


def _auth_xml(auth: LoginAuth | SessionAuth) -> str:
    if isinstance(auth, SessionAuth):
        return f"<authentication>{_el('sessionid', auth.session_id)}</authentication>"
    if not isinstance(auth, LoginAuth):
        raise ConfigurationError("auth must be LoginAuth or SessionAuth")
    parts = [
        "<authentication><login>",
        _el("userid", auth.user_id),
        _el("companyid", auth.company_id),
        _el("password", auth.password),
    ]
    if auth.client_id is not None:
        parts.append(_el("clientid", auth.client_id))
    if auth.entity_id is not None:
        parts.append(_el("locationid", auth.entity_id))
    parts.append("</login></authentication>")
    return "".join(parts)


def build_request(
    control: Control,
    auth: LoginAuth | SessionAuth,
    functions: Sequence[Function],
    *,
    transaction: bool = False,
    encoding: str = "UTF-8",
) -> bytes:
    """Write one request envelope.

    Args:
        control: The control block.
        auth: Login or session authentication.
        functions: The functions, run in this order; their control ids must be distinct
            so that each result can be matched to its function.
        transaction: Run all functions as one unit (a failure rolls back the others).
        encoding: Character encoding of the body, named in the XML declaration.
            Characters it cannot represent are written as character references.

    Returns:
        The request body.

    Raises:
        ConfigurationError: No functions, repeated function control ids, or an unknown
            encoding.
    """
    if not functions:
        raise ConfigurationError("a request needs at least one function")
    seen: set[str] = set()
    for fn in functions:
        if fn.control_id in seen:
            raise ConfigurationError(f"function control id {fn.control_id!r} is used twice")
        seen.add(fn.control_id)
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise ConfigurationError(f"unknown encoding {encoding!r}") from None
    body = "".join(
        (
            f'<?xml version="1.0" encoding="{escape_text(encoding)}"?>',
            "<request>",
            _control_xml(control),
            f'<operation transaction="{_bool(transaction)}">',
            _auth_xml(auth),
            "<content>",
            "".join(fn.to_xml() for fn in functions),
            "</content></operation></request>",
        )
    )
    return codec.encode(body, "xmlcharrefreplace")[0]
