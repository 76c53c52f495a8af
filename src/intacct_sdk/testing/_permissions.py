"""Objects the API user may not use: refused with ``PL04000005``, one function at a time.

A Web Services user whose role lacks a permission gets ``PL04000005`` "You do not have
permission for API operation READ_BY_QUERY on objects of type arinvoice" (shared reference
§2.9; the text is quoted whole in an integration's published notes on a readByQuery refusal).
The audit trail is the usual case: reading AUDITHISTORY needs the "View" permission on custom
reports (Sage's "Audit Trails" page), which many API users lack; Estuary's connector probes for
it with a one-row ``query`` and skips deletions when refused.

The refusal is a failed result of the function that named the object; the other functions of
the request run as usual. ``lookup`` and ``inspect`` are never refused (Estuary's connector
notes that they are not subject to permissions), nor ``getDimensions``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from intacct_sdk.testing._wire import ErrorEntry

__all__ = ["PERMISSION_ERRNO", "denied_names", "refusal"]

PERMISSION_ERRNO = "PL04000005"

# The operation each function asks permission for. Only READ_BY_QUERY for readByQuery is
# documented (by the refusal quoted above); the others are the emulator's choice.
_OPERATIONS = {
    "read": "READ",
    "readByName": "READ",
    "readByQuery": "READ_BY_QUERY",
    "readMore": "READ_BY_QUERY",
    "query": "READ_BY_QUERY",
    "create": "CREATE",
    "update": "UPDATE",
    "delete": "DELETE",
    "approve": "UPDATE",
    "decline": "UPDATE",
}


def denied_names(names: Iterable[str], resolve: Callable[[str], object | None]) -> frozenset[str]:
    """Object names to refuse, upper-cased and checked.

    Args:
        names: Object names, in any case.
        resolve: The company's object lookup (None for an object it does not know).

    Returns:
        The names, upper-cased.

    Raises:
        ValueError: ``names`` is a single string (a common slip: it would deny letters), or
            names an object the company does not know.
    """
    if isinstance(names, str):
        raise ValueError(
            f"denied_objects takes a collection of object names, not one string: {names!r}"
        )
    denied = frozenset(str(n).strip().upper() for n in names)
    unknown = sorted(n for n in denied if resolve(n) is None)
    if unknown:
        raise ValueError(f"denied_objects: no such object in the company: {unknown}")
    return denied


def refusal(function: str, object_name: str | None, denied: frozenset[str]) -> ErrorEntry | None:
    """The permission error for one function, or None when it may run.

    Args:
        function: The function's name (``query``, ``create_timesheet``...).
        object_name: The object it names first, upper-cased, or None.
        denied: The objects refused.

    Returns:
        ``PL04000005`` naming the operation and the object in lower case, or None.
    """
    if object_name is None or object_name not in denied:
        return None
    operation = _OPERATIONS.get(function)
    if operation is None:
        verb = function.partition("_")[0]  # create_timesheet, update_timetype...
        if verb not in ("create", "update", "delete"):
            return None  # lookup, inspect: never refused
        operation = verb.upper()
    return ErrorEntry(
        PERMISSION_ERRNO,
        "",
        f"You do not have permission for API operation {operation} on objects of type "
        f"{object_name.lower()}",
        "",
    )
