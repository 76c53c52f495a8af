"""The optional lxml road for reading gateway answers (the ``fast`` extra).

:func:`parse` gives the same verdict as :func:`intacct_sdk._xml.parse_xml` on every body:

* The byte bound and the empty-body check are the stdlib road's own.
* lxml only ever sees a body that the stdlib road would hand to its C parser: one that the
  byte-level guard proves free of any DTD (so of any entity declaration). Anything else
  takes the stdlib road's guarded parser, whose verdict is final.
* The parser is hardened besides: no entity resolution, no network, no DTD loading or
  validation, no huge-tree mode (libxml2's own limits on depth and text size stay on);
  comments and processing instructions are dropped, as the standard library drops them.
* A body lxml refuses (or that hits one of its limits) is handed to the stdlib road, so the
  error raised, and its message, are the stdlib road's.

The tree returned is lxml's; the readers of :mod:`intacct_sdk._parse` use only the part of
the element API the two libraries share (``find``, ``findtext``, ``iterfind``, ``iter``,
``tag``, ``text``, ``attrib``, ``len``, indexing).

Which road reads answers: :func:`backend` says; the environment variable
``INTACCT_SDK_XML`` (``stdlib``, the default, ``lxml`` or ``auto``: lxml where installed;
read once at first use) or :func:`set_backend` (for tests) chooses. The standard library's
road is the default because it is not slower: lxml parses a page in about 60% of the
instructions of ``ET.fromstring``, but reading its elements from Python (a proxy object per
element, a new string per tag and text) costs what the parse saved, so a typed page costs
the same on both roads (see ``bench/parse_page.py``). ``lxml`` is imported at the first
parse that uses it, never by ``import intacct_sdk``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import xml.etree.ElementTree as ET
from typing import Any, Final, Literal

from intacct_sdk._errors import ConfigurationError
from intacct_sdk._xml import DEFAULT_MAX_BYTES, check_bounds, fast_path_allowed, parse_xml

__all__ = ["ENV_VAR", "Backend", "available", "backend", "parse", "set_backend"]

Backend = Literal["stdlib", "lxml"]
ENV_VAR: Final = "INTACCT_SDK_XML"
_CHOICES: Final = ("stdlib", "lxml", "auto")

_EMPTY_CDATA: Final = b"<![CDATA[]]>"

_chosen: Backend | None = None
_parser: Any = None
_etree: Any = None


def available() -> bool:
    """Whether lxml is installed (found without importing it)."""
    return importlib.util.find_spec("lxml") is not None


def _resolve(choice: str) -> Backend:
    if choice not in _CHOICES:
        raise ConfigurationError(
            f"{ENV_VAR} must be one of {', '.join(_CHOICES)}, not {choice[:40]!r}"
        )
    if choice == "auto":
        return "lxml" if available() else "stdlib"
    if choice == "lxml" and not available():
        raise ConfigurationError(
            f"{ENV_VAR}=lxml but lxml is not installed: pip install 'intacct-timesync[fast]'"
        )
    return choice  # type: ignore[return-value]


def backend() -> Backend:
    """The road that reads answers in this process (chosen once, at first use)."""
    global _chosen
    if _chosen is None:
        _chosen = _resolve(os.environ.get(ENV_VAR, "stdlib").strip().lower() or "stdlib")
    return _chosen


def set_backend(choice: str | None) -> None:
    """Choose the road (``stdlib``, ``lxml`` or ``auto``); None goes back to the environment.

    Raises:
        ConfigurationError: An unknown choice, or ``lxml`` where it is not installed.
    """
    global _chosen
    _chosen = None if choice is None else _resolve(choice)


def _hardened() -> Any:
    global _parser, _etree
    if _parser is None:
        _etree = importlib.import_module("lxml.etree")
        _parser = _etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            strip_cdata=True,
            collect_ids=False,
        )
    return _parser


def parse(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ET.Element:
    """Parse an XML document from outside with lxml, with the stdlib road's verdicts.

    Args:
        body: The raw bytes as received.
        max_bytes: Refuse bodies larger than this before parsing anything.

    Returns:
        The root element (an lxml element, read through the API it shares with
        ``xml.etree.ElementTree``).

    Raises:
        MalformedResponseError: As :func:`intacct_sdk._xml.parse_xml` raises it.
    """
    check_bounds(body, max_bytes)
    if not fast_path_allowed(body) or (b"!" in body and _EMPTY_CDATA in body):
        # An empty CDATA section is no text to expat (None) and empty text to libxml2 ("").
        return parse_xml(body, max_bytes=max_bytes)
    parser = _hardened()
    try:
        root: ET.Element = _etree.fromstring(body, parser)
    except (_etree.XMLSyntaxError, ValueError, LookupError):
        # The stdlib road's verdict, and its message, for anything lxml refuses.
        return parse_xml(body, max_bytes=max_bytes)
    return root
