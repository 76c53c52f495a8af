"""One measured client run, in a fresh process; prints one JSON line with what it measured.

Run by ``bench/run.py``, never by hand: ``python bench/_worker.py MODE '<json args>'``.
Modes named ``ours-*`` and ``floor`` run in the project's environment; ``theirs-*`` run in
``bench/.venv-bench`` and import nothing from this project (only the standard library and
``sageintacctsdk``), so import time and memory are each client's own.

Every mode reports ``records``, ``wall`` (seconds, the measured work only), ``cpu`` (user +
system seconds of this process during the work), ``import_s`` (time to import the client)
and ``rss_kb`` (peak resident set size of the whole process, ``VmHWM``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_kb() -> int:
    """Peak RSS of this process in KiB.

    Linux carries ``ru_maxrss`` across ``execve`` (a fresh worker would report the RSS of
    the process that spawned it), so the high-water mark of this process's own memory map
    (``VmHWM``) is read instead where it exists.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _measure(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    wall0, cpu0 = time.perf_counter(), _cpu()
    out = work()
    out["wall"] = time.perf_counter() - wall0
    out["cpu"] = _cpu() - cpu0
    return out


# --------------------------------------------------------------------------- ours


def _ours_client(args: dict[str, Any]) -> tuple[Any, Any]:
    t0 = time.perf_counter()
    from intacct_sdk import Client, ClientOptions, Credentials

    import_s = time.perf_counter() - t0
    c = args["credentials"]
    transport = None
    emulator = None
    if args.get("inproc"):
        # The emulator runs in this process: build the same company first (not timed).
        from intacct_sdk.testing._emulator import Emulator
        from intacct_sdk.testing._seed import demo_company

        emulator = Emulator(demo_company(**args["inproc"]))
        _add_timesheets(emulator.company, args.get("timesheets_seed"))
        transport = emulator.transport()
    creds = Credentials(
        sender_id=c["sender_id"],
        sender_password=c["sender_password"],
        company_id=c["company_id"],
        user_id=c["user_id"],
        user_password=c["user_password"],
        endpoint_url=None if transport else args["url"],
    )
    client = Client(creds, options=ClientOptions(timeout=120.0), transport=transport)
    return client, {"import_s": import_s, "emulator": emulator}


def _add_timesheets(company: Any, spec: dict[str, Any] | None) -> None:
    if spec:
        sys.path.insert(0, spec["bench_dir"])
        from _scenario import seed_timesheets  # type: ignore[import-not-found]

        seed_timesheets(company, spec["entries"])


def ours_pull(args: dict[str, Any]) -> dict[str, Any]:
    client, info = _ours_client(args)

    def work() -> dict[str, Any]:
        n = 0
        with client:
            for name, fields in args["objects"]:
                for _record in client.query(name, fields, prefetch=args.get("prefetch", 0)):
                    n += 1
            stats = client.stats
        return {"records": n, "client_requests": stats.http_requests}

    out = _measure(work)
    out["import_s"] = info["import_s"]
    if info["emulator"] is not None:
        out["emu_requests"] = info["emulator"].stats.http_requests
        out["emu_functions"] = info["emulator"].stats.total_functions
    return out


def ours_incremental(args: dict[str, Any]) -> dict[str, Any]:
    client, info = _ours_client(args)
    from datetime import datetime

    from intacct_sdk import F
    from intacct_sdk.functions import Query

    since = datetime.fromisoformat(args["since"])

    def work() -> dict[str, Any]:
        with client:
            functions = [
                Query(name, fields, where=F("WHENMODIFIED") > since)
                for name, fields in args["objects"]
            ]
            results = client.execute(functions, raise_on_error=True)
            n = sum(len(r.page.records) for r in results if r.page is not None)
        return {"records": n}

    out = _measure(work)
    out["import_s"] = info["import_s"]
    return out


def ours_push(args: dict[str, Any]) -> dict[str, Any]:
    client, info = _ours_client(args)
    from intacct_sdk.functions import Create

    def work() -> dict[str, Any]:
        with client:
            functions = [Create("TIMESHEET", [ts]) for ts in args["timesheets"]]
            results = client.execute(functions, raise_on_error=True)
        return {"records": len(results)}

    out = _measure(work)
    out["import_s"] = info["import_s"]
    return out


def floor(args: dict[str, Any]) -> dict[str, Any]:
    """Fetch the same pages with httpx, keep the bytes; then time parsers on those bytes."""
    import gc
    import re
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as DET
    import httpx

    from intacct_sdk._envelope import Control, LoginAuth, build_request
    from intacct_sdk._parse import parse_response
    from intacct_sdk.functions import Query

    c = args["credentials"]
    control = Control(c["sender_id"], c["sender_password"], "bench")
    auth = LoginAuth(c["user_id"], c["company_id"], c["user_password"])
    remaining = re.compile(rb'numremaining="(\d+)"')
    bodies: list[bytes] = []

    def fetch_and_parse() -> dict[str, Any]:
        # The end-to-end floor: HTTP + the C parser, nothing else.
        n = 0
        with httpx.Client(timeout=120.0) as http:
            for name, fields in args["objects"]:
                offset = 0
                while True:
                    body = build_request(control, auth, [Query(name, fields, offset=offset)])
                    resp = http.post(args["url"], content=body)
                    resp.raise_for_status()
                    root = ET.fromstring(resp.content)
                    data = root.find("operation/result/data")
                    assert data is not None
                    n += len(data)
                    offset += len(data)
                    bodies.append(resp.content)
                    m = remaining.search(resp.content)
                    if not len(data) or m is None or int(m.group(1)) == 0:
                        break
        return {"records": n}

    out = _measure(fetch_and_parse)

    def round_of(fn: Callable[[bytes], Any]) -> float:
        gc.collect()
        t0 = _cpu_precise()
        for body in bodies:
            fn(body)
        return _cpu_precise() - t0

    # The parsers take turns within each round (so a change in the machine's load touches
    # all of them), and small inputs get more rounds: at least 5, and about 2 s of ET's
    # time, at most 60.
    parsers: dict[str, Callable[[bytes], Any]] = {
        "et": ET.fromstring,
        "ours": parse_response,
        "defusedxml": DET.fromstring,
    }
    parse: dict[str, float] = {name: round_of(fn) for name, fn in parsers.items()}
    rounds = args.get("rounds") or max(5, min(60, int(2.0 / max(parse["et"], 1e-3))))
    for _ in range(rounds - 1):
        for name, fn in parsers.items():
            parse[name] = min(parse[name], round_of(fn))
    out["parse_rounds"] = rounds
    out["parse_cpu"] = parse
    out["bytes"] = sum(len(b) for b in bodies)
    out["pages"] = len(bodies)
    if args.get("save"):
        with open(args["save"], "wb") as fh:
            for body in bodies:
                fh.write(len(body).to_bytes(8, "big") + body)
    return out


def _cpu_precise() -> float:
    return time.process_time()


# --------------------------------------------------------------------------- theirs


def _theirs_sdk(args: dict[str, Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    import sageintacctsdk
    from sageintacctsdk.apis.api_base import ApiBase

    import_s = time.perf_counter() - t0
    url = args["url"]
    original_init = ApiBase.__init__

    def init_with_url(self: Any, *a: Any, **k: Any) -> None:
        original_init(self, *a, **k)
        self._ApiBase__api_url = url  # the only change: the gateway URL

    ApiBase.__init__ = init_with_url  # type: ignore[method-assign]
    c = args["credentials"]
    sdk = sageintacctsdk.SageIntacctSDK(
        sender_id=c["sender_id"],
        sender_password=c["sender_password"],
        user_id=c["user_id"],
        company_id=c["company_id"],
        user_password=c["user_password"],
    )
    return sdk, import_s


def _theirs_api(sdk: Any, dimension: str, args: dict[str, Any]) -> Any:
    """A generic ApiBase for ``dimension`` sharing the SDK's session (how users reach
    objects the package has no class for, such as TIMESHEET)."""
    from sageintacctsdk.apis.api_base import ApiBase

    c = args["credentials"]
    api = ApiBase(dimension=dimension)
    api.set_sender_id(c["sender_id"])
    api.set_sender_password(c["sender_password"])
    api.set_session_id(sdk.api_base._ApiBase__session_id)
    api.set_show_private(False)
    return api


def theirs_pull(args: dict[str, Any]) -> dict[str, Any]:
    holder: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        sdk, holder["import_s"] = _theirs_sdk(args)
        n = 0
        for name, fields in args["objects"]:
            rows = _theirs_api(sdk, name, args).get_all(fields=list(fields))
            n += len(rows)
        return {"records": n}

    out = _measure(work)
    out["import_s"] = holder["import_s"]
    return out


def theirs_incremental(args: dict[str, Any]) -> dict[str, Any]:
    holder: dict[str, Any] = {}
    since = args["since_wire"]

    def work() -> dict[str, Any]:
        sdk, holder["import_s"] = _theirs_sdk(args)
        n = 0
        for name, fields in args["objects"]:
            api = _theirs_api(sdk, name, args)
            for page in api.get_all_generator(fields=list(fields), updated_at=since):
                n += len(page) if isinstance(page, list) else 1
        return {"records": n}

    out = _measure(work)
    out["import_s"] = holder["import_s"]
    return out


def theirs_push(args: dict[str, Any]) -> dict[str, Any]:
    holder: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        sdk, holder["import_s"] = _theirs_sdk(args)
        api = _theirs_api(sdk, "TIMESHEET", args)
        n = 0
        for ts in args["timesheets"]:
            body = {k: v for k, v in ts.items() if k != "TIMESHEETENTRIES"}
            body["TIMESHEETENTRIES"] = {"TIMESHEETENTRY": ts["TIMESHEETENTRIES"]}
            api.post(body)
            n += 1
        return {"records": n}

    out = _measure(work)
    out["import_s"] = holder["import_s"]
    return out


def theirs_cli(args: dict[str, Any]) -> dict[str, Any]:
    """What a user script does with sageintacctsdk to dump employees as JSON."""
    sdk, _ = _theirs_sdk(args)
    rows = _theirs_api(sdk, "EMPLOYEE", args).get_all(fields=list(args["fields"]))
    json.dump(rows, sys.stdout)
    sys.stdout.write("\n")
    return {"records": len(rows)}


def theirs_parse(args: dict[str, Any]) -> dict[str, Any]:
    """xmltodict (what sageintacctsdk parses with) over saved response bodies."""
    import xmltodict

    bodies = []
    with open(args["bodies"], "rb") as fh:
        while head := fh.read(8):
            bodies.append(fh.read(int.from_bytes(head, "big")))
    times = []
    for _ in range(args.get("rounds", 5)):
        t0 = time.process_time()
        for body in bodies:
            json.loads(json.dumps(xmltodict.parse(body.decode())))  # as sageintacctsdk does
        times.append(time.process_time() - t0)
    return {"records": 0, "parse_cpu": {"xmltodict": min(times)}}


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ours-pull": ours_pull,
    "ours-incremental": ours_incremental,
    "ours-push": ours_push,
    "floor": floor,
    "theirs-pull": theirs_pull,
    "theirs-incremental": theirs_incremental,
    "theirs-push": theirs_push,
    "theirs-cli": theirs_cli,
    "theirs-parse": theirs_parse,
}


def main() -> None:
    mode, raw = sys.argv[1], sys.argv[2]
    if raw.startswith("@"):
        with open(raw[1:]) as fh:
            args = json.load(fh)
    else:
        args = json.loads(raw)
    out = MODES[mode](args)
    out["rss_kb"] = _peak_kb()
    out["mode"] = mode
    stream = sys.stderr if mode == "theirs-cli" else sys.stdout
    stream.write("BENCH " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
