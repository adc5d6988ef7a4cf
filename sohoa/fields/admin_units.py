"""Administrative units from the ``vietnamadminunits`` package's shipped SQLite file, indexed
for fast forgiving look-ups: the pre-2025 units (63 provinces, ~700 districts, ~10,000
communes) and the units in force from 1 July 2025 (34 provinces, 3,321 communes, wards and
special zones, no districts).

Old registers name the old units (``admin_units_legacy``; its alias columns also carry the
names of communes merged away in 2019-2020); registers written after mid-2025 name the new
ones (``admin_units``): "xã X, tỉnh Y" with no district, merged communes under new names,
merged provinces under the name of one of them. Every new province bears the name of an old
one, so it is that province's unit; the new communes are added as its direct children (a
commune whose code and name did not change is the old unit already).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import marshal
import os
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from sohoa.errors import InternalError
from sohoa.fields.text import capitalise, key

log = logging.getLogger(__name__)


class AdminUnitsError(InternalError, RuntimeError):
    """The administrative-unit data of ``vietnamadminunits`` could not be read."""


@dataclass(frozen=True)
class Unit:
    level: int  # 1 province, 2 district, 3 commune (ward)
    type: str  # "Tỉnh", "Thành phố", "Huyện", "Quận", "Thị xã", "Xã", "Phường", "Thị trấn",
    # "Đặc khu" (from 2025)
    name: str  # short name with proper capitals ("Co Mạ")
    code: str
    parent: str = ""  # parent unit code
    keys: frozenset[str] = field(default=frozenset())  # folded keys incl. old names
    since_2025: bool = False  # a commune of the 2025 reform (its parent is a province)

    @property
    def full(self) -> str:
        return f"{self.type.lower()} {self.name}"


@dataclass(frozen=True)
class AdminIndex:
    units: dict[str, Unit]  # code -> unit (codes are unique within a level, prefixed by level)
    children: dict[str, tuple[Unit, ...]]  # parent code ("" for provinces) -> units
    by_key: dict[tuple[int, str], tuple[Unit, ...]]  # (level, key) -> units


def _db_path() -> str:
    # find the package without importing it: its __init__ pulls pandas (about 2 s)
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise AdminUnitsError("package vietnamadminunits is not installed")
    return str(Path(list(spec.submodule_search_locations)[0]) / "data" / "dataset.db")


def _aliases(raw: str | None) -> set[str]:
    if not raw:
        return set()
    try:
        return {str(a) for a in json.loads(raw)}
    except json.JSONDecodeError:
        return set()


def _name(short: str, unit_type: str = "") -> str:
    if unit_type and short.lower().startswith(unit_type.lower() + " "):  # "Phường 1", "Quận 3"
        short = short[len(unit_type) + 1:]
    if not any(w[:1].islower() for w in short.split()):
        return short
    return " ".join(capitalise(w) if not w[:1].isdigit() else w for w in short.split())


CACHE_ENV = "SOHOA_CACHE_DIR"  # where the compact index is kept (default ~/.cache/sohoa)


@cache
def admin_index() -> AdminIndex:
    """The legacy and the 2025 units, indexed once per process: from the compact copy in the
    user's cache (~0.15 CPU s) when it matches the data file and this module, else built from
    the package's SQLite file (~0.6 CPU s; read-only, nothing is written there) and the
    compact copy written for the next process (atomically; skipped where the cache folder
    cannot be written)."""
    path = _db_path()
    cached = _cache_path(path)
    if cached is not None:
        index = _load_cached(cached)
        if index is not None:
            return index
    index = _build(path)
    if cached is not None:
        _save_cached(cached, index)
    return index


def _cache_path(db: str) -> Path | None:
    """The compact index's file for this data file (path, size, mtime) and this module's code."""
    try:
        st = os.stat(db)
        code = Path(__file__).read_bytes()
    except OSError:
        return None
    root = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sohoa")
    tag = hashlib.sha256(f"{db}|{st.st_size}|{st.st_mtime_ns}|{sys.version_info[:2]}|"
                         f"{marshal.version}".encode() + code).hexdigest()[:20]
    return Path(root) / f"admin-units-{tag}.marshal"


def _load_cached(file: Path) -> AdminIndex | None:
    try:
        blob = file.read_bytes()
    except OSError:
        return None
    digest, payload = blob[:32], blob[32:]
    if hashlib.sha256(payload).digest() != digest:  # torn or altered: build it again
        log.warning("admin-unit cache %s is damaged; rebuilding it", file)
        return None
    try:
        rows = marshal.loads(payload)
        return _index([Unit(r[0], r[1], r[2], r[3], r[4], frozenset(r[5]), r[6])
                       for r in rows])
    except (ValueError, EOFError, TypeError, IndexError) as exc:
        log.warning("admin-unit cache %s unreadable (%s); rebuilding it", file, exc)
        return None


def _save_cached(file: Path, index: AdminIndex) -> None:
    rows = tuple((u.level, u.type, u.name, u.code, u.parent, tuple(sorted(u.keys)),
                  u.since_2025) for u in index.units.values())
    payload = marshal.dumps(rows)
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, file)
    except OSError as exc:
        log.debug("admin-unit cache not written (%s)", exc)
        tmp.unlink(missing_ok=True)


def _index(units: list[Unit]) -> AdminIndex:
    """The index of ``units`` (in their order: children and look-ups keep it)."""
    children: dict[str, list[Unit]] = {}
    by_key: dict[tuple[int, str], list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent, []).append(u)
        for k in u.keys:
            by_key.setdefault((u.level, k), []).append(u)
    return AdminIndex({u.code: u for u in units}, {k: tuple(v) for k, v in children.items()},
                      {k: tuple(v) for k, v in by_key.items()})


def _build(path: str) -> AdminIndex:
    """The index built from the package's SQLite file."""
    sql = ("SELECT province, provinceShort, provinceCode, provinceAlias, provinceKeywords, "
           "districtType, districtShort, districtCode, districtAlias, districtKeywords, "
           "wardType, wardShort, wardCode, wardAlias, wardKeywords FROM admin_units_legacy")
    try:
        # read-only and immutable: no lock or journal file is ever created next to the data
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = conn.execute(sql).fetchall()
    except sqlite3.Error as exc:
        raise AdminUnitsError(f"{path}: cannot read admin_units_legacy: {exc}") from exc
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows_2025 = conn.execute(SQL_2025).fetchall()
    except sqlite3.Error as exc:
        raise AdminUnitsError(f"{path}: cannot read admin_units: {exc}") from exc
    units: dict[str, Unit] = {}
    for (prov, pshort, pcode, palias, pkw, dtype, dshort, dcode, dalias, dkw,
         wtype, wshort, wcode, walias, wkw) in rows:
        pid = f"1:{pcode}"
        if pid not in units:
            ptype = "Thành phố" if prov.startswith("Thành phố") else "Tỉnh"
            keys = {key(k) for k in {pshort} | _aliases(palias) | _aliases(pkw)}
            units[pid] = Unit(1, ptype, _name(pshort), pid, "", frozenset(keys))
        did = f"2:{dcode}"
        if dshort and did not in units:
            keys = {key(k) for k in {dshort} | _aliases(dalias) | _aliases(dkw)}
            keys.add(key(_name(dshort, dtype)))
            units[did] = Unit(2, dtype, _name(dshort, dtype), did, pid, frozenset(keys))
        if wshort and wcode:
            wid = f"3:{wcode}"
            keys = {key(k) for k in {wshort} | _aliases(walias) | _aliases(wkw)}
            keys.add(key(_name(wshort, wtype)))
            units[wid] = Unit(3, wtype, _name(wshort, wtype), wid, did, frozenset(keys))
    _add_2025(units, rows_2025)
    log.debug("loaded %d administrative units from %s", len(units), path)
    return _index(list(units.values()))


