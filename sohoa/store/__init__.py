"""The workspace store: one SQLite database (WAL) and the page images in one folder.

Public face: :class:`Workspace` and the records and errors it hands out. The parts live in
modules of this package: ``schema`` (tables, migrations, transactions), ``base`` (connections,
row conversion), ``files`` (crash-safe image files), ``pages`` (kept scans and originals),
``results`` (saving a page's reading), ``crops`` and ``crop_cache`` (crops cut from the page,
the screens' bounded cache), ``integrity`` (checks, backup),
``review`` (claims, confirmations, audit), ``users`` (logins), ``status`` (progress counts),
``types`` (records and errors), ``workspace`` (the :class:`Workspace` class).
"""

from sohoa.store.integrity import (
    BackupError,
    BackupReport,
    DatabaseBusy,
    DatabaseDamaged,
    StoreDatabaseError,
)
from sohoa.store.types import (
    AuditRow,
    EntryLocked,
    EntryResult,
    EntryView,
    ReceivedFile,
    StaleVersion,
    User,
    WorkspaceError,
    WorkspaceNotFound,
)
from sohoa.store.workspace import Workspace

__all__ = [
    "BackupError", "BackupReport", "DatabaseBusy", "DatabaseDamaged", "StoreDatabaseError",
    "AuditRow", "EntryLocked", "EntryResult", "EntryView", "ReceivedFile", "StaleVersion",
    "User", "Workspace", "WorkspaceError", "WorkspaceNotFound",
]
