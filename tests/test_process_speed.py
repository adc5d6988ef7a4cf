"""What makes ``process`` cheaper keeps what it reads (issue 15, bench_process): the CPU copy
of the network, one network pass over a page's cells of every kind, and the passive OpenMP
wait policy set before torch loads."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from sohoa.records import FieldCrop, FieldKind
from tests.htr_helpers import SHIPPED, written

torch = pytest.importorskip("torch")


def _engine():
    from ocr import get_engine

    return get_engine("htr", device="cpu", model_dir=SHIPPED)


def test_cpu_copy_of_the_network_gives_the_same_readings_and_leaves_the_model_alone():
    from models.preprocess import batch_tensor, prepare
    from ocr.htr import for_cpu_inference

    eng = _engine()
    before = {k: v.clone() for k, v in eng.model.module.state_dict().items()}
    net = for_cpu_inference(eng.model.module)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # folded
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in eng.model.module.modules())
    after = eng.model.module.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the model is not touched
    crops = [img for _, img in written(FieldKind.NAME, 6, seed=3)]
    x, _ = batch_tensor([prepare(c, eng.model.config.height) for c in crops])
    with torch.inference_mode():
        ref = eng.model.module(torch.from_numpy(x))
        got = net(torch.from_numpy(x))
    assert got.shape == ref.shape
    assert float((got - ref).abs().max()) < 1e-3
    assert torch.equal(got.argmax(-1), ref.argmax(-1))
    assert eng.net is not eng.model.module  # the engine runs the copy on the CPU


def test_max_poolings_as_strided_maxima_give_the_same_numbers_bit_for_bit(monkeypatch):
    """Rule 63 (rules-s34.md): the CPU copy's max poolings are maxima of strided views, which
    must give exactly MaxPool2d's numbers (odd sizes floored as it does), in fp32 and bf16."""
    import ocr.cpu_inference as ci
    from models.preprocess import batch_tensor, prepare

    g = torch.Generator().manual_seed(0)
    for kernel in ((2, 2), (2, 1)):
        pool, fast = torch.nn.MaxPool2d(kernel, kernel), ci.strided_max(*kernel)
        for dtype in (torch.float32, torch.bfloat16):
            x = torch.randn(3, 5, 9, 13, generator=g).to(dtype)
            for t in (x, x.contiguous(memory_format=torch.channels_last)):
                assert torch.equal(fast(t), pool(t))
    assert ci._plain_pool(torch.nn.MaxPool2d((2, 2), (2, 1))) is None  # the dense pooling
    assert ci._plain_pool(torch.nn.MaxPool2d(2, 2, ceil_mode=True)) is None

    eng = _engine()
    crops = [img for _, img in written(FieldKind.NAME, 6, seed=5)]
    x, _ = batch_tensor([prepare(c, eng.model.config.height) for c in crops])
    for precision in ("fp32", "bf16"):
        fast_net = ci.for_cpu_inference(eng.model.module, precision)
        assert not any(isinstance(m, torch.nn.MaxPool2d) for m in fast_net.modules())
        monkeypatch.setattr(ci, "STRIDED_MAX", False)
        plain_net = ci.for_cpu_inference(eng.model.module, precision)
        monkeypatch.setattr(ci, "STRIDED_MAX", True)
        assert any(isinstance(m, torch.nn.MaxPool2d) for m in plain_net.modules())
        with torch.inference_mode():
            assert torch.equal(fast_net(torch.from_numpy(x)), plain_net(torch.from_numpy(x)))


def test_one_pass_over_cells_of_several_kinds_reads_each_as_its_kind_in_order():
    eng = _engine()
    names = written(FieldKind.NAME, 3, seed=5)
    dates = written(FieldKind.DATE, 3, seed=6)
    crops, kinds = [], []
    for i, (_, img) in enumerate(names + dates):
        kind = FieldKind.NAME if i < 3 else FieldKind.DATE
        crops.append(FieldCrop(field=f"f{i}", kind=kind, image=img, bbox=(0, 0, 1, 1)))
        kinds.append(kind)
    blank = np.full((40, 200), 255, np.uint8)
    crops.insert(2, FieldCrop(field="blank", kind=FieldKind.DATE, image=blank,
                              bbox=(0, 0, 1, 1), empty=True))
    kinds.insert(2, FieldKind.DATE)
    got = eng.recognize_kinds(crops, kinds, batch_size=4)
    assert [r.field for r in got] == [c.field for c in crops]
    assert got[2].text == "" and got[2].confidence == 1.0  # empty: not run
    # each crop decoded as its own kind: the same texts as reading each kind on its own
    alone = eng.recognize([c for c in crops if c.kind == FieldKind.NAME], FieldKind.NAME) + \
        eng.recognize([c for c in crops if c.kind == FieldKind.DATE], FieldKind.DATE)
    by_field = {r.field: r.text for r in alone}
    same = sum(by_field[r.field] == r.text for r in got)
    assert same >= len(got) - 1  # padding partners may move one reading at most
    truth = [t for t, _ in names + dates]
    read = [r.text for r in got if r.field != "blank"]
    assert sum(a == b for a, b in zip(read, truth, strict=True)) >= 4


def test_recognizer_without_a_many_kinds_engine_reads_kind_by_kind_in_batches():
    from sohoa.recognize import EnginePlan, Recognizer

    class Counting:
        name = "count"

        def __init__(self) -> None:
            self.calls: list[tuple[FieldKind, int]] = []

        def recognize(self, crops, kind):  # type: ignore[no-untyped-def]
            from ocr.base import recognize_batch

            self.calls.append((FieldKind(kind), len(crops)))
            return recognize_batch(crops, kind, self.name,
                                   lambda imgs, k: [_hyp(k.value) for _ in imgs])

    eng = Counting()
    rec = Recognizer(EnginePlan(default="count", fallback="count", batch_size=2),
                     {"count": eng})
    ink = np.full((30, 90), 255, np.uint8)
    ink[10:20, 10:80] = 0
    crops = [FieldCrop(field=f"f{i}", kind=k, image=ink, bbox=(0, 0, 1, 1))
             for i, k in enumerate([FieldKind.NAME, FieldKind.DATE, FieldKind.NAME,
                                    FieldKind.NAME])]
    cells = rec.raw(crops)
    assert [c.field for c in cells] == ["f0", "f1", "f2", "f3"]
    assert [c.candidates[0].text for c in cells] == ["name", "date", "name", "name"]
    assert sorted(eng.calls) == [(FieldKind.DATE, 1), (FieldKind.NAME, 1), (FieldKind.NAME, 2)]


def _hyp(text: str):  # type: ignore[no-untyped-def]
    from ocr.base import make_hypotheses

    return make_hypotheses([(text, 0.9)])


def test_openmp_waits_passively_unless_told_otherwise():
    code = ("import os, ocr, torch; print(os.environ['OMP_WAIT_POLICY'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"
