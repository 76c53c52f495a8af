"""``readUserFormatting``: an API user's locale, date format, GMT offset and clock.

The answer has the shape Estuary's Intacct connector reads (``estuary/connectors``,
``source-sage-intacct/source_sage_intacct/models.py``): one ``<userformatting>`` in
``<data>``, holding ``locale``, ``dateformat``, ``gmtoffset`` and ``clock``.
The key is the user's USERINFO RECORDNO (``readByName USERINFO`` by LOGINID gives it).

The GMT offset is the one in force at the emulator's clock (an assumption: whether Intacct
reports the current or the standard offset of a zone with daylight saving time is not known).
"""

from __future__ import annotations

from collections.abc import Callable

from intacct_sdk.testing._functions import Call, FunctionFailure, Outcome
from intacct_sdk.testing._prefs import DEFAULT_PREFERENCES
from intacct_sdk.testing._wire import ErrorEntry, child_text, esc

__all__ = ["USER_FUNCTIONS"]


def _read_user_formatting(call: Call) -> Outcome:
    key = child_text(call.element, "key") or ""
    row = call.company.table("USERINFO").rows.get(int(key)) if key.isdigit() else None
    if row is None:
        raise FunctionFailure(
            ErrorEntry(
                "BL01001973",
                "",
                f"Could not read the formatting of user key '{key}': no such user.",
                "Use readByName on USERINFO to find the user's RECORDNO.",
            )
        )
    # Only the credentials' user signs in; any other user shows the company defaults.
    prefs = call.prefs if row.get("LOGINID") == call.user_id else DEFAULT_PREFERENCES
    body = (
        f"<userformatting><locale>{esc(prefs.locale)}</locale>"
        f"<dateformat>{esc(prefs.date_format)}</dateformat>"
        f"<gmtoffset>{prefs.gmt_offset(call.now)}</gmtoffset>"
        f"<clock>{prefs.clock}</clock></userformatting>"
    )
    return Outcome(f"<data>{body}</data>")


USER_FUNCTIONS: dict[str, Callable[[Call], Outcome]] = {
    "readUserFormatting": _read_user_formatting,
}
