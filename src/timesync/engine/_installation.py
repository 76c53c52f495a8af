"""Which installation of the engine a state store belongs to.

Every record the engine pushes is stamped ``INSTALLATION:LOCAL_ID`` and every write's
control id starts with the installation id, so two apps (a second product, a staging copy, a
reinstall with a fresh database) whose local ids overlap never read back, adopt, update or
delete each other's records. The id is generated once and kept in the state store, or set
by the caller (``EngineOptions.installation_id``; config ``[state] installation_id``), which
is how an installation moves to a new store on purpose.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

import attrs

from timesync.errors import ConfigurationError as SyncConfigurationError
from timesync.store import StateStore

__all__ = ["INSTALLATION_KEY", "Installation", "check_installation_id", "resolve_installation"]

INSTALLATION_KEY: Final = "installation_id"
"""The state store's meta key that holds the installation id."""

_VALID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def check_installation_id(value: str) -> str:
    """``value`` when it is a valid installation id (1 to 32 letters, digits, ``_`` or
    ``-``, starting with a letter or digit), else a ``SyncConfigurationError``."""
    if not isinstance(value, str) or not _VALID.fullmatch(value):
        raise SyncConfigurationError(
            f"installation id {value!r} must be 1 to 32 letters, digits, '_' or '-' "
            "(starting with a letter or digit)"
        )
    return value


@attrs.frozen(slots=True)
class Installation:
    """The installation a run writes as.

    Attributes:
        id: The installation id stamped on every push.
        new: The store held no installation id before this run (a new or recreated store).
        configured: The id was set by the caller rather than generated.
    """

    id: str
    new: bool
    configured: bool


def resolve_installation(
    store: StateStore, configured: str | None, *, dry_run: bool
) -> Installation:
    """The store's installation id, taken from the caller the first time or generated.

    A dry run keeps a generated id to itself (it writes nothing to the store).

    Raises:
        SyncConfigurationError: The store belongs to another installation than the one
            configured (a store copied from another app, or a config pointing at the wrong
            state): the engine refuses rather than push under two identities.
    """
    if configured is not None:
        check_installation_id(configured)
    stored = store.get_meta(INSTALLATION_KEY)
    if stored is not None:
        if configured is not None and configured != stored:
            raise SyncConfigurationError(
                f"the state store belongs to installation {stored!r} but the configuration "
                f"names {configured!r}: point the configuration at this installation's own "
                "state store, or remove installation_id to keep the store's"
            )
        return Installation(stored, new=False, configured=configured is not None)
    value = configured or secrets.token_hex(5)
    if not dry_run:
        store.set_meta(INSTALLATION_KEY, value)
    return Installation(value, new=True, configured=configured is not None)
