"""The one-line progress display of the command line (on a terminal only)."""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["ProgressLine"]


class ProgressLine:
    """A one-line progress display on a terminal's stderr; nothing at all when the stream
    is not a terminal (a pipe, a log file), so logs never fill with carriage returns.

    Call it with the engine's :class:`~timesync.engine.Progress`; :meth:`done` clears the
    line before other output.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.width = 0

    def __call__(self, progress: Any) -> None:
        if not self.enabled:
            return
        total = f"/{progress.total}" if progress.total is not None else ""
        text = f"{progress.phase} {progress.object_name}: {progress.done}{total}"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def step(self, text: str) -> None:
        """Show a step that is not a sync run (the demo's generation, its approver)."""
        if not self.enabled:
            return
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def done(self) -> None:
        """Clear the line (when something was shown)."""
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
