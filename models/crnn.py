"""A compact CRNN line recogniser: a VGG-style CNN that keeps the vertical position of marks
(Vietnamese diacritics sit above and below the letter), a 2-layer BiLSTM and a CTC head.

The CNN divides the height by 16 and the width by ``width_stride`` (4, or 2 for one frame per 2
input columns: the second pooling is taken at every column and the convolutions after it are
dilated, see :func:`crnn_pools`; every weight has the same shape, so a stride-2 model starts
from a stride-4 one's weights); the remaining rows are flattened into
the feature of each column so that a hook above and a dot below stay distinguishable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class CRNNConfig:
    num_classes: int
    height: int = 32
    channels: tuple[int, ...] = (12, 24, 48, 64, 96, 96)
    rnn_hidden: int = 96
    rnn_layers: int = 2
    dropout: float = 0.1
    width_stride: int = 4  # input columns per output frame: 4 or 2 (model.json without it: 4)
    # networks of this shape read side by side, their log-probabilities averaged per frame
    # (an ensemble, :mod:`models.ensemble`); 1: one network (model.json without it: 1)
    members: int = 1

    def __post_init__(self) -> None:
        if self.width_stride not in (2, 4):
            raise ValueError(f"CRNN width_stride must be 2 or 4, got {self.width_stride}")
        if self.members < 1:
            raise ValueError(f"CRNN members must be >= 1, got {self.members}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["channels"] = list(self.channels)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CRNNConfig:
        known = {"num_classes", "height", "channels", "rnn_hidden", "rnn_layers", "dropout",
                 "width_stride", "members"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"CRNNConfig: unknown keys {sorted(unknown)}")
        data = dict(data)
        if "channels" in data:
            data["channels"] = tuple(int(c) for c in data["channels"])
        return cls(**data)


def build_crnn(cfg: CRNNConfig) -> Any:
    """The torch module for ``cfg`` (torch imported here, not at package import): one CRNN,
    or for ``cfg.members`` > 1 that many side by side (:func:`build_ensemble`)."""
    if cfg.members > 1:
        return build_ensemble(cfg)
    import torch
    from torch import nn

    if cfg.height % 16:
        raise ValueError(f"CRNN height must be a multiple of 16, got {cfg.height}")

    class DensePool(nn.Module):
        """The 2x2 max pooling of the stride-4 network taken at every column (stride (2, 1),
        the right edge padded): the columns a 2x2 pooling would skip are kept."""

        def __init__(self) -> None:
            super().__init__()
            self.pool = nn.MaxPool2d((2, 2), (2, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # after a ReLU every activation is >= 0, so a zero column never wins the max
            return self.pool(nn.functional.pad(x, (0, 1)))

    # pooling after each conv: (h, w) factors; total height /16, width /4 (or /2)
    pools = crnn_pools(cfg.width_stride)

    class CRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c_in = 1
            dilate = 1  # width dilation: 2 after a dense pooling ("a trous")
            for c_out, pool in zip(cfg.channels, pools, strict=True):
                layers += [
                    nn.Conv2d(c_in, c_out, 3, padding=(1, dilate), dilation=(1, dilate),
                              bias=False),
                    nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True),
                ]
                if pool == "dense":
                    layers.append(DensePool())
                    dilate = 2
                elif pool is not None:
                    layers.append(nn.MaxPool2d(pool, pool))
                c_in = c_out
            self.cnn = nn.Sequential(*layers)
            self.width_stride = cfg.width_stride  # read by output_lengths' callers
            rows = cfg.height // 16
            self.proj = nn.Linear(c_in * rows, 2 * cfg.rnn_hidden)
            self.rnn = nn.LSTM(
                2 * cfg.rnn_hidden,
                cfg.rnn_hidden,
                num_layers=cfg.rnn_layers,
                bidirectional=True,
                dropout=cfg.dropout if cfg.rnn_layers > 1 else 0.0,
            )
            self.drop = nn.Dropout(cfg.dropout)
            self.head = nn.Linear(2 * cfg.rnn_hidden, cfg.num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """(N, 1, H, W) floats in [0, 1], ink bright -> (T, N, C) log-probabilities."""
            f = self.cnn(x)  # N, C, h, T
            n, c, h, t = f.shape
            f = f.permute(3, 0, 1, 2).reshape(t, n, c * h)
            f = self.drop(torch.relu(self.proj(f)))
            f, _ = self.rnn(f)
            return self.head(self.drop(f)).log_softmax(-1)

    return CRNN()


def build_ensemble(cfg: CRNNConfig) -> Any:
    """``cfg.members`` CRNNs of one shape read as one: each frame's log-probabilities are the
    members' averaged (a product of experts) and normalised again. The members share the input
    and the frame rate, so a frame means the same input columns in each; the module has the
    CRNN's interface ((N, 1, H, W) -> (T, N, C) log-probabilities, ``width_stride``), so
    reading, training and fine-tuning take it as they take one network (its weights are
    ``members.<i>.<the CRNN's names>``)."""
    import torch
    from torch import nn

    one = replace(cfg, members=1)

    class CRNNEnsemble(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.members = nn.ModuleList(build_crnn(one) for _ in range(cfg.members))
            self.width_stride = cfg.width_stride

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            lp = torch.stack([m(x) for m in self.members]).mean(0)
            return lp.log_softmax(-1)

    return CRNNEnsemble()


def crnn_pools(width_stride: int = 4) -> tuple[tuple[int, int] | str | None, ...]:
    """The (h, w) pooling after each of the six convolutions. Stride 2: the second 2x2
    pooling is taken at every column ("dense") and the convolutions after it are dilated 2x
    in width, so each sees the columns it saw in the stride-4 network ("a trous", as dense
    prediction nets do): a stride-2 model started from stride-4 weights computes that
    network's frames at the even positions and the frames of the image moved 2 px between
    them, and is fine-tuned from there rather than re-learnt."""
    second = (2, 2) if width_stride == 4 else "dense"
    return ((2, 2), second, None, (2, 1), None, (2, 1))


def output_lengths(widths: Any, stride: int = 4) -> Any:
    """Frames the CTC head emits for input widths (one or two 2x poolings, floor)."""
    return (widths // 2) // 2 if stride == 4 else widths // stride


def model_stride(model: Any) -> int:
    """The width stride of a built CRNN module (4 for any module that does not say)."""
    return int(getattr(model, "width_stride", 4))
