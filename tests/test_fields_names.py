"""Person names: capitalisation, cautious repair, lexicon evidence, completions."""

import pytest

from sohoa.fields import parse_field, suggestions
from sohoa.fields.names import lexicon, name_evidence
from sohoa.fields.text import fix_word_case, is_syllable
from sohoa.records import FieldKind, nfc

NAME = FieldKind.NAME


@pytest.mark.parametrize(("text", "name"), [
    ("lò văn hùng", "Lò Văn Hùng"),
    ("LÒ THỊ ÚN", "Lò Thị Ún"),
    ("  Giàng  A   Páo ", "Giàng A Páo"),
    ("Ðinh Văn Ðức", "Đinh Văn Đức"),  # Icelandic eth read for Đ
    ("Nguyen Thi Thu Huong", "Nguyễn Thị Thu Hương"),  # no diacritics at all: restore dominant
    ("Lò Thj Ún", "Lò Thị Ún"),  # 'j' cannot be in a Vietnamese syllable
    ("Trần Thị Bich", "Trần Thị Bích"),  # -ch needs sắc or nặng
    ("Lò Văn 1985 Hùng", "Lò Văn Hùng"),  # digits are not part of a name
    ("H'Hen Niê", "H'Hen Niê"),  # Ê-đê names are kept as written
    ("Y Moan Ênuôl", "Y Moan Ênuôl"),
])
def test_names_cleaned_and_repaired(text, name):
    pv = parse_field(NAME, text)
    assert pv.ok and pv.value == name and pv.text == name


def test_valid_but_unknown_syllables_are_not_snapped():
    # "Hũng" is a well-formed syllable: the parser must not replace it by a listed name
    assert parse_field(NAME, "Lò Văn Hũng").value == "Lò Văn Hũng"
    assert parse_field(NAME, "Quàng Thị Pặng").value == "Quàng Thị Pặng"
    # accentless but ambiguous given name (Hùng / Hưng / Hồng ...) stays as written
    assert parse_field(NAME, "Nguyen Van Hung").value.endswith("Hung")


def test_punctuation_around_a_name_costs_nothing_but_digits_do():
    assert parse_field(NAME, "Lò văn Hùng.").evidence == parse_field(NAME, "Lò Văn Hùng").evidence
    assert parse_field(NAME, "Lò Văn Hùng 1985").evidence < parse_field(NAME, "Lò Văn Hùng").evidence


def test_evidence_prefers_familiar_names():
    assert name_evidence("Lò Văn Hùng".split()) > name_evidence("Lò Văn Hũng".split())
    assert name_evidence("Nguyễn Thị Lan".split()) > name_evidence("Xqz Thị Lan".split())
    assert parse_field(NAME, "Hùng").ok is False  # one syllable is not a full name


def test_syllable_checker():
    for w in ("Nguyễn", "Quỳnh", "gì", "Thị", "Khuyến", "Bích", "oanh", "Xoong", "Ngoãn"):
        assert is_syllable(w), w
    for w in ("Nguyen", "Thj", "Bich", "Student", "Buøi", "Ksor", "ab1"):
        assert not is_syllable(w), w


def test_lexicon_drops_mis_encoded_entries():
    lex = lexicon()
    assert "Nguyễn" in lex.family and "Lò" in lex.family and "Sùng" in lex.family
    assert "Buøi" not in lex.family and "Student" not in lex.family
    assert lex.family["Nguyễn"] > lex.family["Lò"] > 0


def test_name_suggestions():
    assert suggestions(NAME, "Ng")[0] == "Nguyễn"
    got = suggestions(NAME, "Lò Văn H", limit=5)
    assert len(got) == 5 and all(s.startswith("Lò Văn H") for s in got)
    assert suggestions(NAME, "lo ", limit=3)[0].startswith("Lò ") or suggestions(
        NAME, "lo ", limit=3)[0].startswith("Lo ")


@pytest.mark.parametrize("text, fixed", [
    ("THị", "Thị"), ("tHáng 3", "tháng 3"), ("Lầu Văn PHềnh", "Lầu Văn Phềnh"),
    ("ĐIệN", "Điện"), ("LÒ VĂN AN", "LÒ VĂN AN"), ("H'Mông", "H'Mông"), ("Ea H'leo", "Ea H'leo"),
    ("27/01/1944", "27/01/1944"), ("UBND xã", "UBND xã"), ("", ""), ("a\u0300B", "àb"),
])
def test_mixed_case_words_are_made_regular(text, fixed):
    assert fix_word_case(nfc(text)) == fixed
