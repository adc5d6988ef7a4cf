"""Per-book writer adaptation (``sohoa adapt``): the CER on a writer the model never trained on,
after 0, 10, 30, 100 and 300 of that writer's confirmed crops, and the time of each adaptation.

The writers (``--writers``, default ``HELD_OUT_WRITERS``: ``stroke:1000000,stroke:1000002,font:1``),
none ever in any training data:
- ``stroke:SEED``: a held-out pen-stroke writer of the stroke synthesiser
  (``StrokeWriter.sample(SEED, held_out=True)``: seeds from ``HELD_OUT_SEED0``, held-out font
  families), lines photographed (``render_stroke_line``);
- ``font:K``: a fixed hand (``HandStyle``) in font K of the generator's ``test`` role
  (setofont, Dancing Script; training runs use them only to pick their best epoch); odd K have
  habits at the edge of the generator's ranges (tone marks right of their letters, strong
  slant, cramped, uneven glyphs), degraded like scanned cells.
Each writes one birth register book (:func:`book_values`: one commune, one clerk's habits,
entries in order; names, dates, places, ethnic groups ... long values on two lines); the first
``n`` entries are confirmed, the next ``--test`` are read. ``--draw random`` keeps the first
bench's draw (every value from a fresh random book, cut to a random run of words).

Each point is the product's own path on a real workspace: a book whose page holds ``n``
confirmed entries (one crop each, confirmed with the truth) and ``--test`` unconfirmed entries
of the same writer; ``adapt_book`` trains, keeps the model only if it beats the base on the
held-out slice of the confirmations, and re-reads the unconfirmed entries (beam search, field
LMs, book lexicon, choice, as ``process`` reads). The CER is that of those re-read entries
against the truth (and, for a kept model, again without the book lexicon); at 0 crops, and at
any point whose model was rejected, it is the base model's reading.

Tuning (``--tuning``) uses training-family stroke writers only (``TUNING_WRITERS``, seeds
below ``HELD_OUT_SEED0``) and refuses the held-out ones; its results go to
``adapt-tuning.json``. Each adapted point reports its training steps and CPU seconds (the
budget is in steps, ``AdaptOptions.steps``; ``--minutes`` is the wall-time cap, so on busy
cores give it room: ``--minutes 10``). ``--jobs 3 --threads 1`` measures the writers at once.

    nice -n 5 .venv/bin/python benchmarks/bench_adapt.py [--quick] [--tuning] [--jobs 3]

Prints a Markdown table and writes ``benchmarks/results/adapt.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

OUT = Path(__file__).resolve().parent / "results" / "adapt.json"
HELD_OUT_WRITERS = "stroke:1000000,stroke:1000002,font:1"  # measuring only, never tuning
TUNING_WRITERS = "stroke:777,stroke:31337,stroke:4242"  # training-family stroke writers
FIELD_OF_KIND = {"number": "so", "date": "nksNgaySinh", "name": "nksHoTen", "sex": "nksGioiTinh",
                 "ethnicity": "nksDanToc", "nationality": "nksQuocTich", "place": "nksNoiSinh",
                 "year": "meNgaySinh", "relation": "nycQuanHe", "text": "ghiChu"}


def writer_hand(writer: int, writer_seed: int):  # type: ignore[no-untyped-def]
    """Held-out writer ``writer``: a hand drawn from ``writer_seed + writer`` in the test role's
    font number ``writer`` (two writers cover both test fonts). Odd writers have habits of
    their own at the edge of the generator's ranges: tone marks set right of their letters,
    strong slant, cramped letters, uneven glyphs and a wavy line."""
    from dataclasses import replace

    from sohoa.synth import HandStyle, fonts_for_role

    fonts = fonts_for_role("test")
    hand = HandStyle.sample(np.random.default_rng(writer_seed + writer), font_role="test",
                            size=32.0)
    hand = replace(hand, font=fonts[writer % len(fonts)])
    if writer % 2:
        hand = replace(hand, mark_shift=0.5, slant=float(np.tan(np.radians(22))), aspect=0.82,
                       glyph_jitter=0.08, elastic=0.06 * hand.size, jitter=0.07)
    return hand


def make_writer(spec: str, writer_seed: int):  # type: ignore[no-untyped-def]
    """``stroke:SEED`` -> a StrokeWriter (held-out from ``HELD_OUT_SEED0``; training-family
    seeds below it are for tuning); ``font:K`` -> :func:`writer_hand`."""
    kind, _, arg = spec.partition(":")
    if kind == "stroke":
        from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter

        return StrokeWriter.sample(int(arg), held_out=int(arg) >= HELD_OUT_SEED0)
    if kind == "font":
        return writer_hand(int(arg), writer_seed)
    raise SystemExit(f"--writers: unknown writer {spec!r} (stroke:SEED or font:K)")


def book_values(n: int, seed: int, max_chars: int = 30, draw: str = "book"
                ) -> list[tuple[str, str, str]]:
    """(kind, field, truth): ``n`` field values of one birth register book.

    ``draw="book"`` (default) draws them as one real book holds them: one commune with its
    villages (``sample_book``), one clerk's habits (date format, place style), entries in
    order (``sample_facts``: the family names, places of the commune, declarants ...), one
    field of each entry (names 35 %, the other fields of the ``ks-2006`` template
    uniformly). Values longer than ``max_chars`` are kept whole (written on two lines, as a
    wrapped cell). ``draw="random"``: the bench's first draw, every value from a fresh random
    book and clerk, cut to a random run of words of at most ``max_chars`` (no book repeats
    its places like that; kept to compare with the old figures).
    """
    import datetime as dt

    from models.data import SynthSource, word_window
    from sohoa.synth.people import sample_book
    from sohoa.synth.values import (
        ValueContext,
        _value,
        registration_date,
        sample_facts,
        sample_writer,
    )
    from sohoa.template import load_template

    rng = np.random.default_rng(seed)
    out: list[tuple[str, str, str]] = []
    if draw == "random":
        src = SynthSource("test", random_share=0.0)
        while len(out) < n:
            kind, text = src._text(rng)
            if kind in FIELD_OF_KIND:
                out.append((kind, FIELD_OF_KIND[kind], word_window(text, max_chars, rng)))
        return out
    fields = [f for f in load_template("ks-2006").fields if str(f.kind) in FIELD_OF_KIND]
    names = [f for f in fields if str(f.kind) == "name"]
    book, writer = sample_book(rng, "KS"), sample_writer(rng)
    so = 0
    while len(out) < n:
        so += 1
        reg = registration_date(book, so, float(rng.random()))
        reg = min(reg, dt.date(book.year, 12, 31))
        ctx = ValueContext(book, sample_facts(rng, book, so, reg), writer)
        pool = names if rng.random() < 0.35 else fields
        spec = pool[int(rng.integers(len(pool)))]
        value = _value(spec, rng, ctx)
        if value is not None and value.text.strip():
            text = value.text if len(value.text) <= 2 * max_chars else \
                word_window(value.text, 2 * max_chars, rng)
            out.append((str(spec.kind), spec.name, text))
    return out


def _two_lines(text: str, max_chars: int) -> list[str]:
    """A value too long for one line of the cell, wrapped at the word nearest its middle."""
    if len(text) <= max_chars or " " not in text:
        return [text]
    cuts = [i for i, c in enumerate(text) if c == " "]
    cut = min(cuts, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1:]]


def _stack(lines: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Lines written one under the other in one cell (left-aligned, a small gap)."""
    if len(lines) == 1:
        return lines[0]
    w = max(a.shape[1] for a in lines)
    paper = int(np.median(np.concatenate([a[:2].ravel() for a in lines])))
    gap = np.full((int(rng.integers(2, 8)), w), paper, np.uint8)
    rows = []
    for i, a in enumerate(lines):
        pad = np.full((a.shape[0], w - a.shape[1]), paper, np.uint8)
        rows += ([gap] if i else []) + [np.hstack([a, pad])]
    return np.vstack(rows)


