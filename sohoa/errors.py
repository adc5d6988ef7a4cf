"""One error base for the whole project, with the exit code the CLI answers with.

Every error the project raises on purpose derives from :class:`SohoaError` (keeping its own
built-in base, such as ``ValueError``, so existing ``except ValueError`` callers still work).
The CLI has one handler (:func:`sohoa.cli.main`) that prints one line and exits with
``exc.exit_code``; commands do not catch project errors themselves.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What the CLI's exit status means (0 is success, 1 is left to "some pages need work")."""

    OK = 0
    BAD_INPUT = 2
    NOT_FOUND = 3
    CONFLICT = 4
    INTERRUPTED = 130
    INTERNAL = 70


class SohoaError(Exception):
    """Base of every error the project raises on purpose; says how the CLI should exit."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class NotFoundError(SohoaError):
    """Something named by the user does not exist (a workspace, a book, a file)."""

    exit_code = ExitCode.NOT_FOUND


class ConflictError(SohoaError):
    """The action clashes with the current state (a lock held, a stale version)."""

    exit_code = ExitCode.CONFLICT
