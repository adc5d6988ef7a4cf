"""Versioned handwriting models and which one is in use.

Shipped models live in ``models/weights/<name>/`` (in the repository); models fine-tuned from
a workspace's confirmed entries live in ``<workspace>/models/<name>/``. A workspace chooses its
model with a small pointer file ``<workspace>/models/in_use.json``; without one the newest
shipped model is used. Nothing switches the pointer except :func:`use_model`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.checkpoint import MODEL_JSON, ModelError

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent / "weights"
POINTER = "in_use.json"
DEFAULT_SHIPPED = "htr-v13"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    origin: str  # "shipped" or "workspace"
    arch: str
    val_cer: float | None
    created: str
    in_use: bool = False


def _info(path: Path, origin: str, in_use: str | None) -> ModelInfo | None:
    meta_file = path / MODEL_JSON
    if not meta_file.exists():
        return None
    try:
        meta: dict[str, Any] = json.loads(meta_file.read_text("utf-8"))
    except ValueError:
        log.warning("%s: unreadable model.json, skipped", meta_file)
        return None
    val = meta.get("val") or {}
    cer = val.get("cer") if isinstance(val, dict) else None
    arch = str(meta.get("arch", "?"))
    members = (meta.get("config") or {}).get("members", 1)
    if isinstance(members, int) and members > 1:  # an ensemble (models.ensemble)
        arch = f"{arch}x{members}"
    return ModelInfo(path.name, path, origin, arch,
                     float(cer) if cer is not None else None, str(meta.get("created", "")),
                     in_use == path.name)


def workspace_models_dir(workspace: Path) -> Path:
    return Path(workspace) / "models"


def _pointer(workspace: Path | None) -> str | None:
    if workspace is None:
        return None
    p = workspace_models_dir(workspace) / POINTER
    if not p.exists():
        return None
    try:
        return str(json.loads(p.read_text("utf-8"))["name"])
    except (ValueError, KeyError) as exc:
        raise ModelError(f"{p}: malformed model pointer ({exc}); fix or delete it") from exc


def list_models(workspace: Path | None = None) -> list[ModelInfo]:
    """Shipped models, then the workspace's, each marked when it is the one in use."""
    current = in_use_name(workspace)
    out: list[ModelInfo] = []
    for origin, folder in (("shipped", SHIPPED_DIR),
                           ("workspace", workspace_models_dir(workspace) if workspace else None)):
        if folder is None or not folder.is_dir():
            continue
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            info = _info(sub, origin, current)
            if info is not None:
                out.append(info)
    return out


def in_use_name(workspace: Path | None = None) -> str:
    """The pointer's model name, else the default shipped model."""
    return _pointer(workspace) or DEFAULT_SHIPPED


def find_model(name: str, workspace: Path | None = None) -> Path:
    """The folder of model ``name``: the workspace's first, then the shipped ones."""
    candidates = []
    if workspace is not None:
        candidates.append(workspace_models_dir(workspace) / name)
    candidates.append(SHIPPED_DIR / name)
    for c in candidates:
        if (c / MODEL_JSON).exists():
            return c
    known = ", ".join(m.name for m in list_models(workspace)) or "none"
    raise ModelError(f"no model named {name!r} (known: {known})")


def model_in_use(workspace: Path | None = None) -> Path:
    """The folder of the model a workspace reads with."""
    return find_model(in_use_name(workspace), workspace)


def use_model(workspace: Path, name: str, user: str = "") -> ModelInfo:
    """Point the workspace at model ``name`` (which must load), recording when and who."""
    from models.checkpoint import load_model_dir

    path = find_model(name, workspace)
    load_model_dir(path)  # refuse a model that cannot be read
    folder = workspace_models_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (POINTER + ".tmp")
    tmp.write_text(json.dumps({"name": name, "set_at": dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"), "by": user}, ensure_ascii=False), "utf-8")
    tmp.replace(folder / POINTER)
    log.info("workspace %s now reads with model %s", workspace, name)
    return [m for m in list_models(workspace) if m.name == name and m.path == path][0]


def next_version(workspace: Path, base: str = "htr-ft") -> str:
    """The next free fine-tuned model name in the workspace: ``htr-ft-001``, ``-002`` ..."""
    folder = workspace_models_dir(workspace)
    taken = [int(m.group(1)) for p in (folder.iterdir() if folder.is_dir() else [])
             if (m := re.fullmatch(re.escape(base) + r"-(\d{3})", p.name))]
    return f"{base}-{max(taken, default=0) + 1:03d}"


# -- per-book writer models (sohoa adapt) ------------------------------------------------------
# ``<workspace>/models/books/<book id>/vNNN/``: ``card.json`` always (kept or rejected), the model
# files only when the version was kept. The newest kept version is the book's model.
CARD = "card.json"


@dataclass(frozen=True)
class BookModel:
    book_id: int
    version: str
    path: Path
    kept: bool
    card: dict[str, Any]


def book_models_dir(workspace: Path, book_id: int) -> Path:
    return workspace_models_dir(workspace) / "books" / str(int(book_id))


def book_models(workspace: Path, book_id: int | None = None) -> list[BookModel]:
    """Every adaptation version of one book (or of all books), oldest first."""
    root = workspace_models_dir(workspace) / "books"
    if not root.is_dir():
        return []
    books = [root / str(int(book_id))] if book_id is not None else sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
    out = []
    for folder in books:
        for v in sorted(folder.glob("v[0-9][0-9][0-9]")) if folder.is_dir() else ():
            try:
                card = json.loads((v / CARD).read_text("utf-8"))
            except (OSError, ValueError):
                log.warning("%s: no readable %s, skipped", v, CARD)
                continue
            kept = bool(card.get("kept")) and (v / MODEL_JSON).exists()
            out.append(BookModel(int(folder.name), v.name, v, kept, card))
    return out


def book_model(workspace: Path, book_id: int) -> Path | None:
    """The newest kept model of a book, or None."""
    kept = [m for m in book_models(workspace, book_id) if m.kept]
    return kept[-1].path if kept else None


def next_book_version(workspace: Path, book_id: int) -> str:
    taken = [int(m.version[1:]) for m in book_models(workspace, book_id)]
    folder = book_models_dir(workspace, book_id)
    taken += [int(p.name[1:]) for p in folder.glob("v[0-9][0-9][0-9]")] if folder.is_dir() else []
    return f"v{max(taken, default=0) + 1:03d}"
