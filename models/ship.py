"""Ship a trained model into the repository: ``models/weights/<name>/`` with fp16 weights (half
the size, same readings within rounding) and a model card that says what data and fonts it
saw, how long it trained, its CER on held-out fonts, and the weights' sha256."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.charlm import address_lm, kind_lm
from models.checkpoint import (
    ADDRESS_LM_FILE,
    WEIGHTS,
    load_model_dir,
    save_model_dir,
    sha256_file,
)
from models.registry import SHIPPED_DIR


def _kind_table(metrics: dict[str, Any]) -> str:
    rows = ["| kind | n | CER | exact |", "|---|---|---|---|"]
    for kind, m in sorted(metrics.get("by_kind", {}).items()):
        rows.append(f"| {kind} | {m['n']} | {m['cer']:.2%} | {m['exact']:.0%} |")
    rows.append(f"| **all** | {metrics.get('n', 0)} | {metrics.get('cer', 0):.2%} | "
                f"{metrics.get('exact', 0):.0%} |")
    return "\n".join(rows)


def training_data_notes(data: dict[str, Any]) -> str:
    """What a run's ``data.json`` says its training lines were made of beyond the base
    fonts (extra fonts, earlier legs, shifted marks, pen strokes, shards and each
    augmentation share), one model-card line each."""
    train = data.get("train", {})
    extra_fonts = ""
    if train.get("extra_share"):
        names = train.get("extra_fonts", [])
        extra_fonts = (f"\n  {train['extra_share']:.0%} of lines written instead in one of "
                       f"{len(names)} extra installed fonts that has every letter of the line "
                       "(PyPI fontpkg-* handwriting fonts, Debian print/school fonts; never a "
                       "test or bench font): " + ", ".join(names) + ";")
    legs = data.get("legs", [])
    if legs:
        earlier = [leg.get("train", {}) for leg in legs]
        extra_fonts += (f"\n  the run was resumed with other data {len(legs)} time(s); "
                        "earlier legs: " + "; ".join(
                            f"share of extra fonts {t.get('extra_share', 0)}, "
                            f"shifted tone marks {t.get('mark_share', 0)}, "
                            f"degradations {t.get('degradations', 'before stamps')}"
                            for t in earlier) + ";")
    if train.get("mark_share"):
        extra_fonts += (f"\n  {train['mark_share']:.0%} of lines by hands that set each tone mark "
                        "to the right of its letter (HandStyle.mark_shift, 20-90 % of a letter);")
    if train.get("stroke_share"):
        extra_fonts += (f"\n  {train['stroke_share']:.0%} of lines written with pen strokes by "
                        f"synthetic writers (seeds {train.get('writer_seeds')}; "
                        f"{train.get('stroke_source', 'sohoa.synth.stroke_writer')}): letter "
                        "skeletons of " + ", ".join(train.get("stroke_fonts", [])) +
                        ", joins, hand-placed diacritics, ballpoint/fountain/felt pens, photo "
                        "light and JPEG; never the held-out stroke writers or families;")
    if train.get("shards"):
        sh = train["shards"]
        extra_fonts += (f"\n  {sh.get('share', 0):.0%} of the samples drawn from a cache of "
                        "pre-rendered training lines (models.shards: written beside the "
                        "trainer by a nice'd producer from the same training source"
                        + "".join(f", stroke share {s.get('stroke_share', 0)}"
                                  for s in sh.get("shard_sources", []))
                        + "; kept out of the repository), half of them width-jittered;")
    if train.get("distort_share"):
        extra_fonts += (f"\n  {train['distort_share']:.0%} of lines also distorted "
                        "(models.augment.distort: " + ", ".join(train.get("distortions", []))
                        + ");")
    if train.get("capture_share"):
        extra_fonts += (f"\n  {train['capture_share']:.0%} of lines also captured badly "
                        "(models.augment.capture: " + ", ".join(train.get("captures", []))
                        + ");")
    if train.get("bend_share"):
        extra_fonts += (f"\n  {train['bend_share']:.0%} of lines also written along a smooth "
                        "curve (models.augment.curve: " + ", ".join(train.get("curves", []))
                        + f", peak to peak {train.get('curve_range')} x the height);")
    if train.get("shake_share"):
        extra_fonts += (f"\n  {train['shake_share']:.0%} of lines also photographed with the "
                        f"camera moving (models.augment.shake: a smear of "
                        f"{train.get('shake_range')} x the height, "
                        f"{train.get('shake_ghost', 0):.0%} of them a double exposure);")
    if train.get("letter_variety"):
        extra_fonts += (f"\n  {train['letter_variety']:.0%} of the pen-stroke writers also given "
                        "letter variety (sohoa.synth.stroke_writer._varied: other fonts' letters "
                        f"mixed in, lasting letter twists, stroke ends cut or run on; ranges "
                        f"{train.get('variety_ranges')});")
    return extra_fonts


def ship(best_dir: Path, name: str, run_dir: Path | None = None, extra: str = "",
         dest_root: Path = SHIPPED_DIR) -> Path:
    """Copy ``best_dir`` as fp16 into ``dest_root/name`` and write its MODEL_CARD.md."""
    m = load_model_dir(best_dir)
    meta = {k: v for k, v in m.meta.items() if k not in ("arch", "config", "weights_sha256",
                                                          "created")}
    meta["shipped_from"] = str(run_dir or best_dir)
    dest = save_model_dir(dest_root / name, m.module, m.config, m.charset, meta, half=True)
    from ocr.htr import LM_FILES

    for kind, file in LM_FILES.items():
        kind_lm(kind.value, n=20000).save(dest / file)
    address_lm(n=20000).save(dest / ADDRESS_LM_FILE)
    info = json.loads((dest / "model.json").read_text("utf-8"))
    params = sum(p.numel() for p in m.module.parameters())
    data = meta.get("data", {})
    if run_dir is not None and (run_dir / "data.json").exists():  # the run's, with its legs
        data = json.loads((run_dir / "data.json").read_text("utf-8"))
    train, val = data.get("train", {}), data.get("val", {})
    history = ""
    if run_dir is not None and (run_dir / "metrics.jsonl").exists():
        rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
        history = "\n".join(f"| {r['epoch']} | {r['elapsed_min']:.0f} | {r['step']} | "
                            f"{r['train_loss']:.3f} | {r['cer']:.2%} | {r['samples_per_s']:.0f} |"
                            for r in rows)
        history = ("| epoch | minutes | steps | train loss | val CER | samples/s |\n"
                   "|---|---|---|---|---|---|\n" + history)
    size = sum(p.stat().st_size for p in dest.iterdir() if p.is_file())
    extra_fonts = training_data_notes(data)
    cfg = run_dir / "config.json" if run_dir is not None else None
    init = json.loads(cfg.read_text("utf-8")).get("init_from") if cfg and cfg.exists() else ""
    if init:
        extra_fonts += f"\n  fine-tuned from `{init}` (its data as in its own card);"
    if train.get("degradations"):
        extra_fonts += "\n  degradations: " + ", ".join(train["degradations"]) + ";"
    card = f"""# {name}: sohoa handwriting line recogniser

