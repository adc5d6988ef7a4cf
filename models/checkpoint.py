"""A model folder: ``model.json`` (architecture, config, metrics), ``charset.json`` and
``weights.pt`` (a state_dict, fp16 when shipped). Everything needed to read with it travels
together, so a folder can be copied into a workspace or the repository as one unit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.charset import Charset
from models.crnn import CRNNConfig, build_crnn
from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

MODEL_JSON = "model.json"
WEIGHTS = "weights.pt"
CHARSET = "charset.json"
# the character LMs a model folder reads with (built from register values, not from the
# network's weights: a network fine-tuned from a base reads with the base's)
ADDRESS_LM_FILE = "address_lm.json"  # places on whole lines of unknown origin (ocr.htr)
# model.json key: {field kind: sub-folder} of networks that read that kind instead
KIND_MODELS = "kind_models"
READING_FILES = ("name_lm.json", "place_lm.json", "date_lm.json", ADDRESS_LM_FILE)


class ModelError(SohoaError, RuntimeError):
    """A model folder is missing or unreadable."""


@dataclass(frozen=True)
class LoadedModel:
    module: Any  # torch.nn.Module in eval mode
    config: CRNNConfig
    charset: Charset
    meta: dict[str, Any]
    path: Path
    device: str


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model_dir(path: Path, module: Any, config: CRNNConfig, charset: Charset,
                   meta: dict[str, Any], half: bool = False) -> Path:
    """Write a model folder (atomically replacing the weights file)."""
    import torch

    path.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu()
             for k, v in module.state_dict().items()}
    tmp = path / (WEIGHTS + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path / WEIGHTS)
    charset.save(path / CHARSET)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    info = {"arch": "crnn", "config": config.to_dict(), "created": created, **meta,
            "weights_sha256": sha256_file(path / WEIGHTS)}
    (path / MODEL_JSON).write_text(json.dumps(info, ensure_ascii=False, indent=2), "utf-8")
    return path


def resolve_device(device: str) -> str:
    """``auto`` -> cuda when torch sees it, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("--device cuda asked for, but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ModelError(f"unknown device {device!r}; use auto, cpu or cuda")
    return device


def load_model_dir(path: Path, device: str = "cpu") -> LoadedModel:
    """Load a CRNN model folder for inference."""
    import torch

    path = Path(path)
    meta_file = path / MODEL_JSON
    if not meta_file.exists():
        raise ModelError(f"{path}: no {MODEL_JSON}; not a sohoa handwriting model folder")
    try:
        meta = json.loads(meta_file.read_text("utf-8"))
    except ValueError as exc:
        raise ModelError(f"{meta_file}: not valid JSON ({exc})") from exc
    if meta.get("arch") != "crnn":
        raise ModelError(f"{meta_file}: arch {meta.get('arch')!r} is not a CRNN model")
    config = CRNNConfig.from_dict(meta["config"])
    charset = Charset.load(path / CHARSET)
    if charset.num_classes != config.num_classes:
        raise ModelError(f"{path}: charset has {charset.num_classes} classes, model "
                         f"{config.num_classes}")
    dev = resolve_device(device)
    module = build_crnn(config)
    try:
        state = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"{path / WEIGHTS}: cannot read weights ({exc})") from exc
    module.load_state_dict({k: v.float() if v.is_floating_point() else v
                            for k, v in state.items()})
    module.eval().to(dev)
    return LoadedModel(module, config, charset, meta, path, dev)


def load_kind_models(path: Path, model: LoadedModel, device: str = "cpu"
                     ) -> dict[str, LoadedModel]:
    """The networks a model folder names for single field kinds (``kind_models`` in its
    model.json: ``{"name": "names"}``, a sub-folder each), by kind. Each must read like the
    folder's own network (the same charset, input height and columns per frame), so the
    folder's decoding, LMs and gates apply to it unchanged."""
    out: dict[str, LoadedModel] = {}
    for kind, sub in (model.meta.get(KIND_MODELS) or {}).items():
        folder = Path(path) / str(sub)
        if Path(str(sub)).is_absolute() or ".." in Path(str(sub)).parts:
            raise ModelError(f"{Path(path) / MODEL_JSON}: {KIND_MODELS} {kind!r} must name a "
                             f"sub-folder of the model folder, not {sub!r}")
        m = load_model_dir(folder, device)
        if m.charset != model.charset:
            raise ModelError(f"{folder}: its charset differs from {path}'s")
        if (m.config.height, m.config.width_stride) != (model.config.height,
                                                         model.config.width_stride):
            raise ModelError(f"{folder}: input height / columns per frame "
                             f"{m.config.height}/{m.config.width_stride} differ from {path}'s "
                             f"{model.config.height}/{model.config.width_stride}")
        out[str(kind)] = m
    return out


def atomic_save(obj: Any, path: Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, flushed to disk, then renamed over
    it: a crash leaves the previous checkpoint whole, never a truncated one."""
    import os

    import torch

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


@contextmanager
def atomic_folder(dest: Path) -> Iterator[Path]:
    """Write a folder's files into a temporary sibling, then swap it in for ``dest``: readers
    see the old folder or the new one, never a mix. A crash between the two renames leaves
    ``dest.old``, which :func:`recover_folder` puts back."""
    import os
    import shutil

    dest = Path(dest)
    tmp, old = dest.with_name(dest.name + ".tmp"), dest.with_name(dest.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    yield tmp
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def recover_folder(dest: Path) -> None:
    """Undo a swap of :func:`atomic_folder` cut short: restore ``dest.old``, drop ``.tmp``."""
    import os
    import shutil

    dest = Path(dest)
    old, tmp = dest.with_name(dest.name + ".old"), dest.with_name(dest.name + ".tmp")
    if old.exists() and not dest.exists():
        os.replace(old, dest)
    shutil.rmtree(tmp, ignore_errors=True)


def copy_reading_files(src: Path, out: Path) -> None:
    """The character LMs of ``src`` copied into ``out`` (those it has)."""
    import shutil

    for name in READING_FILES:
        if (Path(src) / name).exists():
            shutil.copyfile(Path(src) / name, Path(out) / name)
