"""Fault injection for the emulator: the failures a real gateway and its CDN produce.

A :class:`FaultPlan` implements the emulator's ``FaultInjector`` protocol. It decides, for each
HTTP request the emulator receives (numbered from 1 in arrival order), whether to answer
with a failure instead of (or after) handling it. Plans are written in Python or parsed from a
short text spec, the same one the ``intacct emulator --faults`` option takes::

    FaultPlan.parse("lost:0.2,http503:0.1")          # by rate, seeded
    FaultPlan.parse("lost@3,http524@5-6,session@9")  # by schedule (request numbers)
    FaultPlan.parse("http429=2@4,slow=45:0.05,function=query:0.1")

Each entry is ``KIND[=PARAM](:RATE | @SCHEDULE)``. A schedule is a request number ``N`` or an
inclusive range ``N-M``; entries may repeat a kind. The kinds:

``http502`` / ``http503``
    An HTML error page as a CDN or load balancer sends it, before the request is handled:
    nothing is applied.
``http524``
    The request is handled (a write commits), then the answer is replaced by the CDN's HTML
    "a timeout occurred" page with status 524.
``http429``
    Status 429 with a ``Retry-After`` header (PARAM seconds, default 1) and the gateway's
    ``GW-0010`` XML body, before handling.
``slow``
    The request is handled, then the answer is held back PARAM seconds (default 120), long
    enough to outlast a client's default read timeout (90 s).
``reset``
    The connection is dropped before the request is handled: nothing is applied.
``lost``
    The request is handled (a write commits), then the connection is dropped without an answer:
    "applied but response lost", the case idempotent writes must survive.
``session``
    Every open session is dropped before the request is handled, as when sessions are revoked
    or time out early; the request (if it uses a session id) fails authentication.
``function``
    A function fails with a transient error (``DL02000001``) while the rest of the request is
    handled normally. PARAM restricts it to one function name (``function=readByQuery``). By
    rate, each function is drawn on its own (two alike in one request too); by schedule, one
    function of the scheduled request fails: the first that runs (that PARAM names, if given).
``readerror``
    As ``function``, for read functions only (``read``, ``readByQuery``, ``query``,
    ``lookup``...; never a write nor ``getAPISession``): the ``DL02000001`` that peers see on
    reads in production and retry.
``html``
    An HTML error page in the style of Cloudflare's (it carries ``cf-error-details``) with
    status PARAM (default 502; any status from 100 to 599, 200 too), before handling:
    nothing is applied.
``truncated``
    The request is handled (a write commits), then the answer's XML is cut short at a point
    drawn from the seed, as a connection closed mid-answer leaves it.
``offline``
    The gateway's maintenance refusal, before handling: HTTP 200 with a control-level
    failure whose description is "The Service is Temporarily Off-line"; nothing is applied.

Rates are probabilities per eligible request, drawn from a seeded generator keyed by the
request number, so a plan with the same seed makes the same choices in every run, whatever the
thread interleaving. The request-level kinds of one plan are mutually exclusive (their rates may
add up to at most 1); ``function`` and ``readerror`` are drawn separately for each function.

Which requests are eligible (the choices, also listed in the docs):

* Requests whose only function is ``getAPISession`` (logins) never get a rate-drawn fault, so a
  client can always open a session; a schedule names request numbers and applies to whatever
  request has that number.
* ``lost`` and ``http524`` drawn by rate hit writes only (a request containing create, update,
  delete, approve, decline or a legacy write), since their point is a write that was applied
  but not acknowledged; a lost read looks like ``reset`` to a client.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Final, Literal, get_args

import attrs

from intacct_sdk.testing._hooks import (
    EmulatorResponse,
    RequestContext,
    is_write_function,
    rate_limited,
)

__all__ = ["FaultEvent", "FaultKind", "FaultPlan", "FaultRule", "FaultSpecError"]

_log = logging.getLogger(__name__)

FaultKind = Literal[
    "http502",
    "http503",
    "http524",
    "http429",
    "slow",
    "reset",
    "lost",
    "session",
    "function",
    "readerror",
    "html",
    "truncated",
    "offline",
]
FAULT_KINDS: Final[tuple[str, ...]] = get_args(FaultKind)

#: Kinds decided before the request is handled (the emulator answers with them instead).
_BEFORE: Final = frozenset({"http502", "http503", "http429", "reset", "html", "offline"})
#: Kinds applied to the response of a handled request.
_AFTER: Final = frozenset({"http524", "lost", "slow", "truncated"})
#: Kinds drawn per function, apart from the request-level kinds.
_PER_FUNCTION: Final = frozenset({"function", "readerror"})
#: The default status of an ``html`` page.
_HTML_STATUS: Final = 502
#: Kinds that, drawn by rate, only hit requests containing a write.
_WRITES_ONLY: Final = frozenset({"http524", "lost"})
#: Kinds that take a numeric parameter, with its default.
_NUMERIC_DEFAULTS: Final[dict[str, float]] = {"http429": 1.0, "slow": 120.0}

_LOGIN_FUNCTION: Final = "getAPISession"
_TRANSIENT_ERRORNO: Final = "DL02000001"
_TRANSIENT_DESCRIPTION: Final = "There was an error processing the request."


class FaultSpecError(ValueError):
    """A fault spec string, rule or plan is invalid; the message names the offending entry.

    Raised by :meth:`FaultPlan.parse`, :class:`FaultRule` and :class:`FaultPlan`. It is a
    ``ValueError``, so code that checks user input with ``except ValueError`` catches it.
    """


def _check_rule(rule: FaultRule) -> None:
    if rule.kind not in FAULT_KINDS:
        raise FaultSpecError(
            f"unknown fault kind {rule.kind!r}; expected one of {', '.join(FAULT_KINDS)}"
        )
    if (rule.rate is None) == (not rule.requests):
        raise FaultSpecError(f"fault {rule.kind!r} needs exactly one of a rate or a schedule")
    if rule.rate is not None and not 0.0 <= rule.rate <= 1.0:
        raise FaultSpecError(f"fault {rule.kind!r}: rate {rule.rate} is not between 0 and 1")
    if any(n < 1 for n in rule.requests):
        raise FaultSpecError(f"fault {rule.kind!r}: request numbers start at 1")
    if rule.param is not None:
        if rule.kind in _NUMERIC_DEFAULTS:
            try:
                value = float(rule.param)
            except ValueError:
                raise FaultSpecError(
                    f"fault {rule.kind!r}: parameter {rule.param!r} is not a number of seconds"
                ) from None
            if not value >= 0 or value == float("inf"):
                raise FaultSpecError(
                    f"fault {rule.kind!r}: parameter {rule.param!r} must be a finite number >= 0"
                )
        elif rule.kind in _PER_FUNCTION:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule.param):
                raise FaultSpecError(
                    f"fault {rule.kind!r}: parameter {rule.param!r} is not a function name"
                )
        elif rule.kind == "html":
            if not (rule.param.isdigit() and 100 <= int(rule.param) <= 599):
                raise FaultSpecError(
                    f"fault 'html': parameter {rule.param!r} is not an HTTP status (100-599)"
                )
        else:
            raise FaultSpecError(f"fault {rule.kind!r} takes no parameter")


def _request_numbers(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


@attrs.frozen(slots=True)
class FaultRule:
    """One fault kind, applied by rate or to a set of request numbers.

    Give exactly one of ``rate`` and ``requests``. :meth:`FaultPlan.parse` builds these from
    a spec string; :meth:`to_spec` writes one back.

    Attributes:
        kind: What happens: ``http502``, ``http503``, ``http524``, ``http429``, ``slow``,
            ``reset``, ``lost``, ``session``, ``function``, ``readerror``, ``html``,
            ``truncated`` or ``offline`` (see :meth:`FaultPlan.parse`).
        rate: Probability from 0 to 1 per eligible request (per function, for
            ``function`` and ``readerror``), or None for a schedule.
        requests: Request numbers (from 1) the fault applies to, any iterable of ints
            (stored as a frozenset), or empty when by rate.
        param: The kind's parameter as text: seconds (a finite number >= 0) for ``http429``
            (Retry-After, default 1) and ``slow`` (delay, default 120); a function name for
            ``function`` and ``readerror``; an HTTP status (100-599) for ``html`` (default
            502); None for the defaults. Other kinds take none.

    Raises:
        FaultSpecError: An unknown kind; both or neither of a rate and a schedule; a rate
            outside 0-1; a request number below 1; a parameter the kind does not take or
            cannot read.

    Examples:
        >>> from intacct_sdk.testing import FaultRule
        >>> FaultRule("slow", rate=0.05, param="45").to_spec()
        'slow=45:0.05'
        >>> FaultRule("lost", requests=[3, 5, 6]).to_spec()
        'lost@3,lost@5-6'
    """

    kind: str
    rate: float | None = None
    requests: frozenset[int] = attrs.field(default=frozenset(), converter=_request_numbers)
    param: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_rule(self)

    @property
    def seconds(self) -> float:
        """The numeric parameter in seconds (delay or Retry-After), or the kind's default.

        The defaults are 120 for ``slow``, 1 for ``http429`` and 0 for the other kinds.
        """
        if self.param is not None:
            return float(self.param)
        return _NUMERIC_DEFAULTS.get(self.kind, 0.0)

    def to_spec(self) -> str:
        """The rule in spec syntax (``FaultPlan.parse`` reads it back to an equal rule).

        Returns:
            ``KIND[=PARAM]:RATE``, or for a schedule one ``KIND[=PARAM]@N`` or ``@N-M`` entry
            per run of consecutive request numbers, joined by commas.
        """
        head = self.kind if self.param is None else f"{self.kind}={self.param}"
        if self.rate is not None:
            return f"{head}:{self.rate!r}"
        return ",".join(f"{head}@{a}" if a == b else f"{head}@{a}-{b}" for a, b in _runs(self))


def _runs(rule: FaultRule) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(rule.requests):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


@attrs.frozen(slots=True)
class FaultEvent:
    """A fault the plan injected, as listed by :attr:`FaultPlan.events`.

    Attributes:
        request_number: The request it hit (numbered from 1 in arrival order).
        kind: The fault's kind (``lost``, ``http503``...).
        function: For a ``function`` fault, the name of the function failed; else None.
    """

    request_number: int
    kind: str
    function: str | None = None


_ENTRY = re.compile(
    r"""^(?P<kind>[a-z0-9]+)
         (?:=(?P<param>[^:@]+))?
         (?:
            :(?P<rate>[^:@]+)
          | @(?P<first>[^:@-]+)(?:-(?P<last>[^:@-]+))?
         )$""",
    re.VERBOSE,
)
_MAX_SCHEDULE_SPAN: Final = 1_000_000


def _parse_entry(entry: str) -> FaultRule:
    match = _ENTRY.match(entry)
    if match is None:
        raise FaultSpecError(
            f"cannot read fault entry {entry!r}; expected KIND:RATE, KIND@N or KIND@N-M "
            "(optionally KIND=PARAM before the colon or at sign)"
        )
    kind = match["kind"]
    if kind not in FAULT_KINDS:
        raise FaultSpecError(
            f"unknown fault kind {kind!r} in {entry!r}; expected one of {', '.join(FAULT_KINDS)}"
        )
    if match["rate"] is not None:
        try:
            rate = float(match["rate"])
        except ValueError:
            raise FaultSpecError(f"rate {match['rate']!r} in {entry!r} is not a number") from None
        return FaultRule(kind, rate=rate, param=match["param"])
    try:
        first = int(match["first"])
        last = int(match["last"]) if match["last"] is not None else first
    except ValueError:
        raise FaultSpecError(
            f"schedule in {entry!r} must be a request number or a range N-M"
        ) from None
    if last < first:
        raise FaultSpecError(f"schedule in {entry!r} ends before it starts")
    if last - first >= _MAX_SCHEDULE_SPAN:
        raise FaultSpecError(f"schedule in {entry!r} spans more than {_MAX_SCHEDULE_SPAN} requests")
    return FaultRule(kind, requests=frozenset(range(first, last + 1)), param=match["param"])


def _html_page(code: int, title: str, text: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{code} {title}</title></head>\n"
        f"<body><h1>Error {code}</h1><h2>{title}</h2><p>{text}</p>"
        "<hr><p>cdn-edge</p></body></html>\n"
    ).encode()


_HTML_HEADERS: Final = {"Content-Type": "text/html; charset=UTF-8", "Cache-Control": "no-store"}
_PAGES: Final[dict[str, tuple[int, bytes]]] = {
    "http502": (
        502,
        _html_page(502, "Bad gateway", "The origin web server returned an invalid response."),
    ),
    "http503": (
        503,
        _html_page(
            503,
            "Service Temporarily Unavailable",
            "The server is temporarily unable to service your request.",
        ),
    ),
    "http524": (
        524,
        _html_page(
            524,
            "A timeout occurred",
            "The origin web server did not answer in time; it may still be processing the request.",
        ),
    ),
}


def _cdn_page(status: int) -> bytes:
    """An HTML error page as a CDN (Cloudflare-style, with ``cf-error-details``) serves it."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Error {status}</title></head>\n"
        f'<body><div id="cf-error-details" class="cf-error-details-wrapper">'
        f"<h1>Error {status}</h1><p>The web server reported an error.</p>"
        "<p>Ray ID: emulator</p></div></body></html>\n"
    ).encode()


