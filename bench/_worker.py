"""One measured run in a fresh process; prints one ``BENCH {json}`` line with what it measured.

Run by ``bench/run.py``, never by hand: ``python bench/_worker.py MODE @args.json``.
Modes named ``ours-*`` run in the project's environment; ``theirs-*`` run in
``bench/.venv-bench`` and import nothing from this project (only the standard library and
``sageintacctsdk``), so import time and memory are each client's own. ``proc`` runs a whole
command (a console script) and reports its wall time and the peak memory of that child alone.

The pull modes do two pulls in one process: ``cold`` is the time from the moment the
orchestrator started this process (``spawned``, epoch seconds) to the end of the first pull,
interpreter start and imports included; ``warm`` is the second pull with the same client.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def _peak_kb() -> int:
    """Peak RSS of this process in KiB (``VmHWM``: Linux carries ``ru_maxrss`` across
    ``execve``, so a fresh worker would report the RSS of the process that spawned it)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --------------------------------------------------------------------------- ours


def ours_pull(args: dict[str, Any]) -> dict[str, Any]:
    """Two pulls of one object with ``Client.query(prefetch=...)``: cold, then warm."""
    from intacct_sdk import Client, ClientOptions, Credentials

    creds = Credentials(endpoint_url=args["url"], **args["credentials"])
    name, fields, prefetch = args["object"], args["fields"], args.get("prefetch", 0)
    client = Client(creds, options=ClientOptions(timeout=120.0))
    out: dict[str, Any] = {}
    with client:
        for phase in ("cold", "warm"):
            t0 = time.perf_counter()
            n = sum(1 for _record in client.query(name, fields, prefetch=prefetch))
            end = time.perf_counter()
            out[phase] = time.time() - args["spawned"] if phase == "cold" else end - t0
            out["records"] = n
    return out


# --------------------------------------------------------------------------- theirs


def _theirs_sdk(args: dict[str, Any]) -> Any:
    import sageintacctsdk
    from sageintacctsdk.apis.api_base import ApiBase

    url = args["url"]
    original_init = ApiBase.__init__

    def init_with_url(self: Any, *a: Any, **k: Any) -> None:
        original_init(self, *a, **k)
        self._ApiBase__api_url = url  # the only change: the gateway URL

    ApiBase.__init__ = init_with_url  # type: ignore[method-assign]
    c = args["credentials"]
    return sageintacctsdk.SageIntacctSDK(
        sender_id=c["sender_id"],
        sender_password=c["sender_password"],
        user_id=c["user_id"],
        company_id=c["company_id"],
        user_password=c["user_password"],
    )


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
    """Two ``get_all`` pulls of one object: cold (SDK import and login included), then warm."""
    out: dict[str, Any] = {}
    sdk = _theirs_sdk(args)
    api = _theirs_api(sdk, args["object"], args)
    rows = api.get_all(fields=list(args["fields"]))
    out["cold"] = time.time() - args["spawned"]
    t0 = time.perf_counter()
    rows = api.get_all(fields=list(args["fields"]))
    out["warm"] = time.perf_counter() - t0
    out["records"] = len(rows)
    return out


def theirs_push(args: dict[str, Any]) -> dict[str, Any]:
    """One ``ApiBase.post`` (a create) per timesheet: sageintacctsdk has no timesheet API."""
    sdk = _theirs_sdk(args)
    api = _theirs_api(sdk, "TIMESHEET", args)
    with open(args["timesheets"]) as fh:
        timesheets = json.load(fh)
    for ts in timesheets:
        body = {k: v for k, v in ts.items() if k != "TIMESHEETENTRIES"}
        body["TIMESHEETENTRIES"] = {"TIMESHEETENTRY": ts["TIMESHEETENTRIES"]}
        api.post(body)
    return {"records": len(timesheets)}


def theirs_cli(args: dict[str, Any]) -> dict[str, Any]:
    """What a user script does with sageintacctsdk to dump employees as JSON."""
    sdk = _theirs_sdk(args)
    rows = _theirs_api(sdk, "EMPLOYEE", args).get_all(fields=list(args["fields"]))
    json.dump(rows, sys.stdout)
    sys.stdout.write("\n")
    return {"records": len(rows)}


# --------------------------------------------------------------------------- whole process


def proc(args: dict[str, Any]) -> dict[str, Any]:
    """Run ``args["cmd"]`` (stdout to ``args["stdout"]``); its wall time and peak RSS.

    This process is small (the standard library only), so the child's ``ru_maxrss``, which
    starts from the RSS of the process that executed it, is the child's own.
    """
    env = dict(os.environ)
    env.update(args.get("env") or {})
    for key in args.get("unset") or ():
        env.pop(key, None)
    with open(args["stdout"], "wb") as out, open(args["stderr"], "wb") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(args["cmd"], stdout=out, stderr=err, env=env, cwd=args["cwd"])
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
    return {"wall": wall, "child_rss_kb": usage.ru_maxrss, "rc": os.waitstatus_to_exitcode(status)}


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ours-pull": ours_pull,
    "theirs-pull": theirs_pull,
    "theirs-push": theirs_push,
    "theirs-cli": theirs_cli,
    "proc": proc,
}


def main() -> None:
    mode, raw = sys.argv[1], sys.argv[2]
    with open(raw[1:]) as fh:
        args = json.load(fh)
    out = MODES[mode](args)
    out["rss_kb"] = _peak_kb()
    stream = sys.stderr if mode == "theirs-cli" else sys.stdout
    stream.write("BENCH " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
