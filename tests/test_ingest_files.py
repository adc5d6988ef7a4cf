"""Ingest on real files into a real workspace: formats, order, duplicates, bad inputs, CLI."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import tempfile
from pathlib import Path

import numpy as np
from ingest_helpers import bad_files, book, ruled_page, write_pdf, write_tiff
from PIL import Image
from typer.testing import CliRunner

from sohoa.cli import app
from sohoa.ingest import IngestReport, ingest, natural_key, pixel_sha256
from sohoa.settings import Settings
from sohoa.store import EntryResult, Workspace

EXPECTED = {
    "truncated": "truncated or corrupt",
    "empty": "file is empty",
    "encrypted": "password",
    "text": "not an image or PDF",
    "huge": "over the limit of 200000000",
    "corrupt_pdf": "PDF",
    "missing": "no such file",
}


def test_pdf_tiff_png_jpeg_and_folder_in_order(ws, tmp_path):
    pdf = write_pdf(tmp_path / "scan.pdf", [ruled_page(s) for s in (1, 2, 3)])
    tif = write_tiff(tmp_path / "scan.tif", [ruled_page(s) for s in (4, 5)])
    folder = tmp_path / "folder"
    folder.mkdir()
    for n in (10, 2, 1):  # natural order: p1, p2, p10
        Image.fromarray(ruled_page(20 + n)).convert("RGB").save(folder / f"p{n}.png")
    Image.fromarray(ruled_page(40)).save(folder / "p3.jpg", quality=90)
    (folder / "Thumbs.db").write_bytes(b"junk")  # not an image suffix: skipped in folders
    report = ingest(ws, [pdf, tif, folder], book(), Settings(pdf_dpi=100))
    assert isinstance(report, IngestReport)
    assert (report.added, report.duplicates, report.failures) == (9, 0, [])
    pages = ws.pages(report.book.id)
    assert [p.page_no for p in pages] == list(range(1, 10))
    names = [Path(p.source.split("#")[0]).name + p.source[len(p.source.split("#")[0]):]
             for p in pages]
    assert names == ["scan.pdf#page=1", "scan.pdf#page=2", "scan.pdf#page=3",
                     "scan.tif#page=1", "scan.tif#page=2", "p1.png", "p2.png", "p3.jpg",
                     "p10.png"]
    # the PDF page comes back as the image put in (100 dpi page rendered at 100 dpi)
    pdf_page = ws.page_image(pages[0].id)
    assert pdf_page.shape[:2] == (300, 220)
    assert np.abs(pdf_page[..., 0].astype(int) - ruled_page(1)).mean() < 3
    assert np.array_equal(ws.page_image(pages[4].id)[..., 0], ruled_page(5))  # TIFF exact
    assert np.array_equal(ws.page_image(pages[5].id)[..., 0], ruled_page(21))  # PNG exact


def test_pdf_rendered_at_settings_dpi(ws, tmp_path):
    pdf = write_pdf(tmp_path / "one.pdf", [ruled_page(7)])  # 300x220 px at 100 dpi
    report = ingest(ws, [pdf], book(), Settings(pdf_dpi=300))
    page = ws.page(report.page_ids[0])
    assert (page.height, page.width) == (900, 660)


def test_same_file_twice_adds_nothing_and_numbering_continues(ws, tmp_path):
    a = tmp_path / "a.png"
    Image.fromarray(ruled_page(1)).save(a)
    first = ingest(ws, [a], book())
    again = ingest(ws, [a, a], book())
    assert (first.added, again.added, again.duplicates) == (1, 0, 2)
    same_pixels = write_tiff(tmp_path / "same.tif", [ruled_page(1)])  # other format, same page
    assert ingest(ws, [same_pixels], book()).duplicates == 1
    b = tmp_path / "b.png"
    Image.fromarray(ruled_page(2)).save(b)
    later = ingest(ws, [b], book())
    assert ws.page(later.page_ids[0]).page_no == 2
    assert len(ws.pages()) == 2 and len(list((ws.path / "pages").glob("*.png"))) == 2


def test_every_bad_input_fails_alone_with_a_reason(ws, tmp_path):
    bad = bad_files(tmp_path / "in")
    good = tmp_path / "in" / "good.png"
    seen: list[tuple[str, str]] = []
    report = ingest(ws, [*bad.values(), good], book(), on_failure=lambda p, r: seen.append((p, r)))
    assert report.added == 1
    reasons = dict(report.failures)
    assert seen == report.failures
    for key, path in bad.items():
        assert EXPECTED[key] in reasons[str(path)], (key, reasons[str(path)])
    assert len(report.failures) == len(bad)


def _ingest_as_nobody(workspace: str, path: str, queue: mp.Queue) -> None:
    os.setgid(65534)
    os.setuid(65534)
    with Workspace.open(workspace, create=True) as w:
        queue.put(ingest(w, [path], book()).failures)


def test_unreadable_file_is_reported(tmp_path):
    """chmod 000 file: "permission denied" (as root, checked in a child that drops to nobody)."""
    base = Path(tempfile.mkdtemp(prefix="sohoa-perm-"))
    base.chmod(0o777)
    locked = base / "locked.png"
    Image.fromarray(ruled_page(3)).save(locked)
    locked.chmod(0o000)
    workspace = base / "ws"
    if os.geteuid() != 0:
        with Workspace.open(workspace, create=True) as w:
            failures = ingest(w, [locked], book()).failures
    else:
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        proc = ctx.Process(target=_ingest_as_nobody, args=(str(workspace), str(locked), queue))
        proc.start()
        failures = queue.get(timeout=60)
        proc.join(30)
        assert proc.exitcode == 0
    assert failures == [(str(locked), "permission denied")]


def test_cli_reports_one_line_per_bad_file_and_exit_status(tmp_path):
    bad = bad_files(tmp_path / "in")
    good = tmp_path / "in" / "good.png"
    args = ["ingest", *map(str, bad.values()), str(good), "-w", str(tmp_path / "ws"),
            "--type", "KS", "--year", "2008", "--volume", "01/2008", "--commune", "Chiềng Cơi",
            "--district", "Thuận Châu", "--province", "Sơn La", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == len(bad)
    for key, path in bad.items():
        assert any(line.startswith(f"{path}: ") and EXPECTED[key] in line for line in lines), key
    assert "1 pages added" in result.stdout
    ok = CliRunner().invoke(app, [*args[:1], str(good), *args[len(bad) + 2:]])
    assert ok.exit_code == 0 and "0 pages added, 1 already there" in ok.stdout


def test_cli_status_json_shape(tmp_path):
    path = tmp_path / "ws"
    with Workspace.open(path, create=True) as w:
        imgs = [tmp_path / f"{i}.png" for i in range(3)]
        for i, p in enumerate(imgs):
            Image.fromarray(ruled_page(50 + i)).save(p)
        rep = ingest(w, imgs, book())
        ingest(w, [imgs[0]], book("02/2008"))  # duplicate: the second book stays empty
        w.save_page_result(rep.page_ids[0], 0.0, [
            EntryResult(0, (0, 0, 10, 10)),
            EntryResult(1, (0, 10, 10, 20), readings=[]),
        ])
        w.set_page_state(rep.page_ids[1], "needs_attention", "no table found")
    result = CliRunner().invoke(app, ["status", "-w", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["books"] == 2 and data["pages"] == 3
    assert data["entries"]["detected"] == 2 and set(data["entries"]) >= {"prefilled", "exported"}
    first = data["by_book"][0]
    assert {k: first[k] for k in ("id", "type", "volume", "commune", "pages")} == {
        "id": 1, "type": "KS", "volume": "01/2008", "commune": "Chiềng Cơi", "pages": 3}
    assert first["needs_attention"] == 1 and first["entries"]["detected"] == 2
    assert data["by_book"][1]["pages"] == 0
    table = CliRunner().invoke(app, ["status", "-w", str(path)])
    assert "01/2008" in table.stdout and "needs" not in table.stderr


def test_cli_user_add_reads_password_from_stdin(tmp_path):
    path = tmp_path / "ws"
    runner = CliRunner()
    ok = runner.invoke(app, ["user", "add", "lan", "--role", "clerk", "-w", str(path)],
                       input="mật khẩu tốt\n")
    assert ok.exit_code == 0, ok.output
    short = runner.invoke(app, ["user", "add", "mai", "--role", "clerk", "-w", str(path)],
                          input="123\n")
    assert short.exit_code == 2 and "at least 8" in short.stderr
    role = runner.invoke(app, ["user", "add", "mai", "--role", "boss", "-w", str(path)],
                         input="mật khẩu tốt\n")
    assert role.exit_code == 2 and "unknown role" in role.stderr
    listed = runner.invoke(app, ["user", "list", "-w", str(path)])
    assert "lan" in listed.stdout and "clerk" in listed.stdout and "mai" not in listed.stdout
    with Workspace.open(path) as w:
        assert w.authenticate("lan", "mật khẩu tốt") is not None


def test_helpers():
    assert sorted(["p10", "p2", "p1"], key=lambda s: natural_key(Path(s))) == ["p1", "p2", "p10"]
    a = np.zeros((4, 5), np.uint8)
    assert pixel_sha256(a) != pixel_sha256(a.reshape(5, 4)) != pixel_sha256(a.astype(np.uint16))


def test_modes_16bit_alpha_and_exif_rotation(ws, tmp_path):
    deep = (ruled_page(60).astype(np.uint16) * 257)
    Image.fromarray(deep).save(tmp_path / "deep.png")  # 16-bit grey
    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: must come out white, not black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    photo = Image.fromarray(np.full((20, 60, 3), 128, np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to view
    photo.save(tmp_path / "photo.jpg", exif=exif.tobytes())
    rep = ingest(ws, [tmp_path / "deep.png", tmp_path / "clear.png", tmp_path / "photo.jpg"],
                 book())
    assert rep.failures == [] and rep.added == 3
    deep_img, clear_img, photo_img = (ws.page_image(i) for i in rep.page_ids)
    assert np.array_equal(deep_img[..., 0], ruled_page(60))
    assert clear_img.min() == 255
    assert photo_img.shape[:2] == (60, 20)


def test_one_oversized_pdf_page_fails_alone(ws, tmp_path):
    import pymupdf

    path = write_pdf(tmp_path / "mixed.pdf", [ruled_page(70), ruled_page(71)])
    doc = pymupdf.open(path)
    doc.new_page(pno=1, width=14_000, height=14_000)  # 194 inches: 58333^2 px at 300 dpi
    doc.saveIncr()
    doc.close()
    report = ingest(ws, [path], book())
    assert report.added == 2
    assert [(Path(p).name, "over the limit" in r) for p, r in report.failures] == [
        ("mixed.pdf#page=2", True)]
    assert [p.page_no for p in ws.pages()] == [1, 2]
