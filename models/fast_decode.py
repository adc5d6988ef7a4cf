"""Compiled CTC beam search (flashlight-text, C++) with n-best, a character KenLM, and a
lexicon-constrained variant; exact CTC probabilities of any text for rescoring.

``FreeBeam`` is the prefix beam search of :func:`models.ctc_decode.beam_search` in C++: the
decoder keeps one state per prefix (flashlight's LM states form a tree), merges alignments of
the same prefix by log-add, and reports each hypothesis's acoustic log-probability summed over
the alignments that stayed in the beam, the same estimate the Python beam gave. An optional
character LM (an ARPA file, :mod:`models.arpa`) steers which prefixes stay in the beam.

``LexiconBeam`` only lets words of a list be spelt (flashlight's lexicon decoder over a trie of
the words, with a word LM): it finds the best in-vocabulary reading even when the open beam
pruned it. It has no out-of-vocabulary path by construction; the caller keeps the open beam's
readings next to it, so a rare name outside the list is still read (see ``ocr/htr.py``).

Inputs are (T, C) numpy log-probabilities, class 0 = blank, class i = ``charset.chars[i-1]``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.arpa import char_token
from models.charset import Charset

BLANK = "<blank>"


def _flashlight():
    from flashlight.lib.text import decoder

    return decoder


@contextmanager
def _quiet():
    """KenLM prints its loading progress and advice on stdout/stderr from C++: hide them."""
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def kenlm(path: Path, tokens: list[str]):
    """flashlight's KenLM over ``path`` with ``tokens`` as the decoder's vocabulary."""
    from flashlight.lib.text.decoder.kenlm import KenLM
    from flashlight.lib.text.dictionary import Dictionary

    with _quiet():
        return KenLM(str(path), Dictionary(tokens))


def _token_words(charset: Charset) -> list[str]:
    return [BLANK, *(char_token(c) for c in charset.chars)]


def _text(tokens: Sequence[int], charset: Charset) -> str:
    """The collapsed token path (repeats merged, blanks dropped) as text, spaces as read
    (the parsers clean them; the probability belongs to the text as read)."""
    chars = charset.chars
    n = len(chars)
    out: list[str] = []
    prev = None
    for k in tokens:  # a plain loop: the paths are short, numpy's set-up cost more (s9speed)
        if k != prev and 0 < k <= n:
            out.append(chars[k - 1])
        prev = k
    return "".join(out)


def _results(decoder, logp: np.ndarray, charset: Charset, nbest: int,
             lm_weight: float) -> list[tuple[str, float]]:
    """Distinct texts of the final beam with their acoustic log-probability: the decoder's
    score less the LM's part (flashlight log-adds the whole score of merged alignments, while
    ``emittingModelScore`` keeps one alignment's)."""
    lp = np.ascontiguousarray(logp, dtype=np.float32)
    best: dict[str, float] = {}
    for r in decoder.decode(lp.ctypes.data, lp.shape[0], lp.shape[1]):
        text = _text(r.tokens[1:-1], charset)  # the path is padded with a space at each end
        am = float(r.score - lm_weight * r.lmScore)
        if text.strip() and (text not in best or am > best[text]):
            best[text] = am
    # ties (a hand-written test's frames, never a crop's) in text order: the beam's own order
    # of equal scores changes from call to call
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:nbest]
    return [(t, min(1.0, math.exp(s))) for t, s in ranked]


class FreeBeam:
    """Open-vocabulary CTC prefix beam search, optionally steered by a character ARPA LM."""

    def __init__(self, charset: Charset, beam: int = 8, lm_path: Path | None = None,
                 lm_weight: float = 1.0, token_beam: int = 6, threshold: float = 10.0) -> None:
        d = _flashlight()
        self.charset = charset
        if lm_path is not None:
            lm = kenlm(lm_path, _token_words(charset))
        else:
            lm, lm_weight = d.ZeroLM(), 0.0
        opts = d.LexiconFreeDecoderOptions(
            beam_size=beam, beam_size_token=token_beam, beam_threshold=threshold,
            lm_weight=lm_weight, sil_score=0.0, log_add=True,
            criterion_type=d.CriterionType.CTC)
        self._lm, self.lm_weight = lm, lm_weight  # the decoder holds the LM only in C++
        self._decoder = d.LexiconFreeDecoder(opts, lm, self._space(), 0, [])

    def _space(self) -> int:
        return self.charset.chars.index(" ") + 1 if " " in self.charset.chars else 0

    def nbest(self, logp: np.ndarray, nbest: int = 5) -> list[tuple[str, float]]:
        """Up to ``nbest`` distinct texts with P(text | image), best first."""
        return _results(self._decoder, logp, self.charset, nbest, self.lm_weight)


