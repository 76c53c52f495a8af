"""Logging: one ``intacct_sdk`` logger tree, with secrets removed before anything is written.

Request and response bodies are logged at DEBUG only. Before that, the content of every
element that can hold a secret (passwords, session ids, and the bank/tax fields the official
SDKs' ``MessageFormatter`` hides) is replaced by ``REDACTED``, in requests and in responses,
whatever the case of the tag. Session ids in URLs (``sessionid=...``) are redacted too, and a
client also removes every secret value it knows (its passwords and current session id) from
any text it logs, wherever it appears.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["REDACTED", "SENSITIVE_ELEMENTS", "Redactor", "logger", "redact_text", "redact_xml"]

logger = logging.getLogger("intacct_sdk")

REDACTED = "REDACTED"

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


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Redact sensitive elements and URL session ids, then every literal ``secret`` value."""
    text = redact_xml(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class Redactor:
    """The secrets one client knows about, removed from every line that client logs.

    The set changes as sessions are renewed; it keeps old session ids too (they still appear
    in requests being retried).
    """

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember one more secret (``None`` and short strings are ignored)."""
        # Very short values would blank out unrelated text; real secrets are longer.
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret that contains another is removed whole.
        return redact_text(text, sorted(self._secrets, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def body_text(body: bytes, limit: int = 1_000_000) -> str:
    """Decode a body for logging (lossy, bounded): bytes are never handed to a formatter."""
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"... [{len(body) - limit} more bytes]"
    return text
