"""Many emulated companies behind one gateway URL: :class:`MultiEmulator`.

A vendor syncing many customers talks to one gateway for all of them; each login names its
company (``<companyid>``) and each session belongs to the company it was issued for. A
:class:`MultiEmulator` holds one :class:`~intacct_sdk.testing.Emulator` per company and hands
each request to the company it is for: a login by its ``<companyid>`` (compared without case,
as the gateway does), a request on a session by the emulator that issued the session. Each
company keeps its own data, sessions, concurrency limit and counters, so one company's load
never takes another's slots.

A login for a company it does not hold, or a session no company issued, is answered as the
gateway answers a wrong company id or an unknown session: an authentication failure
(``XL03000006``) after the sender is checked.

The counters of every company are readable in process (:meth:`MultiEmulator.stats`) and, over
the loopback server, from other processes: ``GET /_emulator/stats`` answers JSON.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import unescape

import attrs

from intacct_sdk.testing._company import Company
from intacct_sdk.testing._emulator import DEMO_CREDENTIALS, Emulator, EmulatorCredentials
from intacct_sdk.testing._hooks import EmulatorResponse
from intacct_sdk.testing._rest import is_rest_path
from intacct_sdk.testing._seed import CUSTOM_FIELD, seed_company
from intacct_sdk.testing._seed_data import SeedOptions
from intacct_sdk.testing._server import GATEWAY_PATH
from intacct_sdk.testing._slots import DEFAULT_MAX_CONCURRENT, DEFAULT_WAIT

if TYPE_CHECKING:
    from intacct_sdk.testing._server import EmulatorServer
    from intacct_sdk.testing._transport import EmulatorTransport

__all__ = ["STATS_PATH", "CompanyStats", "MultiEmulator", "timesheet_counts"]

#: Where the loopback server answers every company's counters as JSON.
STATS_PATH: Final = "/_emulator/stats"

_AUTH = re.compile(rb"<authentication>(.*?)</authentication>", re.DOTALL)
_COMPANY = re.compile(rb"<companyid>\s*([^<]*?)\s*</companyid>")
_SESSION = re.compile(rb"<sessionid>\s*([^<]*?)\s*</sessionid>")
# No login can name it (XML text cannot hold NUL): the refusing emulator accepts no company.
_NO_COMPANY: Final = "\x00"


@attrs.frozen
class CompanyStats:
    """One emulated company's counters, as :meth:`MultiEmulator.stats` reads them.

    Attributes:
        company_id: The company.
        max_concurrent: Its limit of requests at once (None: no limit).
        requests: HTTP requests routed to the company (refused ones included).
        functions: Functions run for it.
        in_flight: Requests being handled now.
        peak_in_flight: The most requests handled at once so far (never above its limit).
        waiting: Requests waiting for one of its slots now.
        over_limit: Requests that arrived with every slot of the company taken (they waited,
            and were served or refused): what a shared limiter keeps at zero.
        refused: Requests refused with ``GW-0010`` after waiting in vain.
        timesheets: Timesheets in the company that are not declined.
        duplicate_timesheets: Timesheets beyond the first with the same employee, start
            date and import key (the ``TIMESYNC_ID`` stamp), declined ones left out.
    """

    company_id: str
    max_concurrent: int | None
    requests: int
    functions: int
    in_flight: int
    peak_in_flight: int
    waiting: int
    over_limit: int
    refused: int
    timesheets: int
    duplicate_timesheets: int

    def to_json(self) -> dict[str, int | None]:
        """The counters as a JSON object.

        Returns:
            Every counter by name; the company id is left out (it is the object's key).
        """
        out = attrs.asdict(self)
        del out["company_id"]
        return out


def timesheet_counts(company: Company) -> tuple[int, int]:
    """``(timesheets, duplicates)`` of ``company``, as :class:`CompanyStats` counts them."""
    per_key = Counter(
        (t.get("EMPLOYEEID"), t.get("BEGINDATE"), t.get(CUSTOM_FIELD))
        for t in company.records("TIMESHEET")
        if t.get("STATE") != "Declined"
    )
    return sum(per_key.values()), sum(n - 1 for n in per_key.values() if n > 1)


def _text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace")).strip()


class MultiEmulator:
    """Several emulated companies behind one gateway, each its own :class:`Emulator`.

    Requests go to the company they are for (see the module docs); every company keeps its
    own concurrency limit (``max_concurrent`` of its emulator) and counters. Serve it in
    process with :meth:`transport` or over HTTP with :meth:`serve`, as an :class:`Emulator`.

    Args:
        companies: The emulators, by company id; each must accept that company id at login.

    Raises:
        ValueError: A company id is empty, repeated, or not the one its emulator accepts.

    Attributes:
        unrouted: Requests no company took (an unknown company or session, an unreadable
            request); each was answered as the gateway answers them.
        stats_endpoint: Whether ``GET /_emulator/stats`` answers (True; :meth:`serve` turns
            it off on an address other than loopback).

    Examples:
        >>> import attrs
        >>> from intacct_sdk import Client, Credentials
        >>> from intacct_sdk.testing import MultiEmulator
        >>> emulators = MultiEmulator.seeded(2, employees=3, projects=1)
        >>> emulators.companies()
        ('C0001', 'C0002')
        >>> creds = emulators.get("c0002").credentials
        >>> with Client(Credentials(**attrs.asdict(creds)), transport=emulators.transport()) as c:
        ...     len(list(c.query("EMPLOYEE", ["EMPLOYEEID"])))
        3
        >>> emulators.stats()["C0002"].requests
        2
    """

    def __init__(self, companies: Mapping[str, Emulator] | None = None) -> None:
        self._lock = threading.Lock()
        self._companies: dict[str, tuple[str, Emulator]] = {}  # upper-cased id -> (id, emulator)
        self._sessions: dict[str, Emulator] = {}  # session id -> the emulator that issued it
        self._refuser: Emulator | None = None
        self.unrouted = 0
        self.stats_endpoint = True
        for company_id, emulator in (companies or {}).items():
            self.add(company_id, emulator)

    @classmethod
    def seeded(
        cls,
        n: int,
        *,
        employees: int = 25,
        projects: int = 8,
        tasks_per_project: int = 4,
        customers: int = 10,
        seed: int = 1,
        credentials: EmulatorCredentials = DEMO_CREDENTIALS,
        max_concurrent: int | None = DEFAULT_MAX_CONCURRENT,
        concurrency_wait: float = DEFAULT_WAIT,
        **emulator_options: Any,
    ) -> MultiEmulator:
        """``n`` seeded demo companies, ``C0001`` to ``C{n:04d}``.

        Each is seeded as :func:`~intacct_sdk.testing.demo_company` seeds one, with the seed
        ``seed + i - 1`` for company ``i``, so companies differ but a run repeats. All
        accept the same sender and user (``credentials``), each under its own company id.

        Args:
            n: How many companies (at least 1).
            employees: Employees per company.
            projects: Projects per company.
            tasks_per_project: Tasks in each project.
            customers: Customers per company.
            seed: The seed of the first company.
            credentials: The sender and user every company accepts (its ``company_id`` is
                replaced by each company's).
            max_concurrent: Each company's concurrent requests (default 2; None: no limit).
            concurrency_wait: Seconds a request over a company's limit waits for a slot.
            **emulator_options: Further keyword arguments of :class:`Emulator` for every
                company (``denied_objects``, ``preferences``, ``visibility_lag``, ...).

        Returns:
            The emulators.

        Raises:
            ValueError: ``n`` is below 1, or a size is out of range.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        multi = cls()
        for i in range(1, n + 1):
            company_id = f"C{i:04d}"
            company = Company(name=company_id)
            options = SeedOptions(
                employees=employees,
                projects=projects,
                tasks_per_project=tasks_per_project,
                customers=customers,
                seed=seed + i - 1,
            )
            seed_company(company, options)
            emulator = Emulator(
                company,
                credentials=attrs.evolve(credentials, company_id=company_id),
                max_concurrent=max_concurrent,
                concurrency_wait=concurrency_wait,
                **emulator_options,
            )
            multi.add(company_id, emulator)
        return multi

    def __repr__(self) -> str:
        return f"MultiEmulator(companies={len(self._companies)})"

    def __len__(self) -> int:
        return len(self._companies)

    def __iter__(self) -> Iterator[str]:
        return iter(self.companies())

    # -----------------------------------------------------------------------------------------

    def add(self, company_id: str, emulator: Emulator) -> None:
        """Serve ``emulator`` as the company ``company_id``.

        Args:
            company_id: The company id logins name (compared without case).
            emulator: The company's emulator; it must accept ``company_id`` at login.

        Raises:
            ValueError: The id is empty or held already, or ``emulator`` accepts another
                company id at login.
        """
        key = company_id.strip().upper()
        if not key:
            raise ValueError("a company id must not be empty")
        if emulator.credentials.company_id.strip().upper() != key:
            raise ValueError(
                f"the emulator for {company_id!r} accepts company "
                f"{emulator.credentials.company_id!r} at login"
            )
        with self._lock:
            if key in self._companies:
                raise ValueError(f"company {company_id!r} is served already")
            self._companies[key] = (company_id.strip(), emulator)
            self._refuser = None  # made again, with the senders as they are now

    def companies(self) -> tuple[str, ...]:
        """The company ids served.

        Returns:
            The ids as given to :meth:`add`, in the order they were added.
        """
        return tuple(cid for cid, _ in self._companies.values())

    def get(self, company_id: str) -> Emulator:
        """The emulator of one company.

        Args:
            company_id: The company id (compared without case).

        Returns:
            The company's emulator.

        Raises:
            KeyError: No such company.
        """
        found = self._companies.get(company_id.strip().upper())
        if found is None:
            raise KeyError(company_id)
        return found[1]

    def route(self, body: bytes) -> Emulator | None:
        """The company emulator a request body is for.

        A login goes by its ``<companyid>``, a session id to the emulator that issued it.

        Args:
            body: The request body (the XML envelope).

        Returns:
            The emulator, or None when the request names no company served (or none issued
            its session, or it cannot be read).
        """
        auth = _AUTH.search(body)
        if auth is None:
            return None
        block = auth.group(1)
        sid = _SESSION.search(block)
        if sid is not None:
            return self._by_session(_text(sid.group(1)))
        company = _COMPANY.search(block)
        if company is None:
            return None
        found = self._companies.get(_text(company.group(1)).upper())
        return found[1] if found is not None else None

    def _by_session(self, session_id: str) -> Emulator | None:
        known = self._sessions.get(session_id)
        if known is not None and known.issued(session_id):
            return known
        for _, emulator in list(self._companies.values()):
            if emulator.issued(session_id):
                with self._lock:
                    self._sessions[session_id] = emulator
                return emulator
        if known is not None:
            with self._lock:
                self._sessions.pop(session_id, None)  # expired or dropped there
        return None

    def _rest_route(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Emulator | None:
        for _, emulator in list(self._companies.values()):
            if emulator.rest.claims(method, path, headers, body):
                return emulator
        return None

    def _refusing(self) -> Emulator:
        """An emulator of no company: it checks the sender and refuses every login."""
        with self._lock:
            if self._refuser is None:
                first = next(iter(self._companies.values()), None)
                creds = first[1].credentials if first is not None else DEMO_CREDENTIALS
                self._refuser = Emulator(
                    credentials=attrs.evolve(creds, company_id=_NO_COMPANY), max_concurrent=None
                )
            return self._refuser

    # -----------------------------------------------------------------------------------------

    def handle(
        self,
        body: bytes,
        *,
        method: str = "POST",
        path: str = GATEWAY_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse:
        """Answer one raw HTTP request from the company it is for (thread-safe).

        ``GET /_emulator/stats`` answers :meth:`stats_json` (while :attr:`stats_endpoint`).
        Everything else is answered as :meth:`Emulator.handle` answers it: by the company's
        emulator, or, for no company served, as the gateway refuses an unknown one. A REST
        request (``/ia/api/v1/...``) goes to the company whose token it carries, or whose
        user its token request names (``user@company``), code or refresh token.

        Args:
            body: The request body (the XML envelope).
            method: The HTTP method.
            path: The URL path.
            headers: The request headers (see :meth:`Emulator.handle`).

        Returns:
            The answer.
        """
        if self.stats_endpoint and path.split("?", 1)[0].rstrip("/") == STATS_PATH:
            return self._stats_answer(method)
        if is_rest_path(path):
            rest_target = self._rest_route(method, path, headers or {}, body)
            if rest_target is not None:
                return rest_target.handle(body, method=method, path=path, headers=headers)
            with self._lock:
                self.unrouted += 1
            return self._refusing().handle(body, method=method, path=path, headers=headers)
        target = self.route(body) if method.upper() == "POST" else None
        if target is None:
            with self._lock:
                self.unrouted += 1
            target = self._refusing()
        return target.handle(body, method=method, path=path, headers=headers)

    def _stats_answer(self, method: str) -> EmulatorResponse:
        if method.upper() not in ("GET", "HEAD"):
            return EmulatorResponse(
                405, {"Content-Type": "text/plain", "Allow": "GET"}, b"use GET\n"
            )
        body = json.dumps(self.stats_json(), sort_keys=True).encode()
        return EmulatorResponse(200, {"Content-Type": "application/json"}, body)

    def stats(self) -> dict[str, CompanyStats]:
        """Every company's counters now.

        Returns:
            The counters by company id, in the order the companies were added.
        """
        out: dict[str, CompanyStats] = {}
        for company_id, emulator in list(self._companies.values()):
            s = emulator.stats
            timesheets, duplicates = timesheet_counts(emulator.company)
            out[company_id] = CompanyStats(
                company_id=company_id,
                max_concurrent=emulator.max_concurrent,
                requests=s.http_requests,
                functions=s.total_functions,
                in_flight=emulator.in_flight,
                peak_in_flight=s.peak_concurrent,
                waiting=emulator.waiting,
                over_limit=s.waited,
                refused=s.refused,
                timesheets=timesheets,
                duplicate_timesheets=duplicates,
            )
        return out

    def stats_json(self) -> dict[str, Any]:
        """:meth:`stats` as the JSON ``GET /_emulator/stats`` answers.

        Returns:
            ``{"companies": {"C0001": {"requests": ..., ...}, ...}, "unrouted": n}``; no
            credential or session id is in it.
        """
        companies = {cid: s.to_json() for cid, s in self.stats().items()}
        return {"companies": companies, "unrouted": self.unrouted}

    # -----------------------------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) answering from these companies, in process.

        Returns:
            A new :class:`EmulatorTransport` over this multi-company emulator.
        """
        from intacct_sdk.testing._transport import EmulatorTransport

        return EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Serve every company over HTTP on ``host:port`` (one URL), in background threads.

        ``GET /_emulator/stats`` answers on a loopback address only.

        Args:
            host: The address to bind; loopback by default.
            port: The port to bind; 0 picks a free one.

        Returns:
            A server already listening; use it as a context manager or call its ``stop()``.

        Raises:
            OSError: The address cannot be bound.
        """
        from intacct_sdk._config import is_loopback_host
        from intacct_sdk.testing._server import serve

        self.stats_endpoint = self.stats_endpoint and is_loopback_host(host)
        return serve(self, host, port)
