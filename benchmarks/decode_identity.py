"""The decoding and choice stages, recorded once and replayed: are the readings bit-identical
after a speed change, and how many CPU seconds per page do the two stages take?

``record`` reads generated pages (default layout and the training layout families, easy and
hard, ``bench`` hands) with the whole read path on one thread and saves, for each page, every
``FieldDecoder.decode`` call (the crop's (T, C) log-probabilities, its kind, the n-best it gave),
every ``Recognizer.choose`` call (the page's cells, the readings it chose) and every field of
the page as read (text, value, confidence, alternatives).

``check REF`` reads the same pages again with the code on ``PYTHONPATH`` and compares every
field (text, value, confidence, alternatives: exact float equality), every decode n-best and
every choice with REF's. ``replay REF`` runs only the decoder and the choice on REF's recorded
inputs (no segmentation, no network: the two stages alone, a quiet measurement), compares
their outputs with REF's and prints CPU s per page of each stage (best of ``--repeat``).

    PYTHONPATH=. python benchmarks/decode_identity.py record /tmp/ref.pkl --pages 30
    PYTHONPATH=. python benchmarks/decode_identity.py check /tmp/ref.pkl
    PYTHONPATH=. python benchmarks/decode_identity.py replay /tmp/ref.pkl --repeat 3
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SEED = 915000


def page_specs(n: int) -> list[tuple[int, str, str]]:
    """(seed, layout, difficulty) of ``n`` pages: the default layout and the training families
    in turn, easy and hard."""
    from sohoa.synth.families import TRAINING

    layouts = ("default", *TRAINING)
    return [(SEED + i, layouts[i % len(layouts)], ("easy", "hard")[(i // len(layouts)) % 2])
            for i in range(n)]


def _fields(work) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = []
    for e in work.reading.entries:
        for name, r in sorted(e.fields.items()):
            out.append((e.index, name, r.text, r.value, r.confidence,
                        tuple((a.text, a.confidence) for a in r.alternatives)))
    return out


def read_pages(specs: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """Each page's decode calls, choose calls and fields, read as ``process`` reads them."""
    import torch

    import sohoa.pipeline as pipeline
    from sohoa.recognize import EnginePlan, Recognizer
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    torch.set_num_threads(1)
    tpl = load_template("ks-2006")
    rec = Recognizer(EnginePlan(default="htr", device="cpu"))
    pages: list[dict[str, Any]] = []
    cur: dict[str, Any] = {}
    choose = Recognizer.__dict__["choose"].__func__

    def rec_choose(cells, **kw):  # type: ignore[no-untyped-def]
        out = choose(cells, **kw)
        cur["choose"].append((list(cells), kw, out))
        return out

    Recognizer.choose = staticmethod(rec_choose)  # type: ignore[method-assign]
    wrapped = False
    try:
        for seed, layout, difficulty in specs:
            img = generate_page(tpl, seed=seed, difficulty=difficulty, font_role="bench",
                                layout=None if layout == "default" else layout).image
            cur.clear()  # the same dict: the recording wrappers append to it
            cur.update({"spec": (seed, layout, difficulty), "decode": [], "choose": []})
            if not wrapped:  # the engine exists after the first page: read that one again
                pipeline.read_image(img, tpl, rec, ref_year=2008, keep_crops=True)
                htr = rec._engines["htr"]
                decode = htr.decoder.decode

                def rec_decode(logp, kind, _d=decode, **kw):  # type: ignore[no-untyped-def]
                    out = _d(logp, kind, **kw)  # kw: whole=False for one line of a wrapped value
                    cur["decode"].append((np.array(logp, dtype=np.float32), kind, out, kw))
                    return out

                htr.decoder.decode = rec_decode
                wrapped = True
                cur["choose"].clear()
            work = pipeline.read_image(img, tpl, rec, ref_year=2008, keep_crops=True)
            cur["fields"] = _fields(work)
            pages.append(dict(cur))
            print(f"page {len(pages)}/{len(specs)} {layout} {difficulty}: "
                  f"{len(cur['fields'])} fields", file=sys.stderr)
    finally:
        Recognizer.choose = staticmethod(choose)  # type: ignore[method-assign]
    return pages


