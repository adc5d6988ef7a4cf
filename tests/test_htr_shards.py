"""The sample cache (models.shards): pre-rendered training shards, read back, mixed into
training, refused when not drawn from training data alone."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from models.data import SynthSource
from models.shards import (
    STORE_HEIGHT,
    ShardError,
    ShardSource,
    data_options,
    make_source,
    read_shard,
    write_shard,
)


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    opts = data_options(stroke_share=0.5)
    src = make_source(opts)
    write_shard(folder, src, 12, seed=1, opts=opts)
    write_shard(folder, src, 12, seed=2, opts=opts)
    return folder


def test_a_shard_reads_back_what_its_source_drew_with_its_options(shard_dir, tmp_path):
    samples, meta = read_shard(shard_dir / "shard-000001.npz")
    assert len(samples) == 12 and meta["n"] == 12 and meta["seed"] == 1
    assert meta["options"]["stroke_share"] == 0.5
    assert meta["source"]["role"] == "train"
    assert meta["source"]["writer_seeds"] == [0, 900_000]
    assert all(s.text.strip() and s.image.dtype == np.uint8 for s in samples)
    assert all(2 <= s.image.shape[0] <= STORE_HEIGHT for s in samples)
    # the same seed draws the same lines (a shard can be rebuilt); another seed others
    opts = meta["options"]
    again = write_shard(tmp_path, make_source(opts), 12, seed=1, opts=opts)
    texts_again = [s.text for s in read_shard(again)[0]]
    assert texts_again == [s.text for s in samples]
    other = [s.text for s in read_shard(shard_dir / "shard-000002.npz")[0]]
    assert other != texts_again
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left over


def test_shard_source_mixes_cached_and_fresh_lines_and_picks_up_new_shards(shard_dir, tmp_path):
    cached = {s.text for p in shard_dir.glob("shard-*.npz") for s in read_shard(p)[0]}
    fresh = SynthSource("train", stroke_share=0.0)
    rng = np.random.default_rng(3)
    only_shards = ShardSource(fresh, shard_dir, share=1.0)
    drawn = [only_shards.sample(rng) for _ in range(40)]
    assert {s.text for s in drawn} <= cached and only_shards.drawn["fresh"] == 0
    # half of the cached lines come back width-jittered, never taller or with other text
    # (a short value such as a sex or an ethnicity can be in more than one shard, drawn at
    # another size: every shape a text was stored with)
    by_text: dict[str, set[tuple[int, ...]]] = {}
    for p in shard_dir.glob("shard-*.npz"):
        for s in read_shard(p)[0]:
            by_text.setdefault(s.text, set()).add(s.image.shape)
    assert any(s.image.shape not in by_text[s.text] for s in drawn)
    assert all(s.image.shape[0] in {h for h, *_ in by_text[s.text]} for s in drawn)

    mixed = ShardSource(fresh, shard_dir, share=0.5)
    for _ in range(60):
        mixed.sample(rng)
    assert 15 <= mixed.drawn["shard"] <= 45 and mixed.drawn["fresh"] == 60 - mixed.drawn["shard"]

    # an empty folder gives fresh lines only; a shard written meanwhile joins at the rescan
    empty = tmp_path / "grow"
    empty.mkdir()
    growing = ShardSource(fresh, empty, share=1.0, rescan=5)
    for _ in range(5):
        growing.sample(rng)
    assert growing.drawn == {"shard": 0, "fresh": 5}
    opts = data_options(stroke_share=0.0)
    write_shard(empty, make_source(opts), 6, seed=7, opts=opts)
    for _ in range(10):
        growing.sample(rng)
    assert growing.drawn["shard"] == 10 and growing.loaded == {"shard-000007.npz": 6}
    # held lines are bounded: the oldest shard leaves first
    write_shard(empty, make_source(opts), 6, seed=8, opts=opts)
    capped = ShardSource(fresh, empty, share=1.0, max_samples=6)
    capped.scan()
    assert len(capped.cache) == 6
    assert {s.text for s in capped.cache} == {s.text for s in
                                              read_shard(empty / "shard-000008.npz")[0]}
    assert capped.describe()["shards"]["share"] == 1.0


def test_shards_not_drawn_from_training_data_alone_are_refused(tmp_path):
    fresh = SynthSource("train")
    # drawn in the test fonts
    test_src = SynthSource("test")
    write_shard(tmp_path / "a", test_src, 3, seed=1, opts={})
    with pytest.raises(ShardError, match="role 'test'"):
        ShardSource(fresh, tmp_path / "a").scan()
    # stroke writers reaching the held-out seeds (a tampered or foreign shard)
    opts = data_options(stroke_share=0.0)
    p = write_shard(tmp_path / "b", make_source(opts), 3, seed=1, opts=opts)
    data = dict(np.load(p))
    meta = json.loads(str(data["meta"]))
    meta["source"].update(stroke_share=0.5, writer_seeds=[0, 1_200_000])
    data["meta"] = np.array(json.dumps(meta))
    with open(p, "wb") as f:
        np.savez_compressed(f, **data)
    with pytest.raises(ShardError, match="held-out"):
        ShardSource(fresh, tmp_path / "b").scan()
    with pytest.raises(ShardError, match="no such"):
        ShardSource(fresh, tmp_path / "missing")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "shard-000001.npz").write_bytes(b"not a zip")
    with pytest.raises(ShardError, match="not a readable shard"):
        ShardSource(fresh, tmp_path / "c").scan()


def test_train_cli_mixes_shards_and_records_them(shard_dir, tmp_path):
    from typer.testing import CliRunner

    from sohoa.cli import app

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "train", "--out", str(out), "--init-from", "models/weights/htr-v4",
        "--shards", str(shard_dir), "--shard-share", "0.8", "--stroke-share", "0.3",
        "--epochs", "1", "--epoch-samples", "32", "--batch-size", "8", "--val-size", "8",
        "--workers", "0", "--threads", "1"])
    assert res.exit_code == 0, res.output
    cfg = json.loads((out / "config.json").read_text("utf-8"))
    assert cfg["shards"] == str(shard_dir) and cfg["shard_share"] == 0.8
    data = json.loads((out / "data.json").read_text("utf-8"))
    shards = data["train"]["shards"]
    assert shards["share"] == 0.8 and shards["shard_sources"][0]["role"] == "train"
    assert (out / "best" / "weights.pt").exists()
