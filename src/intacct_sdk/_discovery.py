"""The API user's formats as a client resolves them: configured, or discovered once.

With ``ClientOptions(timezone="discover")`` the client reads the API user's preferences before
its first call, as Estuary's Intacct connector does: ``readByName USERINFO`` (the user's
RECORDNO, by login ID), then ``readUserFormatting`` with that key. Those are two requests of
one function each (the second needs the first's answer); the result is cached for the
client's lifetime. Preferences the client cannot read safely (a 12-hour clock, a locale
other than ``en_US``, an unknown date format) are refused with a
:class:`~intacct_sdk.ConfigurationError` rather than guessed at.

The I/O-free half lives here: the functions to send, reading their answers, and the
:class:`~intacct_sdk._formats.ValueFormat` that requests are built and answers parsed with.
The shells send the two functions.
"""

from __future__ import annotations

import attrs

from intacct_sdk._config import ClientOptions, Credentials
from intacct_sdk._errors import ConfigurationError, MalformedResponseError
from intacct_sdk._formats import DISCOVER, ValueFormat, date_format, from_user_formatting
from intacct_sdk._results import Result
from intacct_sdk._values import ValueTyping
from intacct_sdk.functions import ReadByName, ReadUserFormatting

__all__ = ["UserFormats"]


class UserFormats:
    """What a client knows of its API user's formats (one per client).

    Attributes:
        discovered: The preferences read from Intacct, once discovery has run.
    """

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self.discovered: ValueFormat | None = None

    @staticmethod
    def plain(opts: ClientOptions) -> ClientOptions:
        """``opts`` without discovery: how the discovery requests themselves are sent."""
        return attrs.evolve(opts, timezone=None, date_format=None)

    def needs_discovery(self, opts: ClientOptions) -> bool:
        """Whether a call with ``opts`` must discover the user's preferences first."""
        return opts.timezone == DISCOVER and self.discovered is None

    def resolve(self, opts: ClientOptions) -> ValueFormat:
        """The format a call with ``opts`` writes and reads values in.

        Raises:
            ConfigurationError: A date format configured beside ``"discover"`` that is not
                the one discovered.
        """
        zone = opts.timezone
        if zone == DISCOVER:
            found = self.discovered
            if found is None:  # pragma: no cover - the shells discover before sending
                raise ConfigurationError("the API user's preferences have not been read yet")
            if opts.date_format is not None and opts.date_format != found.date_format.code:
                raise ConfigurationError(
                    f"date_format {opts.date_format!r} was configured, but the API user's "
                    f"preference is {found.date_format.code!r}: drop the option, or fix the "
                    "user's preferences in Intacct"
                )
            return found
        assert not isinstance(zone, str)
        return ValueFormat(zone, date_format(opts.date_format or "/mdY"))

    def typing(self, opts: ClientOptions) -> ValueTyping:
        """How answers to a call with ``opts`` are typed."""
        if self.needs_discovery(opts):
            # Only the login answer is read before discovery: it holds no record values.
            return ValueTyping(typed=opts.typed, strict=opts.strict_types)
        fmt = self.resolve(opts)
        return ValueTyping(
            typed=opts.typed,
            timezone=fmt.timezone,
            date_format=fmt.date_format,
            strict=opts.strict_types,
        )

    def user_function(self) -> ReadByName:
        """The first discovery function: the API user's USERINFO RECORDNO by login ID.

        Raises:
            ConfigurationError: The credentials name no user (a bare session id).
        """
        user = self._credentials.user_id
        if not user:
            raise ConfigurationError(
                "timezone='discover' needs the user_id of the credentials (to read that "
                "user's preferences); add user_id, or set ClientOptions(timezone=...)"
            )
        return ReadByName("USERINFO", [user], ["RECORDNO"])

    def formatting_function(self, user: Result) -> ReadUserFormatting:
        """The second discovery function, from the answer to :meth:`user_function`.

        Raises:
            ConfigurationError: No USERINFO record has the user's login ID.
        """
        records = user.page.records if user.page is not None else []
        key = records[0].get("RECORDNO") if records else None
        if key is None or not str(key).isdigit():
            raise ConfigurationError(
                f"no USERINFO record has the login ID {self._credentials.user_id!r}, so its "
                "preferences cannot be read; set ClientOptions(timezone=...)"
            )
        return ReadUserFormatting(str(key))

    def accept(self, formatting: Result) -> ValueFormat:
        """Keep the preferences of a ``readUserFormatting`` answer.

        Raises:
            ConfigurationError: Preferences the client cannot read safely.
            MalformedResponseError: The answer holds no preferences.
        """
        records = formatting.page.records if formatting.page is not None else []
        if len(records) != 1:
            raise MalformedResponseError("readUserFormatting answered without one userformatting")
        self.discovered = from_user_formatting(records[0])
        return self.discovered
