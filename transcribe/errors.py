"""Errors the user can act on.

Every failure the user can cause or fix is raised as a :class:`TranscribeError`;
the CLI prints its message as one line on stderr and exits with its code.
"""

from __future__ import annotations

EXIT_INPUT = 1
"""Exit status for a problem with an input file, a model or the output place."""
EXIT_USAGE = 2
"""Exit status for a bad option or argument (the same code Typer/Click use)."""


class TranscribeError(Exception):
    """A failure explained in one line, e.g. ``talk.mp4: no audio stream``.

    Attributes:
        message: the line shown to the user (no trailing newline).
        exit_code: :data:`EXIT_INPUT` (1) or :data:`EXIT_USAGE` (2).
    """

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(TranscribeError):
    """A bad option value (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)
