"""Cross-check of confirmed birth records with a population extract: matches, diacritic-only
and date mismatches, missing and unregistered persons, identity-number matches, ties."""

from __future__ import annotations

import csv

import pytest
from export_helpers import make_book, new_workspace
from typer.testing import CliRunner

from sohoa.cli import app
from sohoa.crosscheck import (
    CrossCheckError,
    crosscheck,
    read_population,
    workspace_records,
    write_report,
)
from sohoa.export.naming import ascii_fold

COLS = ["soDinhDanh", "hoTen", "ngaySinh", "gioiTinh", "meHoTen", "chaHoTen", "ghiChuKhac"]


def person(values, **change):
    d, m, y = values["nksNgaySinh"].split(".")
    row = {"soDinhDanh": "", "hoTen": values["nksHoTen"], "ngaySinh": f"{y}-{m}-{d}",
           "gioiTinh": {"1": "Nam", "2": "Nữ"}[values["nksGioiTinh"]],
           "meHoTen": values.get("meHoTen", ""), "chaHoTen": values.get("chaHoTen", ""),
           "ghiChuKhac": "x"}
    row.update(change)
    return row


@pytest.fixture()
def setup(tmp_path):
    ws = new_workspace(tmp_path)

    def with_id(k, values):
        return {**values, "nksSoDinhDanh": "015200001234"} if k == 5 else values

    book, ids = make_book(ws, 8, status="confirmed", edit=with_id)
    records = workspace_records(ws)
    v = {eid: vals for eid, _, vals in records}
    rows = [
        person(v[ids[0]]),                                             # exact -> match
        person(v[ids[1]], hoTen=ascii_fold(v[ids[1]]["nksHoTen"])),    # diacritics only
        person(v[ids[2]]),                                             # date, see below
        # ids[3] absent -> missing
        person(v[ids[4]], hoTen="Tên Khác Hẳn", soDinhDanh="015200001234"),  # by id
        person(v[ids[5]]), person(v[ids[5]]),                          # twice -> ambiguous
        person(v[ids[6]]), person(v[ids[7]]),
        person(v[ids[0]], hoTen="Người Chưa Đăng Ký", meHoTen="Ai Đó", chaHoTen="Không Ai",
               soDinhDanh="015200009999"),                            # unregistered
    ]
    # ids[2]: same person, born a day later
    d, m, y = v[ids[2]]["nksNgaySinh"].split(".")
    rows[2]["ngaySinh"] = f"{y}-{m}-{int(d) % 28 + 1:02d}"
    pop = tmp_path / "dan-cu.csv"
    with pop.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, COLS)
        w.writeheader()
        w.writerows(rows)
    yield ws, ids, pop, tmp_path
    ws.close()


def test_findings(setup):
    ws, ids, pop, tmp = setup
    findings = crosscheck(workspace_records(ws), read_population(pop))
    kind = {f.entry_id: f for f in findings if f.entry_id}
    assert kind[ids[0]].kind == "match" and kind[ids[0]].score == 100
    assert kind[ids[1]].kind == "mismatch"
    assert any("hoTen" in d and "chỉ khác dấu" in d for d in kind[ids[1]].differences)
    assert kind[ids[2]].kind == "mismatch"
    assert [d.split(":")[0] for d in kind[ids[2]].differences] == ["ngaySinh"]
    assert kind[ids[3]].kind == "missing"
    assert kind[ids[4]].kind == "mismatch" and kind[ids[4]].person_id == "015200001234"
    assert any(d.startswith("hoTen") for d in kind[ids[4]].differences)
    assert kind[ids[5]].kind == "ambiguous"
    assert kind[ids[6]].kind == kind[ids[7]].kind == "match"
    unreg = [f for f in findings if f.kind == "unregistered"]
    assert [f.person_name for f in unreg] == ["Người Chưa Đăng Ký"]
    out = write_report(tmp / "rep", findings)
    md = out["md"].read_text(encoding="utf-8")
    assert "Lệch thông tin" in md and "Người Chưa Đăng Ký" in md
    assert out["csv"].read_text(encoding="utf-8-sig").count("\n") == len(findings) + 1


def test_cli_and_bad_file(setup, tmp_path):
    ws, ids, pop, tmp = setup
    res = CliRunner().invoke(app, ["crosscheck", "-w", str(tmp / "ws"), "-p", str(pop),
                                   "-o", str(tmp / "cli")])
    assert res.exit_code == 0, res.output
    assert "Không tìm thấy trong CSDL dân cư: 1" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("ten,ngay\nA,2000\n", encoding="utf-8")
    with pytest.raises(CrossCheckError, match="bad.csv: missing columns"):
        read_population(bad)
