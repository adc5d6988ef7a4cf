"""A compact CRNN line recogniser: a VGG-style CNN that keeps the vertical position of marks
(Vietnamese diacritics sit above and below the letter), a 2-layer BiLSTM and a CTC head.

The CNN divides the height by 16 and the width by 4; the remaining rows are flattened into the
feature of each column so that a hook above and a dot below stay distinguishable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CRNNConfig:
    num_classes: int
    height: int = 32
    channels: tuple[int, ...] = (12, 24, 48, 64, 96, 96)
    rnn_hidden: int = 96
    rnn_layers: int = 2
    dropout: float = 0.1

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["channels"] = list(self.channels)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CRNNConfig:
        known = {"num_classes", "height", "channels", "rnn_hidden", "rnn_layers", "dropout"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"CRNNConfig: unknown keys {sorted(unknown)}")
        data = dict(data)
        if "channels" in data:
            data["channels"] = tuple(int(c) for c in data["channels"])
        return cls(**data)

    @property
    def width_stride(self) -> int:
        return 4


def build_crnn(cfg: CRNNConfig) -> Any:
    """The torch module for ``cfg`` (torch imported here, not at package import)."""
    import torch
    from torch import nn

    if cfg.height % 16:
        raise ValueError(f"CRNN height must be a multiple of 16, got {cfg.height}")

    # pooling after each conv: (h, w) factors; total height /16, width /4
    pools = ((2, 2), (2, 2), None, (2, 1), None, (2, 1))

    class CRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c_in = 1
            for c_out, pool in zip(cfg.channels, pools, strict=True):
                layers += [
                    nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                    nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True),
                ]
                if pool is not None:
                    layers.append(nn.MaxPool2d(pool, pool))
                c_in = c_out
            self.cnn = nn.Sequential(*layers)
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


def output_lengths(widths: Any, stride: int = 4) -> Any:
    """Frames the CTC head emits for input widths (two 2x poolings, floor)."""
    return (widths // 2) // 2 if stride == 4 else widths // stride
