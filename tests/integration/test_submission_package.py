"""The submission package: forms, evidence index, held evidence and a manifest that checks."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import plant
import pytest

from firstarticle.demo import loader
from firstarticle.domain import model
from firstarticle.domain.access import Principal
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import NotFoundError
from firstarticle.exports.package import MANIFEST, sha256, verify_package
from firstarticle.services import catalog, fai_export, first_articles, signatures

EVIDENCE_SHA = "ab" * 32


def _ready(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    first_articles.add_evidence(
        ctx,
        fai_id,
        kind=model.EvidenceKind.CERTIFICATE,
        uri="https://docs.example.com/certs/MTR-5521.pdf",
        sha256=EVIDENCE_SHA,
        title="Material test report MTR-5521",
    )
    plant.approve(ctx, fai_id)
    return p, fai_id


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_the_package_holds_forms_evidence_and_a_manifest_whose_hashes_match(ctx):
    _, fai_id = _ready(ctx)
    built = fai_export.export_forms(ctx, fai_id, "zip")
    assert (built.attempt, built.file_name) == (1, "FAIR-WCH-2026-0001-attempt-1.zip")
    assert built.media_type == "application/zip"
    files = members(built.content)
    manifest = json.loads(files[MANIFEST])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == set(files) - {MANIFEST}
    assert all(sha256(files[path]) == digest for path, digest in listed.items())
    assert {"FAIR-WCH-2026-0001-forms.xlsx", "FAIR-WCH-2026-0001-forms.pdf"} <= set(files)
    assert "evidence/signatures.json" in files
    assert (manifest["attempt"], manifest["draft"]) == (1, False)
    signed = signatures.signatures_of(ctx, fai_id)
    assert {s.content_sha256 for s in signed} == {manifest["content_sha256"]}
    index = json.loads(files["evidence-index.json"])["evidence"]
    cert = next(e for e in index if e["kind"] == "certificate")
    assert (cert["uri"], cert["sha256"]) == (
        "https://docs.example.com/certs/MTR-5521.pdf",
        EVIDENCE_SHA,
    )
    for held in (e for e in index if e["held"]):
        assert sha256(files[held["held"]]) == held["sha256"]
    assert verify_package(built.content).ok


def test_each_submission_attempt_is_kept_and_a_later_one_never_overwrites(ctx):
    _, fai_id = _ready(ctx)
    first = fai_export.export_forms(ctx, fai_id, "zip")
    ctx.clock.advance(hours=1)
    second = fai_export.export_forms(ctx, fai_id, "zip", revision="B")
    assert (first.attempt, second.attempt) == (1, 2)
    kept = fai_export.submission_packages(ctx, fai_id)
    assert [(k.attempt, k.sha256, k.form_revision) for k in kept] == [
        (1, sha256(first.content), model.FormRevision.C),
        (2, sha256(second.content), model.FormRevision.B),
    ]
    assert fai_export.submission_package(ctx, fai_id, 1).content == first.content
    trail = first_articles.audit_trail(ctx, fai_id)
    built = [e for e in trail if e["action"] == "fai.package_built"]
    assert len(built) == 2


def test_a_tampered_added_or_missing_file_is_detected(ctx):
    _, fai_id = _ready(ctx)
    files = members(fai_export.export_forms(ctx, fai_id, "zip").content)
    tampered = dict(files)
    tampered["evidence-index.json"] = files["evidence-index.json"].replace(b"MTR", b"XTR")
    assert [p.code for p in verify_package(rezip(tampered)).problems] == ["hash_mismatch"]
    added = {**files, "extra.txt": b"not listed"}
    assert [p.code for p in verify_package(rezip(added)).problems] == ["file_unlisted"]
    missing = {k: v for k, v in files.items() if not k.endswith(".pdf")}
    assert [p.code for p in verify_package(rezip(missing)).problems] == ["file_missing"]
    assert [p.code for p in verify_package(b"not a zip").problems] == ["not_a_zip"]


def test_no_submission_package_while_a_blocking_finding_remains_but_a_draft_is_built(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    with pytest.raises(fai_export.SubmissionBlockedError) as refused:
        fai_export.export_forms(ctx, fai_id, "zip")
    assert "RESULT_MISSING" in {f.rule for f in refused.value.details["findings"]}
    draft = fai_export.export_forms(ctx, fai_id, "zip", draft=True)
    assert draft.attempt is None
    assert draft.file_name == "FAIR-WCH-2026-0001-DRAFT-package.zip"
    manifest = json.loads(members(draft.content)[MANIFEST])
    assert (manifest["draft"], manifest["attempt"]) == (True, None)
    assert fai_export.submission_packages(ctx, fai_id) == []


def test_a_caller_who_may_not_receive_the_technical_data_gets_no_package(ctx):
    p, fai_id = _ready(ctx)
    catalog.classify(ctx, p.part.id, regime=ExportRegime.ITAR, category="XIX", reason="USML")
    foreign = ctx.as_principal(replace(Principal.trusted("f.national"), authorizations=()))
    with pytest.raises(NotFoundError):
        fai_export.export_forms(foreign, fai_id, "zip", draft=True)
    with pytest.raises(NotFoundError):
        fai_export.submission_packages(foreign, fai_id)


def test_the_demo_packages_index_names_the_qif_report_and_its_hash(ctx):
    qif = loader.read_packaged_qif("QIF_Results_Sample.QIF")
    site = catalog.create_site(ctx, code="TLS", name="Toulouse")
    customer = catalog.create_customer(ctx, code="HELIX", name="Helix")
    *_, fai_id = loader.qif_part(
        ctx, qif, site, customer, "X", "Housing", "WO-T1001", ctx.clock.now(), 1
    )
    files = members(fai_export.export_forms(ctx, fai_id, "zip", draft=True).content)
    index = json.loads(files["evidence-index.json"])["evidence"]
    report = next(e for e in index if e["kind"] == "inspection_report")
    assert report["title"] == "QIF Results report QIF 1"
    assert report["sha256"] == qif.file_sha256
