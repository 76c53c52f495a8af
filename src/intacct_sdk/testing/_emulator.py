"""The emulated gateway: envelope checks, authentication, sessions, dispatch, stats and faults.

``Emulator.handle()`` takes the raw HTTP request (method, path, body) and returns the raw
response; the in-process transport and the loopback server are thin shells around it.
"""

from __future__ import annotations

import logging
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

import attrs

from intacct_sdk.testing._approvals import APPROVAL_FUNCTIONS
from intacct_sdk.testing._company import Company
from intacct_sdk.testing._functions import (
    READ_FUNCTIONS,
    Call,
    FunctionFailure,
    Outcome,
    ResultStore,
    object_of,
    schema_problem,
)
from intacct_sdk.testing._hooks import (
    EmulatorResponse,
    EmulatorStats,
    FaultInjector,
    NoFaults,
    RequestContext,
    is_write_function,
    rate_limited,
)
from intacct_sdk.testing._permissions import denied_names, refusal
from intacct_sdk.testing._prefs import UserPreferences, ensure_user
from intacct_sdk.testing._rest import RestEmulator, is_rest_path
from intacct_sdk.testing._slots import (
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_WAIT,
    RequestSlots,
    check_limits,
)
from intacct_sdk.testing._userinfo import USER_FUNCTIONS
from intacct_sdk.testing._wire import (
    ErrorEntry,
    WireError,
    auth_block,
    child_text,
    control_block,
    error_message,
    esc,
    parse_request_xml,
    response_document,
    result_block,
)
from intacct_sdk.testing._writes import WRITE_FUNCTIONS

if TYPE_CHECKING:
    from intacct_sdk.testing._server import EmulatorServer
    from intacct_sdk.testing._transport import EmulatorTransport

__all__ = [
    "DEMO_CREDENTIALS",
    "Emulator",
    "EmulatorCredentials",
    "EmulatorResponse",
    "EmulatorStats",
    "FaultInjector",
    "NoFaults",
    "RequestContext",
]

log = logging.getLogger(__name__)

GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
CONTENT_TYPE = 'text/xml; encoding="UTF-8"'
ROLLED_BACK = ErrorEntry(
    "XL03000009",
    "",
    "The entire transaction in this operation has been rolled back due to an error.",
    "",
)
DUPLICATE_ERRNO = "XL03000008"


@attrs.frozen(slots=True)
class EmulatorCredentials:
    """The Web Services sender and the company user the emulator accepts.

    The field names are those of :class:`intacct_sdk.Credentials`, so
    ``Credentials(**attrs.asdict(creds))`` gives a client that logs in. The passwords are left
    out of the repr.

    Attributes:
        sender_id: The Web Services sender ID (``<senderid>``).
        sender_password: The sender's password (``<password>`` in ``<control>``).
        company_id: The company ID a login must name (compared without case).
        user_id: The Web Services user ID (compared exactly).
        user_password: That user's password.
    """

    sender_id: str
    sender_password: str = attrs.field(repr=False)
    company_id: str
    user_id: str
    user_password: str = attrs.field(repr=False)


DEMO_CREDENTIALS = EmulatorCredentials(
    sender_id="demo-sender",
    sender_password="demo-sender-password",  # noqa: S106 - documented demo value
    company_id="DEMO",
    user_id="demo-user",
    user_password="demo-user-password",  # noqa: S106 - documented demo value
)
"""The credentials an :class:`Emulator` accepts unless given others (documented demo values):
sender ``demo-sender`` / ``demo-sender-password``, company ``DEMO``, user ``demo-user`` /
``demo-user-password``."""


@attrs.define(slots=True)
class _Session:
    user_id: str
    company_id: str
    location_id: str | None
    endpoint: str
    expires: datetime


class _ControlFailure(Exception):
    def __init__(self, entry: ErrorEntry, status: int = 200) -> None:
        super().__init__(entry.description2)
        self.entry = entry
        self.status = status


@attrs.define(slots=True)
class _Auth:
    user_id: str
    company_id: str
    location_id: str | None
    session: _Session | None


