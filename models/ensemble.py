"""Ensembles of CRNN model folders: two or more networks of one shape read side by side.

Each frame's log-probabilities are the members' averaged and normalised again
(:func:`models.crnn.build_ensemble`). An ensemble is an ordinary model folder (``model.json``
with ``config.members`` > 1, one ``weights.pt``), so the engine, the evaluation, ``sohoa
train --init-from`` and ``sohoa models use`` take it as they take one network.

- :func:`join_models` makes one from model folders with the same charset and shape (the
  first folder's character LMs, decoding weights and card travel with it);
- :func:`member_folder` writes one member back out as a single network: per-book adaptation
  fine-tunes the first member only (the adaptation's cost and measured curve stay those of a
  single network; its gate still compares with the whole ensemble).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.checkpoint import ModelError, copy_reading_files, load_model_dir, save_model_dir
from models.crnn import build_crnn

if TYPE_CHECKING:
    import numpy as np

# files of a model folder that belong to the reading, not the network (character LMs, card)


def join_models(folders: list[Path], out: Path, meta: dict[str, Any] | None = None,
                half: bool = True) -> Path:
    """Write ``out``: an ensemble of the single networks in ``folders`` (same charset, same
    config), members in the order given. The first folder's character LMs and decoding
    weights are kept (they were tuned on its outputs)."""
    if len(folders) < 2:
        raise ModelError("an ensemble needs at least two model folders")
    loaded = [load_model_dir(Path(f), "cpu") for f in folders]
    first = loaded[0]
    for m in loaded:
        if m.config.members != 1:
            raise ModelError(f"{m.path}: already an ensemble; join single networks")
        if m.charset != first.charset:
            raise ModelError(f"{m.path}: its charset differs from {first.path}'s")
        if replace(m.config, dropout=first.config.dropout) != first.config:
            raise ModelError(f"{m.path}: its network shape differs from {first.path}'s "
                             f"({m.config} vs {first.config})")
    cfg = replace(first.config, members=len(loaded))
    module = build_crnn(cfg)
    for member, m in zip(module.members, loaded, strict=True):
        member.load_state_dict(m.module.state_dict())
    info = _decoding(first.meta)
    info["members"] = [{"from": str(m.path), "weights_sha256": m.meta.get("weights_sha256"),
                        **({"epoch": m.meta["epoch"]} if "epoch" in m.meta else {})}
                       for m in loaded]
    info.update(meta or {})
    save_model_dir(Path(out), module.eval(), cfg, first.charset, info, half=half)
    copy_reading_files(first.path, Path(out))
    return Path(out)


def with_kind_model(base: Path, specialist: Path, kind: str, out: Path) -> Path:
    """Write ``out``: the model folder ``base`` with ``specialist`` (a network or ensemble of
    the same charset and input shape) reading the crops of field kind ``kind`` instead
    (``kind_models`` in model.json, the specialist in the sub-folder ``<kind>s``)."""
    import json
    import shutil

    from models.checkpoint import CHARSET, KIND_MODELS, MODEL_JSON, WEIGHTS, load_kind_models

    base, out = Path(base), Path(out)
    if out.exists():
        raise ModelError(f"{out}: exists already")
    shutil.copytree(base, out)
    sub = out / f"{kind}s"
    shutil.rmtree(sub, ignore_errors=True)
    sub.mkdir()
    for name in (MODEL_JSON, CHARSET, WEIGHTS):  # the network only: it reads with out's LMs
        shutil.copyfile(Path(specialist) / name, sub / name)
    info = json.loads((out / MODEL_JSON).read_text("utf-8"))
    info[KIND_MODELS] = {**info.get(KIND_MODELS, {}), kind: sub.name}
    (out / MODEL_JSON).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n",
                                  "utf-8")
    try:  # the same charset and input shape, or no folder at all
        load_kind_models(out, load_model_dir(out, "cpu"))
    except ModelError:
        shutil.rmtree(out)
        raise
    return out


def member_folder(folder: Path, out: Path, index: int = 0) -> Path:
    """``folder`` itself when it holds one network; else its member ``index`` written to
    ``out`` as a single-network folder (the reading files and decoding weights copied)."""
    m = load_model_dir(Path(folder), "cpu")
    if m.config.members == 1:
        return Path(folder)
    if not 0 <= index < m.config.members:
        raise ModelError(f"{folder}: no member {index} (it has {m.config.members})")
    cfg = replace(m.config, members=1)
    info = _decoding(m.meta)
    info["member_of"] = {"folder": str(folder), "index": index,
                         "weights_sha256": m.meta.get("weights_sha256")}
    save_model_dir(Path(out), m.module.members[index], cfg, m.charset, info)
    copy_reading_files(Path(folder), Path(out))
    return Path(out)


def _decoding(meta: dict[str, Any]) -> dict[str, Any]:
    """The decoding weights a model folder's ``model.json`` names (models.decode_weights)."""
    return {k: meta[k] for k in ("decoding",) if k in meta}


def mean_log_probs(parts: list[np.ndarray]) -> np.ndarray:
    """The frames' log-probabilities of several members averaged and normalised again, as
    :func:`models.crnn.build_ensemble`'s forward computes them (members of one crop may
    differ by a frame at the end: the shortest length is kept)."""
    import numpy as np

    t = min(p.shape[0] for p in parts)
    mean = parts[0][:t].astype(np.float32)
    for p in parts[1:]:
        mean += p[:t]
    mean /= len(parts)
    top = mean.max(axis=1, keepdims=True)
    mean -= top + np.log(np.exp(mean - top).sum(axis=1, keepdims=True))
    return mean
