"""Every command answers a missing workspace, an unreadable input and a bad setting the same way:
one line on stderr in the interface language, no traceback, the documented exit code
(README, "Exit codes"). Runs the real app, real SQLite files and real (broken) input files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sohoa.cli import app
from sohoa.errors import ExitCode, error_line
from sohoa.records import Book, RegisterType
from sohoa.store import Workspace, WorkspaceNotFound

ROOT = Path(__file__).resolve().parents[1]
BAD, MISSING = int(ExitCode.BAD_INPUT), int(ExitCode.NOT_FOUND)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Paths the cases refer to by name: workspaces good and broken, broken input files."""
    d = tmp_path_factory.mktemp("errors")
    Workspace.open(d / "ws", create=True).close()
    with Workspace.open(d / "badset", create=True) as ws:  # a book, so export reads settings
        ws.add_book(Book(None, RegisterType.KS, 2008, "01/2008", "Chiềng Cơi"))
    (d / "badset" / "settings.toml").write_text("colour = 'red'\n", "utf-8")
    (d / "garbage").mkdir()
    (d / "garbage" / "sohoa.db").write_bytes(b"this is not sqlite " * 64)
    (d / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50)
    (d / "corrupt.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (d / "pop.csv").write_text("hoTen,ngaySinh\nLò Văn A,01/02/2000\n", "utf-8")
    (d / "badpop.csv").write_bytes(b"\xff\xfe\x00\x01garbage")
    (d / "badtargets.csv").write_text("no,such,columns\n1,2,3\n", "utf-8")
    (d / "bad.toml").write_text("id = [unclosed\n", "utf-8")
    (d / "pages").mkdir()
    (d / "a-file").write_text("x", "utf-8")
    names = ("ws", "badset", "garbage", "corrupt.png", "corrupt.xlsx", "pop.csv", "badpop.csv",
             "badtargets.csv", "bad.toml", "pages", "a-file")
    return {"nows": str(d / "nope"), "out": str(d / "out"),
            **{n.replace(".", "_").replace("-", "_"): str(d / n) for n in names}}


# (command line with {names} from the fixture, exit code). Per command: a missing workspace,
# an unreadable input, a bad setting (an option or settings.toml), where the command has one.
CASES = [
    ("status -w {nows}", MISSING),
    ("status -w {garbage}", BAD),
    ("process -w {nows}", MISSING),
    ("process -w {garbage}", BAD),
    ("process -w {badset}", BAD),
    ("process -w {ws} --device quantum", BAD),
    ("evaluate -w {nows} --out {out}", MISSING),
    ("evaluate -w {garbage} --out {out}", BAD),
    ("evaluate --pages {pages} --out {out}", BAD),
    ("evaluate -w {ws} --format pdf", BAD),
    ("export -w {nows} -o {out}", MISSING),
    ("export -w {garbage} -o {out}", BAD),
    ("export -w {badset} -o {out}", BAD),
    ("export -w {ws} -o {out} --min-status exported", BAD),
    ("report -w {nows} -o {out}", MISSING),
    ("report -w {garbage} -o {out}", BAD),
    ("report -w {ws} -o {out} --targets {badtargets_csv}", BAD),
    ("report -w {ws} -o {out} --date 2024-13-45", BAD),
    ("crosscheck -w {nows} -p {pop_csv} -o {out}", MISSING),
    ("crosscheck -w {garbage} -p {pop_csv} -o {out}", BAD),
    ("crosscheck -w {ws} -p {badpop_csv} -o {out}", BAD),
    ("review -w {nows}", MISSING),
    ("review -w {garbage}", BAD),
    ("review -w {badset}", BAD),
    ("user list -w {nows}", MISSING),
    ("user list -w {garbage}", BAD),
    ("user add lan --role clerk -w {garbage}", BAD),
    ("user add lan --role boss -w {ws}", BAD),
    ("calibrate -w {nows} --engine fake --out {out}/c.json", MISSING),
    ("calibrate -w {garbage} --engine fake --out {out}/c.json", BAD),
    ("calibrate -w {ws} --engine nope --out {out}/c.json", BAD),
    ("models list --workspace {nows}", MISSING),
    ("models use htr-v1 --workspace {nows}", MISSING),
    ("models use no-such-model --workspace {ws}", BAD),
    ("train --from-confirmed --workspace {nows}", MISSING),
    ("train --from-confirmed", BAD),
    ("train --arch rnn --out {out}/run", BAD),
    ("evaluate --lines {pages} --kind colour", BAD),
    ("ingest {corrupt_png} -w {a_file} --type KS --year 2008 --volume 1 --commune X", BAD),
    ("ingest {corrupt_png} -w {badset} --type KS --year 2008 --volume 1 --commune X", BAD),
    ("ingest {corrupt_png} -w {ws} --type XX --year 2008 --volume 1 --commune X", BAD),
    ("read {corrupt_png}", BAD),
    ("read {nows}.png", BAD),
    ("read {corrupt_png} --device quantum", BAD),
    ("read {corrupt_png} --template nope", BAD),
    ("segment {corrupt_png}", BAD),
    ("segment {corrupt_png} --template nope", BAD),
    ("check-158 {corrupt_xlsx}", BAD),
    ("check-158 {corrupt_xlsx} --type XX", BAD),
    ("synth --out {out} --template {bad_toml}", BAD),
    ("synth --out {out} --format gif", BAD),
    ("demo -w {out}/demo --template nope --no-review", BAD),
    ("backup -w {nows} --to {out}/backup", MISSING),
    ("backup -w {garbage} --to {out}/backup", BAD),
    ("backup -w {ws} --to {a_file}", BAD),
    ("check -w {nows}", MISSING),
    ("check -w {garbage}", BAD),
    ("evaluate --lines {pages} --out {out}", BAD),
    ("adapt -w {nows} --book 1", MISSING),
    ("adapt -w {garbage} --book 1", BAD),
    ("adapt -w {ws} --book 01/1999", MISSING),
]


def _run(line: str, files: dict[str, str]):
    args = line.format(**files).split()
    return CliRunner().invoke(app, args, env={"SOHOA_LANG": "vi"})


@pytest.mark.parametrize("line,code", CASES, ids=[c[0].split(" {")[0] + f" #{i}"
                                                   for i, c in enumerate(CASES)])
def test_every_command_answers_one_line_and_the_documented_code(line, code, files):
    res = _run(line, files)
    said = res.stderr.strip().splitlines()
    assert res.exit_code == code, (line, res.output)
    assert isinstance(res.exception, SystemExit), res.exception  # handled, not a crash
    assert "Traceback" not in res.output
    assert len(said) == 1 and said[0].startswith("lỗi: "), said


def test_ingest_reports_an_unreadable_file_on_its_own_line(files):
    """ingest keeps going past a bad file: one line naming it, and exit 1 ("needs work")."""
    res = _run("ingest {corrupt_png} -w {ws} -q --type KS --year 2008 --volume 1 --commune X",
               files)
    said = res.stderr.strip().splitlines()
    assert res.exit_code == 1 and len(said) == 1 and "corrupt.png" in said[0], res.output


def test_interrupt_is_one_line_and_code_130(files, monkeypatch):
    import sohoa.store.status as status

    def stop(_ws):
        raise KeyboardInterrupt

    monkeypatch.setattr(status, "workspace_status", stop)
    res = _run("status -w {ws}", files)
    assert res.exit_code == ExitCode.INTERRUPTED
    assert res.stderr.strip().splitlines() == ["đã dừng (Ctrl+C)"]


def test_the_installed_entry_point_speaks_the_interface_language(files):
    """``python -m sohoa.cli`` (what the ``sohoa`` script runs): Vietnamese by default,
    English with SOHOA_LANG=en; the exit code is the same."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOHOA_LANG", None)
    args = [sys.executable, "-m", "sohoa.cli", "status", "-w", files["nows"]]
    vi = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    en = subprocess.run(args, env={**env, "SOHOA_LANG": "en"}, capture_output=True, text=True,
                        timeout=120)
    assert vi.returncode == en.returncode == MISSING
    assert vi.stderr.splitlines() == [f"lỗi: {files['nows']}: no workspace here (no sohoa.db); "
                                      "create it first"]
    assert en.stderr.splitlines() == [f"error: {files['nows']}: no workspace here (no sohoa.db);"
                                      " create it first"]


def test_a_bug_keeps_its_traceback_and_exits_internal(files, monkeypatch, capsys):
    """Not a user's mistake: the traceback stays (to report it), then one line, code 70."""
    import sohoa.store.status as status
    from sohoa.cli import main

    def boom(_ws):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(status, "workspace_status", boom)
    monkeypatch.setattr(sys, "argv", ["sohoa", "status", "-w", files["ws"]])
    monkeypatch.setenv("SOHOA_LANG", "en")
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == ExitCode.INTERNAL
    assert "Traceback" in err and err.strip().splitlines()[-1] == "internal error: " \
        "ZeroDivisionError: boom"


def test_error_line_is_one_line_whatever_the_message():
    exc = WorkspaceNotFound("a\nb   c")
    assert error_line(exc, "en") == "error: a b c"
    assert error_line(exc, "vi") == "lỗi: a b c"
    assert exc.exit_code == ExitCode.NOT_FOUND and isinstance(exc, RuntimeError)
