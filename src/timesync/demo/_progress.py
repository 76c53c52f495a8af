"""The demo's progress file, written atomically, and its crash points for tests.

The progress file only saves work: every step of the demo is idempotent on its own (the
pull, the generation keyed by person and week, the corrections checked against the app),
so a progress file that is missing, empty or unreadable means "start over", never an error.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any, Final

__all__ = ["KILL_ENV", "STOP_ENV", "Progress", "checkpoint"]

KILL_ENV: Final = "TIMESYNC_DEMO_KILL_AT"
"""Environment variable naming a crash point where the demo kills itself with SIGKILL."""

STOP_ENV: Final = "TIMESYNC_DEMO_STOP_AT"
"""Environment variable naming a crash point where the demo stops itself with SIGSTOP."""


def checkpoint(name: str) -> None:
    """A named point of the demo where a test can crash or freeze it.

    With ``TIMESYNC_DEMO_KILL_AT=<name>`` the process sends itself SIGKILL there, with
    ``TIMESYNC_DEMO_STOP_AT=<name>`` SIGSTOP (a test resumes it with SIGCONT). The crash
    tests and ``bench/crash_soak.py`` use them to prove that a rerun after a crash at any
    step duplicates nothing; unset (as always outside tests) they do nothing.
    """
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(STOP_ENV) == name:
        os.kill(os.getpid(), signal.SIGSTOP)


class Progress:
    """The steps the demo finished in a folder, kept in ``demo.json``.

    Each :meth:`mark` replaces the file atomically: the new content goes to a temporary
    file in the same folder, is flushed to disk, renamed over the old file, and the folder
    itself is flushed, so a crash leaves either the old file or the new one.

    Args:
        path: The progress file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.steps: dict[str, Any] = {}
        self.problem: str | None = None
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.problem = f"cannot be read ({type(exc).__name__})"
            return
        try:
            steps = json.loads(text)
        except ValueError:
            self.problem = "is empty" if not text.strip() else "is not valid JSON"
            return
        if not isinstance(steps, dict):
            self.problem = "does not hold an object"
            return
        self.steps = steps

    def get(self, step: str) -> Any:
        """What was recorded for ``step`` (None when it was not finished)."""
        return self.steps.get(step)

    def mark(self, step: str, value: Any = True) -> None:
        """Record that ``step`` finished (with ``value``), atomically."""
        self.steps[step] = value
        text = json.dumps(self.steps, indent=2, sort_keys=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        # the run lock is held, so no other demo writes this temporary file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            half = len(text) // 2
            handle.write(text[:half])
            handle.flush()
            checkpoint(f"write-{step}")
            handle.write(text[half:])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        _fsync_folder(self.path.parent)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on a folder
        pass
    finally:
        os.close(fd)
