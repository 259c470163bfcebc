"""`firstarticle export` and `firstarticle package verify` on the demo plant."""

from __future__ import annotations

import io
import json
import zipfile

import test_cli

# The demo plant and the runner of the command line tests, shared (fixtures by name).
demo_db, run_cli = test_cli.demo_db, test_cli.run


def _ready_fair(run_cli) -> str:
    listing = json.loads(run_cli("fai", "list", "--status", "approved", "--json").output)
    for item in listing["items"]:
        if run_cli("readiness", item["fair_identifier"]).exit_code == 0:
            return item["fair_identifier"]
    raise AssertionError("the demo has no ready approved FAI")


def test_export_refuses_a_blocked_fai_and_writes_a_draft_without_overwriting(run_cli, tmp_path):
    refused = run_cli("export", "FAIR-TLS-2026-0001", "--format", "xlsx", "--out", str(tmp_path))
    assert refused.exit_code == 1
    assert "submission_blocked" in refused.output
    assert "NC_OPEN" in refused.output
    assert list(tmp_path.iterdir()) == []
    args = ("export", "FAIR-TLS-2026-0001", "--format", "pdf", "--draft", "--out", str(tmp_path))
    written = run_cli(*args, "--revision", "B")
    assert written.exit_code == 0, written.output
    assert (tmp_path / "FAIR-TLS-2026-0001-DRAFT-forms.pdf").read_bytes().startswith(b"%PDF")
    again = run_cli(*args)
    assert again.exit_code == 2
    assert "nothing was overwritten" in again.output


def test_a_submission_package_verifies_and_a_tampered_copy_does_not(run_cli, tmp_path):
    fair = _ready_fair(run_cli)
    built = run_cli("export", fair, "--format", "zip", "--out", str(tmp_path))
    assert built.exit_code == 0, built.output
    (package,) = tmp_path.glob(f"{fair}-attempt-*.zip")
    assert "submission attempt" in built.output
    ok = run_cli("package", "verify", str(package))
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".xlsx"):
                content += b"\0"
            target.writestr(info, content)
    bad = run_cli("package", "verify", str(tampered))
    assert bad.exit_code == 1
    assert "hash_mismatch" in bad.output
    not_zip = tmp_path / "plain.zip"
    not_zip.write_bytes(b"plain text")
    assert run_cli("package", "verify", str(not_zip)).exit_code == 1
    assert (
        json.loads(zipfile.ZipFile(io.BytesIO(package.read_bytes())).read("manifest.json"))[
            "fair_identifier"
        ]
        == fair
    )


def test_import_form3_sheet_refuses_char_nos_the_drawing_already_holds(run_cli, tmp_path):
    exported = run_cli(
        "export", "FAIR-TLS-2026-0001", "--format", "xlsx", "--draft", "--out", str(tmp_path)
    )
    assert exported.exit_code == 0, exported.output
    (sheet,) = tmp_path.glob("*.xlsx")
    result = run_cli("import", "form3-sheet", "QM_X_123456", "1.02", str(sheet), "--dry-run")
    assert result.exit_code == 1
    assert "char_no_exists" in result.output
    assert "nothing was written" in result.output
    missing = run_cli("import", "form3-sheet", "QM_X_123456", "1.02", str(tmp_path / "none"))
    assert missing.exit_code == 2
