"""A sync described by a TOML file, as ``timesync sync --config FILE`` runs it.

::

    [intacct]                       # credentials: these keys, else INTACCT_* variables / profile
    endpoint_url = "https://api.intacct.com/ia/xml/xmlgw.phtml"
    profile = "acme"                # optional INI profile
    timezone = "America/New_York"   # the API user's time zone (or "discover"); required
    date_format = "/mdY"            # the API user's date format (default /mdY)
    max_concurrent = 2              # requests at once to this company (default 2)

    [state]
    path = "timesync-state.db"      # relative paths are relative to the config file
    installation_id = "shop-prod"   # optional: who this app pushes as (else the store's own)

    [local]
    reference = "app.db"            # the reference app, or:
    # factory = "myapp.sync:local_system"   # a callable returning your LocalSystem

    [engine]
    lag_minutes = 2                 # the frequent read starts this far before its cursor
    reread_window_minutes = 120     # the periodic pass re-reads this far back
    reread_every_minutes = 60       # how often the periodic pass runs
    page_size = 2000
    match_on = ["intacct_key", "id", "email", "name"]
    pull = ["DEPARTMENT", "LOCATION", "CLASS", "PROJECTTYPE", "TIMETYPE", "CUSTOMER",
            "EMPLOYEE", "PROJECT", "TASK"]
    push = ["TIMESHEET"]
    page_size = 2000                # records per query page (1 to 2000)

    [engine.import_selected]        # optional allow-lists
    EMPLOYEE = ["E100", "E101"]

    [engine.writeback_field]        # optional: write the local id into a custom field
    EMPLOYEE = "TIMESYNC_LOCAL_ID"

    [push]
    target_state = "Submitted"      # Draft | Submitted | Approved
    week_start = "Monday"           # optional: the company's timesheet week start, checked locally
    approved_changes = "reverse"    # reverse | new_timesheet | conflict: correcting approved time
    approved_by = "jdoe"            # optional, approve on behalf of
    stamp_field = "TIMESYNC_ID"
    on_delete = "delete"            # or "decline"
    batch_size = 50

    [mapping]
    file = "mapping.toml"           # optional spec overrides (see `timesync mapping show`)

The file is described by the frozen ``*Section`` classes below and structured by a cattrs
converter that refuses unknown sections and keys and checks every value's type and range.
Every problem is collected and raised as one :class:`~timesync.errors.ConfigurationError`
whose ``problems`` point at the key (``engine.page_size``, ``engine.match_on[2]``,
``unknown key push.targte_state``). Messages name keys and the values allowed, never the
value found: ``[intacct]`` may hold passwords.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NewType, get_args, get_origin

import attrs

from timesync.engine._engine import Engine
from timesync.engine._options import PUSH_OBJECTS, EngineOptions, PushOptions, Weekday
from timesync.engine._report import EngineHooks
from timesync.errors import ConfigurationError
from timesync.local import LocalSystem, ReferenceApp
from timesync.store import SQLiteStateStore

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "EngineSection",
    "IntacctSection",
    "LocalSection",
    "MappingSection",
    "PushSection",
    "StateSection",
    "SyncConfig",
    "open_engine",
]

MatchOn = Literal["intacct_key", "id", "email", "name"]
TargetState = Literal["Draft", "Submitted", "Approved"]
ApprovedChanges = Literal["reverse", "conflict", "new_timesheet"]
OnDelete = Literal["delete", "decline"]

# Checked (and normalised) by the converter's hooks below; plain str/int/float to mypy.
ObjectName = NewType("ObjectName", str)
"""An Intacct object name; upper-cased."""
PushObject = NewType("PushObject", str)
"""A pushed document object: ``TIMESHEET`` or ``EEXPENSES``; upper-cased."""
FilePath = NewType("FilePath", str)
"""A non-empty path, relative to the config file's folder unless absolute."""
FactoryRef = NewType("FactoryRef", str)
"""``package.module:callable``."""
Minutes = NewType("Minutes", float)
"""A finite number of minutes, 0 or more."""
PageSize = NewType("PageSize", int)
"""Records per ``query`` page, 1 to 2,000."""
BatchSize = NewType("BatchSize", int)
"""Functions per request, 1 or more."""

_MAX_PAGE_SIZE: Final = 2000


