"""The embeddable sync engine: pull Intacct master data, push approved time, exactly once.

::

    engine = Engine(client, local, SQLiteStateStore("state.db"))  # runs lock state.db itself
    report = engine.run()            # incremental; run(full=True) reconciles; dry_run=True plans
"""

from timesync.engine._config import SyncConfig, open_engine
from timesync.engine._engine import Engine
from timesync.engine._options import (
    PULL_ORDER,
    WEEKDAYS,
    EngineOptions,
    MappingSpecLike,
    PushOptions,
    Weekday,
)
from timesync.engine._plan import PushPlan, PushStep, control_id, matches, plan_push
from timesync.engine._report import (
    SKIP_REASONS,
    Conflict,
    EngineHooks,
    Hooks,
    ObjectReport,
    Progress,
    RecordFailure,
    RunReport,
    SkipReason,
)
from timesync.engine._validate import MAX_HOURS_A_DAY, DocumentProblem, check_document

__all__ = [
    "MAX_HOURS_A_DAY",
    "PULL_ORDER",
    "SKIP_REASONS",
    "WEEKDAYS",
    "Conflict",
    "DocumentProblem",
    "Engine",
    "EngineHooks",
    "EngineOptions",
    "Hooks",
    "MappingSpecLike",
    "ObjectReport",
    "Progress",
    "PushOptions",
    "PushPlan",
    "PushStep",
    "RecordFailure",
    "RunReport",
    "SkipReason",
    "SyncConfig",
    "Weekday",
    "check_document",
    "control_id",
    "matches",
    "open_engine",
    "plan_push",
]