def writer_crops(n: int, hand, seed: int, max_chars: int = 30,  # type: ignore[no-untyped-def]
                 draw: str = "book") -> list[tuple[str, str, str, np.ndarray]]:
    """(kind, field, truth, grey crop): ``n`` values of one book (:func:`book_values`)
    written by one hand; a long value is written on two lines of the cell."""
    from dataclasses import replace

    from models.augment import degrade
    from sohoa.synth import render_handwriting
    from sohoa.synth.pen import render_stroke_line
    from sohoa.synth.stroke_writer import StrokeWriter

    rng = np.random.default_rng(seed + 7919)
    out = []
    for kind, field, text in book_values(n, seed, max_chars, draw):
        lines = []
        for line in _two_lines(text, max_chars):
            if isinstance(hand, StrokeWriter):
                lines.append(render_stroke_line(line, hand, rng))
                continue
            style = replace(hand, size=float(hand.size * rng.uniform(0.95, 1.05)))
            lines.append(degrade(render_handwriting(line, style, rng), rng))
        out.append((kind, field, text, _stack(lines, rng)))
    return out


def build_workspace(root: Path, confirmed: list, test: list) -> tuple[int, list[int]]:
    """A book with the confirmed crops (page 1) and the unconfirmed test crops (page 2)."""
    from sohoa.records import Book, Reading
    from sohoa.store import EntryResult, Workspace

    with Workspace.open(root, create=True) as ws:
        book = ws.add_book(Book(None, "KS", 2008, "01/2008", "Chiềng Cơi", "Thành phố Sơn La",
                                "Sơn La", "ks-2006"))
        ids: list[list[int]] = []
        for page_no, items in ((1, confirmed), (2, test)):
            img = np.full((40, 60, 3), 230, np.uint8)
            img[page_no, :page_no] = 0
            page, _ = ws.add_page(int(book.id or 0), img, f"bench-{page_no}",
                                  hashlib.sha256(img.tobytes()).hexdigest())
            results = []
            for i, (_, field, text, crop) in enumerate(items):
                guess = text if page_no == 1 else "?"
                results.append(EntryResult(
                    index=i, bbox=(0, i, 10, i + 1), field_crops={field: crop},
                    field_boxes={field: (0, 0, crop.shape[1], crop.shape[0])},
                    readings=[Reading(field, guess, guess, 0.5, "htr")]))
            ids.append(ws.save_page_result(int(page.id or 0), 0.0, results) if results else [])
        for eid, (_, field, text, _) in zip(ids[0], confirmed, strict=True):
            ws.confirm(eid, "clerk", {field: text}, ws.entry_view(eid).version)
    return int(book.id or 0), ids[1]


