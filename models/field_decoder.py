"""Decoding one field crop's CTC output with what the field can be.

Per field kind, the n-best readings with P(text | image) come from:

1. the open beam (:class:`models.fast_decode.FreeBeam`, C++), steered for names, places and
   dates by the model's character LM as a KenLM file built from ``*_lm.json``;
2. for names and ethnic groups (``sohoa.fields.vocab``) the lexicon-constrained beam
   (:class:`models.fast_decode.LexiconBeam`): its in-vocabulary readings join the open ones,
   which stay, so a rare name outside the lexicon is still read (the out-of-vocabulary
   escape) and the choice (``sohoa.fields.choose``) weighs image against lexicon; for the
   closed lists of sex, nationalities and relations, and ethnic groups' own names, every
   written form, scored exactly in one pass over their trie (:class:`models.trie_ctc.TrieCTC`);
3. for places, the open readings with their administrative units respelt
   (``sohoa.fields.places.respell``: "xã Châu Quế Mạ, huyện Văn Yên" -> "... Hạ ..."), scored
   by the exact CTC probability of the respelt text, so the image still has its say;
4. for names and places the character LM's log-ratio score (``models.charlm``) moves
   probability away from unlikely spellings among the n-best (never adds any).

Names and places are then chosen with what the field can be (the network's
``models.decode_weights.DecodeWeights``; docs/htr.md "Decoding with what the field can be"):
every candidate (open n-best, best path, the lexicon beam's readings, the places' gazetteer
chains) gets its exact P(text | image), and they are ranked by log P(text | image) + weight x
prior (+ the character LM score, as the fusion weighs it), the prior being the syllable prior
of a name by position with an out-of-vocabulary escape cost (``sohoa.fields.names.name_prior``)
or the place's agreement with the gazetteer hierarchy (``sohoa.fields.place_match.place_prior``).
Each keeps the image's own probability, capped by the one ranked above it (``honest``): a lexicon or
gazetteer match can win the ranking, never a higher probability than the image gives it, and
a reading the image preferred keeps as much mass as the winner, so the confidence drops.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from models.charset import Charset
from models.ctc_decode import CharLM
from models.decode_weights import DecodeWeights
from models.fast_decode import FreeBeam, LexiconBeam, ctc_log_probs
from models.trie_ctc import TrieCTC
from sohoa.records import FieldKind

log = logging.getLogger(__name__)

FUSED_KINDS = (FieldKind.NAME, FieldKind.PLACE)  # measured: dates read worse with it
LEXICON_NBEST = 2
RESPELL_TOP = 1  # open readings of a place that are respelt
BEST_PATH_MARGIN = 0.0  # nats: the best path joins when the image prefers it at all
MIN_P = 1e-6  # a lexicon reading less likely than this is no alternative worth showing
ARPA_KINDS = (FieldKind.NAME, FieldKind.PLACE)  # dates read worse with their LM in the beam
# the choice's weights: models.decode_weights (per network, in its model.json)
NAME_LEXICON_NBEST = 64  # lexicon beam readings of a name offered (its beam as wide; rule 21)
PLACE_RESPELL_TOP = 3  # open readings of a place matched against the gazetteer
PLACE_UNITS = True  # the units read part by part on the image (models.place_decode)
PLACE_FACILITIES = True  # facility kinds and their seats (sohoa.fields.facilities)
PLACE_VILLAGES = True  # village words opening an address (sohoa.fields.villages)
PLACE_OPEN = 5  # open readings of a place weighed (with the best path and the variants)
# a whole place that reaches the choice read again with its units spotted on the frames right
# to left (models.place_spot): off until session 31 for its cost (rules 25-30 of
# rules-s28.md); since then for a place whose ranked reading is not settled (rule 49 of
# rules-s31.md: held-out pages' places 3.76 -> 3.68 %); since session 32 for every whole
# place that reaches the choice (PLACE_SPOT_ALL, rule 51 of rules-s32.md: 3.68 -> 3.57 %)
PLACE_SPOT = True
PLACE_SPOT_ALL = True
PRIOR_FUSE = True  # the character LM's fusion after the prior
# a best open reading the priors cannot better (every syllable a name in its position, every
# admin part an exact unit, a listed form, a date that parses) is decoded as before: what
# clear writing costs stays what it was
PRIOR_SHORTCUT = True
# when the LM, fused with a shortcut's candidates, puts first a reading that is not settled,
# the candidates are weighed with the priors after all (rule 75 of
# benchmarks/results/rules-s38.md: "Giàng Thị Tuyết" went to "Giàng Thị Luyết" unweighed)
SETTLED_STAYS = True
SETTLED_PLACE_P = 0.3  # a settled place reading must also be this likely to skip the rest
EXACT_ALL = False  # exact CTC for every candidate (slower; the beams' sums are close)
PRIOR_SPAN = 30.0  # nats below the likeliest candidate's exact log P(text | image): dropped
PRIOR_KINDS = (FieldKind.NAME, FieldKind.PLACE, FieldKind.SEX, FieldKind.ETHNICITY,
               FieldKind.NATIONALITY, FieldKind.RELATION, FieldKind.DATE, FieldKind.YEAR,
               FieldKind.NUMBER, FieldKind.TEXT)
CLOSED_LEXICON_NBEST = 5
# classes a frame the lexicon beam tries: names 6 -> 16 lost fewer listed syllables (rule 20)
LEXICON_TOKENS = {FieldKind.NAME: 16, FieldKind.TEXT: 6}
# a closed list's every written form is a candidate with its exact P(text | image) rather than
# the lexicon beam's readings: the beam keeps 6 tokens a frame and loses a form whose first
# letter the image makes unlikely ("tm huột" read, "Em ruột" never offered; rules-s27 rule 19)
CLOSED_IN_FULL = True
# not ethnic groups: their list holds local groups' names ("Cao", "Phó", "Tri") that, weighed
# like the 54 groups' own, took their short neighbours' place ("Dao" read "Cao": Cơ-tu); the
# lexicon beam's word LM, which counts those less, stays for them (rule 19's amendment)
CLOSED_KINDS = (FieldKind.SEX, FieldKind.NATIONALITY, FieldKind.RELATION)
# ethnic groups: their own names in full (``sohoa.fields.vocab.own_names``: "Khơ-mú", "Khơ
# Mú"), the other names they are known by from the lexicon beam as before (rule 22)
OWN_NAME_KINDS = (FieldKind.ETHNICITY,)
TEXT_LEXICON_NBEST = 16  # syllable-lexicon readings of free text weighed (its beam as wide)
DIGIT_SLOTS = True  # dates and years read group by group (models.date_decode)
LONG_DATES = True  # a date written out offered with the standard words (models.date_decode)
NUMBER_DIGITS = True  # numbers chosen with a prior, the digits-only path offered (date_decode)


class FieldDecoder:
    """n-best decoding per field kind; decoders and LM files are built on first use."""

    def __init__(self, charset: Charset, *, beam: int = 8, nbest: int = 5,
                 arpa: Mapping[FieldKind, Path] | None = None,
                 hooks: Mapping[FieldKind, CharLM] | None = None,
                 lexicons: bool = True, weights: DecodeWeights | None = None) -> None:
        self.charset, self.beam, self.nbest = charset, beam, nbest
        self.weights = weights or DecodeWeights()
        self.arpa_weight = self.weights.arpa
        self.arpa = dict(arpa or {})
        self.hooks = dict(hooks or {})
        self.lm_weight = self.weights.lm
        self.lexicons = lexicons
        self.priors = True  # names and places chosen with their priors (PRIOR_KINDS)
        self.facilities = PLACE_FACILITIES  # facility kinds and their seats among places
        self.villages = PLACE_VILLAGES  # the village word opening an address
        self.numbers = NUMBER_DIGITS  # register numbers chosen with their prior (digits)
        self._free: dict[FieldKind, FreeBeam] = {}
        self._lex: dict[FieldKind, LexiconBeam | None] = {}
        self._listed: dict[FieldKind, TrieCTC] = {}

    def free(self, kind: FieldKind) -> FreeBeam:
        if kind not in self._free:
            self._free[kind] = FreeBeam(self.charset, self.beam, self.arpa.get(kind),
                                        self.arpa_weight)
        return self._free[kind]

    def lexicon(self, kind: FieldKind) -> LexiconBeam | None:
        if kind not in self._lex:
            wide = {FieldKind.NAME: NAME_LEXICON_NBEST, FieldKind.TEXT: TEXT_LEXICON_NBEST}
            width = max(self.beam, wide.get(kind, 0)) if self.priors \
                else self.beam  # priors off: the decoder as it was
            self._lex[kind] = lexicon_beam(self.charset, kind, width,
                                           LEXICON_TOKENS.get(kind, 6)) if self.lexicons \
                else None
        return self._lex[kind]

    def listed(self, kind: FieldKind) -> TrieCTC:
        """The trie of a closed list's written forms (``CLOSED_IN_FULL``), built on first use."""
        if kind not in self._listed:
            from sohoa.fields.vocab import own_names, written_forms

            forms = own_names(kind) if kind in OWN_NAME_KINDS else written_forms(kind)
            self._listed[kind] = TrieCTC(forms, self.charset)
        return self._listed[kind]

    def decode(self, logp: np.ndarray, kind: FieldKind, whole: bool = True
               ) -> list[tuple[str, float]]:
        """Up to ``nbest`` (text, probability) pairs of one crop, best first; ``whole`` false
        for one line of a value wrapped onto several (a closed list is then not scored in
        full: a line is a part of a form, and a short listed form would take its place)."""
        kind = FieldKind(kind)
        pairs = self.free(kind).nbest(logp, self.nbest)
        weighed = self.lexicons and self.priors and kind in PRIOR_KINDS and bool(pairs) \
            and (kind != FieldKind.NUMBER or self.numbers)
        shortcut = weighed and PRIOR_SHORTCUT and settled(kind, pairs[0][0]) \
            and (kind != FieldKind.PLACE or pairs[0][1] >= SETTLED_PLACE_P)
        if weighed and not shortcut:
            return self._with_prior(logp, pairs, kind, whole)
        free = list(pairs)
        if kind in self.arpa:
            pairs = self._with_best_path(logp, pairs)
        texts = {t for t, _ in pairs}
        lex = self.lexicon(kind) if kind != FieldKind.TEXT else None  # priors off: as it was
        if lex is not None and not (pairs and lex.spells(pairs[0][0])):
            # the best open reading is already in the vocabulary: the constrained beam would
            # find it again (measured: same choices, a third of the time)
            pairs += [(t, p) for t, p in lex.nbest(logp, LEXICON_NBEST)
                      if t not in texts and p >= MIN_P and lex.spells(t)]
        elif kind == FieldKind.PLACE and self.lexicons:
            pairs += self._respelt(logp, [t for t, _ in pairs[:RESPELL_TOP]], texts)
        hook = self.hooks.get(kind)
        if hook is not None and kind in FUSED_KINDS and len(pairs) > 1:
            fused = fuse(pairs, hook, self.lm_weight)
            top = max(fused, key=lambda tp: tp[1])[0]
            if SETTLED_STAYS and shortcut and top != free[0][0] and not settled(kind, top):
                # the LM put first a reading no prior has weighed: weigh them all
                return self._with_prior(logp, free, kind, whole)
            pairs = fused
        return sorted(pairs, key=lambda tp: -tp[1])[: self.nbest + LEXICON_NBEST]

    def _with_best_path(self, logp: np.ndarray, pairs: list[tuple[str, float]]
                        ) -> list[tuple[str, float]]:
        """The LM-steered beam's readings plus the plain best path (greedy decoding) with
        its exact P(text | image): the LM chooses which prefixes stay in the beam, and on
        writing unlike what it learnt (house numbers, streets, words of no register) it can
        prune the image's own reading, leaving only readings the image supports far less.
        With the best path among the candidates the read path is never forced below it."""
        from models.ctc_decode import best_path_text

        text = best_path_text(logp, self.charset)
        if not text.strip() or any(t == text for t, _ in pairs):
            return pairs
        s = float(ctc_log_probs(logp, [text], self.charset)[0])
        top = math.log(max(pairs[0][1], 1e-300)) if pairs else -math.inf
        if s == -math.inf or s < top + BEST_PATH_MARGIN:
            return pairs
        return sorted([*pairs, (text, min(1.0, math.exp(s)))], key=lambda tp: -tp[1])

    def _with_prior(self, logp: np.ndarray, pairs: list[tuple[str, float]],
                    kind: FieldKind, whole: bool = True) -> list[tuple[str, float]]:
        """Names and places: the candidates rescored by exact CTC and ranked with the prior."""
        from models.ctc_decode import best_path_text
        from sohoa.fields.names import name_case, name_prior
        from sohoa.fields.place_match import place_prior, place_variants

        # log P(text | image): the beams' own sums over the alignments they kept, exact CTC
        # (every alignment) for texts no beam reported
        opened = pairs[:PLACE_OPEN] if kind == FieldKind.PLACE else pairs
        known = {t: math.log(max(p, 1e-300)) for t, p in opened}
        best_path = best_path_text(logp, self.charset)  # the image's own reading stays one
        extra = [best_path] if best_path.strip() else []
        if kind == FieldKind.NAME:
            for t, s in lexicon_readings(self.lexicon(kind), logp, NAME_LEXICON_NBEST):
                known.setdefault(t, s)
            prior, weight = name_prior, self.weights.name
        elif kind == FieldKind.PLACE:
            for t in [t for t, _ in pairs[:PLACE_RESPELL_TOP]]:
                base = place_prior(t)  # a variant is weighed only if it agrees better
                extra += [v for v in place_variants(t) if place_prior(v) > base]
            tops = dict.fromkeys([best_path, *(t for t, _ in pairs[:PLACE_RESPELL_TOP])])
            if self.facilities:  # "Trạm y tế xã ...": the facility kind and its seat
                from sohoa.fields.facilities import facility_variants

                extra += [v for t in tops for v in facility_variants(t)]
            if self.villages:  # "Thần Bá Lạn, xã ...": the village word before the name
                from sohoa.fields.villages import village_variants

                extra += [v for t in tops for v in village_variants(t)]
            if PLACE_UNITS:  # the units the image supports best, part by part
                from models.place_decode import unit_readings

                extra += unit_readings(logp, self.charset, pairs[0][0])
            prior, weight = place_prior, self.weights.place
        elif kind == FieldKind.TEXT:  # free text: every word a Vietnamese syllable
            from sohoa.fields.syllables import text_prior

            for t, s in lexicon_readings(self.lexicon(kind), logp, TEXT_LEXICON_NBEST,
                                         squeeze=True):
                known.setdefault(t, s)
            prior, weight = text_prior, self.weights.text
        else:
            from sohoa.fields.vocab import field_prior

            # every listed form (of ethnic groups, their own names) scored exactly; the
            # lexicon beam offers the rest, and a whole closed list needs it not at all
            in_full = CLOSED_IN_FULL and whole and kind in (*CLOSED_KINDS, *OWN_NAME_KINDS)
            if in_full:
                trie = self.listed(kind)
                for t, lp_t in zip(trie.texts, trie.log_probs(logp), strict=True):
                    if lp_t > -math.inf and t not in known:
                        known[t] = float(lp_t)
            if not (in_full and kind in CLOSED_KINDS):  # the listed readings the beam finds
                for t, s in lexicon_readings(self.lexicon(kind), logp, CLOSED_LEXICON_NBEST):
                    known.setdefault(t, s)

            if DIGIT_SLOTS and kind in (FieldKind.DATE, FieldKind.YEAR):
                from models.date_decode import digit_readings

                extra += digit_readings(logp, self.charset, kind == FieldKind.YEAR)
            if LONG_DATES and kind == FieldKind.DATE:
                from models.date_decode import long_date_readings

                extra += long_date_readings(logp, self.charset)
            if kind == FieldKind.NUMBER:
                from models.date_decode import number_readings

                extra += number_readings(logp, self.charset)

            def prior(t: str) -> float:
                return field_prior(kind, t)

            weight = self.weights.closed
        if EXACT_ALL:
            extra, known = [*known, *extra], {}
        extra = [t for t in dict.fromkeys(extra) if t not in known]
        texts = [*known, *extra]
        scores = [*known.values(), *ctc_log_probs(logp, extra, self.charset)]
        merged: dict[str, float] = {}  # a name in any case is the same name: log-add
        for t, s in zip(texts, scores, strict=True):
            if s == -math.inf:
                continue
            t = name_case(t) if kind == FieldKind.NAME else t
            merged[t] = float(np.logaddexp(merged[t], s)) if t in merged else float(s)
        if not merged:
            return pairs
        best = max(merged.values())  # readings the image gives no chance are not weighed
        merged = {t: s for t, s in merged.items() if s >= best - PRIOR_SPAN}
        priors = {t: prior(t) for t in merged}
        hook = self.hooks.get(kind)
        fused = PRIOR_FUSE and hook is not None and kind in FUSED_KINDS
        lm = lm_scores(list(merged), hook) if fused else dict.fromkeys(merged, 0.0)

        def rank() -> list[str]:
            return sorted(merged, key=lambda t: -(merged[t] + weight * priors[t]
                                                  + self.lm_weight * lm[t]))

        ranked = rank()
        if kind == FieldKind.PLACE and PLACE_SPOT and whole \
                and (PLACE_SPOT_ALL or not settled(kind, ranked[0])):
            # a second look: the units spotted on the frames, right to left
            from models.place_spot import spotted_readings

            new = [t for t in spotted_readings(logp, self.charset) if t not in merged]
            kept = [(t, float(s)) for t, s in zip(new, ctc_log_probs(logp, new, self.charset),
                                                  strict=True) if s >= best - PRIOR_SPAN]
            lm.update(lm_scores([t for t, _ in kept], hook) if fused
                      else dict.fromkeys((t for t, _ in kept), 0.0))
            for t, s in kept:
                merged[t], priors[t] = s, prior(t)
            ranked = rank()
        keep = self.nbest
        image_best = max(merged, key=lambda t: merged[t])
        if image_best not in ranked[:keep]:  # what the image preferred stays an alternative
            ranked = [*ranked[: keep - 1], image_best]
        return honest(ranked[:keep], merged)

    def _respelt(self, logp: np.ndarray, tops: list[str], seen: set[str]
                 ) -> list[tuple[str, float]]:
        from sohoa.fields.places import respell

        new = []
        for t in tops:
            r = respell(t)
            if r and r not in seen and r not in new:
                new.append(r)
        if not new:
            return []
        scores = ctc_log_probs(logp, new, self.charset)
        return [(t, min(1.0, math.exp(s))) for t, s in zip(new, scores, strict=True)
                if s > -math.inf]