@attrs.frozen(slots=True)
class IntacctSection:
    """``[intacct]``: the credentials; keys left out come from ``INTACCT_*`` or the profile.

    The credential keys are those of :class:`intacct_sdk.Credentials`. Secrets are kept out
    of the repr.
    """

    profile: str | None = None
    profile_path: FilePath | None = None
    endpoint_url: str | None = None
    sender_id: str | None = None
    sender_password: str | None = attrs.field(default=None, repr=False)
    company_id: str | None = None
    entity_id: str | None = None
    client_id: str | None = None
    user_id: str | None = None
    user_password: str | None = attrs.field(default=None, repr=False)
    session_id: str | None = attrs.field(default=None, repr=False)
    timezone: str | None = None
    date_format: str | None = None
    max_concurrent: BatchSize | None = None

    def credential_fields(self) -> dict[str, str]:
        """The credential keys given in the file (``profile*`` and the client's own
        settings excluded)."""
        return {
            a.name: value
            for a in attrs.fields(IntacctSection)
            if not a.name.startswith("profile")
            and a.name not in _CLIENT_KEYS
            and (value := getattr(self, a.name)) is not None
        }


_CLIENT_KEYS: Final = frozenset({"timezone", "date_format", "max_concurrent"})
"""``[intacct]`` keys that configure the client rather than name credentials."""


@attrs.frozen(slots=True)
class StateSection:
    """``[state]``: where the SQLite state store lives (runs lock the database file itself),
    and the installation id this app pushes as (default: the one the store holds)."""

    path: FilePath = FilePath("timesync-state.db")
    installation_id: str | None = None


@attrs.frozen(slots=True)
class LocalSection:
    """``[local]``: the reference app's database, or a factory returning a ``LocalSystem``."""

    reference: FilePath = FilePath("app.db")
    factory: FactoryRef | None = None


@attrs.frozen(slots=True)
class EngineSection:
    """``[engine]``: :class:`~timesync.engine.EngineOptions`; ``None`` keeps the default."""

    lag_minutes: Minutes | None = None
    reread_window_minutes: Minutes | None = None
    reread_every_minutes: Minutes | None = None
    page_size: PageSize | None = None
    match_on: tuple[MatchOn, ...] | None = None
    pull: tuple[ObjectName, ...] | None = None
    push: tuple[PushObject, ...] | None = None
    import_selected: Mapping[ObjectName, tuple[str, ...]] = attrs.field(factory=dict)
    writeback_field: Mapping[ObjectName, str] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class PushSection:
    """``[push]``: :class:`~timesync.engine.PushOptions`; ``None`` keeps the default."""

    target_state: TargetState | None = None
    approved_by: str | None = None
    stamp_field: str | None = None
    on_delete: OnDelete | None = None
    batch_size: BatchSize | None = None
    week_start: Weekday | None = None
    approved_changes: ApprovedChanges | None = None


@attrs.frozen(slots=True)
class MappingSection:
    """``[mapping]``: a mapping spec file merged over the default specs."""

    file: FilePath | None = None


@attrs.frozen(slots=True)
class _ConfigFile:
    intacct: IntacctSection = IntacctSection()
    state: StateSection = StateSection()
    local: LocalSection = LocalSection()
    engine: EngineSection = EngineSection()
    push: PushSection = PushSection()
    mapping: MappingSection = MappingSection()


