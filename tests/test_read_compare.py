"""benchmarks/read_compare.py: two bench_read results compared kind by kind, a kind that
got worse marked and the exit code set (a rule's no-worse check, scripted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _result(place: float, number: float) -> dict:
    kinds = {"place": {"cer": place, "exact": 0.5}, "number": {"cer": number, "exact": 0.99}}
    whole = {"cer": (place + number) / 2, "exact": 0.8, "share_at_0.9": 0.6,
             "exact_at_0.9": 0.995, "kinds": kinds}
    return {"results": {"htr": {"easy": whole}}}


def _run(tmp_path: Path, before: dict, after: dict, *extra: str) -> subprocess.CompletedProcess:
    a, b = tmp_path / "before.json", tmp_path / "after.json"
    a.write_text(json.dumps(before))
    b.write_text(json.dumps(after))
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "read_compare.py"),
                           str(a), str(b), *extra], capture_output=True, text=True,
                          check=False)


def test_a_kind_that_got_worse_is_marked_even_when_the_whole_got_better(tmp_path):
    # places 10 -> 5 %, numbers 3 -> 4 %: the whole reads better, the numbers worse
    out = _run(tmp_path, _result(0.10, 0.03), _result(0.05, 0.04))
    assert out.returncode == 1, out.stdout
    assert "| number | 3.00 | 4.00 | +1.00 **worse** |" in out.stdout
    assert "| place | 10.00 | 5.00 | -5.00 |" in out.stdout
    assert out.stdout.strip().endswith("worse by more than 0.3 point: easy/number")
    # within the allowance: nothing marked, exit 0
    assert _run(tmp_path, _result(0.10, 0.03), _result(0.05, 0.04), "--worse", "1.5"
                ).returncode == 0


def test_a_file_that_is_no_result_is_named(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "read_compare.py"),
                          str(bad), str(bad)], capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "x.json: not a bench_read result" in out.stderr
