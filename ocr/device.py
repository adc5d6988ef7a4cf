"""Choosing the torch device for neural engines: ``--device auto|cpu|cuda``."""

from __future__ import annotations

import logging

from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda")


class DeviceError(SohoaError, ValueError):
    """The device asked for is unknown or not present on this machine."""


def check_device_name(device: str) -> str:
    """Reject unknown device names without touching torch (for CPU-only engines)."""
    dev = (device or "auto").strip().lower()
    if dev.split(":", 1)[0] not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {device!r}: use one of {', '.join(DEVICE_CHOICES)}")
    return dev


def pick_device(device: str = "auto") -> str:
    """Resolve ``auto``/``cpu``/``cuda`` (or ``cuda:N``) to the device engines will use.

    ``auto`` picks CUDA when torch sees a GPU and the CPU otherwise; asking for ``cuda`` on a
    machine without one is an error rather than a silent fall-back, so a batch job configured for
    a GPU does not crawl along on the CPU unnoticed.
    """
    dev = check_device_name(device)
    if dev == "cpu":
        return "cpu"
    if dev.startswith("auto:") or dev.startswith("cpu:"):
        raise DeviceError(f"unknown device {device!r}: use one of {', '.join(DEVICE_CHOICES)}")
    try:
        import torch
    except ImportError as exc:
        if dev == "auto":
            return "cpu"
        raise DeviceError(f"device {device!r} asked for but torch is not installed") from exc
    has_cuda = bool(torch.cuda.is_available())
    if dev == "auto":
        chosen = "cuda" if has_cuda else "cpu"
        log.debug("device auto -> %s", chosen)
        return chosen
    if not has_cuda:
        build = getattr(torch.version, "cuda", None) or "a CPU-only build"
        raise DeviceError(f"device {device!r} asked for but torch {torch.__version__} "
                          f"({build}) sees no CUDA GPU; use --device cpu or auto")
    if dev.startswith("cuda:"):
        index = dev.split(":", 1)[1]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise DeviceError(f"device {device!r}: this machine has "
                              f"{torch.cuda.device_count()} CUDA device(s)")
        return dev
    return "cuda"