def settled(kind: FieldKind, text: str) -> bool:
    """Whether ``text`` already has the best prior its kind gives (``PRIOR_SHORTCUT``)."""
    if kind == FieldKind.NAME:
        from sohoa.fields.names import name_known

        return name_known(text)
    if kind == FieldKind.PLACE:
        from sohoa.fields.place_match import place_settled

        return place_settled(text)
    if kind == FieldKind.TEXT:  # a frequency prior has no best: free text is always weighed
        return False
    from sohoa.fields.vocab import field_prior

    return field_prior(kind, text) == 0.0


def lexicon_readings(lex: LexiconBeam | None, logp: np.ndarray, n: int,
                     squeeze: bool = False) -> list[tuple[str, float]]:
    """The lexicon beam's ``n`` best in-vocabulary readings with log P(text | image) (none
    without a beam; ``squeeze``: spaces collapsed, as free text's are)."""
    if lex is None:
        return []
    out = []
    for t, p in lex.nbest(logp, n):
        t = " ".join(t.split()) if squeeze else t
        if p > 0.0 and lex.spells(t):
            out.append((t, math.log(p)))
    return out


def honest(ranked: list[str], logp: Mapping[str, float]) -> list[tuple[str, float]]:
    """Texts in the order the priors chose, each with the image's own probability capped so
    that none reads as likelier than one ranked above it: a reading the image preferred but
    the lexicon or gazetteer put second keeps as much mass as the first (the choice's rival
    feature then lowers the confidence), and no probability is ever raised."""
    out: list[tuple[str, float]] = []
    cap = 1.0
    for t in ranked:
        p = min(cap, math.exp(logp[t]))
        out.append((t, p))
        cap = p * (1.0 - 1e-6)
    return out