_XML_TYPE: Final = 'text/xml; encoding="UTF-8"'
#: The maintenance refusal. Its errorno is not documented anywhere; clients match the text.
_OFFLINE_BODY: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<response><control><status>failure</status></control>"
    b"<errormessage><error><errorno>GW-0001</errorno>"
    b"<description>The Service is Temporarily Off-line</description>"
    b"<description2>The Service is Temporarily Off-line [Support ID: emulator]</description2>"
    b"<correction>Try again later.</correction></error></errormessage></response>\n"
)


class FaultPlan:
    """Which faults to inject into which requests (the emulator's ``FaultInjector``).

    Build one from rules, or with :meth:`parse` from a spec string, and give it to
    :class:`Emulator` (``faults=``). Requests are numbered from 1 in the order the emulator
    receives them, logins and faulted requests included. For each request, at most one
    request-level fault applies (every kind but ``function`` and ``readerror``): a schedule
    naming the request
    first, else one drawn by rate, from a generator seeded with the seed and the request
    number, so the same plan makes the same choices in every run whatever the thread
    interleaving. Rate-drawn faults spare requests whose only function is ``getAPISession``,
    and rate-drawn ``lost`` and ``http524`` hit only requests with a write (create, update,
    delete, approve, decline, a legacy write); a schedule applies to whatever request has
    that number. ``function`` and ``readerror`` faults are decided apart: by rate each
    function is drawn on its own; a schedule fails one function of each request it names,
    the first that runs (with that name, if the rule has one; a read, for ``readerror``).

    The plan records every fault it injected in :attr:`events`, so a test can assert on what
    actually happened. It is thread-safe.

    Args:
        rules: The fault rules; a kind may appear in several.
        seed: Seed for rate draws; the same seed gives the same faults for the same request
            numbers.

    Raises:
        FaultSpecError: The rates of the request-level rules add up to more than 1, or two
            request-level schedules name the same request.

    Examples:
        >>> from intacct_sdk.testing import Emulator, FaultPlan, FaultRule
        >>> plan = FaultPlan([FaultRule("http503", requests={2})])  # as parse("http503@2")
        >>> emulator = Emulator(faults=plan)
        >>> [emulator.handle(b"<request/>").status for _ in range(3)]
        [200, 503, 200]
        >>> plan.events
        (FaultEvent(request_number=2, kind='http503', function=None),)
        >>> plan.counts()["http503"]
        1
    """

    def __init__(self, rules: Iterable[FaultRule] = (), *, seed: int = 0) -> None:
        self.rules: tuple[FaultRule, ...] = tuple(rules)
        self.seed = seed
        total = sum(
            r.rate or 0.0 for r in self.rules if r.rate is not None and r.kind not in _PER_FUNCTION
        )
        if total > 1.0 + 1e-9:
            raise FaultSpecError(
                f"request-level fault rates add up to {total:g}; at most 1 request in 1 can fail"
            )
        seen: dict[int, str] = {}
        for rule in self.rules:
            if rule.kind in _PER_FUNCTION:
                continue
            for number in rule.requests:
                if number in seen:
                    raise FaultSpecError(
                        f"request {number} is scheduled for both {seen[number]!r} and {rule.kind!r}"
                    )
                seen[number] = rule.kind
        self._function_rules: tuple[tuple[int, FaultRule], ...] = tuple(
            (i, r) for i, r in enumerate(self.rules) if r.kind in _PER_FUNCTION
        )
        self._lock = threading.Lock()
        self._events: list[FaultEvent] = []
        # Per request under way: the functions seen so far and the schedules already used.
        self._calls: dict[int, _Calls] = {}

    @classmethod
    def parse(cls, spec: str, *, seed: int = 0) -> FaultPlan:
        """Read a plan from a spec such as ``"lost:0.2,http503:0.1"`` or ``"lost@3,http524@5-6"``.

        The spec is the one the ``intacct emulator --faults`` option and the
        ``intacct_emulator`` pytest marker take: comma-separated entries
        ``KIND[=PARAM](:RATE | @N | @N-M)``, spaces around entries ignored, a kind allowed in
        several entries. ``:RATE`` is a probability from 0 to 1; ``@N`` a request number from
        1 and ``@N-M`` an inclusive range of fewer than a million numbers. The kinds (lower
        case):

        - ``http502``, ``http503``: an HTML error page with that status, before handling
          (nothing applied).
        - ``http429[=S]``: status 429 with ``Retry-After: S`` (seconds, default 1) and the
          gateway's ``GW-0010`` XML error, before handling.
        - ``reset``: the connection is dropped before handling (nothing applied).
        - ``session``: every session is dropped before handling; a request that uses a
          session ID then fails authentication.
        - ``http524``: the request is handled (a write commits), then the answer is replaced
          by the CDN's HTML timeout page with status 524.
        - ``lost``: the request is handled (a write commits), then the connection is dropped
          without an answer.
        - ``slow[=S]``: the request is handled, then the answer is held back S seconds
          (default 120).
        - ``function[=NAME]``: a function (only one named NAME, if given) fails with the
          transient error ``DL02000001`` while the others run: by rate each function is
          drawn on its own; by schedule, the first such function of the request that runs.
        - ``readerror[=NAME]``: as ``function``, but only read functions fail (never a
          write, nor ``getAPISession``).
        - ``html[=CODE]``: a CDN's HTML error page (with ``cf-error-details``) with status
          CODE (default 502; 200 too), before handling (nothing applied).
        - ``offline``: the gateway's "The Service is Temporarily Off-line" refusal (HTTP 200,
          a control-level failure), before handling (nothing applied).
        - ``truncated``: the request is handled (a write commits), then its answer is cut
          short at a seeded point.

        S is a finite number of seconds >= 0 (``0.5`` too); NAME a function name such as
        ``readByQuery``; CODE an HTTP status from 100 to 599.

        Args:
            spec: The entries; a blank spec gives a plan without faults.
            seed: Seed for rate draws.

        Returns:
            The plan.

        Raises:
            FaultSpecError: An entry is malformed or empty (the message quotes it), a value
                is out of range, or the entries conflict as :class:`FaultPlan` describes.

        Examples:
            >>> from intacct_sdk.testing import FaultPlan, FaultSpecError
            >>> plan = FaultPlan.parse("lost@3, http429=2@4-5, function=readByQuery:0.1", seed=7)
            >>> plan.rules[1]
            FaultRule(kind='http429', rate=None, requests=frozenset({4, 5}), param='2')
            >>> plan.to_spec()
            'lost@3,http429=2@4-5,function=readByQuery:0.1'
            >>> try:
            ...     FaultPlan.parse("lost:0.6,reset:0.5")
            ... except FaultSpecError as exc:
            ...     print(exc)
            request-level fault rates add up to 1.1; at most 1 request in 1 can fail
        """
        entries = [e.strip() for e in spec.split(",")]
        if spec.strip() == "":
            return cls((), seed=seed)
        if any(e == "" for e in entries):
            raise FaultSpecError(f"empty entry in fault spec {spec!r}")
        return cls((_parse_entry(e) for e in entries), seed=seed)

    def to_spec(self) -> str:
        """The plan as a spec string (``parse`` reads it back to the same rules).

        Returns:
            The rules' specs (see :meth:`FaultRule.to_spec`), joined by commas; the seed is
            not part of it.
        """
        return ",".join(r.to_spec() for r in self.rules)

    def __repr__(self) -> str:
        return f"FaultPlan.parse({self.to_spec()!r}, seed={self.seed})"

    @property
    def events(self) -> tuple[FaultEvent, ...]:
        """Every fault injected so far, in the order injected (a snapshot; thread-safe)."""
        with self._lock:
            return tuple(self._events)

    def counts(self) -> Counter[str]:
        """Count the faults injected so far, by kind.

        Returns:
            Kind -> number of :attr:`events` of that kind (0 for a kind not injected).
        """
        return Counter(e.kind for e in self.events)

    def reset(self) -> None:
        """Forget the recorded events (the rules stay)."""
        with self._lock:
            self._events.clear()
            self._calls.clear()

    # -- decisions ---------------------------------------------------------------------------

    def _record(self, ctx: RequestContext, kind: str, function: str | None = None) -> None:
        _log.info("injecting fault %s into request %d", kind, ctx.request_number)
        with self._lock:
            self._events.append(FaultEvent(ctx.request_number, kind, function))

    def _request_rule(self, ctx: RequestContext) -> FaultRule | None:
        """The request-level rule that applies to this request, if any (pure in ctx)."""
        number = ctx.request_number
        for rule in self.rules:
            if rule.kind not in _PER_FUNCTION and number in rule.requests:
                return rule
        if _is_login(ctx):
            return None
        draw = random.Random(f"{self.seed}:{number}").random()
        edge = 0.0
        for rule in self.rules:
            if rule.rate is None or rule.kind in _PER_FUNCTION:
                continue
            edge += rule.rate
            if draw < edge:
                if rule.kind in _WRITES_ONLY and not ctx.is_write:
                    return None
                return rule
        return None

    def invalidate_sessions(self, ctx: RequestContext) -> bool:
        """Decide whether every session is dropped before this request (a ``session`` fault).

        Args:
            ctx: The request.

        Returns:
            True when a ``session`` rule applies to the request (recorded as an event).
        """
        rule = self._request_rule(ctx)
        if rule is not None and rule.kind == "session":
            self._record(ctx, "session")
            return True
        return False

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        """Decide whether to answer before the request is handled.

        Args:
            ctx: The request.

        Returns:
            For an ``http502``, ``http503``, ``http429``, ``html``, ``offline`` or ``reset``
            fault, the answer to give instead of handling the request (recorded as an
            event); otherwise None.
        """
        self._end_request(ctx)
        rule = self._request_rule(ctx)
        if rule is None or rule.kind not in _BEFORE:
            return None
        self._record(ctx, rule.kind)
        if rule.kind == "reset":
            return EmulatorResponse(status=500, headers={}, body=b"", disconnect=True)
        if rule.kind == "http429":
            return rate_limited(rule.seconds)
        if rule.kind == "html":
            status = int(rule.param) if rule.param is not None else _HTML_STATUS
            return EmulatorResponse(status, dict(_HTML_HEADERS), _cdn_page(status))
        if rule.kind == "offline":
            return EmulatorResponse(200, {"Content-Type": _XML_TYPE}, _OFFLINE_BODY)
        status, body = _PAGES[rule.kind]
        return EmulatorResponse(status=status, headers=dict(_HTML_HEADERS), body=body)

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        """Decide what to send for a handled request.

        Args:
            ctx: The request.
            response: The emulator's answer.

        Returns:
            ``response`` unchanged; or for an ``http524`` fault the CDN's 524 page, for
            ``lost`` the answer marked ``disconnect``, for ``slow`` the answer with its
            ``delay``, for ``truncated`` the answer cut short (each recorded as an event).
        """
        self._end_request(ctx)
        rule = self._request_rule(ctx)
        if rule is None or rule.kind not in _AFTER:
            return response
        self._record(ctx, rule.kind)
        if rule.kind == "lost":
            return attrs.evolve(response, disconnect=True)
        if rule.kind == "truncated":
            # Never the whole document: at least the end of its closing tag is gone.
            whole = len(response.body.rstrip())
            cut = random.Random(f"{self.seed}:{ctx.request_number}:truncated").randrange(
                1, max(whole, 2)
            )
            return attrs.evolve(response, body=response.body[:cut])
        if rule.kind == "slow":
            return attrs.evolve(response, delay=rule.seconds)
        status, body = _PAGES["http524"]
        return EmulatorResponse(status=status, headers=dict(_HTML_HEADERS), body=body)

    def _end_request(self, ctx: RequestContext) -> None:
        """Forget what :meth:`function_failure` noted about this request number."""
        if self._function_rules:
            with self._lock:
                self._calls.pop(ctx.request_number, None)

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        """Decide whether one function fails with a transient error (``function``, ``readerror``).

        Call it for each function of a request in order, as the emulator does (between
        :meth:`before_request` and :meth:`after_request`, which end what the plan notes about
        the request). A rule by schedule fails one function of each request it names: the
        first it is asked about (the first named as the rule says, if it has a name). A rule
        by rate draws for each function on its own, from the seed, the request number, the
        function, its object and how many functions alike came before it in the request. A
        ``readerror`` rule passes over writes and ``getAPISession``.

        Args:
            ctx: The request.
            function: The function's name; a rule with a name applies to that one only.
            object_name: The object it works on, or None (part of the rate draw's key).

        Returns:
            ``("DL02000001", "There was an error processing the request.")`` when a rule
            applies (recorded as an event), else None.
        """
        if not self._function_rules:
            return None
        number = ctx.request_number
        login = _is_login(ctx)
        read = not is_write_function(function) and function != _LOGIN_FUNCTION
        hit: FaultRule | None = None
        with self._lock:
            calls = self._calls.get(number)
            if calls is None:
                calls = self._calls[number] = _Calls()
                if len(self._calls) > _MAX_OPEN_REQUESTS:
                    del self._calls[next(iter(self._calls))]  # never ended; forget the oldest
            alike = (function, object_name or "")
            earlier = calls.seen[alike]
            calls.seen[alike] = earlier + 1
            for index, rule in self._function_rules:
                if rule.param is not None and rule.param != function:
                    continue
                if rule.kind == "readerror" and not read:
                    continue
                if rule.requests:
                    if number not in rule.requests or index in calls.used:
                        continue
                    calls.used.add(index)
                    hit = rule
                    break
                if login:
                    continue
                key = f"{self.seed}:{number}:{rule.kind}:{function}:{object_name or ''}"
                if earlier:
                    key += f":{earlier}"
                if random.Random(key).random() < (rule.rate or 0.0):
                    hit = rule
                    break
        if hit is None:
            return None
        self._record(ctx, hit.kind, function)
        return _TRANSIENT_ERRORNO, _TRANSIENT_DESCRIPTION


#: More requests than this under way at once means some were never ended (a caller that
#: skips ``after_request``); the oldest is then forgotten.
_MAX_OPEN_REQUESTS: Final = 1024


@attrs.define(slots=True)
class _Calls:
    """What :meth:`FaultPlan.function_failure` noted about one request under way."""

    seen: Counter[tuple[str, str]] = attrs.Factory(Counter)
    used: set[int] = attrs.Factory(set)


def _is_login(ctx: RequestContext) -> bool:
    names = ctx.function_names
    return bool(names) and all(n == _LOGIN_FUNCTION for n in names)
