"""A sync described by a TOML file, as ``timesync sync --config FILE`` runs it.

::

    [intacct]                       # credentials: these keys, else INTACCT_* variables / profile
    endpoint_url = "https://api.intacct.com/ia/xml/xmlgw.phtml"
    profile = "acme"                # optional INI profile

    [state]
    path = "timesync-state.db"      # relative paths are relative to the config file

    [local]
    reference = "app.db"            # the reference app, or:
    # factory = "myapp.sync:local_system"   # a callable returning your LocalSystem

    [engine]
    lookback_minutes = 5
    match_on = ["intacct_key", "id", "email", "name"]
    pull = ["DEPARTMENT", "LOCATION", "CLASS", "CUSTOMER", "EMPLOYEE", "PROJECT", "TASK"]
    push = ["TIMESHEET"]

    [engine.import_selected]        # optional allow-lists
    EMPLOYEE = ["E100", "E101"]

    [engine.writeback_field]        # optional: write the local id into a custom field
    EMPLOYEE = "TIMESYNC_LOCAL_ID"

    [push]
    target_state = "Submitted"      # Draft | Submitted | Approved
    approved_by = "jdoe"            # optional, approve on behalf of
    stamp_field = "TIMESYNC_ID"

    [mapping]
    file = "mapping.toml"           # optional spec overrides (see `timesync mapping show`)
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from timesync.engine._engine import Engine
from timesync.engine._options import EngineOptions, PushOptions
from timesync.engine._report import EngineHooks
from timesync.errors import ConfigurationError
from timesync.local import LocalSystem, ReferenceApp
from timesync.store import FileLock, SQLiteStateStore

__all__ = ["SyncConfig", "open_engine"]

_PUSH_KEYS = {"target_state", "approved_by", "stamp_field", "on_delete", "batch_size"}


@attrs.frozen(slots=True)
class SyncConfig:
    """A parsed sync configuration (see the module docstring for the file format)."""

    base: Path
    intacct: Mapping[str, Any] = attrs.field(factory=dict)
    state_path: Path = Path("timesync-state.db")
    local: Mapping[str, Any] = attrs.field(factory=dict)
    engine: Mapping[str, Any] = attrs.field(factory=dict)
    push: Mapping[str, Any] = attrs.field(factory=dict)
    mapping_file: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SyncConfig:
        """Read a TOML config file.

        Raises:
            ConfigurationError: The file is missing, not TOML, or has unknown sections.
        """
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read config {file}: {exc}") from None
        return cls.from_dict(data, base=file.resolve().parent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: Path) -> SyncConfig:
        """Build a config from an already parsed mapping."""
        unknown = set(data) - {"intacct", "state", "local", "engine", "push", "mapping"}
        if unknown:
            raise ConfigurationError(f"unknown config section(s): {sorted(unknown)}")
        bad_push = set(data.get("push", {})) - _PUSH_KEYS
        if bad_push:
            raise ConfigurationError(f"unknown [push] key(s): {sorted(bad_push)}")
        mapping_file = data.get("mapping", {}).get("file")
        return cls(
            base=base,
            intacct=dict(data.get("intacct", {})),
            state_path=base / data.get("state", {}).get("path", "timesync-state.db"),
            local=dict(data.get("local", {})),
            engine=dict(data.get("engine", {})),
            push=dict(data.get("push", {})),
            mapping_file=None if mapping_file is None else base / mapping_file,
        )

    def options(self, progress: Any = None) -> EngineOptions:
        """The engine options this config describes."""
        eng = self.engine
        kwargs: dict[str, Any] = {"push": PushOptions(**dict(self.push)), "progress": progress}
        if "lookback_minutes" in eng:
            kwargs["lookback"] = timedelta(minutes=float(eng["lookback_minutes"]))
        if "match_on" in eng:
            kwargs["match_on"] = tuple(eng["match_on"])
        if "pull" in eng:
            kwargs["pull_objects"] = tuple(str(o).upper() for o in eng["pull"])
        if "push" in eng:
            kwargs["push_objects"] = tuple(str(o).upper() for o in eng["push"])
        if "page_size" in eng:
            kwargs["page_size"] = int(eng["page_size"])
        if "import_selected" in eng:
            kwargs["import_selected"] = {
                k.upper(): frozenset(map(str, v)) for k, v in eng["import_selected"].items()
            }
        if "writeback_field" in eng:
            kwargs["writeback_field"] = {k.upper(): v for k, v in eng["writeback_field"].items()}
        try:
            return EngineOptions(**kwargs)
        except TypeError as exc:
            raise ConfigurationError(f"invalid engine options: {exc}") from None

    def local_system(self) -> LocalSystem:
        """The local system: the reference app, or the user's ``module:factory``."""
        if "factory" in self.local:
            module_name, _, attr = str(self.local["factory"]).partition(":")
            if not attr:
                raise ConfigurationError("[local] factory must look like 'package.module:callable'")
            factory = getattr(importlib.import_module(module_name), attr)
            system = factory()
            if not isinstance(system, LocalSystem):
                raise ConfigurationError(f"{self.local['factory']} did not return a LocalSystem")
            return system
        return ReferenceApp(self.base / self.local.get("reference", "app.db"))

    def specs(self) -> dict[str, Any]:
        """Mapping specs: the defaults, with the mapping file merged over them."""
        from timesync.mapping import default_specs, load_specs

        stamp = self.push.get("stamp_field")
        if self.mapping_file is not None:
            return dict(load_specs(self.mapping_file))
        return dict(default_specs(stamp_field=stamp) if stamp else default_specs())


@contextmanager
def open_engine(
    config: SyncConfig,
    *,
    progress: Any = None,
    hooks: EngineHooks | None = None,
    environ: Mapping[str, str] | None = None,
    transport: Any = None,
) -> Iterator[Engine]:
    """Open everything a config names (client, local system, store, lock) as one engine.

    Args:
        config: The configuration.
        progress: A progress callback (see :class:`Progress`).
        hooks: Engine hooks.
        environ: Where INTACCT_* variables come from (default ``os.environ``).
        transport: An httpx transport for the client (tests, the in-process emulator).
    """
    from intacct_sdk import Client, ClientOptions, Credentials

    fields = {k: v for k, v in config.intacct.items() if k != "profile"}
    creds = Credentials.resolve(profile=config.intacct.get("profile"), environ=environ, **fields)
    with ExitStack() as stack:
        client = stack.enter_context(
            Client(creds, options=ClientOptions(unique_id=True), transport=transport)
        )
        local = config.local_system()
        close = getattr(local, "close", None)
        if callable(close):
            stack.callback(close)
        store = SQLiteStateStore(config.state_path)
        stack.callback(store.close)
        lock = FileLock(f"{config.state_path}.lock")
        yield Engine(
            client,
            local,
            store,
            specs=config.specs(),
            options=config.options(progress),
            hooks=hooks,
            lock=lock,
        )
