"""One error base for the whole project, with the exit code the CLI answers with.

Every error the project raises on purpose derives from :class:`SohoaError` (keeping its own
built-in base, such as ``ValueError``, so existing ``except ValueError`` callers still work).
The CLI has one handler (:func:`sohoa.cli.main`, installed on the app itself) that prints one
line and exits with ``exc.exit_code``; commands do not catch project errors themselves.

The line is in the interface language: Vietnamese by default, like the review screen
(``review_ui.i18n.DEFAULT_LANG``), English with ``SOHOA_LANG=en``. The message itself is the
error's own text (file names, keys and values, in English).
"""

from __future__ import annotations

import enum
import os


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


class InputError(SohoaError, ValueError):
    """A value given by the user (an option, a file's content) is not acceptable."""


class NotFoundError(SohoaError):
    """Something named by the user does not exist (a workspace, a book, a file)."""

    exit_code = ExitCode.NOT_FOUND


class ConflictError(SohoaError):
    """The action clashes with the current state (a lock held, a stale version)."""

    exit_code = ExitCode.CONFLICT


class InternalError(SohoaError):
    """Something the program ships or relies on is broken: a bug or a damaged install."""

    exit_code = ExitCode.INTERNAL


LANGUAGES = ("vi", "en")
DEFAULT_LANG = "vi"  # as the review screen (review_ui.i18n.DEFAULT_LANG)

_PREFIX = {
    "vi": {"error": "lỗi", "interrupted": "đã dừng (Ctrl+C)", "internal": "lỗi nội bộ"},
    "en": {"error": "error", "interrupted": "interrupted (Ctrl+C)", "internal": "internal error"},
}


def interface_lang() -> str:
    """The CLI's language: ``SOHOA_LANG`` (vi or en), else Vietnamese."""
    lang = os.environ.get("SOHOA_LANG", DEFAULT_LANG).strip().lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT_LANG


def _one_line(text: str) -> str:
    return " ".join(text.split())


def error_line(exc: BaseException, lang: str | None = None) -> str:
    """The one line the CLI prints for ``exc`` (``lỗi: ...`` / ``error: ...``)."""
    words = _PREFIX[lang or interface_lang()]
    if isinstance(exc, KeyboardInterrupt):
        return words["interrupted"]
    kind = "internal" if exit_code_of(exc) == ExitCode.INTERNAL else "error"
    text = str(exc) if isinstance(exc, (SohoaError, OSError)) else f"{type(exc).__name__}: {exc}"
    return _one_line(f"{words[kind]}: {text}")


def exit_code_of(exc: BaseException) -> ExitCode:
    """The exit code for an error the CLI handles (project errors and the OS's file errors)."""
    if isinstance(exc, SohoaError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, OSError):  # a file given or written by the user
        return ExitCode.BAD_INPUT
    return ExitCode.INTERNAL
