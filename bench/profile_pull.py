"""Repeat one benchmark pull for a while, for a sampling profiler to watch.

Run from the repository root::

    pip install py-spy
    py-spy record -r 500 -f raw -o pull.txt -- \
        python bench/profile_pull.py --employees 10000 --fields 15 --prefetch 2

The emulator serves a demo company of that many employees from a child process (so the
samples are the client's alone); this process pulls EMPLOYEE with ``Client.query`` (the first
5 or all 15 fields of the sync engine's mapping, as ``bench/run.py``'s pull row) until
``--seconds`` have passed, then prints how many pulls and records it made.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _scenario as S  # noqa: E402
import run as R  # noqa: E402


def _serve(employees: int, urls: Any, stop: Any) -> None:
    from intacct_sdk.testing import Emulator

    with Emulator(S.employee_company(employees)).serve() as server:
        urls.put(server.url)
        stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--fields", type=int, choices=(5, 15), default=15)
    parser.add_argument("--prefetch", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    urls: Any = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=_serve, args=(args.employees, urls, stop))
    server.start()
    try:
        from intacct_sdk import Client, ClientOptions, Credentials

        creds = Credentials(endpoint_url=urls.get(timeout=600), **R.credentials())
        objects = [("EMPLOYEE", R._fields(args.fields))]
        pulls = records = 0
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            with Client(creds, options=ClientOptions(timeout=120.0)) as client:
                for name, fields in objects:
                    for _record in client.query(name, fields, prefetch=args.prefetch):
                        records += 1
            pulls += 1
        print(f"{pulls} pulls, {records} records")
    finally:
        stop.set()
        server.join(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
