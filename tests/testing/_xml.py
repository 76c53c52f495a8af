"""Raw request envelopes for emulator tests (written by hand, not by the client under test)."""

from __future__ import annotations

import re

DEMO_LOGIN = (
    "<login><userid>demo-user</userid><companyid>DEMO</companyid>"
    "<password>demo-user-password</password></login>"
)


def envelope(*functions: str, auth: str = DEMO_LOGIN, unique: bool = False) -> bytes:
    """A request with the demo sender, ``auth`` and one function per argument (f1, f2, ...)."""
    content = "".join(
        f'<function controlid="f{i}">{body}</function>' for i, body in enumerate(functions, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        "<senderid>demo-sender</senderid><password>demo-sender-password</password>"
        f"<controlid>test</controlid><uniqueid>{'true' if unique else 'false'}</uniqueid>"
        "<dtdversion>3.0</dtdversion></control>"
        f"<operation><authentication>{auth}</authentication>"
        f"<content>{content}</content></operation></request>"
    ).encode()


def session_auth(session_id: str) -> str:
    return f"<sessionid>{session_id}</sessionid>"


def session_id(body: bytes) -> str:
    match = re.search(rb"<sessionid>([^<]+)</sessionid>", body)
    assert match, body
    return match[1].decode()


def statuses(body: bytes) -> list[str]:
    """The status of every result, in order."""
    return [m.decode() for m in re.findall(rb"<result><status>(\w+)</status>", body)]


CREATE_CLASS = "<create><CLASS><CLASSID>{id}</CLASSID><NAME>Class {id}</NAME></CLASS></create>"