def compare(ref: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """What differs between two recordings of the same pages (empty: identical)."""
    diffs: list[str] = []
    if len(ref) != len(new):
        return [f"{len(ref)} pages recorded, {len(new)} read"]
    for i, (a, b) in enumerate(zip(ref, new, strict=True)):
        if len(a["fields"]) != len(b["fields"]):
            diffs.append(f"page {i}: {len(a['fields'])} fields, now {len(b['fields'])}")
        for fa, fb in zip(a["fields"], b["fields"], strict=False):
            if fa != fb:
                diffs.append(f"page {i}: {fa} -> {fb}")
        da = [d[2] for d in a["decode"]]
        db = [d[2] for d in b["decode"]]
        if da != db:
            bad = sum(x != y for x, y in zip(da, db, strict=False)) + abs(len(da) - len(db))
            diffs.append(f"page {i}: {bad} of {len(da)} decode n-best lists differ")
        if [c[2] for c in a["choose"]] != [c[2] for c in b["choose"]]:
            diffs.append(f"page {i}: the chosen readings differ")
    return diffs


def compare_texts(ref: list[dict[str, Any]], new: list[dict[str, Any]]
                  ) -> tuple[int, int, float, list[str]]:
    """For a change that moves probabilities by float noise only: fields compared, fields
    whose text or value differs, the largest confidence change, and the differing fields."""
    n = bad = 0
    worst = 0.0
    shown: list[str] = []
    for i, (a, b) in enumerate(zip(ref, new, strict=True)):
        for fa, fb in zip(a["fields"], b["fields"], strict=True):
            n += 1
            if fa[:4] != fb[:4]:
                bad += 1
                shown.append(f"page {i}: {fa[:5]} -> {fb[:5]}")
            else:
                worst = max(worst, abs(float(fa[4]) - float(fb[4])))
    return n, bad, worst, shown


def replay(ref: list[dict[str, Any]], repeat: int) -> tuple[dict[str, float], list[str]]:
    """CPU s per page of decoding and choice on the recorded inputs (best of ``repeat``), and
    the outputs that differ from the recorded ones."""
    import torch

    from sohoa.recognize import EnginePlan, Recognizer

    torch.set_num_threads(1)  # as a worker of process runs (and as read_pages records)
    rec = Recognizer(EnginePlan(default="htr", device="cpu"))
    decoder = rec._engine("htr").decoder
    # warm up: decoders, lexicons and gazetteer built (as the first page of a run does)
    for d in ref[0]["decode"]:
        decoder.decode(d[0], d[1], **d[3])
    for cells, kw, _ in ref[0]["choose"]:
        Recognizer.choose(cells, **kw)
    best = {"decoding": float("inf"), "choice": float("inf")}
    diffs: list[str] = []
    for r in range(repeat):
        t_dec = t_cho = 0.0
        for i, page in enumerate(ref):
            t = time.process_time()
            outs = [decoder.decode(lp, kind, **kw) for lp, kind, _, kw in page["decode"]]
            t_dec += time.process_time() - t
            t = time.process_time()
            chosen = [Recognizer.choose(cells, **kw) for cells, kw, _ in page["choose"]]
            t_cho += time.process_time() - t
            if r == 0:
                bad = sum(o != d[2] for o, d in zip(outs, page["decode"], strict=True))
                if bad:
                    diffs.append(f"page {i}: {bad} of {len(outs)} decode n-best lists differ")
                if chosen != [c[2] for c in page["choose"]]:
                    diffs.append(f"page {i}: the chosen readings differ")
        best["decoding"] = min(best["decoding"], t_dec / len(ref))
        best["choice"] = min(best["choice"], t_cho / len(ref))
    best["decoding + choice"] = best["decoding"] + best["choice"]
    return best, diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("record", "check", "replay"))
    ap.add_argument("file", type=Path, help="the recording (written by record, read else)")
    ap.add_argument("--pages", type=int, default=30, help="pages to record")
    ap.add_argument("--repeat", type=int, default=3, help="replay rounds (the best is kept)")
    ap.add_argument("--texts", action="store_true",
                    help="check: compare only the fields' texts and values (and report the "
                         "largest confidence change), for a change that moves probabilities by "
                         "float noise")
    args = ap.parse_args()
    if args.mode == "record":
        pages = read_pages(page_specs(args.pages))
        args.file.write_bytes(pickle.dumps(pages, protocol=pickle.HIGHEST_PROTOCOL))
        n = sum(len(p["fields"]) for p in pages)
        print(f"recorded {len(pages)} pages, {n} fields, "
              f"{sum(len(p['decode']) for p in pages)} decode calls")
        return
    ref = pickle.loads(args.file.read_bytes())
    if args.mode == "check":
        new = read_pages([tuple(p["spec"]) for p in ref])
        if args.texts:
            n, bad, worst, shown = compare_texts(ref, new)
            print(f"{len(ref)} pages, {n} fields: {bad} texts or values differ "
                  f"({100 * bad / max(n, 1):.2f} %); largest confidence change among the "
                  f"others {worst:.2e}")
            for d in shown[:30]:
                print(d)
            return
        diffs = compare(ref, new)
        n = sum(len(p["fields"]) for p in ref)
        print(f"{len(ref)} pages, {n} fields: "
              + ("identical" if not diffs else f"{len(diffs)} differences"))
    else:
        secs, diffs = replay(ref, args.repeat)
        for k, v in secs.items():
            print(f"{k}: {v:.4f} CPU s/page")
        print(f"{len(ref)} pages replayed: "
              + ("identical" if not diffs else f"{len(diffs)} differences"))
    for d in diffs[:30]:
        print(d)
    if diffs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
