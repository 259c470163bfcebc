"""The submission package: one zip a person uploads to a customer portal, and its check.

Inside: the forms (xlsx and pdf), the evidence index (every record linked to the FAI with its
URI and SHA-256), the evidence files firstarticle holds, and ``manifest.json`` with the
SHA-256 and size of every other file and the FAI content hash its signatures were bound to.
The zip is deterministic: the same files and time give the same bytes, hence the same hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MANIFEST = "manifest.json"
EVIDENCE_INDEX = "evidence-index.json"
PACKAGE_FORMAT = "firstarticle.submission-package/1"
#: Largest package ``verify_package`` reads, and largest member it inflates (zip bombs).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class PackageFile:
    """A file to put in the zip, under ``path``."""

    path: str
    content: bytes


@dataclass(frozen=True)
class EvidenceEntry:
    """One line of the evidence index; ``held`` is the path of the copy inside the zip."""

    kind: str
    title: str
    uri: str
    sha256: str
    added_by: str
    added_at: str
    held: str | None = None


@dataclass(frozen=True)
class PackageHeader:
    """What the manifest says about the package besides its files."""

    fair_identifier: str
    part_number: str
    form_revision: str
    content_sha256: str
    built_at: datetime
    built_by: str
    draft: bool
    attempt: int | None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _member(path: str, at: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def build_package(
    header: PackageHeader,
    files: Sequence[PackageFile],
    evidence: Sequence[EvidenceEntry],
) -> bytes:
    """The zip's bytes: ``files``, the evidence index and the manifest over all of them."""
    index = json.dumps(
        {"fair_identifier": header.fair_identifier, "evidence": [e.__dict__ for e in evidence]},
        indent=2,
        ensure_ascii=False,
    ).encode("utf-8")
    members = [*files, PackageFile(EVIDENCE_INDEX, index)]
    paths = [m.path for m in members]
    if len(set(paths)) != len(paths) or MANIFEST in paths:
        raise ValueError("package paths must be unique and must not name the manifest")
    manifest = {
        "format": PACKAGE_FORMAT,
        "fair_identifier": header.fair_identifier,
        "part_number": header.part_number,
        "form_revision": header.form_revision,
        "attempt": header.attempt,
        "draft": header.draft,
        "content_sha256": header.content_sha256,
        "built_at": header.built_at.isoformat(),
        "built_by": header.built_by,
        "files": [
            {"path": m.path, "sha256": sha256(m.content), "size": len(m.content)} for m in members
        ],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for m in members:
            zf.writestr(_member(m.path, header.built_at), m.content)
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
        zf.writestr(_member(MANIFEST, header.built_at), body)
    return out.getvalue()


@dataclass(frozen=True)
class Problem:
    """One way a package differs from its manifest; ``code`` is stable."""

    code: str
    path: str
    message: str


@dataclass(frozen=True)
class Verification:
    """The result of checking a package: what the manifest says, and every problem found."""

    sha256: str
    manifest: dict[str, Any]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(data: bytes) -> Verification:
    """Check every file of the zip against the manifest's SHA-256 and size, and that no file
    is missing or added. Never raises for a bad package: a problem says what is wrong."""
    digest = sha256(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return Verification(digest, {}, (Problem("not_a_zip", "", "The file is not a zip."),))
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            return Verification(
                digest, {}, (Problem("too_many_files", "", "The zip holds too many files."),)
            )
        names = {i.filename: i for i in infos}
        if MANIFEST not in names:
            return Verification(
                digest, {}, (Problem("manifest_missing", MANIFEST, "No manifest.json."),)
            )
        try:
            manifest = json.loads(_read(zf, names[MANIFEST]))
            listed = {f["path"]: f for f in manifest["files"]}
        except (ValueError, KeyError, TypeError):
            return Verification(
                digest, {}, (Problem("manifest_invalid", MANIFEST, "manifest.json is invalid."),)
            )
        problems = []
        for path, entry in listed.items():
            info = names.get(path)
            if info is None:
                problems.append(Problem("file_missing", path, "Listed but not in the zip."))
                continue
            try:
                content = _read(zf, info)
            except (ValueError, zipfile.BadZipFile, OSError):
                problems.append(Problem("file_unreadable", path, "Cannot be read."))
                continue
            if sha256(content) != entry.get("sha256") or len(content) != entry.get("size"):
                problems.append(
                    Problem("hash_mismatch", path, "Its SHA-256 is not the manifest's.")
                )
        for path in sorted(set(names) - set(listed) - {MANIFEST}):
            problems.append(Problem("file_unlisted", path, "In the zip but not in the manifest."))
    return Verification(digest, manifest, tuple(problems))


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValueError("member too large")
    with zf.open(info) as handle:
        content = handle.read(MAX_MEMBER_BYTES + 1)
    if len(content) > MAX_MEMBER_BYTES:
        raise ValueError("member too large")
    return content
