"""What every handler of the review app shares: the workspace pool, settings, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review_ui import logic
from sohoa.errors import SohoaError


class Forbidden(SohoaError, PermissionError):
    """The logged-in user's role does not allow this action."""


@dataclass(frozen=True)
class AppContext:
    root: Path
    pool: logic.WorkspacePool
    low_conf: float = logic.LOW_CONFIDENCE
    lease_s: int = 600

    @classmethod
    def open(cls, root: str | Path, lease_s: int = 600) -> AppContext:
        root = Path(root).resolve()
        return cls(root, logic.WorkspacePool(root), logic.low_confidence_threshold(root), lease_s)

    def require(self, request: Any) -> str:
        """The logged-in user name; refuses anonymous calls (every route needs a login)."""
        name = getattr(request, "username", None) if request is not None else None
        if not name:
            raise Forbidden("not logged in")
        return str(name)

    def role(self, request: Any) -> str | None:
        return logic.user_role(self.pool.get(), self.require(request))

    def require_approver(self, request: Any) -> str:
        """The user name if they are an approver or admin; :class:`Forbidden` otherwise."""
        user = self.require(request)
        if logic.user_role(self.pool.get(), user) not in logic.REVIEW_ROLES:
            raise Forbidden(f"{user} is not an approver")
        return user