SQL_2025 = ("SELECT province, provinceShort, provinceCode, provinceAlias, provinceKeywords, "
            "wardType, wardShort, wardCode, wardAlias, wardKeywords FROM admin_units")


def _add_2025(units: dict[str, Unit], rows: list[tuple]) -> None:
    """The units in force from 1 July 2025 laid into the legacy ones (in place): each new
    province is the old province of its name (its keys extended), or a new unit when no old
    one has it; each new commune not already there (same code, name and province) becomes a
    child of its province, coded ``3:n<code>``."""
    by_name = {key(u.name): u for u in units.values() if u.level == 1}
    legacy = {u.code: (u.keys, units[u.parent].parent if u.parent in units else "")
              for u in units.values() if u.level == 3}
    for (prov, pshort, pcode, palias, pkw, wtype, wshort, wcode, walias, wkw) in rows:
        pkeys = {key(k) for k in {pshort} | _aliases(palias) | _aliases(pkw)}
        old = by_name.get(key(_name(pshort)))
        if old is None:
            ptype = "Thành phố" if prov.startswith("Thành phố") else "Tỉnh"
            old = Unit(1, ptype, _name(pshort), f"1:n{pcode}", "", frozenset(pkeys))
        elif not pkeys <= old.keys:
            old = replace(old, keys=old.keys | pkeys)
        units[old.code] = by_name[key(old.name)] = old
        if not (wshort and wcode):
            continue
        keys = {key(k) for k in {wshort} | _aliases(walias) | _aliases(wkw)}
        keys.add(key(_name(wshort, wtype)))
        same = legacy.get(f"3:{wcode}")
        if same is not None and key(_name(wshort, wtype)) in same[0] and same[1] == old.code:
            continue  # the old commune kept its code, name and province
        wid = f"3:n{wcode}"
        units[wid] = Unit(3, wtype, _name(wshort, wtype), wid, old.code, frozenset(keys), True)
