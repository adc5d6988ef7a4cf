"""ARPA language-model files for the compiled CTC decoder (flashlight-text's KenLM reader),
written from what the project ships: a character n-gram model (:mod:`models.charlm`) or a
list of words/phrases with counts (the lexicons in ``sohoa/data``).

Nothing is downloaded: the files are built on first use and cached under the user cache dir
(``$SOHOA_CACHE`` or ``$XDG_CACHE_HOME/sohoa`` or ``~/.cache/sohoa``), named by a hash of
their content's inputs, and written atomically so two workers never read half a file.

In a character ARPA the "words" are characters: a space is ``|``, the start and end of a
value ``<s>``/``</s>``. The character model is case-folded; each n-gram is written in every
upper/lower spelling of its letters so that ``Lò``, ``lò`` and ``LÒ`` score alike.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from models.charlm import NGramCharLM

FORMAT_VERSION = "2"  # bump when the writers below change what they write
SPACE = "|"


def cache_dir() -> Path:
    """Where built language-model files are kept between runs."""
    root = os.environ.get("SOHOA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sohoa")
    return Path(root) / "lm"


def cached(name: str, inputs: bytes, write: Callable[[Path], None]) -> Path:
    """The cached file ``name-<hash>.arpa`` for ``inputs``, built by ``write(path)`` if absent.
    Falls back to a temporary folder when the cache dir is not writable."""
    digest = hashlib.sha256(FORMAT_VERSION.encode() + inputs).hexdigest()[:16]
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "sohoa-lm"):
        path = folder / f"{name}-{digest}.arpa"
        if path.exists():
            return path
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
            os.close(fd)
            write(Path(tmp))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            return path
        except OSError:
            continue
    raise OSError(f"cannot write language model {name} in {cache_dir()} or the temp dir")


def char_token(c: str) -> str:
    """A character as an ARPA word."""
    return SPACE if c == " " else c


def _case_variants(gram: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    options = [(t, t.upper()) if len(t) == 1 and t.upper() != t and len(t.upper()) == 1
               else (t,) for t in gram]
    return itertools.product(*options)


def char_arpa_entries(lm: NGramCharLM) -> dict[tuple[str, ...], float]:
    """log10 P(char | context) of every n-gram seen in ``lm`` (its interpolated estimate);
    a context padded at the start (``^^a``) becomes ``<s> a``."""
    out: dict[tuple[str, ...], float] = {}
    full = lm.order - 1
    for ctx, counts in lm.counts.items():
        bare = ctx.lstrip("^")
        if bare != ctx and len(ctx) != full:
            continue  # "^a" and "^^a" are the same context as "<s> a": keep the longest
        head = (("<s>",) if bare != ctx else ()) + tuple(char_token(c) for c in bare)
        for ch in counts:
            if ch != "^":
                word = "</s>" if ch == "$" else char_token(ch)
                out[head + (word,)] = math.log10(_prob(lm, ctx, ch))
    for ch in lm.vocab - {"^", "$"}:
        out.setdefault((char_token(ch),), math.log10(_prob(lm, "", ch)))
    out.setdefault(("</s>",), math.log10(_prob(lm, "", "$")))
    out[("<s>",)] = -99.0
    # a character the model never saw (a digit in a name): as likely as its rarest one
    out[("<unk>",)] = min(out[(c,)] for c in [char_token(ch) for ch in lm.vocab - {"^", "$"}])
    return out


def _prob(lm: NGramCharLM, ctx: str, ch: str) -> float:
    """P(ch | ctx) interpolated over the suffixes of ``ctx`` as it is (``NGramCharLM.logp``
    pads a short context as if it began the text)."""
    v = max(1, len(lm.vocab))
    p = 1.0 / v
    for k in range(lm.order):
        c = lm.counts.get(ctx[len(ctx) - k:] if k else "")
        if not c:
            continue
        total = sum(c.values())
        lam = total / (total + 5.0)
        p = lam * (c[ch] + lm.alpha) / (total + lm.alpha * v) + (1 - lam) * p
    return p


def write_char_arpa(lm: NGramCharLM, path: Path) -> int:
    """Write ``lm`` as an ARPA file with every case spelling; returns the n-gram count."""
    grams: dict[tuple[str, ...], float] = {}
    for gram, logp in char_arpa_entries(lm).items():
        for variant in _case_variants(gram):
            grams[variant] = logp
    return write_arpa(grams, path)


def write_word_arpa(phrases: Iterable[tuple[str, float]], path: Path,
                    floor: float = 0.02) -> int:
    """A word bigram model of ``phrases`` (text, count): words follow each other as in the
    phrases, with backoff to unigrams so any listed word may follow any other."""
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for text, count in phrases:
        words = ["<s>", *text.split(), "</s>"]
        for a, b in zip(words, words[1:], strict=False):
            bi[(a, b)] += count
        for w in words[1:]:
            uni[w] += count
    total = sum(uni.values()) or 1.0
    grams: dict[tuple[str, ...], float] = {("<s>",): -99.0, ("<unk>",): -99.0}
    for w, c in uni.items():
        grams[(w,)] = math.log10(c / total)
    after: Counter[str] = Counter()
    for (a, _), c in bi.items():
        after[a] += c
    for (a, b), c in bi.items():
        grams[(a, b)] = math.log10((1 - floor) * c / after[a] + floor * uni[b] / total)
    return write_arpa(grams, path, backoff=math.log10(floor))


def write_arpa(grams: dict[tuple[str, ...], float], path: Path, backoff: float = 0.0) -> int:
    """Write n-grams (word tuple -> log10 prob) as ARPA; contexts back off with ``backoff``
    (log10; the writers above leave normalisation to the decoder, which only compares)."""
    by_n: dict[int, list[tuple[tuple[str, ...], float]]] = {}
    for gram, logp in grams.items():
        by_n.setdefault(len(gram), []).append((gram, logp))
    top = max(by_n)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\\data\\\n")
        for n in sorted(by_n):
            f.write(f"ngram {n}={len(by_n[n])}\n")
        for n in sorted(by_n):
            f.write(f"\n\\{n}-grams:\n")
            for gram, logp in by_n[n]:
                bo = f"\t{backoff:.4f}" if n < top and gram[-1] != "</s>" else ""
                f.write(f"{min(0.0, logp):.5f}\t{' '.join(gram)}{bo}\n")
        f.write("\n\\end\\\n")
    return sum(len(v) for v in by_n.values())
