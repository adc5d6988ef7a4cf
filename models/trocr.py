"""TrOCR-style line recogniser built from scratch: ViT encoder + TrOCR decoder, char tokenizer.

No TrOCR weights can be downloaded here, so :func:`build_trocr` makes a randomly initialised
``VisionEncoderDecoderModel`` of a chosen size for a given character set, ready to train; a
trained (or any other local) checkpoint is saved and loaded as a plain Hugging Face folder:

    model, processor = build_trocr("small", charset)
    ... train ...
    save_trocr(model, processor, "models/weights/trocr")
    model, processor = load_trocr("models/weights/trocr")      # offline, local files only

The tokenizer has one token per character (NFC, Ð mapped to Đ), so any Vietnamese text made of
the charset round-trips exactly. Inputs are line-shaped (64x384 by default): a crop is scaled to
the input height and padded right with paper, see :func:`line_image`, used for both training and
recognition so the model always sees the same geometry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")
PAD, BOS, EOS, UNK = range(4)
LINE_SIZE = (64, 384)  # (height, width) of the encoder input
PATCH = (16, 8)  # narrow patches: one per ~half character at 64 px height


@dataclass(frozen=True)
class Preset:
    """Encoder/decoder sizes of one model preset."""

    enc_hidden: int
    enc_layers: int
    enc_heads: int
    dec_hidden: int
    dec_layers: int
    dec_heads: int
    max_chars: int = 96

    @property
    def enc_ffn(self) -> int:
        return 4 * self.enc_hidden

    @property
    def dec_ffn(self) -> int:
        return 4 * self.dec_hidden


PRESETS: dict[str, Preset] = {
    "tiny": Preset(64, 2, 2, 64, 2, 2),  # ~0.25 M parameters: tests and smoke runs
    "small": Preset(256, 4, 4, 256, 4, 4),  # ~7 M: trainable on a few CPU cores
    "base": Preset(384, 8, 6, 384, 6, 6),  # ~25 M: wants a GPU to train
}


class TrOCRModelError(SohoaError, ValueError):
    """A TrOCR folder, preset or charset is unusable."""


def _offline() -> None:
    """Make sure nothing reaches for the Hugging Face Hub (must run before transformers loads)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def build_tokenizer(charset: str) -> Any:
    """A ``PreTrainedTokenizerFast`` with one token per character of ``charset``.

    Text is NFC-normalised with the Icelandic eth mapped to Đ; encoding appends ``</s>`` (the
    decoder's training target), decoding fuses characters back without spaces between them.
    """
    import unicodedata

    _offline()
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(unicodedata.normalize("NFC", charset).replace("\u00d0", "\u0110")
                       .replace("\u00f0", "\u0111")))
    if not chars:
        raise TrOCRModelError("charset is empty")
    vocab = {tok: i for i, tok in enumerate((*SPECIAL_TOKENS, *chars))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.normalizer = normalizers.Sequence([
        normalizers.NFC(),
        normalizers.Replace("\u00d0", "\u0110"),
        normalizers.Replace("\u00f0", "\u0111"),
    ])
    tk.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tk.decoder = decoders.Fuse()
    tk.post_processor = processors.TemplateProcessing(single="$A </s>",
                                                      special_tokens=[("</s>", EOS)])
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", unk_token="<unk>",
                                   model_max_length=PRESETS["base"].max_chars + 2)


def build_image_processor(size: tuple[int, int] = LINE_SIZE) -> Any:
    """ViT image processor for (height, width) RGB inputs scaled to [-1, 1] (PIL backend)."""
    _offline()
    try:
        from transformers import ViTImageProcessorPil as Processor  # transformers >= 5
    except ImportError:
        from transformers import ViTImageProcessor as Processor  # type: ignore[assignment]
    return Processor(size={"height": size[0], "width": size[1]}, do_resize=True,
                     do_rescale=True, do_normalize=True, image_mean=[0.5] * 3,
                     image_std=[0.5] * 3)


