"""Per-book writer adaptation on a real workspace: confirmed entries are never changed, a worse
candidate is never kept, re-reading goes through the store and skips pages being reviewed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.finetune_recipe import l2sp_for
from models.registry import DEFAULT_SHIPPED, book_model, book_models
from sohoa.adapt import AdaptError, AdaptOptions, adapt_book, adaptations, reread_book
from sohoa.cli import app
from sohoa.store import Workspace
from tests.review_helpers import make_workspace

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "weights" / DEFAULT_SHIPPED  # in use
N_CONFIRMED = 12


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Two generated pages of one book: 12 entries confirmed (one with a clerk's own spelling),
    one prefilled entry with a value a clerk typed (field sweep), the rest prefilled."""
    tw = make_workspace(tmp_path_factory.mktemp("adapt") / "ws", pages=2)
    with Workspace.open(tw.root) as ws:
        for eid in _human(tw)[:N_CONFIRMED]:
            values = dict(tw.truth[eid])
            if eid == tw.entry_ids[0]:
                values["nksHoTen"] = "Tên Do Cán Bộ Sửa"
            ws.confirm(eid, "an", values, ws.entry_view(eid).version)
        swept = _human(tw)[N_CONFIRMED]
        ws.correct(swept, "binh", {"nksDanToc": "Thái"}, ws.entry_view(swept).version)
    return tw


def _human(tw) -> list[int]:  # type: ignore[no-untyped-def]
    """Confirmed: the first 6 entries of each page; then one swept entry on page 1."""
    with Workspace.open(tw.root) as ws:
        by_page: dict[int, list[int]] = {}
        for e in ws.entries(tw.book_id):
            by_page.setdefault(e.page_id, []).append(int(e.id or 0))
    first, second = list(by_page.values())[:2]
    return first[:6] + second[:6] + [first[6]]