def lm_scores(texts: list[str], hook: CharLM) -> dict[str, float]:
    """The character LM's score of each text (sum of log-ratios), prefixes shared."""
    scores: dict[str, float] = {}
    prev, cum = "", [0.0]  # running scores of the previous text, shared with the next
    for text in sorted(set(texts)):
        same = len(os.path.commonprefix([prev, text]))
        cum = cum[: same + 1]
        for i in range(same, len(text)):
            cum.append(cum[-1] + hook(text[:i], text[i]))
        scores[text], prev = cum[-1], text
    return scores


def fuse(pairs: list[tuple[str, float]], hook: CharLM, weight: float
         ) -> list[tuple[str, float]]:
    """Each probability times exp(weight x (LM score - the best LM score among them))."""
    scores = lm_scores([t for t, _ in pairs], hook)
    top = max(scores.values())
    return [(t, p * math.exp(weight * (scores[t] - top))) for t, p in pairs]


def lexicon_beam(charset: Charset, kind: FieldKind, beam: int,
                 token_beam: int = 6) -> LexiconBeam | None:
    """The lexicon-constrained beam of ``kind``, or None for kinds without a vocabulary."""
    from models.arpa import cached, write_word_arpa
    from sohoa.fields.vocab import LEXICON_KINDS, phrases, words

    if kind == FieldKind.TEXT:  # every well-formed syllable (sohoa.fields.syllables)
        from sohoa.fields.syllables import syllables

        vocab = syllables()  # counted by how common each is: the beam spells those first
        table = tuple(sorted(vocab.items()))
    elif kind in LEXICON_KINDS:
        vocab, table = words(kind), phrases(kind)
    else:
        return None
    path = cached(f"words-{kind.value}", repr(table).encode("utf-8"),
                  lambda p: write_word_arpa(table, p))
    try:
        return LexiconBeam(charset, vocab, path, beam=beam, token_beam=token_beam)
    except ValueError as exc:
        log.warning("no lexicon decoding of %s: %s", kind.value, exc)
        return None


def char_arpa(model_dir: Path, lm_file: str) -> Path | None:
    """The KenLM file of a model folder's character LM (built and cached on first use)."""
    from models.arpa import cached, write_char_arpa
    from models.charlm import NGramCharLM

    src = model_dir / lm_file
    if not src.exists():
        return None
    data = src.read_bytes()
    stem = lm_file.rsplit(".", 1)[0]
    return cached(f"chars-{stem}", data, lambda p: write_char_arpa(NGramCharLM.load(src), p))