def _schema_error(text: str) -> _ControlFailure:
    return _ControlFailure(ErrorEntry("XL03000003", "", f"XML Parse schema error: {text}", ""))


class Emulator:
    """An in-memory Sage Intacct XML gateway over a :class:`Company`.

    It reads raw request bodies and writes raw answers (:meth:`handle`); reach it in process
    with :meth:`transport` or over HTTP with :meth:`serve`. Requests are handled one at a time
    under the company's lock, so one emulator may serve many threads.

    Args:
        company: The data (a new, empty in-memory company when None).
        credentials: The sender and user accepted (default :data:`DEMO_CREDENTIALS`).
        faults: A fault injector such as :class:`FaultPlan`, or None for none.
        session_duration: How long a session lives after its last use (sliding expiry).
        clock: Returns the current aware time, for sessions and result sets; it also replaces
            the clock of ``company``, whose timestamps then come from it. None uses the
            company's clock.
        endpoint_url: The endpoint URL getAPISession reports (default: the scheme the
            request came over, from ``X-Forwarded-Proto`` or else ``http://``, plus the
            request's Host header plus the gateway path).
        result_ttl: How long a readByQuery result set stays available to readMore after its
            last use.
        dimension_labels: Renamed terminology that getDimensions reports for standard
            dimensions, by object name (``{"DEPARTMENT": "Cost Center"}``).
        max_concurrent: The company's concurrent API requests (default 2, the best evidence
            for the XML gateway). A request arriving while this many are being handled waits
            for a slot, first come first served, up to ``concurrency_wait`` seconds, and is
            then served as any other; when none comes it is refused with HTTP 429,
            ``GW-0010`` and ``Retry-After: 1``, before any fault hook and without running a
            function (counted in ``stats.refused``, never billed). None sets no limit.
        concurrency_wait: Seconds a request over ``max_concurrent`` waits for a slot
            (default 30, as Intacct is reported to; 0 refuses it at once). Keep it short in
            tests that exercise the refusal.
        denied_objects: Objects the API user has no permission for (``{"AUDITHISTORY"}``):
            every function on them but ``lookup`` and ``inspect`` fails with ``PL04000005``,
            the other functions of the request unaffected.
        visibility_lag: How long gateway reads do not see a change after it was made
            (Intacct's eventual consistency); sets ``company.visibility_lag`` when given.
        oversized_pages: What a page size over the gateway's limit gets: ``"refuse"`` (the
            default) fails a ``query`` pagesize above 2,000 at the control level
            (``XL03000003``, as the request schema does) and a ``readByQuery`` pagesize above
            1,000 as a function failure; ``"cap"`` serves the largest page allowed instead.
        preferences: The API user's preferences (time zone, date format, clock, locale):
            timestamps and dates are shown to the user, and read from their filters and
            writes, in them; ``readUserFormatting`` reports them. Default: UTC, ``/mdY``,
            24-hour clock, ``en_US`` (values exactly as stored).
        user_timezone: Shorthand for ``preferences`` with this time zone (a ``tzinfo`` or
            an IANA name such as ``"America/New_York"``).
        date_format: Shorthand for ``preferences`` with this date format (``"/dmY"``).

    Attributes:
        company: The company served.
        credentials: The credentials accepted.
        faults: The fault injector (may be replaced between requests).
        stats: What the emulator has served so far.
        denied_objects: The objects refused, upper-cased (assign another collection between
            requests to change them).
        preferences: The API user's preferences (may be replaced between requests).
        rest: The REST API over the same company (``/ia/api/v1``): its OAuth clients,
            ``authorize_as``, ``error_envelope`` and ``token_ttl`` settings.

    Examples:
        >>> from intacct_sdk.testing import Emulator, FaultPlan, demo_company
        >>> emulator = Emulator(demo_company(employees=5), faults=FaultPlan.parse("lost@3"))
        >>> emulator.company.count("EMPLOYEE")
        5
    """

    def __init__(
        self,
        company: Company | None = None,
        *,
        credentials: EmulatorCredentials = DEMO_CREDENTIALS,
        faults: FaultInjector | None = None,
        session_duration: timedelta = timedelta(hours=2),
        clock: Callable[[], datetime] | None = None,
        endpoint_url: str | None = None,
        result_ttl: timedelta = timedelta(minutes=15),
        dimension_labels: Mapping[str, str] | None = None,
        max_concurrent: int | None = DEFAULT_MAX_CONCURRENT,
        concurrency_wait: float = DEFAULT_WAIT,
        denied_objects: Iterable[str] = (),
        visibility_lag: timedelta | None = None,
        oversized_pages: Literal["refuse", "cap"] = "refuse",
        preferences: UserPreferences | None = None,
        user_timezone: tzinfo | str | None = None,
        date_format: str | None = None,
    ) -> None:
        check_limits(max_concurrent, concurrency_wait)
        if oversized_pages not in ("refuse", "cap"):
            raise ValueError(f"oversized_pages must be 'refuse' or 'cap', got {oversized_pages!r}")
        self.oversized_pages = oversized_pages
        self.company = company if company is not None else Company(clock=clock)
        if clock is not None:
            self.company.clock = clock
        self.clock: Callable[[], datetime] = clock or self.company.clock
        self.credentials = credentials
        self.preferences = _preferences(preferences, user_timezone, date_format)
        ensure_user(self.company, credentials.user_id)  # readByName USERINFO finds the user
        self.faults = faults
        self.session_duration = session_duration
        self.endpoint_url = endpoint_url
        self.stats = EmulatorStats()
        self.dimension_labels = dict(dimension_labels or {})
        self._results = ResultStore(result_ttl)
        self._sessions: dict[str, _Session] = {}
        self._lock = self.company.lock
        self.max_concurrent = max_concurrent
        self.concurrency_wait = float(concurrency_wait)
        self._slots = RequestSlots(self.stats._slot_taken, self.stats._waited)
        self.denied_objects = denied_objects
        if visibility_lag is not None:
            self.company.visibility_lag = visibility_lag
        self.rest = RestEmulator(self)

    def __repr__(self) -> str:
        return f"Emulator(company={self.company.name!r}, sessions={len(self._sessions)})"

    @property
    def denied_objects(self) -> frozenset[str]:
        """The objects the API user has no permission for (``PL04000005``), upper-cased."""
        return self._denied

    @denied_objects.setter
    def denied_objects(self, names: Iterable[str]) -> None:
        self._denied = denied_names(names, self.company.resolve)

    # -----------------------------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) answering from this emulator, without sockets.

        Returns:
            A new :class:`EmulatorTransport`; pass it as ``transport=`` to
            :class:`intacct_sdk.Client`, :class:`intacct_sdk.AsyncClient` or an httpx client.
            The client's endpoint URL is kept (its host shows in getAPISession's answer) but
            nothing goes over the network.

        Examples:
            >>> import attrs
            >>> from intacct_sdk import Client, Credentials
            >>> from intacct_sdk.testing import Emulator, demo_company
            >>> emulator = Emulator(demo_company(employees=3))
            >>> credentials = Credentials(**attrs.asdict(emulator.credentials))
            >>> with Client(credentials, transport=emulator.transport()) as client:
            ...     [e["EMPLOYEEID"] for e in client.query("EMPLOYEE", ["EMPLOYEEID"])]
            ['E00001', 'E00002', 'E00003']
        """
        from intacct_sdk.testing._transport import EmulatorTransport

        return EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Serve this emulator over HTTP on ``host:port``, in background threads.

        Args:
            host: The address to bind; loopback by default. Any other address exposes the
                emulator, and the credentials it accepts, to the network.
            port: The port to bind; 0 picks a free one (read it from the server's ``port``).

        Returns:
            A server that is already listening; use it as a context manager, or call its
            ``stop()``.

        Raises:
            OSError: The address cannot be bound (a port in use, an unknown host).

        Examples:
            >>> import attrs
            >>> from intacct_sdk import Client, Credentials
            >>> from intacct_sdk.testing import Emulator, demo_company
            >>> emulator = Emulator(demo_company(employees=3))
            >>> with emulator.serve() as server:
            ...     credentials = Credentials(
            ...         **attrs.asdict(emulator.credentials), endpoint_url=server.url
            ...     )
            ...     with Client(credentials) as client:
            ...         len(list(client.query("EMPLOYEE", ["EMPLOYEEID"])))
            3
        """
        from intacct_sdk.testing._server import serve

        return serve(self, host, port)

    def invalidate_sessions(self) -> None:
        """Drop every session: requests using a session ID fail until the client logs in again."""
        with self._lock:
            self._sessions.clear()

    def handle(
        self,
        body: bytes,
        *,
        method: str = "POST",
        path: str = GATEWAY_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse:
        """Answer one raw HTTP request (thread-safe).

        Gateway errors never raise: they are in the answer, as the gateway gives them (a
        control or authentication failure, or one failed result per function). A function
        that fails unexpectedly inside the emulator answers ``DL02000001`` and is logged.

        Args:
            body: The request body (the XML envelope).
            method: The HTTP method; anything but POST answers 405 with a gateway error.
            path: The URL path with any query string: the gateway path
                ``/ia/xml/xmlgw.phtml`` (its query string ignored), or a REST path under
                ``/ia/api/v1`` (answered by :attr:`rest`); anything else answers 404 with an
                HTML page.
            headers: The request headers; the gateway reads only Host and
                X-Forwarded-Proto (for the endpoint URL that getAPISession reports), REST
                requests their Authorization, entity, transaction and Idempotency-Key headers.

        Returns:
            The answer, possibly replaced or altered by the fault injector.
        """
        number = self.stats._request()
        rest = is_rest_path(path)
        if not self._slots.enter(self.max_concurrent, self.concurrency_wait):
            self.stats._refused()
            return self.rest.throttled(1) if rest else rate_limited(1)
        try:
            if rest:
                return self.rest.serve(number, body, method, path, headers or {})
            return self._handle(number, body, method, path, headers)
        finally:
            self._slots.leave()

    @property
    def waiting(self) -> int:
        """Requests waiting for a concurrency slot right now."""
        return self._slots.waiting

    @property
    def in_flight(self) -> int:
        """Requests being handled right now (each holding a concurrency slot)."""
        return self._slots.in_use

    def issued(self, session_id: str) -> bool:
        """Whether this emulator issued a session and still keeps it.

        Args:
            session_id: The session id.

        Returns:
            True for a session it issued that was not dropped (it may have expired).
        """
        return session_id in self._sessions

    def _handle(
        self,
        number: int,
        body: bytes,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
    ) -> EmulatorResponse:
        root: ET.Element | None = None
        parse_error: WireError | None = None
        try:
            root = parse_request_xml(body) if method.upper() == "POST" else None
        except WireError as exc:
            parse_error = exc
        ctx = _context(number, root)
        if self.faults is not None:
            early = self.faults.before_request(ctx)
            if early is not None:
                return early
        response = self._answer(ctx, method, path, headers or {}, root, parse_error)
        if self.faults is not None:
            response = self.faults.after_request(ctx, response)
        return response

    # -----------------------------------------------------------------------------------------

    def _answer(
        self,
        ctx: RequestContext,
        method: str,
        path: str,
        headers: Mapping[str, str],
        root: ET.Element | None,
        parse_error: WireError | None,
    ) -> EmulatorResponse:
        if path.split("?", 1)[0].rstrip("/") != GATEWAY_PATH:
            return _html(404, "Not Found")
        if method.upper() != "POST":
            body = response_document(
                control_block("failure", None, None, None, None),
                _errors_only(ErrorEntry("GW-0011", "Invalid Request: use HTTP POST", "", "")),
            )
            return EmulatorResponse(405, {"Content-Type": CONTENT_TYPE, "Allow": "POST"}, body)
        if root is None:
            text = str(parse_error) if parse_error else "no request"
            failure = _schema_error(text)
            return self._control_failure(failure, None)
        try:
            with self._lock:
                if self.faults is not None and self.faults.invalidate_sessions(ctx):
                    self._sessions.clear()
                body = self._process(ctx, root, headers)
        except _ControlFailure as failure:
            return self._control_failure(failure, root)
        return EmulatorResponse(200, {"Content-Type": CONTENT_TYPE}, body)

    def _control_failure(
        self, failure: _ControlFailure, root: ET.Element | None
    ) -> EmulatorResponse:
        control = root.find("control") if root is not None and root.tag == "request" else None
        if control is None:
            cb = control_block("failure", "", "", "false", "3.0")
        else:
            cb = control_block(
                "failure",
                child_text(control, "senderid") or "",
                child_text(control, "controlid") or "",
                child_text(control, "uniqueid") or "false",
                child_text(control, "dtdversion") or "3.0",
            )
        body = response_document(cb, _errors_only(failure.entry))
        return EmulatorResponse(failure.status, {"Content-Type": CONTENT_TYPE}, body)

    def _process(self, ctx: RequestContext, root: ET.Element, headers: Mapping[str, str]) -> bytes:
        if root.tag != "request":
            raise _schema_error(f"root element is <{root.tag}>, expected <request>")
        control = root.find("control")
        if control is None:
            raise _schema_error("<control> is missing")
        sender = child_text(control, "senderid")
        password = child_text(control, "password")
        control_id = child_text(control, "controlid")
        unique = child_text(control, "uniqueid")
        dtd = child_text(control, "dtdversion")
        for name, value in (
            ("senderid", sender),
            ("password", password),
            ("controlid", control_id),
            ("dtdversion", dtd),
        ):
            if value is None:
                raise _schema_error(f"<control> needs <{name}>")
        assert control_id is not None
        if len(control_id) > 256:
            raise _schema_error("controlid is longer than 256 characters")
        if unique not in (None, "true", "false"):
            raise _schema_error(f"uniqueid must be true or false, got '{unique}'")
        if dtd != "3.0":
            raise _schema_error(f"dtdversion '{dtd}' is not supported; use 3.0")
        if sender != self.credentials.sender_id or password != self.credentials.sender_password:
            raise _ControlFailure(
                ErrorEntry("XL03000006", "", "Incorrect Intacct XML Partner ID or password.", "")
            )
        policy = child_text(control, "policyid")
        if policy:
            raise _ControlFailure(
                ErrorEntry("XL03000006", "", f"{policy} is not a valid transport policy.", "")
            )
        operations = root.findall("operation")
        if len(operations) != 1:
            raise _schema_error("exactly one <operation> is accepted")
        op = operations[0]
        auth_el = op.find("authentication")
        content = op.find("content")
        if auth_el is None or content is None:
            raise _schema_error("<operation> needs <authentication> and <content>")
        functions = content.findall("function")
        if not functions or len(functions) != len(content):
            raise _schema_error("<content> holds one or more <function> elements")
        for f in functions:
            if f.get("controlid") is None or len(f) != 1:
                raise _schema_error("each <function> needs a controlid attribute and one child")
            problem = schema_problem(f[0], cap_oversized_pages=self.oversized_pages == "cap")
            if problem is not None:
                raise _schema_error(problem)
        transaction = (op.get("transaction") or "false").lower()
        if transaction not in ("true", "false"):
            raise _schema_error("transaction must be true or false")
        cb = control_block("success", sender, control_id, unique or "false", dtd)
        now = self.clock()
        auth = self._authenticate(auth_el, now)
        if isinstance(auth, str):
            return response_document(cb, f"<operation>{auth}</operation>")
        endpoint = self.endpoint_url or _endpoint_from(headers)
        stamp, timeout = _iso(now), _iso(now + self.session_duration)
        if auth.session is not None:
            auth.session.expires = now + self.session_duration
        head = auth_block(
            "success", auth.user_id, auth.company_id, auth.location_id, stamp, timeout
        )
        results = self._run(
            ctx, functions, auth, endpoint, now, unique == "true", transaction == "true"
        )
        return response_document(cb, f"<operation>{head}{''.join(results)}</operation>")

    def _authenticate(self, auth_el: ET.Element, now: datetime) -> _Auth | str:
        login = auth_el.find("login")
        sid_el = auth_el.find("sessionid")
        creds = self.credentials
        if login is not None:
            user = child_text(login, "userid") or ""
            company = child_text(login, "companyid") or ""
            pw = child_text(login, "password") or ""
            loc = child_text(login, "locationid") or None
            ok = (
                user == creds.user_id
                and company.upper() == creds.company_id.upper()
                and pw == creds.user_password
            )
            if ok and loc and not self._entity_exists(loc):
                ok = False
            if not ok:
                return _auth_failure(user, company, loc, "Sign-in information is incorrect")
            return _Auth(creds.user_id, creds.company_id, loc, None)
        if sid_el is not None:
            sid = (sid_el.text or "").strip()
            session = self._sessions.get(sid)
            if session is not None and session.expires <= now:
                del self._sessions[sid]
                session = None
            if session is None:
                return _auth_failure(
                    "",
                    "",
                    None,
                    "Invalid session. The session ID is unknown or has expired; sign in again.",
                )
            return _Auth(session.user_id, session.company_id, session.location_id, session)
        raise _schema_error("<authentication> needs <login> or <sessionid>")

    def _entity_exists(self, location_id: str) -> bool:
        return self.company.find("LOCATION", location_id) is not None

    def _run(
        self,
        ctx: RequestContext,
        functions: list[ET.Element],
        auth: _Auth,
        endpoint: str,
        now: datetime,
        unique: bool,
        transaction: bool,
    ) -> list[str]:
        company = self.company
        done: list[tuple[str, str, Outcome]] = []
        completed_ids: list[str] = []
        company.begin(actor=("api", auth.user_id))
        try:
            for f in functions:
                fcid = f.get("controlid", "")
                el = f[0]
                name = el.tag
                outcome = self._one(ctx, name, fcid, el, auth, endpoint, now, unique)
                if transaction:
                    done.append((name, fcid, outcome))
                    if outcome.errors:
                        company.rollback()
                        return self._aborted(functions, done)
                    completed_ids.append(fcid)
                else:
                    if outcome.crashed:
                        company.rollback()  # an unexpected error: keep nothing of it
                    else:
                        company.commit()  # records are checked before writing: keep what ran
                        if not outcome.errors:
                            company.remember_control_id(fcid)
                    done.append((name, fcid, outcome))
            for fcid in completed_ids:
                company.remember_control_id(fcid)
            company.commit()
        except BaseException:
            company.rollback()
            raise
        finally:
            company.end()
        return [
            result_block("failure" if o.errors else "success", n, c, o.payload, o.errors)
            for n, c, o in done
        ]

    def _aborted(
        self, functions: list[ET.Element], done: list[tuple[str, str, Outcome]]
    ) -> list[str]:
        out: list[str] = []
        failed_at = len(done) - 1
        for i, f in enumerate(functions):
            name, fcid = f[0].tag, f.get("controlid", "")
            if i == failed_at:
                errs = (*done[i][2].errors, ROLLED_BACK)
                out.append(result_block("failure", name, fcid, "", errs))
            else:
                out.append(result_block("aborted", name, fcid, "", (ROLLED_BACK,)))
        return out

    def _one(
        self,
        ctx: RequestContext,
        name: str,
        fcid: str,
        el: ET.Element,
        auth: _Auth,
        endpoint: str,
        now: datetime,
        unique: bool,
    ) -> Outcome:
        obj = object_of(name, el)
        if unique and self.company.seen_control_id(fcid):
            return Outcome(
                errors=(
                    ErrorEntry(
                        DUPLICATE_ERRNO,
                        "Duplicate control ID",
                        f"A function with control ID '{fcid}' was already executed; uniqueid=true "
                        "prevents running it again.",
                        "Use a new function control ID to run the function again.",
                    ),
                )
            )
        self.stats._function(name, obj)
        if self.faults is not None:
            injected = self.faults.function_failure(ctx, name, obj)
            if injected is not None:
                return Outcome(errors=(ErrorEntry(injected[0], "", injected[1], ""),))
        refused = refusal(name, obj, self.denied_objects)
        if refused is not None:
            return Outcome(errors=(refused,))
        call = Call(
            self.company,
            self._results,
            name,
            fcid,
            el,
            auth.user_id,
            auth.location_id,
            now,
            self.dimension_labels,
            cap_oversized_pages=self.oversized_pages == "cap",
            prefs=self.preferences,
        )
        try:
            if name == "getAPISession":
                return self._get_api_session(el, auth, endpoint, now)
            handler = (
                READ_FUNCTIONS.get(name)
                or WRITE_FUNCTIONS.get(name)
                or APPROVAL_FUNCTIONS.get(name)
                or USER_FUNCTIONS.get(name)
            )
            if handler is None:
                return Outcome(
                    errors=(
                        ErrorEntry(
                            "XL03000003",
                            "",
                            f"The function {name} is not supported by the emulator.",
                            "See the emulator documentation for the functions it implements.",
                        ),
                    )
                )
            return handler(call)
        except FunctionFailure as exc:
            return Outcome(exc.payload, exc.errors)
        except Exception:
            log.exception("emulator function %s failed", name)
            return Outcome(
                errors=(
                    ErrorEntry(
                        "DL02000001", "Error", "There was an error processing the request.", ""
                    ),
                ),
                crashed=True,
            )

    def _get_api_session(
        self, el: ET.Element, auth: _Auth, endpoint: str, now: datetime
    ) -> Outcome:
        loc_el = el.find("locationid")
        location = auth.location_id
        if loc_el is not None:
            location = (loc_el.text or "").strip() or None
        if location and not self._entity_exists(location):
            raise FunctionFailure(
                ErrorEntry("Get API Session Failed", "", f"Invalid entity '{location}'.", "")
            )
        expired = [k for k, v in self._sessions.items() if v.expires <= now]
        for k in expired:
            del self._sessions[k]
        sid = secrets.token_urlsafe(24) + ".."
        self._sessions[sid] = _Session(
            auth.user_id, auth.company_id, location, endpoint, now + self.session_duration
        )
        payload = (
            f"<data><api><sessionid>{esc(sid)}</sessionid><endpoint>{esc(endpoint)}</endpoint>"
            f"<locationid>{esc(location or '')}</locationid></api></data>"
        )
        return Outcome(payload)


def _preferences(
    preferences: UserPreferences | None, zone: tzinfo | str | None, date_format: str | None
) -> UserPreferences:
    prefs = preferences if preferences is not None else UserPreferences()
    if zone is not None:
        prefs = attrs.evolve(prefs, timezone=zone)
    if date_format is not None:
        prefs = attrs.evolve(prefs, date_format=date_format)
    return prefs


def _context(number: int, root: ET.Element | None) -> RequestContext:
    names: list[str] = []
    if root is not None:
        for f in root.iterfind("operation/content/function"):
            first = next(iter(f), None)
            if first is not None:
                names.append(first.tag)
    is_write = any(is_write_function(n) for n in names)
    return RequestContext(number, is_write, tuple(names))


def _errors_only(entry: ErrorEntry) -> str:
    return error_message([entry])


def _auth_failure(user: str, company: str, location: str | None, text: str) -> str:
    return auth_block("failure", user, company, location) + error_message(
        [ErrorEntry("XL03000006", "", text, "")]
    )


def _html(status: int, title: str) -> EmulatorResponse:
    body = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return EmulatorResponse(status, {"Content-Type": "text/html; charset=UTF-8"}, body.encode())


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _endpoint_from(headers: Mapping[str, str]) -> str:
    """The gateway URL the request came to: its Host, over ``X-Forwarded-Proto`` or http.

    The scheme matters: a client that logged in over https refuses a session endpoint on
    plain http. The loopback server is plain http; the in-process transport, and a TLS proxy
    in front of the server, say which scheme the client used.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    host = lower.get("host", "") or "localhost"
    scheme = lower.get("x-forwarded-proto", "").strip().lower()
    return f"{scheme if scheme in ('http', 'https') else 'http'}://{host}{GATEWAY_PATH}"
