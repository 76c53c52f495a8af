"""Repeat one benchmark pull for a while, for a sampling profiler to watch.

Run from the repository root::

    pip install py-spy
    py-spy record -r 500 -f raw -o pull.txt -- \
        python bench/profile_pull.py --size medium --prefetch 2

The emulator serves the size's company from a child process (so the samples are the client's
alone); this process pulls every object of the size with ``Client.query`` until ``--seconds``
have passed, then prints how many pulls and records it made.
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


def _serve(size: str, urls: Any, stop: Any) -> None:
    from intacct_sdk.testing import Emulator

    with Emulator(S.build(S.SIZES[size])).serve() as server:
        urls.put(server.url)
        stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(S.SIZES), default="medium")
    parser.add_argument("--prefetch", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    urls: Any = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=_serve, args=(args.size, urls, stop))
    server.start()
    try:
        from intacct_sdk import Client, ClientOptions, Credentials

        creds = Credentials(endpoint_url=urls.get(timeout=600), **R.credentials())
        objects = [(name, R.fields_for(name)) for name in S.SIZES[args.size].pulls]
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