def _as_read(kind: str, field: str, text: str) -> str:
    """The text the product writes for ``text`` read exactly (its parser's normal form: names
    in capitals become title case, "VN" becomes "Việt Nam"), so policy is not counted."""
    from sohoa.fields import choose_reading
    from sohoa.records import Alternative, FieldKind

    return choose_reading(field, FieldKind(kind), [Alternative(text, 1.0)],
                          "htr").text or text


def test_cer(root: Path, ids: list[int], test: list, model: Path) -> dict[str, Any]:
    """``cer``/``exact``: the stored readings (beam, LMs, choice) against the truth in the
    product's normal form; ``model_cer``: the model alone (greedy, lines split)."""
    from rapidfuzz.distance import Levenshtein

    from models.finetune import read_texts
    from sohoa.store import Workspace

    greedy = read_texts(model, [c for *_, c in test])
    model_edits = sum(Levenshtein.distance(g, t) for g, (_, _, t, _) in zip(greedy, test,
                                                                             strict=True))
    edits = chars = exact = 0
    per: dict[str, list[int]] = {}
    with Workspace.open(root) as ws:
        for eid, (kind, field, text, _) in zip(ids, test, strict=True):
            r = ws.entry_view(eid).readings.get(field)
            got = r.text if r is not None else ""
            text = _as_read(kind, field, text)
            d = Levenshtein.distance(got, text)
            edits, chars, exact = edits + d, chars + len(text), exact + (got == text)
            k = per.setdefault(kind, [0, 0])
            k[0], k[1] = k[0] + d, k[1] + len(text)
    return {"cer": edits / max(1, chars), "exact": exact / max(1, len(ids)),
            "model_cer": model_edits / max(1, sum(len(t) for _, _, t, _ in test)),
            "by_kind": {k: round(e / max(1, c), 4) for k, (e, c) in sorted(per.items())}}


def is_tuning_writer(spec: str) -> bool:
    """A training-family writer (stroke seed below ``HELD_OUT_SEED0``): the only ones tuned
    on. Font writers are the generator's test fonts, and held-out seeds are for measuring."""
    from sohoa.synth.stroke_writer import HELD_OUT_SEED0

    kind, _, arg = spec.partition(":")
    return kind == "stroke" and arg.isdigit() and int(arg) < HELD_OUT_SEED0


