"""The per-book ZIP of entry PDFs and the manifest beside it, both reproducible.

ZIP members are sorted, dated 2000-01-01 and stored (the PDFs hold JPEG already, deflating
them again saves nothing). The manifest lists every exported file with its sha256 so a
province can check what arrived.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ManifestEntry:
    entry_id: int | None
    so: str
    file: str  # member name inside the ZIP
    sha256: str
    bytes: int
    jpeg_quality: int
    scale: float


@dataclass(frozen=True)
class Manifest:
    book_id: int | None
    register_type: str
    volume: str
    noi_dang_ky: str
    draft: bool
    min_status: str
    excel: str
    excel_sha256: str
    zip: str
    zip_sha256: str
    entries: tuple[ManifestEntry, ...]

    def to_json(self) -> str:
        data = asdict(self)
        data["entries"] = [asdict(e) for e in self.entries]
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_zip(path: Path, members: Sequence[tuple[str, Path]]) -> Path:
    """ZIP ``members`` (name inside, file on disk) in name order with fixed dates, atomically."""
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for name, src in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the exporting OS
            zf.writestr(info, Path(src).read_bytes())
    tmp.replace(path)
    return path


def write_manifest(path: Path, manifest: Manifest) -> Path:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path