- Architecture: CRNN (6 conv blocks {list(m.config.channels)}, height {m.config.height},
  2-layer BiLSTM {m.config.rnn_hidden}/direction, CTC over {m.charset.num_classes - 1}
  characters + blank), {params / 1e6:.2f} M parameters; weights fp16 ({size / 1e6:.1f} MB folder).
- Charset: every NFC Vietnamese letter (134 accented incl. đ/Đ), ASCII letters, digits and
  `{' .,/-():' + chr(39) + chr(34)}` (`charset.json`).
- Training data: generated on the fly, never stored: {train.get('source', '?')};
  fonts ({train.get('role', '?')} role): {', '.join(train.get('fonts', []))};{extra_fonts}
  names {train.get('name_share', '?')} of samples, random syllables
  {train.get('random_share', '?')}, letter size {train.get('size_range', '?')} px, values cut
  to at most {train.get('max_chars', '?')} characters.
- Validation: {data.get('val_size', '?')} fixed crops in fonts it never trained on
  ({', '.join(val.get('fonts', []))}).
- Training: {meta.get('train_minutes', '?')} minutes on 2 shared CPU cores (other jobs
  running), {meta.get('step', '?')} steps of 32, AdamW, warm-up + cosine; best epoch
  {meta.get('epoch', '?')}.
- weights.pt sha256: `{sha256_file(dest / WEIGHTS)}`

## Validation CER (held-out "test" fonts, greedy decoding)

{_kind_table(meta.get('val', {}))}

{history}

{extra}
"""
    (dest / "MODEL_CARD.md").write_text(card, "utf-8")
    assert info["weights_sha256"] == sha256_file(dest / WEIGHTS)
    return dest
