"""Closed lists: sex codes, the 54 ethnic groups and their variants, nationality, relation."""

import pytest

from sohoa.fields import choices, parse_field, suggestions
from sohoa.fields.closed import ethnic_groups
from sohoa.records import FieldKind

SEX = FieldKind.SEX
ETH = FieldKind.ETHNICITY


@pytest.mark.parametrize(("text", "code", "label"), [
    ("Nam", "1", "Nam"), ("nam", "1", "Nam"), ("trai", "1", "Nam"), ("Con trai", "1", "Nam"),
    ("male", "1", "Nam"), ("Năm", "1", "Nam"), ("NAM", "1", "Nam"),
    ("Nữ", "2", "Nữ"), ("nu", "2", "Nữ"), ("gái", "2", "Nữ"), ("Nứ", "2", "Nữ"),
    ("Nử", "2", "Nữ"), ("female", "2", "Nữ"),
    ("Không xác định", "3", "Không xác định"), ("chưa xác định", "3", "Không xác định"),
])
def test_sex_codes(text, code, label):
    pv = parse_field(SEX, text)
    assert (pv.ok, pv.value, pv.text) == (True, code, label)


@pytest.mark.parametrize("text", ["x", "Lò Văn Hùng", "12/3/2008", "???"])
def test_sex_rejects_other_text(text):
    pv = parse_field(SEX, text)
    assert not pv.ok and pv.value == "" and pv.message


def test_fifty_four_groups_with_codes_in_order():
    groups = ethnic_groups()
    assert [g.code for g in groups] == [f"{i:02d}" for i in range(1, 55)]
    assert groups[0].name == "Kinh" and groups[7].name == "Mông" and groups[2].name == "Thái"
    assert choices(ETH) == [g.name for g in groups]
    for g in groups:  # every official name maps to itself
        pv = parse_field(ETH, g.name)
        assert pv.ok and pv.value == g.name and pv.evidence == 1.0


@pytest.mark.parametrize(("text", "name"), [
    ("Mông", "Mông"), ("H'Mông", "Mông"), ("Hmông", "Mông"), ("HMông", "Mông"), ("Mèo", "Mông"),
    ("H’Mông", "Mông"), ("Khơ Mú", "Khơ-mú"), ("Khơ-mú", "Khơ-mú"), ("Xá Cẩu", "Khơ-mú"),
    ("Thái", "Thái"), ("Thai", "Thái"), ("Mường", "Mường"), ("Dao", "Dao"), ("Mán", "Dao"),
    ("Kinh", "Kinh"), ("Việt", "Kinh"), ("Hoa", "Hoa"), ("Hán", "Hoa"), ("Xinh Mun", "Xinh-mun"),
    ("Lào", "Lào"), ("Kháng", "Kháng"), ("La Ha", "La Ha"), ("Lự", "Lự"), ("Hà Nhì", "Hà Nhì"),
    ("Si La", "Si La"), ("Cống", "Cống"), ("Mảng", "Mảng"), ("Phù Lá", "Phù Lá"),
    ("dân tộc Thái", "Thái"), ("Dân tộc: Mông", "Mông"), ("Tháy", "Thái"), ("Mương", "Mường"), ("Ðao", "Dao"),
])
def test_ethnicity_variants(text, name):
    pv = parse_field(ETH, text)
    assert pv.ok and pv.value == name, pv


def test_ethnicity_unknown_is_not_ok():
    pv = parse_field(ETH, "Xyzabc")
    assert not pv.ok and pv.value == "" and "dân tộc" in pv.message


@pytest.mark.parametrize(("text", "name"), [
    ("Việt Nam", "Việt Nam"), ("VN", "Việt Nam"), ("Việt nam", "Việt Nam"),
    ("viet nam", "Việt Nam"), ("Lào", "Lào"), ("Trung Quốc", "Trung Quốc"), ("TQ", "Trung Quốc"),
    ("Cam-pu-chia", "Campuchia"), ("Mỹ", "Hoa Kỳ"),
])
def test_nationality(text, name):
    pv = parse_field(FieldKind.NATIONALITY, text)
    assert pv.ok and pv.value == name


@pytest.mark.parametrize(("text", "name"), [
    ("cha", "Cha"), ("Bố", "Cha"), ("mẹ", "Mẹ"), ("ông nội", "Ông nội"), ("Bà nội", "Bà nội"),
    ("ông ngoại", "Ông ngoại"), ("bà ngoại", "Bà ngoại"), ("anh", "Anh"), ("chị", "Chị"),
    ("cô", "Cô"), ("dì", "Dì"), ("chú", "Chú"), ("bác", "Bác"), ("cậu", "Cậu"),
    ("người nuôi dưỡng", "Người nuôi dưỡng"), ("bản thân", "Bản thân"), ("Ong noi", "Ông nội"),
    ("Bác ruột", "Bác ruột"), ("bố đẻ", "Cha đẻ"), ("Con đẻ", "Con đẻ"), ("Cán bộ y tế", "Cán bộ y tế"),
])
def test_relations(text, name):
    pv = parse_field(FieldKind.RELATION, text)
    assert pv.ok and pv.value == name


def test_unknown_relation_kept_but_flagged():
    pv = parse_field(FieldKind.RELATION, "hàng xóm")
    assert pv.value == "Hàng xóm" and not pv.ok


def test_choices_and_suggestions():
    assert choices(SEX) == ["Nam", "Nữ", "Không xác định"]
    assert "Việt Nam" in choices(FieldKind.NATIONALITY)
    assert "Người nuôi dưỡng" in choices(FieldKind.RELATION)
    assert choices(FieldKind.DATE) == []
    assert suggestions(ETH, "mu")[0] == "Mường"
    assert suggestions(ETH, "kho", limit=3) == ["Khơ-me", "Khơ-mú"]
    assert suggestions(SEX, "n")[:2] == ["Nam", "Nữ"]
    assert suggestions(FieldKind.DATE, "12") == []


def test_closed_set_never_guesses_between_two_equally_close_names():
    from sohoa.fields.closed import ClosedSet

    cs = ClosedSet.build([("Alpha", []), ("Alpho", [])])
    assert cs.match("alpha").name == "Alpha"
    assert cs.match("Alphu") is None  # as close to both: no guess
    assert cs.match("") is None and cs.match("x" * 500) is None


def test_lexicon_files_are_well_formed():
    import tomllib
    from importlib import resources

    from sohoa.fields.text import lower_key

    for name, table in (("ethnicities.toml", "groups"), ("nationalities.toml", "countries"),
                        ("relations.toml", "relations")):
        text = resources.files("sohoa").joinpath(f"data/lexicons/{name}").read_text("utf-8")
        rows = tomllib.loads(text)[table]
        names = [r["name"] for r in rows]
        assert len(names) == len(set(names)), name
        owner: dict[str, str] = {}
        for r in rows:
            assert set(r) <= {"code", "name", "aliases"}, (name, r)
            for form in (r["name"], *r.get("aliases", [])):  # one spelling, one meaning
                k = lower_key(form)
                assert owner.setdefault(k, r["name"]) == r["name"], (name, form)


def test_a_slip_in_a_short_alias_does_not_make_another_ethnic_group():
    # "Trái" (Thái with h misread) is one letter from Bru-Vân Kiều's alias "Tri"
    assert parse_field(FieldKind.ETHNICITY, "Trái").value == "Thái"
    assert parse_field(FieldKind.ETHNICITY, "Tri").value == "Bru-Vân Kiều"  # exact still works
    assert parse_field(FieldKind.SEX, "Nan").value == "1"  # short sex forms stay fuzzy
