"""Logging: one ``intacct_sdk`` logger tree, with secrets removed before anything is written.

Request and response bodies are logged at DEBUG only. Before that, the content of every
element that can hold a secret (passwords, session ids, and the bank/tax fields the official
SDKs' ``MessageFormatter`` hides) is replaced by ``REDACTED``, in requests and in responses,
whatever the case of the tag. Session ids in URLs (``sessionid=...``) are redacted too, and a
client also removes every secret value it knows (its passwords and current session id) from
any text it logs, wherever it appears, in every form the text may carry it: as is,
URL-encoded (``quote`` and ``quote_plus``), XML-escaped (named or numeric character
references) and JSON-escaped (:func:`secret_forms`). The same function redacts the messages
and text attributes of every exception the client raises (:func:`redact_error`).

Secrets shorter than :data:`MIN_SECRET_LENGTH` characters are not searched for as text
(a one-letter password would blank out every word holding that letter); they are still
hidden wherever they sit in a sensitive element.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Final

import attrs

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SENSITIVE_ELEMENTS",
    "Redactor",
    "logger",
    "redact_error",
    "redact_text",
    "redact_xml",
    "secret_forms",
]

logger = logging.getLogger("intacct_sdk")
# A library writes nothing unless the application configures logging: without a handler of
# its own, the retry warnings would reach stderr through logging's last-resort handler.
logger.addHandler(logging.NullHandler())

REDACTED = "REDACTED"

MIN_SECRET_LENGTH: Final = 4
"""Secrets shorter than this are not searched for as text (see the module docstring)."""

#: Elements whose content is never logged (matched case-insensitively).
SENSITIVE_ELEMENTS: tuple[str, ...] = (
    "password",
    "sessionid",
    "userpassword",
    "accountnumber",
    "cardnum",
    "ssn",
    "achaccountnumber",
    "wireaccountnumber",
    "taxid",
)

_ELEMENTS_RE = re.compile(
    r"<(?P<tag>(?:[\w.-]+:)?(?:" + "|".join(SENSITIVE_ELEMENTS) + r"))(?P<attrs>(?:\s[^>]*)?)>"
    r"(?P<body>.*?)</(?P=tag)\s*>",
    re.IGNORECASE | re.DOTALL,
)
# An unterminated sensitive element (a truncated body): hide everything after it.
_OPEN_RE = re.compile(
    r"<(?P<tag>(?:[\w.-]+:)?(?:"
    + "|".join(SENSITIVE_ELEMENTS)
    + r"))(?:\s[^>]*)?>(?!"
    + re.escape(REDACTED)
    + r"</)",
    re.IGNORECASE,
)
_URL_SESSION_RE = re.compile(r"(?P<key>session_?id=)[^&\s\"'<>;]*", re.IGNORECASE)


def redact_xml(text: str) -> str:
    """Replace the content of sensitive elements, and session ids in URLs, by ``REDACTED``.

    Works on any text, well-formed or not, so a truncated or garbled body is safe to log
    too: an opening sensitive tag without its end hides the rest of the text.
    """
    text = _ELEMENTS_RE.sub(lambda m: f"<{m['tag']}{m['attrs']}>{REDACTED}</{m['tag']}>", text)
    match = _OPEN_RE.search(text)
    if match is not None:
        text = text[: match.end()] + REDACTED
    return _URL_SESSION_RE.sub(lambda m: f"{m['key']}{REDACTED}", text)


_XML_NAMED: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def _xml_forms(secret: str) -> set[str]:
    """``secret`` as XML text: special characters named, or numeric (decimal, hex), or
    every character numeric."""
    forms = {
        "".join(_XML_NAMED.get(c, c) for c in secret),
        "".join(_XML_NAMED.get(c, c) if c in "&<>" else c for c in secret),
        "".join(f"&#{ord(c)};" if c in _XML_NAMED else c for c in secret),
        "".join(f"&#x{ord(c):x};" if c in _XML_NAMED else c for c in secret),
        "".join(f"&#{ord(c)};" for c in secret),
        "".join(f"&#x{ord(c):x};" for c in secret),
    }
    return forms


def secret_forms(secret: str) -> frozenset[str]:
    """Every form in which ``secret`` may appear in a body, a URL, a log line or a report.

    As is; URL-encoded (``quote`` with and without ``/`` kept, ``quote_plus``); XML-escaped
    (:func:`_xml_forms`); JSON-escaped (ASCII-only or not); and the XML forms of the
    URL-encoded ones. Matching is case-insensitive, so ``%2f`` and ``&#X2F;`` are covered too.
    """
    forms = {secret}
    forms |= {
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        urllib.parse.quote_plus(secret, safe="/"),
    }
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for form in list(forms):
        forms |= _xml_forms(form)
    return frozenset(f for f in forms if f)


@lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            forms |= secret_forms(secret)
    if not forms:
        return None
    # Longest first, so a secret that contains another (or a form that contains another
    # form) is removed whole.
    ordered = sorted(forms, key=lambda f: (-len(f), f))
    return re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Redact sensitive elements and URL session ids, then every form of every ``secret``.

    Secrets shorter than :data:`MIN_SECRET_LENGTH` (and None) are skipped.
    """
    text = redact_xml(text)
    pattern = _pattern(frozenset(s for s in secrets if s))
    return text if pattern is None else pattern.sub(REDACTED, text)


class Redactor:
    """The secrets one client knows about, removed from every line that client logs and from
    every exception it raises.

    The set changes as sessions are renewed; it keeps old session ids too (they still appear
    in requests being retried). Safe to use from several threads.
    """

    __slots__ = ("_lock", "_secrets")

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember one more secret (``None`` and short strings are ignored)."""
        # Very short values would blank out unrelated text; real secrets are longer.
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            with self._lock:
                self._secrets = self._secrets | {secret}

    def __call__(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def redact_error(error: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Redact, in place, the message, ``args`` and text attributes of ``error`` and of the
    exceptions it was raised from; returns ``error``.

    Text attributes are the ``str`` values of the exception's ``__dict__`` and the text
    fields of any attrs value it holds (one :class:`~intacct_sdk.ErrorDetail`, or a tuple of
    them). Exceptions outside the package in the chain get their ``args`` redacted.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _redact_one(current, redact)
        current = current.__cause__ or current.__context__
    return error


def _redact_one(error: BaseException, redact: Callable[[str], str]) -> None:
    error.args = tuple(_redact_value(a, redact) for a in error.args)
    state = getattr(error, "__dict__", None)
    if state:
        for key, value in list(state.items()):
            state[key] = _redact_value(value, redact)


def _redact_value(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_redact_value(v, redact) for v in value)
    if attrs.has(type(value)):
        changes = {
            a.name: redact(v)
            for a in attrs.fields(type(value))
            if a.init and isinstance(v := getattr(value, a.name), str)
        }
        return attrs.evolve(value, **changes) if changes else value
    return value


def body_text(body: bytes, limit: int = 1_000_000) -> str:
    """Decode a body for logging (lossy, bounded): bytes are never handed to a formatter."""
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"... [{len(body) - limit} more bytes]"
    return text