def parse_recipe(text: str) -> dict[str, Any]:
    """``'l2sp=0.01,join_share=0.3'`` -> AdaptOptions fields, each converted to its field's
    type; an unknown field is an error."""
    from dataclasses import fields

    from sohoa.adapt import AdaptOptions

    types = {f.name: f.default for f in fields(AdaptOptions)}
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        if key not in types or not value:
            raise SystemExit(f"--recipe: {part!r} is not NAME=VALUE of an AdaptOptions field "
                             f"({', '.join(types)})")
        default = types[key]
        if isinstance(default, bool):
            out[key] = value.lower() in ("1", "true", "yes")
        elif isinstance(default, int) or key in ("steps", "fold_steps", "folds"):
            out[key] = int(value)
        else:
            out[key] = float(value)
    return out


def run_point(n: int, pool: list, test: list, minutes: float, work: Path,
              steps: int | None = None, threads: int = 2,
              recipe: dict[str, Any] | None = None) -> dict[str, Any]:
    from models.registry import model_in_use
    from sohoa.adapt import AdaptError, AdaptOptions, adapt_book, reread_book

    root = work / f"ws-{n}"
    shutil.rmtree(root, ignore_errors=True)
    book_id, ids = build_workspace(root, pool[:n], test)
    t0 = time.monotonic()
    row: dict[str, Any] = {"confirmed_crops": n}
    model = model_in_use(root)
    if n == 0:
        reread_book(root, book_id, model_in_use(root))
        row["read_s"] = round(time.monotonic() - t0, 1)
    else:
        cpu0 = time.process_time()
        try:
            opts = AdaptOptions(minutes=minutes, min_confirmed=1, threads=threads,
                                **(recipe or {}))
            if steps is not None:
                opts = replace(opts, steps=steps or None)
            res = adapt_book(root, str(book_id), opts)
        except AdaptError as exc:  # e.g. no crop fell in the held-out slice
            row["error"] = str(exc)
            reread_book(root, book_id, model_in_use(root))
        else:
            card = json.loads((res.path / "card.json").read_text("utf-8"))
            row.update(kept=res.kept, held_out=res.crops_held_out, trained_on=res.crops_train,
                       held_out_cer_base=round(res.cer_base, 4),
                       held_out_cer_candidate=round(res.cer_candidate, 4),
                       adapt_min=card["minutes"], total_min=res.minutes,
                       steps=res.steps, budget_steps=card.get("budget_steps"),
                       fold_steps=res.fold_steps, gate=card.get("gate"), l2sp=card.get("l2sp"),
                       stretch=card.get("stretch"),
                       train_cpu_s=res.train_cpu_s,
                       cpu_s=round(time.process_time() - cpu0, 1))
            if not res.kept:  # the book keeps reading with the base model
                reread_book(root, book_id, model_in_use(root))
            else:
                model = res.path
    row.update(test_cer(root, ids, test, model))
    if row.get("kept"):  # the same model without the book lexicon: what each brings
        reread_book(root, book_id, model, lexicon=False)
        plain = test_cer(root, ids, test, model)
        row["no_lexicon"] = {k: plain[k] for k in ("cer", "exact", "by_kind")}
    shutil.rmtree(root, ignore_errors=True)
    return row


