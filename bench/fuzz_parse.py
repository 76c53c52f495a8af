"""Coverage-guided fuzzing (atheris) of the client's parser and the emulator's request reader.

Usage, in a throwaway environment (atheris is not a dependency of this project)::

    python -m venv ~/.venvs/fuzz && ~/.venvs/fuzz/bin/pip install atheris -e .
    ~/.venvs/fuzz/bin/python bench/fuzz_parse.py -max_total_time=120 [-rss_limit_mb=1024]

Any exception other than the typed ones (``IntacctError`` from the parser; none at all from
the emulator, which answers every body) is a finding and stops the fuzzer with the input.
libFuzzer's own limits catch hangs (``-timeout``, default 1200 s; pass e.g. ``-timeout=5``)
and memory blowups (``-rss_limit_mb``).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

with atheris.instrument_imports():
    from intacct_sdk import IntacctError
    from intacct_sdk._parse import parse_response
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._seed import empty_company

EMULATOR = Emulator(empty_company())
SEEDS = [
    b'<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status>'
    b"<senderid>s</senderid><controlid>c</controlid><uniqueid>false</uniqueid>"
    b"<dtdversion>3.0</dtdversion></control><operation><authentication><status>success"
    b"</status><userid>u</userid><companyid>c</companyid></authentication><result><status>"
    b"success</status><function>query</function><controlid>f</controlid><data listtype="
    b'"employee" count="1"><employee><RECORDNO>1</RECORDNO><PERSONALINFO><EMAIL1>a@b.c'
    b"</EMAIL1></PERSONALINFO><STARTDATE>01/02/2024</STARTDATE></employee></data></result>"
    b"</operation></response>",
]


def one_input(data: bytes) -> None:
    with contextlib.suppress(IntacctError):
        parse_response(data, max_bytes=1 << 20)
    EMULATOR.handle(data)  # must answer, never raise


def main() -> None:
    corpus = Path("bench/out/fuzz-corpus")
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(SEEDS):
        (corpus / f"seed-{i}.xml").write_bytes(seed)
    atheris.Setup([*sys.argv, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