class LexiconBeam:
    """CTC beam search that spells only words of ``words`` (word -> count), separated by
    spaces; a word bigram ARPA over the same words (``lm_path``) weighs them."""

    def __init__(self, charset: Charset, words: Mapping[str, float], lm_path: Path,
                 beam: int = 8, lm_weight: float = 0.5, token_beam: int = 6,
                 threshold: float = 10.0) -> None:
        d = _flashlight()
        self.charset = charset
        index = {c: i + 1 for i, c in enumerate(charset.chars)}
        spelt = {w: [index[c] for c in w] for w in words if w and all(c in index for c in w)
                 and " " not in w}
        vocab = sorted(spelt)
        if not vocab:
            raise ValueError("lexicon beam: no word can be spelt with the model's charset")
        self._lm = kenlm(lm_path, vocab)
        space = index.get(" ", 0)
        trie = d.Trie(len(charset.chars) + 1, space)
        start = self._lm.start(False)
        for i, w in enumerate(vocab):
            trie.insert(spelt[w], i, self._lm.score(start, i)[1])
        trie.smear(d.SmearingMode.MAX)
        self._trie = trie
        opts = d.LexiconDecoderOptions(
            beam_size=beam, beam_size_token=token_beam, beam_threshold=threshold,
            lm_weight=lm_weight, word_score=0.0, unk_score=-math.inf, sil_score=0.0,
            log_add=True, criterion_type=d.CriterionType.CTC)
        self._decoder = d.LexiconDecoder(opts, trie, self._lm, space, 0, -1, [], False)
        self.size, self.lm_weight = len(vocab), lm_weight
        self.vocab = frozenset(vocab)

    def spells(self, text: str) -> bool:
        """Whether ``text`` is made of the lexicon's words only (the decoder may end a beam
        inside a word when no hypothesis reached a word's end)."""
        return all(w in self.vocab for w in text.split())

    def nbest(self, logp: np.ndarray, nbest: int = 3) -> list[tuple[str, float]]:
        """Up to ``nbest`` in-vocabulary texts with P(text | image), best first."""
        return _results(self._decoder, logp, self.charset, nbest, self.lm_weight)


@lru_cache(maxsize=8)
def _class_index(chars: str) -> dict[str, int]:
    return {c: i + 1 for i, c in enumerate(chars)}


def ctc_log_probs(logp: np.ndarray, texts: Sequence[str], charset: Charset) -> np.ndarray:
    """Exact log P(text | image) of each text (every alignment summed; the compiled pass of
    ``models.ctc_forward``, torch's CTC for the rare text that pass underflows on); -inf for a
    text the model cannot write or that does not fit in the frames."""
    from models.ctc_forward import forward

    index = _class_index(charset.chars)
    out = np.full(len(texts), -math.inf)
    keep = [i for i, t in enumerate(texts) if t and index.keys() >= set(t)]
    if not keep:
        return out
    targets = [[index[c] for c in texts[i]] for i in keep]
    scores = forward(logp, targets)
    lost = np.flatnonzero(np.isnan(scores))
    if len(lost):
        scores[lost] = torch_ctc_log_probs(logp, [targets[i] for i in lost])
    out[keep] = scores
    return out


def torch_ctc_log_probs(logp: np.ndarray, targets: Sequence[Sequence[int]]) -> np.ndarray:
    """Exact log P(target | image) of each target (class ids) by torch's CTC (log space,
    float32): no underflow, about five times the CPU of ``models.ctc_forward``."""
    import torch

    T = logp.shape[0]
    x = torch.from_numpy(np.ascontiguousarray(logp, dtype=np.float32)).unsqueeze(1)
    x = x.expand(T, len(targets), logp.shape[1])
    loss = torch.nn.functional.ctc_loss(
        x, torch.tensor([c for t in targets for c in t], dtype=torch.long),
        torch.full((len(targets),), T, dtype=torch.long),
        torch.tensor([len(t) for t in targets], dtype=torch.long),
        blank=0, reduction="none", zero_infinity=False)
    return -loss.numpy().astype(np.float64)
