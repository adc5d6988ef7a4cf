"""Reading in bfloat16 on a CPU that computes it natively (``ocr.cpu_inference``): chosen by
the CPU's flags, settable, and reading what the float32 network reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr.cpu_inference import cpu_flags, native_bf16, resolve_precision
from sohoa.records import FieldKind
from tests.htr_helpers import SHIPPED, written

torch = pytest.importorskip("torch")


def test_precision_follows_the_cpus_flags_and_the_device(tmp_path: Path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n\n"
                    "processor\t: 1\nflags\t\t: fpu\n")
    flags = cpu_flags(info)
    assert "avx512_bf16" in flags and native_bf16(flags)
    assert not native_bf16(frozenset({"avx2", "avx512f"}))
    assert cpu_flags(tmp_path / "missing") == frozenset()  # not Linux: no flags, fp32
    assert resolve_precision("auto", "cpu", flags) == "bf16"
    assert resolve_precision("auto", "cpu", frozenset({"avx2"})) == "fp32"
    assert resolve_precision("auto", "cuda", flags) == "fp32"
    assert resolve_precision("bf16", "cpu", frozenset()) == "bf16"  # asked for: emulated
    assert resolve_precision("fp32", "cpu", flags) == "fp32"
    with pytest.raises(ValueError, match="fp16"):
        resolve_precision("fp16", "cpu", flags)


def test_a_bad_precision_is_a_settings_error_and_an_engine_error(tmp_path: Path):
    from ocr import get_engine
    from ocr.base import EngineError, EngineUnavailable
    from sohoa.settings import Settings, SettingsError, load_settings

    (tmp_path / "settings.toml").write_text('precision = "half"\n')
    with pytest.raises(SettingsError, match="precision"):
        load_settings(tmp_path)
    assert Settings(precision="fp32").precision == "fp32"
    with pytest.raises(EngineError, match="precision") as got:
        get_engine("htr", device="cpu", model_dir=SHIPPED, precision="half")
    assert not isinstance(got.value, EngineUnavailable)  # no quiet fallback to tesseract


def test_only_the_htr_engine_is_given_the_plans_precision():
    from sohoa.recognize import EnginePlan

    plan = EnginePlan.from_flags(None, device="cpu", precision="fp32", workspace="/w")
    assert plan.options("htr") == {"workspace": "/w", "precision": "fp32"}
    assert plan.options("tesseract") == {}
    assert "precision" not in EnginePlan(device="cpu").options("htr")  # auto: the engine's


def test_bf16_copy_of_an_ensemble_reads_as_the_float32_one():
    from models.ctc_decode import greedy
    from models.preprocess import prepare
    from models.recognize import prepared_log_probs
    from ocr import get_engine
    from ocr.cpu_inference import for_cpu_inference

    eng = get_engine("htr", device="cpu", model_dir=SHIPPED, precision="fp32")
    assert eng.precision == "fp32"
    module = eng.model.module
    bf = for_cpu_inference(module, "bf16")
    fp = for_cpu_inference(module, "fp32")
    assert len(bf.members) == len(module.members) == 2  # each member reads alone too
    for m in bf.members:
        dtypes = {p.dtype for n, p in m.named_parameters() if ".head." not in n}
        assert dtypes == {torch.bfloat16}
        assert {p.dtype for n, p in m.named_parameters() if ".head." in n} == {torch.float32}
        assert m.width_stride == module.width_stride
    assert all(p.dtype == torch.float32 for p in module.parameters())  # the model untouched
    samples = written(FieldKind.NAME, 8, seed=11) + written(FieldKind.PLACE, 8, seed=12)
    arrays = [prepare(img, eng.model.config.height) for _, img in samples]
    h = eng.model.config.height
    for a, b in ((bf, fp), (bf.members[0], fp.members[0])):
        got, ref = prepared_log_probs(a, h, arrays), prepared_log_probs(b, h, arrays)
        assert all(g.dtype == r.dtype and g.shape == r.shape for g, r in zip(got, ref, strict=True))
        frames = sum(len(r) for r in ref)
        moved = sum(int((g.argmax(1) != r.argmax(1)).sum()) for g, r in zip(got, ref, strict=True))
        assert moved <= 0.01 * frames
        same = sum(greedy(g, eng.model.charset).text == greedy(r, eng.model.charset).text
                   for g, r in zip(got, ref, strict=True))
        assert same >= len(ref) - 2
