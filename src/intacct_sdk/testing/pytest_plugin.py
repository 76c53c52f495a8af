"""pytest plugin registered through the ``pytest11`` entry point.

It only defines fixtures; the emulator itself is imported when a fixture is first used,
so installing this package adds nothing to the start-up of unrelated test suites.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# -- cassette fixtures (vcrpy; intacct_sdk.testing.cassettes) ------------------------------------


@pytest.fixture
def intacct_vcr(request: pytest.FixtureRequest) -> Any:
    """A ``vcr.VCR`` that scrubs passwords and session ids before writing a cassette.

    Cassettes go to a ``cassettes`` folder beside the test module. The record mode comes from
    ``INTACCT_RECORD_MODE`` (default ``once``: record when the cassette is missing, replay
    otherwise).
    """
    import os

    from intacct_sdk.testing.cassettes import intacct_vcr as make_vcr

    return make_vcr(
        request.path.parent / "cassettes",
        record_mode=os.environ.get("INTACCT_RECORD_MODE", "once"),
    )


@pytest.fixture
def intacct_cassette(intacct_vcr: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Record or replay the test's exchanges in ``cassettes/<test name>.yaml``."""
    with intacct_vcr.use_cassette(f"{request.node.name}.yaml") as cassette:
        yield cassette


# -- end of cassette fixtures -------------------------------------------------------------------