@attrs.frozen(slots=True)
class SyncConfig:
    """A parsed sync configuration (see the module docstring for the file format).

    Attributes:
        base: The folder relative paths are resolved against (the config file's).
        intacct: ``[intacct]``.
        state: ``[state]``.
        local: ``[local]``.
        engine: ``[engine]``.
        push: ``[push]``.
        mapping: ``[mapping]``.
    """

    base: Path
    intacct: IntacctSection = IntacctSection()
    state: StateSection = StateSection()
    local: LocalSection = LocalSection()
    engine: EngineSection = EngineSection()
    push: PushSection = PushSection()
    mapping: MappingSection = MappingSection()

    @property
    def state_path(self) -> Path:
        """The state store's file."""
        return self.base / self.state.path

    @property
    def mapping_file(self) -> Path | None:
        """The mapping spec file, when one is named."""
        return None if self.mapping.file is None else self.base / self.mapping.file

    @property
    def profile_path(self) -> Path | None:
        """The credentials INI file named by ``[intacct] profile_path``, if any."""
        path = self.intacct.profile_path
        return None if path is None else self.base / Path(path).expanduser()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SyncConfig:
        """Read a TOML config file; relative paths in it are relative to its folder.

        Raises:
            ConfigurationError: The file is missing or not TOML, or has unknown sections or
                keys or wrong values (``problems`` lists each one with its path).
        """
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read config {file}: {exc}") from None
        return cls._structure(data, base=file.resolve().parent, source=str(file))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: Path) -> SyncConfig:
        """Build a config from an already parsed mapping (the TOML file's tables).

        Args:
            data: Sections as the file has them (``{"push": {"target_state": ...}}``).
            base: The folder relative paths are resolved against.

        Raises:
            ConfigurationError: Unknown sections or keys, or wrong values; ``problems``
                lists each one with its path.
        """
        return cls._structure(data, base=Path(base), source=None)

    @classmethod
    def _structure(cls, data: Any, *, base: Path, source: str | None) -> SyncConfig:
        parsed = _parse(data)
        if isinstance(parsed, _ConfigFile):
            sections = {a.name: getattr(parsed, a.name) for a in attrs.fields(_ConfigFile)}
            return cls(base, **sections)
        problems = parsed
        where = f" {source}" if source else ""
        noun = "problem" if len(problems) == 1 else "problems"
        raise ConfigurationError(
            f"invalid config{where} ({len(problems)} {noun}): {'; '.join(problems)}", problems
        )

    def options(self, progress: Any = None) -> EngineOptions:
        """The engine options this config describes.

        Args:
            progress: A progress callback (see :class:`~timesync.engine.Progress`).
        """
        eng, push = self.engine, self.push
        push_kwargs: dict[str, Any] = {
            "target_state": push.target_state,
            "approved_by": push.approved_by,
            "stamp_field": push.stamp_field,
            "on_delete": push.on_delete,
            "batch_size": push.batch_size,
            "week_start": push.week_start,
            "approved_changes": push.approved_changes,
        }
        kwargs: dict[str, Any] = {
            "lag": _duration(eng.lag_minutes),
            "reread_window": _duration(eng.reread_window_minutes),
            "reread_every": _duration(eng.reread_every_minutes),
            "page_size": eng.page_size,
            "match_on": eng.match_on,
            "pull_objects": eng.pull,
            "push_objects": eng.push,
        }
        return EngineOptions(
            **{k: v for k, v in kwargs.items() if v is not None},
            import_selected={k: frozenset(v) for k, v in eng.import_selected.items()},
            writeback_field={str(k): v for k, v in eng.writeback_field.items()},
            push=PushOptions(**{k: v for k, v in push_kwargs.items() if v is not None}),
            progress=progress,
            installation_id=self.state.installation_id,
        )

    def local_system(self) -> LocalSystem:
        """The local system: the reference app, or the user's ``module:factory``.

        The factory is imported as ``import module`` would, looking in the config file's
        folder after ``sys.path``, and called with no arguments; it must return a
        :class:`~timesync.local.LocalSystem`. Each failure is one line naming what could
        not be done.
        """
        if self.local.factory is not None:
            return _call_factory(self.local.factory, self.base)
        return ReferenceApp(self.base / self.local.reference)

    def specs(self) -> dict[str, Any]:
        """Mapping specs: the defaults (with ``push.stamp_field``), the mapping file over them."""
        from timesync.mapping import default_specs, load_specs

        stamp = self.push.stamp_field
        defaults = default_specs(stamp_field=stamp) if stamp else default_specs()
        if self.mapping_file is not None:
            return dict(load_specs(self.mapping_file, base=defaults))
        return dict(defaults)


