"""Field parsers and lexicon-aware choice: speed, generator round trip, and what choosing
among n-best readings and calibration buy on SIMULATED recogniser errors.

Values come from the synthetic register generator (``sohoa.synth``). For the choice test each
value is corrupted the way the shared handwriting experiment saw a small CRNN err (a/o, ă/ô,
lost or wrong tone marks, digit confusions); the true text is hidden among 2-4 candidates with
random engine confidences and ranks first only part of the time. This is a stand-in: refit
the calibration on real engine output before trusting its figures (docs/fields.md).

    .venv/bin/python benchmarks/bench_fields.py [--quick]

Prints a Markdown table and writes ``benchmarks/results/fields.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np

from sohoa.fields import (
    Features,
    choose_reading,
    default_calibration,
    expected_calibration_error,
    features_of,
    fit_calibration,
    parse_field,
)
from sohoa.records import Alternative, FieldKind
from sohoa.synth.values import sample_value
from sohoa.template import load_template

RESULTS = Path(__file__).parent / "results" / "fields.json"
SWAPS = {"a": "oă", "o": "aô", "ă": "ôa", "ô": "ăo", "ơ": "o", "ư": "u", "u": "ư", "e": "ê",
         "ê": "e", "n": "u", "1": "7", "7": "1", "3": "8", "8": "3", "0": "6", "6": "0",
         "5": "6", "i": "l"}
TONES = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]


def corrupt(text: str, rng: random.Random) -> str:
    """One or two plausible recogniser errors."""
    chars = list(unicodedata.normalize("NFD", text))
    for _ in range(rng.choice((1, 1, 2))):
        spots = [i for i, c in enumerate(chars) if c.lower() in SWAPS or c in TONES]
        if not spots:
            break
        i = rng.choice(spots)
        c = chars[i]
        if c in TONES:
            chars[i] = rng.choice(["", *[t for t in TONES if t != c]])
        else:
            chars[i] = rng.choice(SWAPS[c.lower()])
    return unicodedata.normalize("NFC", "".join(chars))


def samples(n_entries: int, seed: int) -> list[tuple[str, FieldKind, str, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for tid in ("ks-2006", "kt-2006", "kh-2006"):
        tpl = load_template(tid)
        for _ in range(n_entries):
            for spec in tpl.fields:
                fv = sample_value(spec, rng)
                if fv is not None and fv.text:
                    out.append((spec.name, spec.kind, fv.text, fv.value))
    return out


def nbest(text: str, rng: random.Random) -> tuple[list[Alternative], bool]:
    """2-4 candidates; the truth ranks first with probability 0.6 (else second or third)."""
    wrong = list(dict.fromkeys(corrupt(text, rng) for _ in range(rng.randint(1, 3))))
    wrong = [w for w in wrong if w != text] or [text + "."]
    confs = sorted((rng.random() for _ in range(len(wrong) + 1)), reverse=True)
    pos = 0 if rng.random() < 0.6 else min(len(wrong), rng.choice((1, 2)))
    texts = wrong[:pos] + [text] + wrong[pos:]
    return [Alternative(t, round(c, 3)) for t, c in zip(texts, confs, strict=False)], pos == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few entries (about 20 s)")
    args = ap.parse_args()
    n = 15 if args.quick else 120

    t0 = time.perf_counter()
    for kind in FieldKind:  # one-time lexicon loads
        parse_field(kind, "Bản Co Mạ, xã Co Mạ, huyện Thuận Châu" if kind == "place" else "Nam")
    load_s = time.perf_counter() - t0

    data = samples(n, 1)
    speed: dict[str, list[float]] = defaultdict(list)
    parsed_ok: dict[str, list[bool]] = defaultdict(list)
    for _, kind, text, _ in data:
        t = time.perf_counter()
        pv = parse_field(kind, text)
        speed[kind.value].append(time.perf_counter() - t)
        parsed_ok[kind.value].append(pv.ok)

    rng = random.Random(3)
    top1: dict[str, list[bool]] = defaultdict(list)
    chosen: dict[str, list[bool]] = defaultdict(list)
    cal_rows: list[tuple[Features, bool]] = []
    raw_conf: list[tuple[float, bool]] = []
    for name, kind, text, _ in data:
        truth = parse_field(kind, text).value
        cands, _ = nbest(text, rng)
        first = parse_field(kind, cands[0].text).value
        r = choose_reading(name, kind, cands, "sim")
        top1[kind.value].append(first == truth)
        chosen[kind.value].append(r.value == truth)
        fo = features_of(kind, cands, field=name)
        if fo:
            cal_rows.append((fo[0], r.value == truth))
            raw_conf.append((cands[0].confidence, r.value == truth))

    half = len(cal_rows) // 2
    fitted = fit_calibration(cal_rows[:half], note="simulated errors (bench_fields)")
    test = cal_rows[half:]
    y = [c for _, c in test]
    ece = {
        "engine confidence": expected_calibration_error([c for c, _ in raw_conf[half:]], y),
        "default map": expected_calibration_error(
            [default_calibration().predict(f) for f, _ in test], y),
        "refitted map": expected_calibration_error([fitted.predict(f) for f, _ in test], y),
    }

    rows = []
    for kind in sorted(speed):
        rows.append({
            "kind": kind, "n": len(speed[kind]),
            "parse_us": round(1e6 * sum(speed[kind]) / len(speed[kind]), 1),
            "median_us": round(1e6 * sorted(speed[kind])[len(speed[kind]) // 2], 1),
            "max_ms": round(1e3 * max(speed[kind]), 2),
            "generator_ok": round(sum(parsed_ok[kind]) / len(parsed_ok[kind]), 4),
            "top1_exact": round(sum(top1[kind]) / len(top1[kind]), 4),
            "chosen_exact": round(sum(chosen[kind]) / len(chosen[kind]), 4),
        })
    print(f"lexicon load (first call of every kind): {load_s:.2f} s\n")
    print("| kind | n | parse µs mean | µs median | max ms | generator text parses | "
          "top-1 exact (sim.) | choose_reading exact (sim.) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kind']} | {r['n']} | {r['parse_us']} | {r['median_us']} | {r['max_ms']} | "
              f"{r['generator_ok']:.1%} | {r['top1_exact']:.1%} | {r['chosen_exact']:.1%} |")
    all_top = sum(sum(v) for v in top1.values()) / sum(len(v) for v in top1.values())
    all_ch = sum(sum(v) for v in chosen.values()) / sum(len(v) for v in chosen.values())
    print(f"\nall fields: top-1 {all_top:.1%} -> chosen {all_ch:.1%} (simulated n-best)")
    print("\n| confidence | ECE on held-out half |\n|---|---|")
    for k, v in ece.items():
        print(f"| {k} | {v:.3f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "quick": args.quick, "machine": platform.platform(), "load_s": round(load_s, 3),
        "kinds": rows, "top1_exact_all": round(all_top, 4), "chosen_exact_all": round(all_ch, 4),
        "ece": {k: round(v, 4) for k, v in ece.items()},
        "refitted": json.loads(fitted.to_json()),
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
