"""Per-book writer adaptation: a register book is written by one or two officers, so the
fastest route to accuracy on it is to learn its writer from the entries clerks confirmed.

``adapt_book`` (``sohoa adapt``), once a book has ``adapt_min_confirmed`` confirmed entries:
1. its confirmed field crops (``models.finetune.confirmed_crops``), every one of them;
2. the keep/reject gate, cross-fitted (``sohoa.adapt_gate``): the entries are cut into 2
   folds (``AdaptOptions.folds``; None: by crop count, ``folds_for``) by a frozen hash of the
   entry id; for
   each fold a candidate is fine-tuned from the book's current model (its newest kept
   version, else the workspace's model in use) on the other folds only and reads this
   fold's crops, which it never saw; the paired per-crop edits of these out-of-sample
   readings against the start model's decide (a one-sided 90 % test, and below the base
   model's too);
3. only if the gate passes, the book model is fine-tuned the same way on all the confirmed
   crops, for a budget of ``STEPS`` steps (the fold candidates share as much; the same work
   on a busy or an idle machine), pulled toward its start by L2-SP with a weight that falls
   with the number of crops (``models.finetune_recipe.l2sp_for``), the wall time
   (``adapt_minutes``) only a safety cap shared out among the runs; it is kept unless it
   reads the confirmations worse than its start (a check against a broken run). Every
   attempt gets a versioned folder ``<workspace>/models/books/<book id>/vNNN/`` with
   ``card.json`` (model files only if kept), a row in the ``adaptations`` table and an
   ``adapt`` audit row; the version also holds the book lexicon (``sohoa.book_lexicon``:
   the values confirmed in the book, which weigh in on the readings of places, notes and
   relations);
4. when kept, the book's unconfirmed entries are read again with it (``reread_book``): only
   machine-only entries (status detected/prefilled, no value a person typed, no note), through
   the store's ``save_page_result`` like ``process``; a page where someone holds a live claim is
   skipped. Confirmed, approved and exported entries are never touched.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sohoa.adapt_gate import FOLDS, Z, assign_folds, crop_edits, folds_for, paired_verdict
from sohoa.book_lexicon import BookLexicon
from sohoa.errors import SohoaError
from sohoa.store import Workspace, WorkspaceError
from sohoa.store.types import utc_now

log = logging.getLogger(__name__)

DONE = ("confirmed", "approved", "exported")
STEPS = 600  # steps of 16 lines: the same work on a busy or an idle machine (measured below)


class AdaptError(SohoaError, RuntimeError):
    """A book cannot be adapted (too few confirmations, no crops, another engine)."""


@dataclass(frozen=True)
class AdaptOptions:
    minutes: float | None = None  # wall-time cap of training; None = setting adapt_minutes
    # training budget in steps of 16 lines, the last weights kept (None: the wall cap only,
    # early-stopped on the training crops: worse, see docs/htr.md)
    steps: int | None = STEPS
    min_confirmed: int | None = None  # None = setting adapt_min_confirmed
    lr: float = 1.5e-3  # measured: better than 5e-4 at the few steps a 4-min budget gives
    mix_synthetic: float = 0.25
    max_epochs: int = 30
    device: str = "cpu"
    threads: int = 2
    reread: bool = True
    user: str = "adapt"
    seed: int = 1
    # the keep/reject gate's folds; None: by the number of confirmed crops
    # (sohoa.adapt_gate.folds_for: 5 below 60 crops, else 2): measured worse at 30 crops
    # than 2 folds of more steps each (docs/htr.md, 4 Dec), so not the default
    folds: int | None = FOLDS
    fold_steps: int | None = None  # each fold candidate's steps; None: steps // folds
    gate_z: float = Z  # the paired test's standard errors (sohoa.adapt_gate.paired_verdict)
    distort_share: float = 0.0  # confirmed lines also bent/sheared/re-inked (models.augment)
    join_share: float = 0.0  # confirmed lines joined two by two into one (finetune_recipe)
    # pull toward the start weights (models.finetune_recipe.L2SPArch); None: by the number
    # of confirmed crops (models.finetune_recipe.l2sp_for: strong with few, weak with many;
    # measured on tuning writers, docs/htr.md); 0: off
    l2sp: float | None = None
    # the book model's own stretch of cramped lines (on or off, whichever its fold candidates
    # read the confirmations better with); False: the engine's default (ocr.htr)
    choose_stretch: bool = True


@dataclass(frozen=True)
class AdaptResult:
    book_id: int
    version: str
    kept: bool
    path: Path
    cer_base: float
    cer_current: float | None
    cer_candidate: float
    crops_train: int
    crops_held_out: int
    reread: int
    pages_skipped: int
    minutes: float
    reason: str
    steps: int = 0  # training steps of the kept/final model (16 lines each; 0: not trained)
    train_cpu_s: float = 0.0  # CPU seconds of all the training (folds and final, all threads)
    fold_steps: list[int] = field(default_factory=list)  # steps of each fold's candidate

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def confirmed_count(ws: Workspace, book_id: int) -> int:
    return sum(n for s, n in ws.count_by_status(book_id).items() if s in DONE)


def adapt_book(workspace: Path, book: str | int, options: AdaptOptions | None = None
               ) -> AdaptResult:
    """Adapt one book's model to its writer (see the module docstring)."""
    from models.ensemble import member_folder
    from models.finetune import confirmed_crops, crop_lines, crop_samples, train_candidate
    from models.finetune_recipe import l2sp_for
    from models.registry import book_model, book_models_dir, model_in_use, next_book_version
    from ocr.htr import STRETCH_DEFAULT

    opts = options or AdaptOptions()
    t0 = time.monotonic()
    workspace = Path(workspace)
    with Workspace.open(workspace) as ws:
        b = ws.find_book(str(book))
        book_id = int(b.id or 0)
        settings = ws.settings()
        need = opts.min_confirmed or settings.adapt_min_confirmed
        minutes = opts.minutes or settings.adapt_minutes
        confirmed = confirmed_count(ws, book_id)
        recorded = [int(r["version"][1:]) for r in adaptations(ws, book_id)]
    if confirmed < need:
        raise AdaptError(f"book {b.volume} (id {book_id}): {confirmed} confirmed entries; "
                         f"adaptation starts at {need} (setting adapt_min_confirmed)")
    crops = confirmed_crops(workspace, held_out_share=0.0, book_id=book_id)
    n_folds, folds = assign_folds([c.entry_id for c in crops.train],
                                  opts.folds or folds_for(len(crops.train)))
    if len(set(folds)) < max(2, n_folds):
        raise AdaptError(f"book {b.volume} (id {book_id}): {len(crops.train)} confirmed crops "
                         f"fall in {len(set(folds))} of the {n_folds} folds of the gate; "
                         f"need crops in each (skipped: {crops.skipped})")
    l2sp = l2sp_for(len(crops.train)) if opts.l2sp is None else opts.l2sp
    base, current = model_in_use(workspace), book_model(workspace, book_id)
    start = current or base
    samples = crop_samples(crops.train)
    per_crop = crop_lines(samples, start)
    dropped = sum(not lines for lines in per_crop)
    # each model read as the htr engine reads with it: its own stretch (the base: the default)
    start_edits = crop_edits(start, samples, model_stretch(start))
    base_edits = crop_edits(base, samples, model_stretch(base)) if current is not None \
        else start_edits
    chars = sum(len(s.text) for s in samples)
    version = max(next_book_version(workspace, book_id), f"v{max(recorded, default=0) + 1:03d}")
    folder = book_models_dir(workspace, book_id) / version
    run = workspace / "models" / "runs" / f"book-{book_id}-{version}"
    shutil.rmtree(run, ignore_errors=True)  # a killed attempt's leftovers
    # an ensemble is adapted through its first member: one network's cost and curve
    train_start = member_folder(start, run / "start")
    trained_from = "member 0" if train_start != start else "itself"
    fold_steps = opts.fold_steps or (max(1, opts.steps // n_folds) if opts.steps else None)
    work = n_folds * (fold_steps or 1) + (opts.steps or 1)  # the wall cap, shared out

    def train(lines: list[Any], name: str, steps: int | None) -> Path:
        record = {"book_id": book_id, "started_from": str(start),
                  "trained_from": trained_from,
                  "train_lines": len(lines),
                  "wrapped_crops_dropped": dropped, "run": name,
                  "gate": f"{n_folds} folds by sha256(entry id)", "l2sp": l2sp}
        return train_candidate(train_start, lines, run / name,
                               minutes=minutes * (steps or 1) / work,
                               lr=opts.lr, mix_synthetic=opts.mix_synthetic,
                               max_epochs=opts.max_epochs, device=opts.device,
                               threads=opts.threads, seed=opts.seed, record=record,
                               max_steps=steps, keep_last=steps is not None,
                               distort_share=opts.distort_share,
                               join_share=opts.join_share, l2sp=l2sp)

    cpu0 = time.process_time()
    modes = (STRETCH_DEFAULT, not STRETCH_DEFAULT) if opts.choose_stretch else (STRETCH_DEFAULT,)
    by_mode = {m: list(start_edits) for m in modes}
    fold_taken = []
    for j in range(n_folds):  # each fold read by a candidate trained on the others only
        lines = [s for ls, f in zip(per_crop, folds, strict=True) if f != j for s in ls]
        idx = [i for i, f in enumerate(folds) if f == j]
        if not lines:  # nothing to train on: the fold counts as no gain
            fold_taken.append(0)
            continue
        model = train(lines, f"fold{j}", fold_steps)
        fold_taken.append(_steps_taken(run / f"fold{j}")[0])
        for m in modes:  # read with and without the stretch: the book's writer decides
            for i, e in zip(idx, crop_edits(model, [samples[i] for i in idx], m), strict=True):
                by_mode[m][i] = e
    stretch = min(modes, key=lambda m: sum(by_mode[m]))  # a tie: the engine's default
    cand_edits = by_mode[stretch]
    verdict = paired_verdict(start_edits, cand_edits, chars, opts.gate_z)
    kept, reason = verdict.keep, verdict.reason
    if kept and sum(cand_edits) >= sum(base_edits):
        kept, reason = False, f"rejected: not below the base model ({sum(base_edits)} edits); "\
            + reason
    best, steps, epochs, final_edits = None, 0, 0, None
    if kept:  # the book model: the same recipe on every confirmation
        best = train([s for ls in per_crop for s in ls], "final", opts.steps)
        steps, epochs = _steps_taken(run / "final")
        final_edits = crop_edits(best, samples, stretch)
        if sum(final_edits) > sum(start_edits):  # a broken final run (in sample: a sanity check)
            kept, reason = False, (f"rejected: the model trained on all reads them worse than "
                                   f"its start ({sum(final_edits)} vs {sum(start_edits)} edits)")
    train_cpu = round(time.process_time() - cpu0, 1)
    cer_base = sum(base_edits) / max(1, chars)
    cer_current = sum(start_edits) / max(1, chars) if current is not None else None
    cer_cand = verdict.cer_candidate
    train_min = (time.monotonic() - t0) / 60
    card = {"book_id": book_id, "book": {"volume": b.volume, "year": b.year,
                                         "commune": b.commune, "register_type": b.register_type},
            "version": version, "created": utc_now(), "by": opts.user,
            "base_model": str(base), "started_from": str(start),
            "trained_from": trained_from, "kept": kept,
            "reason": reason, "confirmed_entries": confirmed, "crops_train": len(samples),
            "lines_train": sum(len(x) for x in per_crop),
            "crops_held_out": len(samples), "skipped": {**crops.skipped, "wrapped": dropped},
            "cer_base": cer_base, "cer_current_book_model": cer_current,
            "cer_candidate": cer_cand, "minutes": round(train_min, 2),
            "gate": {"rule": f"cross-fitted over {n_folds} folds of sha256(entry id); "
                             f"paired gain >= {opts.gate_z} x sqrt(sum d^2)",
                     "folds": n_folds, "crops": verdict.crops, "chars": chars, "edits_start":
                     verdict.edits_start, "edits_candidate": verdict.edits_candidate,
                     "improved": verdict.improved, "worsened": verdict.worsened,
                     "gain": verdict.gain, "needed": verdict.needed,
                     "final_in_sample_cer": None if final_edits is None else
                     round(sum(final_edits) / max(1, chars), 4),
                     "edits_candidate_by_stretch": {("on" if m else "off"): sum(e)
                                                    for m, e in by_mode.items()},
                     "start_stretch": model_stretch(start),
                     "edits_start_other_stretch": sum(crop_edits(
                         start, samples, not model_stretch(start)))},
            "stretch": stretch, "l2sp": l2sp,
            "budget_minutes": minutes, "budget_steps": opts.steps, "steps": steps,
            "fold_steps": fold_taken, "epochs": epochs, "train_cpu_s": train_cpu,
            "options": {k: v for k, v in asdict(opts).items()
                                                   if k != "user"},
            "licence": "trained on this workspace's own confirmed crops; never leaves it"}
    lexicon = BookLexicon.of_values([(c.kind, c.text) for c in crops.train], confirmed)
    card["book_lexicon"] = {k: len(v) for k, v in lexicon.values.items()}
    _write_version(folder, best if kept else None, base, card, lexicon)
    shutil.rmtree(run, ignore_errors=True)
    with Workspace.open(workspace) as ws:
        ws.record_adaptation(card, str(folder.relative_to(workspace)), len(samples),
                             len(samples))
    log.info("book %d %s: %s", book_id, version, reason)
    reread, skipped = 0, 0
    if kept and opts.reread:
        reread, skipped = reread_book(workspace, book_id, folder, device=opts.device,
                                      user=opts.user, version=version)
    return AdaptResult(book_id, version, kept, folder, cer_base, cer_current, cer_cand,
                       len(samples), len(samples), reread, skipped,
                       round((time.monotonic() - t0) / 60, 2), reason, steps, train_cpu,
                       fold_taken)


def model_stretch(model_dir: Path) -> bool:
    """Whether the htr engine stretches cramped lines when it reads with ``model_dir``: a book
    model's own choice (``card.json`` ``stretch``), else the engine's default."""
    from ocr.htr import STRETCH_DEFAULT

    try:
        card = json.loads((Path(model_dir) / "card.json").read_text("utf-8"))
    except (OSError, ValueError):
        return STRETCH_DEFAULT
    value = card.get("stretch") if isinstance(card, dict) else None
    return STRETCH_DEFAULT if value is None else bool(value)


def _steps_taken(run: Path) -> tuple[int, int]:
    """(steps, epochs) of a training run, from its metrics log."""
    try:
        rows = (run / "metrics.jsonl").read_text("utf-8").splitlines()
        return int(json.loads(rows[-1])["step"]), len(rows)
    except (OSError, IndexError, KeyError, ValueError):
        return 0, 0


def _write_version(folder: Path, best: Path | None, base: Path, card: dict[str, Any],
                   lexicon: BookLexicon | None = None) -> None:
    """Model files first (with the book's lexicon), the card last (atomically): a card saying
    kept has its model."""
    folder.mkdir(parents=True, exist_ok=False)
    if best is not None:
        for f in best.iterdir():
            if f.is_file():
                shutil.copy2(f, folder / f.name)
        from models.checkpoint import READING_FILES

        for name in READING_FILES:  # the field LMs do not depend on the network's weights
            if (base / name).exists() and not (folder / name).exists():
                shutil.copy2(base / name, folder / name)
        if lexicon is not None and len(lexicon):
            lexicon.save(folder)
    tmp = folder / "card.json.tmp"
    tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2), "utf-8")
    tmp.replace(folder / "card.json")