def _copy(tw, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    shutil.copytree(tw.root, root)
    return root


def _snapshot(root: Path) -> dict[int, tuple]:
    with Workspace.open(root) as ws:
        out = {}
        for e in ws.entries():
            v = ws.entry_view(int(e.id or 0))
            out[int(e.id or 0)] = (str(e.status), v.version, dict(v.values), {
                k: (r.text, r.value, r.engine, r.confidence) for k, r in v.readings.items()},
                sorted(v.field_crops))
    return out


def test_reread_never_touches_confirmed_entries_and_skips_pages_in_review(tmp_path, base):
    root = _copy(base, tmp_path)
    before = _snapshot(root)
    with Workspace.open(root) as ws:
        pages = [p.id for p in ws.pages(base.book_id)]
        page_of = {int(e.id or 0): e.page_id for e in ws.entries()}
        on_page2 = [i for i in base.entry_ids if page_of[i] == pages[1]]
        claimed = ws.claim_next("binh", exclude=[i for i in base.entry_ids if i not in on_page2])
        assert claimed in on_page2
    n, skipped = reread_book(root, base.book_id, SHIPPED, version="test")
    after = _snapshot(root)
    human = set(_human(base))
    machine = [i for i in base.entry_ids if i not in human and page_of[i] == pages[0]]
    assert skipped == 1 and n == len(machine) > 0
    for eid in human | set(on_page2):  # confirmed, swept, and the page being reviewed
        assert after[eid] == before[eid], eid
    assert after[base.entry_ids[0]][2]["nksHoTen"] == "Tên Do Cán Bộ Sửa"
    right = total = 0
    for eid in machine:
        status, version, _values, readings, crops = after[eid]
        assert status == "prefilled" and version == before[eid][1] + 1
        assert crops == before[eid][4]  # every field crop kept
        assert {r[2] for r in readings.values()} <= {"htr", "tesseract"}
        for field, want in base.truth[eid].items():
            total += 1
            right += readings.get(field, ("", "", "", 0))[1] == want
    assert right / total > 0.8, (right, total)  # really read by the model, mostly right
    with Workspace.open(root) as ws:
        rows = [a for a in ws.audit(book_id=base.book_id) if a.action == "reread"]
        assert len(rows) == 1 and json.loads(rows[0].new)["entries"] == n


def test_adapt_never_keeps_a_worse_model(tmp_path, base):
    root = _copy(base, tmp_path)
    before = _snapshot(root)
    with pytest.raises(AdaptError, match="adaptation starts at 50"):
        adapt_book(root, str(base.book_id), AdaptOptions(min_confirmed=50))
    # corrupted training: a learning rate that wrecks the network, in a few seconds
    res = adapt_book(root, str(base.book_id), AdaptOptions(
        minutes=0.04, min_confirmed=N_CONFIRMED, lr=1.0, mix_synthetic=0.0, user="it-staff"))
    assert not res.kept and res.cer_candidate > res.cer_base
    assert res.reread == 0 and res.crops_held_out > 0 and res.crops_train > 0
    assert book_model(root, base.book_id) is None
    assert sorted(p.name for p in res.path.iterdir()) == ["card.json"]  # no weights kept
    card = json.loads((res.path / "card.json").read_text("utf-8"))
    assert card["kept"] is False and card["base_model"] == str(SHIPPED)
    # an ensemble base (htr-v5) is adapted through its first network alone
    members = json.loads((SHIPPED / "model.json").read_text("utf-8"))["config"].get("members", 1)
    assert card["trained_from"] == ("member 0" if members > 1 else "itself")
    gate = card["gate"]  # cross-fitted: every confirmed crop read by a fold candidate
    assert gate["crops"] == res.crops_train and gate["gain"] < gate["needed"]
    assert gate["edits_candidate"] > gate["edits_start"] and gate["worsened"] > 0
    assert card["steps"] == 0 and card["gate"]["final_in_sample_cer"] is None  # never trained
    assert card["cer_candidate"] == res.cer_candidate and card["by"] == "it-staff"
    assert _snapshot(root) == before  # nothing re-read, nothing changed
    with Workspace.open(root) as ws:
        rows = adaptations(ws, base.book_id)
        assert [(r["version"], r["kept"], r["confirmed"]) for r in rows] == [
            ("v001", 0, N_CONFIRMED)]
        audit = [a for a in ws.audit(book_id=base.book_id) if a.action == "adapt"]
        assert len(audit) == 1 and audit[0].user == "it-staff"
        assert json.loads(audit[0].new)["kept"] is False
    out = CliRunner().invoke(app, ["models", "list", "--workspace", str(root)])
    assert out.exit_code == 0 and f"book {base.book_id} v001  rejected" in out.output
    listed = json.loads(CliRunner().invoke(app, ["models", "list", "--workspace", str(root),
                                                 "--json"]).output)
    assert [b["kept"] for b in listed["book_models"]] == [False]


def test_adapt_trains_its_step_budget_and_says_so(tmp_path, base):
    """The budget is in steps (the same work on a busy or an idle machine): exactly that many
    are trained, and the card, the result and the adaptations row say how many and what CPU
    time they took; confirmed entries are untouched whatever the verdict."""
    root = _copy(base, tmp_path)
    before = _snapshot(root)
    res = adapt_book(root, str(base.book_id), AdaptOptions(
        steps=6, minutes=10, min_confirmed=N_CONFIRMED, reread=False))
    card = json.loads((res.path / "card.json").read_text("utf-8"))
    # the fold candidates share the budget among them (2 folds by default); the pull toward
    # the start is the table's weight for the number of confirmed crops
    k = card["gate"]["folds"]
    assert k == 2 and res.fold_steps == card["fold_steps"] == [6 // k] * k
    assert card["l2sp"] > 0 and card["l2sp"] == pytest.approx(l2sp_for(res.crops_train))
    # the book model itself is trained (its whole budget) only when the gate passes
    assert res.steps == card["steps"] == (6 if card["gate"]["gain"] >= card["gate"]["needed"]
                                          else 0)
    assert card["budget_steps"] == 6
    assert 0 < res.train_cpu_s == card["train_cpu_s"]
    assert card["options"]["steps"] == 6 and res.reread == 0
    # the candidates read the confirmations with and without the stretch of cramped lines;
    # the gate judged the better of the two, and the book model keeps that choice
    by = card["gate"]["edits_candidate_by_stretch"]
    assert set(by) == {"on", "off"} and isinstance(card["stretch"], bool)
    assert card["gate"]["edits_candidate"] == by["on" if card["stretch"] else "off"] == min(
        by.values())
    assert _snapshot(root) == before  # no re-reading asked: nothing changed, kept or not


def test_a_book_model_is_read_with_its_own_stretch(tmp_path, base, monkeypatch):
    """The book model's card says whether cramped lines are read again wider; re-reading the
    book uses that choice (the base model: the engine's default)."""
    import ocr.htr
    from sohoa.adapt import model_stretch

    root = _copy(base, tmp_path)
    folder = tmp_path / "book-model"
    shutil.copytree(SHIPPED, folder)
    assert model_stretch(folder) is ocr.htr.STRETCH_DEFAULT  # no card: the default
    (folder / "card.json").write_text(json.dumps({"stretch": not ocr.htr.STRETCH_DEFAULT}))
    assert model_stretch(folder) is (not ocr.htr.STRETCH_DEFAULT)
    seen: list[bool] = []
    real = ocr.htr.HTREngine.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, *args, **kwargs)
        seen.append(self.stretch)

    monkeypatch.setattr(ocr.htr.HTREngine, "__init__", spy)
    before = _snapshot(root)
    n, _ = reread_book(root, base.book_id, folder, version="test")
    assert n > 0 and seen == [not ocr.htr.STRETCH_DEFAULT]
    after = _snapshot(root)
    for eid in _human(base):  # confirmed and swept entries untouched
        assert after[eid] == before[eid]


@pytest.mark.slow
def test_adapt_keeps_a_better_model_and_rereads_only_unconfirmed(tmp_path, base):
    """The workspace reads with a damaged copy of htr-v3: adapting to the book's confirmations
    must beat it, be kept, and re-read the machine-only entries."""
    import torch

    from models.checkpoint import load_model_dir, save_model_dir
    from models.registry import use_model, workspace_models_dir

    root = _copy(base, tmp_path)
    m = load_model_dir(SHIPPED, "cpu")
    torch.manual_seed(0)
    with torch.no_grad():
        for p in m.module.parameters():
            p.add_(torch.randn_like(p) * 0.3 * p.std())
    save_model_dir(workspace_models_dir(root) / "htr-damaged", m.module, m.config, m.charset,
                   {"note": "test: htr-v3 with noise"})
    use_model(root, "htr-damaged")
    before = _snapshot(root)
    res = adapt_book(root, str(base.book_id), AdaptOptions(minutes=1.0,
                                                           min_confirmed=N_CONFIRMED))
    print(res)
    assert res.kept and res.cer_candidate < res.cer_base
    assert book_model(root, base.book_id) == res.path
    assert res.reread > 0
    lexicon = json.loads((res.path / "book_lexicon.json").read_text("utf-8"))  # versioned
    assert lexicon["entries"] == N_CONFIRMED and lexicon["values"]["place"]
    after = _snapshot(root)
    for eid in _human(base):
        assert after[eid] == before[eid]
    assert [b.kept for b in book_models(root, base.book_id)] == [True]


@pytest.mark.slow
def test_process_adapt_runs_due_books_by_itself(tmp_path, base):
    root = _copy(base, tmp_path)
    (root / "settings.toml").write_text("adapt_min_confirmed = 12\nadapt_minutes = 0.1\n",
                                        "utf-8")
    before = _snapshot(root)
    res = CliRunner().invoke(app, ["process", "--workspace", str(root), "--adapt"])
    assert res.exit_code == 0, res.output
    assert f"adapt book {base.book_id} v001:" in res.output
    with Workspace.open(root) as ws:
        assert [r["confirmed"] for r in adaptations(ws, base.book_id)] == [N_CONFIRMED]
    after = _snapshot(root)
    for eid in _human(base):
        assert after[eid] == before[eid]
    # not due again until 12 more confirmations
    again = CliRunner().invoke(app, ["process", "--workspace", str(root), "--adapt"])
    assert again.exit_code == 0 and "adapt book" not in again.output