def build_trocr(preset: str, charset: str, *, size: tuple[int, int] = LINE_SIZE,
                seed: int | None = 0) -> tuple[Any, Any]:
    """A randomly initialised TrOCR-style model and its processor for ``charset``.

    ``preset`` is ``tiny``, ``small`` or ``base`` (see :data:`PRESETS`); ``size`` is the
    (height, width) of the encoder input and must be a multiple of the (16, 8) patch.
    """
    _offline()
    if preset not in PRESETS:
        raise TrOCRModelError(f"unknown TrOCR preset {preset!r}: choose {', '.join(PRESETS)}")
    if size[0] % PATCH[0] or size[1] % PATCH[1]:
        raise TrOCRModelError(f"input size {size} is not a multiple of the patch {PATCH}")
    import torch
    from transformers import (
        TrOCRConfig,
        TrOCRProcessor,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
    )

    p = PRESETS[preset]
    tokenizer = build_tokenizer(charset)
    encoder = ViTConfig(hidden_size=p.enc_hidden, num_hidden_layers=p.enc_layers,
                        num_attention_heads=p.enc_heads, intermediate_size=p.enc_ffn,
                        image_size=list(size), patch_size=list(PATCH), num_channels=3)
    decoder = TrOCRConfig(vocab_size=len(tokenizer), d_model=p.dec_hidden,
                          decoder_layers=p.dec_layers, decoder_attention_heads=p.dec_heads,
                          decoder_ffn_dim=p.dec_ffn, max_position_embeddings=p.max_chars + 2,
                          pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS,
                          decoder_start_token_id=BOS, is_decoder=True)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    if seed is not None:
        torch.manual_seed(seed)
    model = VisionEncoderDecoderModel(config=config)
    for cfg in (model.config, model.generation_config):
        cfg.decoder_start_token_id = BOS
        cfg.pad_token_id = PAD
        cfg.eos_token_id = EOS
        cfg.bos_token_id = BOS
    model.generation_config.max_new_tokens = p.max_chars + 1
    processor = TrOCRProcessor(image_processor=build_image_processor(size), tokenizer=tokenizer)
    log.info("built TrOCR %s: %.2f M parameters, %d characters", preset,
             sum(t.numel() for t in model.parameters()) / 1e6, len(tokenizer) - 4)
    return model, processor


def save_trocr(model: Any, processor: Any, folder: str | Path) -> Path:
    """Write model weights, config, tokenizer and image processor into ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def load_trocr(folder: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """Load any local ``VisionEncoderDecoderModel`` folder (ours or a downloaded TrOCR) offline.

    Returns ``(model, processor)`` with the model in eval mode on ``device``; a missing or
    incomplete folder raises ``FileNotFoundError`` naming what is missing.
    """
    _offline()
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"TrOCR model folder {path} does not exist")
    missing = [n for n in ("config.json", "tokenizer_config.json") if not (path / n).exists()]
    if not any((path / n).exists() for n in ("model.safetensors", "pytorch_model.bin")) and \
            not any(path.glob("model-*.safetensors")):
        missing.append("model.safetensors")
    if not any((path / n).exists() for n in ("preprocessor_config.json", "processor_config.json")):
        missing.append("preprocessor_config.json")
    if missing:
        raise FileNotFoundError(f"TrOCR model folder {path} lacks {', '.join(missing)} "
                                "(save it with save_trocr / save_pretrained)")
    import transformers
    from transformers import (
        AutoImageProcessor,
        AutoTokenizer,
        TrOCRProcessor,
        VisionEncoderDecoderModel,
    )

    major = int(transformers.__version__.split(".")[0])
    backend = {"backend": "pil"} if major >= 5 else {"use_fast": False}
    try:
        model = VisionEncoderDecoderModel.from_pretrained(path, local_files_only=True)
        image_processor = AutoImageProcessor.from_pretrained(path, local_files_only=True,
                                                             **backend)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (ValueError, KeyError) as exc:
        raise TrOCRModelError(f"TrOCR model folder {path} is not a VisionEncoderDecoder "
                              f"checkpoint: {exc}") from exc
    processor = TrOCRProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model = model.to(device)  # type: ignore[arg-type]
    model.eval()
    return model, processor


def input_size(processor: Any) -> tuple[int, int]:
    """(height, width) the processor resizes to."""
    size = processor.image_processor.size
    if "height" in size:
        return int(size["height"]), int(size["width"])
    edge = int(size.get("shortest_edge", 384))
    return edge, edge


def line_image(img: np.ndarray, size: tuple[int, int], keep_aspect: bool = True) -> Any:
    """A grey crop as the RGB PIL image the processor expects.

    With ``keep_aspect`` the crop is scaled to the input height and padded right with paper
    (squeezed only when longer than the input), so short words are not stretched; otherwise it
    is left for the processor to stretch, as the original square TrOCR expects.
    """
    from PIL import Image

    grey = Image.fromarray(np.asarray(img, dtype=np.uint8))
    if not keep_aspect:
        return grey.convert("RGB")
    h, w = size
    new_w = max(1, min(w, round(grey.width * h / max(1, grey.height))))
    grey = grey.resize((new_w, h), Image.Resampling.BILINEAR)
    paper = int(np.percentile(np.asarray(grey), 90))
    canvas = Image.new("L", (w, h), paper)
    canvas.paste(grey, (0, 0))
    return canvas.convert("RGB")


def encode_batch(processor: Any, images: Sequence[np.ndarray], texts: Sequence[str] | None = None,
                 keep_aspect: bool = True) -> dict[str, Any]:
    """Pixel values (and ``labels`` with padding as -100, when texts are given) for training."""
    size = input_size(processor)
    pil = [line_image(img, size, keep_aspect) for img in images]
    batch: dict[str, Any] = {
        "pixel_values": processor.image_processor(pil, return_tensors="pt").pixel_values}
    if texts is not None:
        enc = processor.tokenizer(list(texts), padding=True, return_tensors="pt")
        labels = enc.input_ids.clone()
        labels[enc.attention_mask == 0] = -100
        batch["labels"] = labels
    return batch