def _call_factory(spec: str, base: Path) -> LocalSystem:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigurationError("local.factory must look like 'package.module:callable'")
    import sys

    folder = str(base.resolve())
    if folder not in sys.path:
        sys.path.append(folder)  # after sys.path: an installed module of that name wins
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.partition(".")[0]
        if exc.name is not None and (exc.name == module_name or exc.name == top):
            raise ConfigurationError(
                f"local.factory: no module {module_name!r} on sys.path or in the config"
                f" file's folder ({folder}); install it, or set PYTHONPATH"
            ) from None
        raise ConfigurationError(
            f"local.factory: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    except Exception as exc:
        raise ConfigurationError(
            f"local.factory: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attr, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        what = "has no attribute" if factory is None else "has a non-callable"
        raise ConfigurationError(f"local.factory: module {module_name!r} {what} {attr!r}{hint}")
    try:
        system = factory()
    except Exception as exc:
        raise ConfigurationError(
            f"local.factory: {spec}() raised {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(system, LocalSystem):
        needed = [
            n
            for n in (
                "list_records",
                "upsert",
                "inactivate",
                "record_intacct_key",
                "changed_documents",
                "get_documents",
                "document_pushed",
            )
            if not callable(getattr(system, n, None))
        ]
        lacking = f" (it lacks {', '.join(needed)})" if needed else ""
        raise ConfigurationError(
            f"local.factory: {spec}() returned a {type(system).__name__}, not a"
            f" timesync.local.LocalSystem{lacking}"
        )
    return system


# --- the converter: built on first use, so importing timesync does not import cattrs ---


class _Invalid(ValueError):
    """A value a hook refused; the message says what was expected, never the value."""


def _string(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    return value


def _integer(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("expected an integer")
    return value


def _number(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("expected a number")
    return float(value)


def _boolean(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("expected true or false")
    return value


def _object_name(value: Any, _: Any) -> ObjectName:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("expected an Intacct object name")
    return ObjectName(value.strip().upper())


def _push_object(value: Any, _: Any) -> PushObject:
    if not isinstance(value, str) or value.strip().upper() not in PUSH_OBJECTS:
        raise _Invalid(f"must be one of {', '.join(PUSH_OBJECTS)}")
    return PushObject(value.strip().upper())


def _file_path(value: Any, _: Any) -> FilePath:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("expected a file path")
    return FilePath(value)


def _factory_ref(value: Any, _: Any) -> FactoryRef:
    module, _sep, attr = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not module.strip() or not attr.strip():
        raise _Invalid("expected 'package.module:callable'")
    return FactoryRef(value)


def _duration(minutes: Minutes | None) -> timedelta | None:
    return None if minutes is None else timedelta(minutes=minutes)


def _minutes(value: Any, _: Any) -> Minutes:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("expected a number of minutes")
    if not math.isfinite(value) or value < 0:
        raise _Invalid("expected a number of minutes, 0 or more")
    return Minutes(float(value))


def _page_size(value: Any, _: Any) -> PageSize:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_PAGE_SIZE:
        raise _Invalid(f"expected an integer from 1 to {_MAX_PAGE_SIZE}")
    return PageSize(value)


def _batch_size(value: Any, _: Any) -> BatchSize:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid("expected an integer, 1 or more")
    return BatchSize(value)


def _literal(type_: Any) -> Callable[[Any, Any], Any]:
    allowed = get_args(type_)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, str) or value not in allowed:
            raise _Invalid(f"must be one of {', '.join(map(str, allowed))}")
        return value

    return structure


def _is_literal(type_: Any) -> bool:
    origin: Any = get_origin(type_)
    return origin is Literal


def _is_list(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_table(type_: Any) -> bool:
    return get_origin(type_) in (dict, Mapping)


@functools.cache
def _converter() -> cattrs.Converter:
    """The converter for the config file: strict types, no extra keys, every error kept."""
    import cattrs
    from cattrs.errors import IterableValidationError, IterableValidationNote
    from cattrs.gen import make_dict_structure_fn

    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    def items(pairs: Iterable[tuple[Any, Any]], type_: Any, item_type: Any, what: str) -> list[Any]:
        out: list[Any] = []
        errors: list[Exception] = []
        for index, value in pairs:
            try:
                out.append(conv.structure(value, item_type))
            except Exception as exc:  # collected, then raised as one group
                exc.add_note(IterableValidationNote(f"{what} @ {index!r}", index, item_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return out

    def list_hook(type_: Any) -> Callable[[Any, Any], Any]:
        item_type = get_args(type_)[0]

        def structure(value: Any, _: Any) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple):
                raise _Invalid("expected a list")
            return tuple(items(enumerate(value), type_, item_type, "item"))

        return structure

    def table_hook(type_: Any) -> Callable[[Any, Any], Any]:
        key_type, value_type = get_args(type_)

        def structure(value: Any, _: Any) -> dict[Any, Any]:
            if not isinstance(value, Mapping):
                raise _Invalid("expected a table")
            keys = items(((k, k) for k in value), type_, key_type, "key")
            values = items(value.items(), type_, value_type, "value")
            return dict(zip(keys, values, strict=True))

        return structure

    def section_hook(type_: Any) -> Callable[[Any, Any], Any]:
        structure_fields = make_dict_structure_fn(type_, conv)

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _Invalid("expected a table")
            return structure_fields(value, type_)

        return structure

    for type_, hook in (
        (str, _string),
        (int, _integer),
        (float, _number),
        (bool, _boolean),
        (ObjectName, _object_name),
        (PushObject, _push_object),
        (FilePath, _file_path),
        (FactoryRef, _factory_ref),
        (Minutes, _minutes),
        (PageSize, _page_size),
        (BatchSize, _batch_size),
    ):
        conv.register_structure_hook(type_, hook)
    conv.register_structure_hook_factory(_is_literal, _literal)
    conv.register_structure_hook_factory(_is_list, list_hook)
    conv.register_structure_hook_factory(_is_table, table_hook)
    conv.register_structure_hook_factory(attrs.has, section_hook)
    return conv


def _parse(data: Any) -> _ConfigFile | list[str]:
    """The file's sections, or every problem found as ``path: message`` lines."""
    import cattrs
    from cattrs.errors import ForbiddenExtraKeysError

    try:
        parsed: _ConfigFile = _converter().structure(data, _ConfigFile)
    except (cattrs.BaseValidationError, _Invalid) as exc:
        unknown: list[ForbiddenExtraKeysError] = []

        def describe(error: BaseException, type_: Any) -> str:
            if isinstance(error, ForbiddenExtraKeysError):
                unknown.append(error)
                return f"\x00{len(unknown) - 1}"
            if isinstance(error, _Invalid):
                return str(error)
            return "invalid value"  # never str(error): it may quote the value

        problems: list[str] = []
        for line in cattrs.transform_error(exc, path="$", format_exception=describe):
            message, _, path = line.partition(" @ ")
            path = path.removeprefix("$").removeprefix(".")
            if message.startswith("\x00"):
                problems.extend(_unknown_keys(unknown[int(message[1:])], path))
            else:
                problems.append(f"{path}: {message}" if path else message)
        return problems
    return parsed


def _unknown_keys(error: Any, path: str) -> list[str]:
    """One line per unknown key, with the closest known key or the list of known ones."""
    known = [a.name for a in attrs.fields(error.cl)]
    lines = []
    for key in sorted(error.extra_fields):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
        if error.cl is _ConfigFile:
            lines.append(f"unknown config section [{key}] ({hint})")
        else:
            lines.append(f"unknown key {path}.{key} ({hint})")
    return lines


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
    from intacct_sdk import (
        Client,
        ClientOptions,
        Credentials,
        MissingCredentialsError,
        format_settings,
    )
    from intacct_sdk._config import ENV_VARS

    try:
        creds = Credentials.resolve(
            profile=config.intacct.profile,
            profile_path=config.profile_path,
            environ=environ,
            **config.intacct.credential_fields(),
        )
    except MissingCredentialsError as exc:  # every missing key at once, named where it goes
        keys = ", ".join(exc.keys)
        variables = ", ".join(ENV_VARS[k] for k in exc.keys)
        raise ConfigurationError(
            f"missing Intacct credentials: {keys}: add them to [intacct] in the config file,"
            f" or set {variables} (or name a credentials profile in [intacct] profile)"
        ) from None
    formats = format_settings(
        profile=config.intacct.profile, profile_path=config.profile_path, environ=environ
    )
    options = ClientOptions(
        unique_id=True,
        login_with_first_request=True,  # a run with nothing to do is one request
        timezone=config.intacct.timezone or formats.get("timezone"),
        date_format=config.intacct.date_format or formats.get("date_format"),
    )
    if config.intacct.max_concurrent is not None:
        options = attrs.evolve(options, max_concurrent=config.intacct.max_concurrent)
    with ExitStack() as stack:
        store = SQLiteStateStore(config.state_path)  # first: a store that cannot be used
        stack.callback(store.close)  # stops the run before anything else is opened
        client = stack.enter_context(Client(creds, options=options, transport=transport))
        local = config.local_system()
        close = getattr(local, "close", None)
        if callable(close):
            stack.callback(close)
        yield Engine(
            client,
            local,
            store,
            specs=config.specs(),
            options=config.options(progress),
            hooks=hooks,
        )
