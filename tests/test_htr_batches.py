"""Recognition batches are bounded in input pixels, not only in count (models.recognize)."""

from __future__ import annotations

from models.recognize import MAX_BATCH_PIXELS, width_batches


def test_batches_hold_every_crop_once_narrowest_first():
    widths = [300, 40, 896, 120, 64, 896, 200]
    batches = width_batches(widths, height=32, batch_size=3)
    assert sorted(i for b in batches for i in b) == list(range(len(widths)))
    flat = [widths[i] for b in batches for i in b]
    assert flat == sorted(widths)
    assert all(len(b) <= 3 for b in batches)


def test_wide_crops_go_in_smaller_batches_under_the_pixel_budget():
    widths = [100] * 64 + [896] * 64
    batches = width_batches(widths, height=32, batch_size=32)
    for b in batches:
        wide = max(widths[i] for i in b)
        padded = wide + (-wide) % 64
        assert len(b) * 32 * padded <= MAX_BATCH_PIXELS
    narrow = [b for b in batches if max(widths[i] for i in b) == 100]
    assert max(len(b) for b in narrow) == 32  # short crops still fill a whole batch
    assert max(len(b) for b in batches if b not in narrow) < 32


def test_a_crop_wider_than_the_budget_goes_alone():
    batches = width_batches([50, 5000, 60], height=32, batch_size=8, max_pixels=32 * 1000)
    assert [len(b) for b in batches] == [2, 1]
