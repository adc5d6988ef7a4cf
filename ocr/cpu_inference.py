"""The CRNN made faster for reading on the CPU, without new weights.

Every CPU gets the same numbers faster: each convolution followed by a batch norm becomes one
convolution (``fuse_conv_bn_eval``) and the convolutions take channels-last tensors (oneDNN's
layout); log-probabilities within 1e-4. A CPU that computes bfloat16 natively (AVX-512 BF16 or
AMX: most server CPUs since 2020; not most laptops) also reads in bfloat16: the convolutions
and the LSTMs run in bf16, the output layer and its log-softmax in float32. On 850 field crops
of four generated pages that reads the first network 1.6x faster and changes 11 greedy
readings; on the training-side selection sets the CER is the same or lower (docs/htr.md
"Reading in bfloat16"). ``precision``: ``auto`` (bf16 where native, else fp32), ``fp32`` or
``bf16`` (on a CPU without it, emulated and slower).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sohoa.settings import PRECISIONS  # auto | fp32 | bf16: the setting's values

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # /proc/cpuinfo flags of native bf16


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first CPU's feature flags (Linux); empty where they cannot be read."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether this CPU computes bfloat16 natively."""
    return bool(BF16_FLAGS & (cpu_flags() if flags is None else flags))


def resolve_precision(precision: str, device: str, flags: frozenset[str] | None = None) -> str:
    """``fp32`` or ``bf16`` for a reading on ``device`` (``bf16`` on the CPU only)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if device != "cpu":
        return "fp32"
    if precision == "auto":
        return "bf16" if native_bf16(flags) else "fp32"
    return precision


def for_cpu_inference(module: Any, precision: str = "fp32") -> Any:
    """A copy of an eval-mode CRNN (or ensemble of them) made faster on the CPU: batch norms
    folded into their convolutions, max poolings as maxima of strided views (``STRIDED_MAX``),
    channels-last tensors, and with ``precision="bf16"`` each
    network in bfloat16 up to its output layer (:class:`_Bf16`). Forward passes of one page's
    cells in fp32: 0.60 -> 0.36 CPU s (1 thread); log-probabilities within 1e-4."""
    import copy

    import torch
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    net = copy.deepcopy(module).eval()
    for seq in [m for m in net.modules() if isinstance(m, nn.Sequential)]:
        layers = list(seq)
        swapped = False
        out: list[nn.Module] = []
        while layers:
            layer = layers.pop(0)
            if (isinstance(layer, nn.Conv2d) and layers
                    and isinstance(layers[0], nn.BatchNorm2d)):
                layer = fuse_conv_bn_eval(layer, layers.pop(0))
            elif STRIDED_MAX and (kernel := _plain_pool(layer)) is not None:
                layer = strided_max(*kernel)
                swapped = True
            out.append(layer)
        if len(out) != len(seq) or swapped:
            for name in list(seq._modules):
                del seq._modules[name]
            for i, layer in enumerate(out):
                seq.add_module(str(i), layer)
    net = net.to(memory_format=torch.channels_last)
    if precision == "bf16":
        members = getattr(net, "members", None)
        if members is not None:  # an ensemble: each member reads alone too (ocr.htr's gate)
            net.members = nn.ModuleList(_bf16(m) for m in members)
        else:
            net = _bf16(net)
    elif precision != "fp32":
        raise ValueError(f"for_cpu_inference: precision must be fp32 or bf16, not {precision!r}")
    return net


def _bf16(crnn: Any) -> Any:
    """One CRNN reading in bfloat16: input cast to bf16, convolutions, projection and LSTMs in
    bf16, its output layer (``head``) and log-softmax in float32 (the log-probabilities near 0
    that confidences are made of keep their precision)."""
    import torch
    from torch import nn

    class InFloat(nn.Module):
        def __init__(self, layer: nn.Module) -> None:
            super().__init__()
            self.layer = layer.float()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x.float())

    class Bf16(nn.Module):
        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            head = net.head
            self.net = net.to(torch.bfloat16)
            self.net.head = InFloat(head)
            self.width_stride = getattr(net, "width_stride", 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x.to(torch.bfloat16))

    return Bf16(crnn)


# a max pooling whose kernel is its stride (2x2, 2x1: every one of the CRNN's but the stride-2
# model's "dense" pooling) taken as the element-wise maximum of its strided views: the same
# numbers (max is exact in any dtype; floor semantics kept), about 4x faster on the first
# layer's channels-last tensors than ``MaxPool2d`` (rule 63 of benchmarks/results/rules-s34.md)
STRIDED_MAX = True


def _plain_pool(layer: Any) -> tuple[int, int] | None:
    """(kh, kw) of a ``MaxPool2d`` with kernel = stride, kh and kw 1 or 2, no padding, no
    dilation, floor rounding, no indices; else None."""
    from torch import nn

    if not isinstance(layer, nn.MaxPool2d) or layer.ceil_mode or layer.return_indices:
        return None

    def pair(v: Any) -> tuple[int, int]:
        return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))

    kernel = pair(layer.kernel_size)
    if pair(layer.stride) != kernel or pair(layer.padding) != (0, 0) \
            or pair(layer.dilation) != (1, 1) or not set(kernel) <= {1, 2} or kernel == (1, 1):
        return None
    return kernel


def strided_max(kh: int, kw: int) -> Any:
    """A module computing ``MaxPool2d((kh, kw))`` (kh, kw in 1, 2) as maxima of strided views."""
    import torch
    from torch import nn

    class StridedMax(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, w = x.shape[2] // kh * kh, x.shape[3] // kw * kw
            views = [x[:, :, i:h:kh, j:w:kw] for i in range(kh) for j in range(kw)]
            if len(views) == 4:
                return torch.maximum(torch.maximum(views[0], views[1]),
                                     torch.maximum(views[2], views[3]))
            return torch.maximum(views[0], views[1])

        def extra_repr(self) -> str:
            return f"kernel=({kh}, {kw})"

    return StridedMax()