def adaptations(ws: Workspace, book_id: int | None = None) -> list[dict[str, Any]]:
    """The recorded attempts, oldest first (:meth:`Workspace.adaptations`)."""
    return ws.adaptations(book_id)


def _read_crop(path: Path) -> np.ndarray | None:
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8) if path.exists() else np.zeros(0, np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if arr is None or arr.ndim == 2:
        return arr
    return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGB if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def reread_book(workspace: Path, book_id: int, model_dir: Path, *, device: str = "cpu",
                page_ids: set[int] | None = None, user: str = "adapt", version: str = "",
                lexicon: bool = True) -> tuple[int, int]:
    """Read the book's machine-only entries again with ``model_dir`` and, unless ``lexicon``
    is False, the book lexicon saved with it (``sohoa.book_lexicon``); returns (entries read,
    pages skipped because someone holds a claim there)."""
    from ocr.htr import HTREngine
    from sohoa.recognize import EnginePlan, Recognizer
    from sohoa.template import Template

    done, skipped = 0, 0
    with Workspace.open(workspace) as ws:
        settings = ws.settings()
        if settings.engine_hand != "htr":
            raise AdaptError(f"engine_hand is {settings.engine_hand!r}: book models are htr "
                             "models")
        book = ws.book(book_id)
        tpl, year = Template.for_book(book), book.year
        kinds = {f.name: f.kind for f in tpl.fields}
        plan = EnginePlan(default="htr", fallback=settings.engine_print, device=device,
                          batch_size=settings.batch_size, workspace=str(workspace),
                          precision=settings.precision)
        engine = HTREngine(model_dir=model_dir, device=device, stretch=model_stretch(model_dir),
                           precision=settings.precision)
        rec = Recognizer(plan, engines={"htr": engine})
        lex = BookLexicon.load(model_dir) if lexicon else None
        for page in ws.pages(book_id):
            if page_ids is not None and page.id not in page_ids:
                continue
            rows = ws.machine_only_entries(page.id)
            if not rows:
                continue
            if any(r["claimed_by"] and (r["claim_until"] or 0) > time.time() for r in rows):
                skipped += 1
                continue
            done += _reread_page(ws, page, rows, tpl, kinds, year, rec, lex)
        ws.record_reread(user, book_id, {"model": str(model_dir), "version": version,
                                         "entries": done, "pages_skipped": skipped,
                                         "book_lexicon": len(lex or ())}, version)
    return done, skipped


def _reread_page(ws: Workspace, page: Any, rows: list, tpl: Any, kinds: dict, year: int,
                 rec: Any, lexicon: BookLexicon | None = None) -> int:
    import cv2

    from sohoa.pipeline import Segmented, assemble, save_work
    from sohoa.records import FieldCrop, FieldKind
    from sohoa.results import EntryReading

    entries, crops, entry_crops = [], [], []
    for r in rows:
        view = ws.entry_view(int(r["id"]))
        quad = tuple(tuple(p) for p in json.loads(r["quad"])) if r["quad"] else None
        entries.append(EntryReading(index=int(r["idx"]), bbox=view.entry.bbox, quad=quad,
                                    fields={}, field_boxes=dict(view.field_boxes)))
        whole = _read_crop(view.entry_crop) if view.entry_crop else None
        entry_crops.append(whole if whole is not None else np.full((4, 4), 255, np.uint8))
        for name in sorted(set(view.field_boxes) | set(view.field_crops)):
            try:  # cut from the page as process cut it (the page decoded once)
                img = ws.crop_image(int(r["id"]), name, cached=False)
            except WorkspaceError:
                continue
            if img.ndim == 3:  # the pipeline's field crops are grey; engines expect grey
                img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
            box = view.field_boxes.get(name) or (0, 0, img.shape[1], img.shape[0])
            # a cell segmentation found empty has a crop but no stored reading: keep it empty
            crops.append(FieldCrop(name, kinds.get(name, FieldKind.TEXT), img, box,
                                   empty=name not in view.readings, entry=int(r["idx"])))
    state, message = ws.page_state(int(page.id))
    seg = Segmented(page.source, tpl.id, float(page.angle), 0,
                    "ok" if state != "needs_attention" else (message or state), tuple(entries),
                    tuple(crops), tuple(entry_crops))
    cells = rec.raw(list(crops)) if crops else []
    if lexicon is not None:  # the book's confirmed values weigh in before the choice
        cells = lexicon.apply(cells)
    work = assemble(seg, rec.choose(cells, ref_year=year) if crops else [], keep_crops=True)
    return save_work(ws, int(page.id), work)


def due_books(ws: Workspace, min_confirmed: int) -> list[int]:
    """Books with at least ``min_confirmed`` confirmations and ``min_confirmed`` more since
    their last adaptation attempt."""
    last: dict[int, int] = {}
    for row in adaptations(ws):
        last[int(row["book_id"])] = int(row["confirmed"])
    out = []
    for b in ws.books():
        n = confirmed_count(ws, int(b.id or 0))
        if n >= min_confirmed and n >= last.get(int(b.id or 0), 0) + min_confirmed:
            out.append(int(b.id or 0))
    return out


def auto_adapt(workspace: Path, new_pages: set[int], options: AdaptOptions | None = None
               ) -> list[AdaptResult | str]:
    """``process --adapt``: adapt every due book; then read the pages this run added with each
    other book's kept model. Returns the results (and one line per book re-read only)."""
    from models.registry import book_model

    opts = options or AdaptOptions()
    with Workspace.open(workspace) as ws:
        need = opts.min_confirmed or ws.settings().adapt_min_confirmed
        due = due_books(ws, need)
        books = [(int(b.id or 0), {p.id for p in ws.pages(int(b.id or 0))}) for b in ws.books()]
    out: list[AdaptResult | str] = []
    for book_id, pages in books:
        res = adapt_book(workspace, str(book_id), opts) if book_id in due else None
        if res is not None:
            out.append(res)
        fresh = {int(p) for p in pages if p is not None} & new_pages
        model = book_model(workspace, book_id)
        if fresh and model is not None and (res is None or not res.kept):
            n, _ = reread_book(workspace, book_id, model, device=opts.device, page_ids=fresh,
                               user=opts.user, version=model.name)
            out.append(f"book {book_id}: {n} new entries read with {model.name}")
    return out