def run_writer(w: int, spec: str, points: list[int], n_test: int, minutes: float,
               steps: int | None, draw: str, writer_seed: int, threads: int,
               recipe: dict[str, Any] | None = None, pool_size: int = 0) -> dict[str, Any]:
    """Every point of one writer (its own process with ``--jobs``). The book's first
    ``pool_size`` entries (default: the largest point) can be confirmed, the next ``n_test``
    are read: the same test crops whatever subset of the points a run measures."""
    import torch

    torch.set_num_threads(threads)
    hand = make_writer(spec, writer_seed)
    # one book: the first entries are the confirmed ones, the later ones are read
    size = max(pool_size, *points)
    crops = writer_crops(size + n_test, hand, seed=1 + 10 * w, draw=draw)
    pool, test = crops[:size], crops[size:]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-adapt-") as tmp:
        for n in points:
            row = run_point(n, pool, test, minutes, Path(tmp), steps, threads, recipe)
            rows.append(row)
            print(json.dumps({"writer": spec, **row}, ensure_ascii=False), flush=True)
    return {"writer": spec, "font": hand.font.name, "points": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="0/10/30 crops, 60 test crops, 0.5 min")
    ap.add_argument("--points", default="0,10,30,100,300")
    ap.add_argument("--test", type=int, default=300, help="unconfirmed crops measured")
    ap.add_argument("--minutes", type=float, default=None,
                    help="training budget per adaptation (default: setting adapt_minutes)")
    ap.add_argument("--writer-seed", type=int, default=7001)
    ap.add_argument("--writers", default=None,
                    help="writers: stroke:SEED or font:K (default: the held-out writers "
                         f"{HELD_OUT_WRITERS}; with --tuning {TUNING_WRITERS})")
    ap.add_argument("--tuning", action="store_true",
                    help="tune on training-family writers only (stroke seeds below 1000000): "
                         "held-out writers are refused; results go to adapt-tuning.json")
    ap.add_argument("--steps", type=int, default=None,
                    help="training budget in steps (default: AdaptOptions.steps)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads per writer")
    ap.add_argument("--jobs", type=int, default=1,
                    help="writers measured at once, each in its own process")
    ap.add_argument("--draw", choices=("book", "random"), default="book",
                    help="values as one book holds them (default) or the first bench's "
                         "random draw (every value from a fresh book)")
    ap.add_argument("--recipe", default="",
                    help="AdaptOptions fields of the recipe, e.g. 'l2sp=0.01,join_share=0.3' "
                         "(default: AdaptOptions' defaults)")
    ap.add_argument("--pool", type=int, default=0,
                    help="confirmable entries of each book (default: the largest point); the "
                         "test crops follow them, so give 300 to measure some of the points "
                         "of the full curve on its test crops")
    ap.add_argument("--out", type=Path, default=OUT, help="result JSON (full runs only)")
    args = ap.parse_args()
    import torch

    from sohoa.settings import Settings

    torch.set_num_threads(args.threads)
    points = [0, 10, 30] if args.quick else [int(p) for p in args.points.split(",")]
    args.writers = args.writers or (TUNING_WRITERS if args.tuning else HELD_OUT_WRITERS)
    if args.tuning:
        bad = [w for w in args.writers.split(",") if not is_tuning_writer(w)]
        if bad:
            raise SystemExit(f"--tuning: {bad} are held-out writers (measuring only); "
                             "tune on stroke:SEED with SEED < 1000000")
        if args.out == OUT:
            args.out = OUT.with_name("adapt-tuning.json")
    n_test = 60 if args.quick else args.test
    minutes = 0.5 if args.quick else (args.minutes or Settings().adapt_minutes)
    specs = args.writers.split(",")[:1] if args.quick else args.writers.split(",")
    recipe = parse_recipe(args.recipe)
    jobs = [(w, spec, points, n_test, minutes, args.steps, args.draw, args.writer_seed,
             args.threads, recipe, args.pool) for w, spec in enumerate(specs)]
    writers: list[dict[str, Any]] = []

    def save(done: dict[str, Any]) -> None:  # after each writer: a killed run keeps the rest
        writers.append(done)
        writers.sort(key=lambda d: specs.index(d["writer"]))
        result = {"test_crops": n_test, "budget_minutes": minutes, "draw": args.draw,
                  "tuning": args.tuning, "budget_steps": args.steps, "recipe": recipe, "pool": max(args.pool, *points),
                  "writers": writers,
                  "machine": {"python": platform.python_version(), "jobs": args.jobs,
                              "torch_threads": args.threads, "cpu_count": os.cpu_count()}}
        if not args.quick:
            args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")

    if args.jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            for done in pool.map(run_writer, *zip(*jobs, strict=True)):
                save(done)
    else:
        for job in jobs:
            save(run_writer(*job))
    print(f"\n{n_test} unconfirmed crops per writer; training budget {minutes} min\n")
    print("| writer (font) | confirmed crops | kept | read CER | without book lexicon | exact "
          "| model CER | held-out CER base -> candidate | minutes | CPU s | steps "
          "| training CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in writers:
        for r in w["points"]:
            held = (f"{r['held_out_cer_base']:.2%} -> {r['held_out_cer_candidate']:.2%}"
                    if "held_out_cer_base" in r else "-")
            plain = f"{r['no_lexicon']['cer']:.2%}" if "no_lexicon" in r else "-"
            print(f"| {w['writer']} ({w['font']}) | {r['confirmed_crops']} | {r.get('kept', '-')} "
                  f"| {r['cer']:.2%} | {plain} | {r['exact']:.1%} | {r['model_cer']:.2%} | {held} "
                  f"| {r.get('total_min', '-')} | {r.get('cpu_s', '-')} "
                  f"| {r.get('steps', '-')} | {r.get('train_cpu_s', '-')} |")


if __name__ == "__main__":
    main()
