"""Safe, fast XML reading of gateway answers, and small helpers to write XML.

Reading takes one of two roads, chosen by a byte-level guard:

* **Fast**: the C parser of the standard library (``xml.etree.ElementTree``). It is used only
  when the guard proves that no DTD can be present, and so no entity can be declared: the
  bytes are in an ASCII-compatible encoding (no NUL byte, no UTF-16/32 or EBCDIC signature,
  a declared encoding from a short list of ASCII supersets) and every ``<!`` in them opens a
  comment or a CDATA section. Without a ``<!DOCTYPE`` there is nowhere to declare an entity,
  so only the five predefined entities and character references can be expanded, and an
  undefined ``&name;`` is a well-formedness error.
* **Guarded**: anything else goes to ``defusedxml`` with DTDs, entities and external
  references forbidden. Its verdict is final.

Every failure (empty, oversized, not well-formed, forbidden construct) becomes a
:class:`~intacct_sdk.MalformedResponseError` whose message never quotes the body, which may
hold secrets.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from intacct_sdk._errors import ConfigurationError, MalformedResponseError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "attr",
    "escape_attr",
    "escape_text",
    "is_xml_name",
    "parse_xml",
]

# A full page (2,000 records from query, 1,000 with every field from readByQuery) is a few MB;
# a batch of pages a few tens. An element tree costs up to ~85 bytes per input byte on hostile
# input (a million unclosed tags), so the cap also bounds memory: 64 MiB in, a few GB at worst.
DEFAULT_MAX_BYTES: Final = 64 * 2**20

# Encodings in which every ASCII byte stands for that ASCII character, so a byte search for
# "<!" is a search for the characters. Anything else takes the guarded road.
_ASCII_COMPATIBLE: Final = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "latin-1", "latin1", "l1"}
    | {f"iso-8859-{n}" for n in range(1, 17)}
    | {f"iso8859-{n}" for n in range(1, 17)}
    | {f"windows-{n}" for n in range(1250, 1259)}
    | {f"cp{n}" for n in range(1250, 1259)}
)
_DECL: Final = re.compile(rb"\sencoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_MARKUP_DECL: Final = re.compile(rb"<!(?!--|\[CDATA\[)")
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_EBCDIC_DECL: Final = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC


def _fast_path_allowed(body: bytes) -> bool:
    """Whether ``body`` provably holds no DTD (so no entity declaration) for the C parser."""
    if b"\x00" in body or body.startswith(_EBCDIC_DECL):
        return False  # UTF-16/32 (with or without BOM) or EBCDIC: not ASCII-compatible
    start = body[3:] if body.startswith(_UTF8_BOM) else body
    if start.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    if start.startswith(b"<?xml"):
        end = start.find(b"?>", 0, 512)
        if end == -1:
            return False  # an odd, long declaration: let the guarded parser judge it
        decl = start[:end]
        if b"encoding" in decl:
            # An encoding we cannot read, or one not on the list, takes the guarded road.
            m = _DECL.search(decl)
            if m is None or m.group(1).decode("ascii").lower() not in _ASCII_COMPATIBLE:
                return False
    # "!" is rare in answers and memchr finds it at memory speed; a two-byte search for
    # "<!" stops at every "<" of the body (a thousand times slower on a big page).
    if b"!" not in body or b"<!" not in body:
        return True
    return _MARKUP_DECL.search(body) is None


def _position(exc: ET.ParseError) -> str:
    pos = getattr(exc, "position", None)
    if isinstance(pos, tuple) and len(pos) == 2:
        return f" at line {pos[0]}, column {pos[1]}"
    return ""


def parse_xml(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ET.Element:
    """Parse an XML document from outside, safely.

    Args:
        body: The raw bytes as received.
        max_bytes: Refuse bodies larger than this before parsing anything.

    Returns:
        The root element.

    Raises:
        MalformedResponseError: Empty, oversized, not well-formed, or using a DTD, entity
            declarations or external references.
    """
    size = len(body)
    if size > max_bytes:
        raise MalformedResponseError(
            f"response body of {size} bytes exceeds the limit of {max_bytes} bytes"
        )
    if not body.strip():
        raise MalformedResponseError("response body is empty")
    if _fast_path_allowed(body):
        try:
            return ET.fromstring(body)
        except ET.ParseError as exc:
            raise MalformedResponseError(
                f"response is not well-formed XML{_position(exc)}"
            ) from None
    try:
        root: ET.Element = DET.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise MalformedResponseError(
            f"response uses a forbidden XML construct ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise MalformedResponseError(f"response is not well-formed XML{_position(exc)}") from None
    except (ValueError, LookupError) as exc:  # unknown or broken encodings
        raise MalformedResponseError(
            f"response could not be decoded ({type(exc).__name__})"
        ) from None
    return root


_TEXT_SPECIALS: Final = re.compile(r"[&<>\r]")
_ATTR_SPECIALS: Final = re.compile(r"[&<>\"\r\n\t]")
_ENTITIES: Final = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\r": "&#13;",
    "\n": "&#10;",
    "\t": "&#9;",
}
# Characters XML 1.0 cannot carry at all, even as character references.
_INVALID_CHARS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _sub(match: re.Match[str]) -> str:
    return _ENTITIES[match.group()]


def _check_chars(value: str) -> None:
    if _INVALID_CHARS.search(value) is not None:
        raise ConfigurationError("value holds a control character XML cannot represent")


def escape_text(value: str) -> str:
    """Escape ``value`` for use as element text (``&``, ``<``, ``>`` and carriage returns).

    Raises:
        ConfigurationError: ``value`` holds a character XML 1.0 cannot represent.
    """
    if value.isalnum():  # the common case: nothing to do
        return value
    _check_chars(value)
    return _TEXT_SPECIALS.sub(_sub, value)


def escape_attr(value: str) -> str:
    """Escape ``value`` for use inside a double-quoted attribute, whitespace preserved.

    Raises:
        ConfigurationError: ``value`` holds a character XML 1.0 cannot represent.
    """
    if value.isalnum():
        return value
    _check_chars(value)
    return _ATTR_SPECIALS.sub(_sub, value)


def attr(name: str, value: str) -> str:
    """Write `` name="value"`` for an opening tag; the name is trusted."""
    return f' {name}="{escape_attr(value)}"'


_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def is_xml_name(name: str) -> bool:
    """Whether ``name`` is safe to write as an element name (a conservative ASCII subset)."""
    return _NAME.fullmatch(name) is not None
