"""Results are paired with functions by control id, never by position."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import httpx
import pytest
from _fake_gateway import CREDS, FakeGateway, auth_block, control, xml_response

from intacct_sdk import Client, MalformedResponseError, ResultMismatchError
from intacct_sdk.functions import Raw

Reorder = Callable[[list[str]], list[str]]


def _answer(reorder: Reorder) -> Callable[[httpx.Request], httpx.Response]:
    """Answer each function of the request with a success whose control ids are
    ``reorder(sent ids)``."""

    def answer(request: httpx.Request) -> httpx.Response:
        root = ET.fromstring(request.read())
        sent = [fn.get("controlid", "") for fn in root.iterfind("operation/content/function")]
        results = "".join(
            "<result><status>success</status><function>x</function>"
            + ("" if cid is None else f"<controlid>{cid}</controlid>")
            + "</result>"
            for cid in reorder(sent)
        )
        return xml_response(control() + "<operation>" + auth_block(None) + results + "</operation>")

    return answer


CASES: dict[str, tuple[Reorder, str]] = {
    "swapped": (lambda ids: [ids[1], ids[0], ids[2]], "not in request order"),
    "missing": (lambda ids: ids[:2], "no result for"),
    "repeated": (lambda ids: [ids[0], ids[0], ids[2]], "repeated"),
    "unknown": (lambda ids: [ids[0], ids[1], "someone-else"], "unknown 'someone-else'"),
    "extra": (lambda ids: [*ids, "f4"], "4 results for 3 functions"),
    "empty": (lambda ids: [ids[0], "", ids[2]], "no result for"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_that_do_not_pair_by_control_id_are_refused(case: str) -> None:
    reorder, words = CASES[case]
    gw = FakeGateway()
    with Client(CREDS, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")  # log in first: request 3 is the batch
        gw.fault(3, _answer(reorder))
        functions = [Raw(f"<f{i}/>", is_write=True, control_id=f"f{i}") for i in (1, 2, 3)]
        with pytest.raises(ResultMismatchError) as info:
            client.execute(functions)
    err = info.value
    assert isinstance(err, MalformedResponseError)
    assert words in str(err)
    assert err.expected == ("f1", "f2", "f3")
    assert "\n" not in str(err)
    assert gw.requests == 3  # refused, not resent: the writes may have run


def test_results_in_request_order_with_their_ids_are_paired() -> None:
    gw = FakeGateway()
    with Client(CREDS, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")
        gw.fault(3, _answer(lambda ids: ids))
        functions = [Raw(f"<f{i}/>", is_write=False, control_id=f"f{i}") for i in (1, 2, 3)]
        results = client.execute(functions)
    assert [r.control_id for r in results] == ["f1", "f2", "f3"]


def test_a_single_function_with_the_wrong_control_id_is_refused() -> None:
    gw = FakeGateway({"EMPLOYEE": [{"RECORDNO": 1}]})
    with Client(CREDS, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")
        gw.fault(3, _answer(lambda ids: ["not-" + ids[0]]))
        with pytest.raises(ResultMismatchError):
            client.read("EMPLOYEE", [1])


def test_a_login_answer_for_another_control_id_is_refused() -> None:
    gw = FakeGateway()
    gw.fault(
        1,
        lambda r: xml_response(
            control()
            + "<operation>"
            + auth_block(None)
            + "<result><status>success</status><function>getAPISession</function>"
            + "<controlid>other</controlid><data><api><sessionid>s-123456</sessionid>"
            + "<endpoint></endpoint></api></data></result></operation>"
        ),
    )
    with Client(CREDS, transport=gw.transport()) as client, pytest.raises(ResultMismatchError):
        client.lookup("EMPLOYEE")
