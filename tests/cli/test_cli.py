"""The command line, as a person or a script uses it: messages, exit codes, real database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from firstarticle import cli
from firstarticle.config import get_settings


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite file with the demo plant, shared by the tests of this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIRSTARTICLE_DATABASE_URL", url)
        _reset()
        result = CliRunner().invoke(cli.app, ["demo", "load"])
        assert result.exit_code == 0, result.output
    _reset()
    yield url
    _reset()


def _reset() -> None:
    get_settings.cache_clear()
    cli.common.reset()


@pytest.fixture
def run(demo_db: str, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI against the demo database as FIRSTARTICLE_ACTOR (default j.ortiz)."""
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", demo_db)
    monkeypatch.setenv("COLUMNS", "200")
    _reset()

    def invoke(*args: str, actor: str = "j.ortiz", input: str | None = None):
        monkeypatch.setenv("FIRSTARTICLE_ACTOR", actor)
        return CliRunner().invoke(cli.app, list(args), input=input)

    yield invoke
    _reset()


def test_the_demo_plant_lists_first_articles_in_every_status(run):
    """`fai list --json` shows the demo's FAIs, all ten statuses among them."""
    result = run("fai", "list", "--json", "--limit", "100")
    assert result.exit_code == 0, result.output
    statuses = {item["status"] for item in json.loads(result.output)["items"]}
    assert len(statuses) == 10


def test_readiness_exits_3_and_lists_findings_while_blocking_findings_exist(run):
    """A script can branch on readiness: exit 3 when not ready, with rule ids in --json."""
    result = run("readiness", "FAIR-TLS-2026-0001", "--json")
    assert result.exit_code == 3
    findings = json.loads(result.output)["findings"]
    assert {f["rule"] for f in findings} == {"NC_OPEN"}


def test_an_approved_fai_on_the_released_revision_is_ready(run):
    """Exit 0 and 'ready' for an approved FAI whose revision is still the released one."""
    listing = json.loads(run("fai", "list", "--status", "approved", "--json").output)
    exits = {
        item["fair_identifier"]: run("readiness", item["fair_identifier"]).exit_code
        for item in listing["items"]
    }
    assert 0 in exits.values(), exits


def test_releasing_a_new_revision_makes_the_old_fai_name_it(run):
    """Journey 3: after rev D's release, rev C's FAI reports the revision mismatch."""
    result = run("readiness", "FAIR-WCH-2026-0042", "--json")
    assert result.exit_code == 3
    (finding,) = json.loads(result.output)["findings"]
    assert finding["rule"] == "REV_NOT_RELEASED"
    assert "rev C" in finding["message"]
    assert "is D" in finding["message"]


def test_the_gate_exits_0_on_allow_and_4_on_deny(run):
    """ERP scripts read the decision from the exit code."""
    allow = run("gate", "check", "WCH", "AEROPRIME", "7A2260-1", "B", "--serial", "7A2260-B-001")
    deny = run(
        "gate", "check", "WCH", "AEROPRIME", "7A1234-101", "D", "--serial", "SN0011", "--json"
    )
    assert allow.exit_code == 0, allow.output
    assert "ALLOW" in allow.output
    assert deny.exit_code == 4
    assert json.loads(deny.output)["decision"] == "deny"


def test_an_unknown_fair_is_a_one_line_error_and_exit_1(run):
    """Domain errors print their stable code and a sentence, and exit 1."""
    result = run("fai", "show", "FAIR-NOPE-1")
    assert result.exit_code == 1
    assert "error (not_found)" in result.output


def test_a_refused_transition_names_the_allowed_actions(run):
    """The lifecycle refuses, the CLI says so and exits 1."""
    result = run("fai", "transition", "FAIR-WCH-2026-0042", "start")
    assert result.exit_code == 1
    assert "transition_not_allowed" in result.output


def test_a_value_that_is_not_a_decimal_exits_2(run):
    """Bad input is refused before anything is sent to the services."""
    result = run("fai", "result", "FAIR-TLS-2026-0001", "1", "--value", "twelve", "--units", "mm")
    assert result.exit_code == 2
    assert "not a decimal" in result.output


def test_a_two_person_override_through_the_command_line(run):
    """One person requests, another signs; the requester cannot sign their own."""
    listing = run("hold", "list", "--site", "TLS")
    assert listing.exit_code == 0
    assert "holds" in listing.output
    result = run(
        "hold", "place", "WCH", "7A1234-101", "C", "Suspect heat lot", "--serial", "SN0002"
    )
    assert result.exit_code == 0, result.output
    hold_id = result.output.split("(")[1].split(")")[0]
    requested = run(
        "hold",
        "override",
        hold_id,
        "Urgent unit",
        "--hours",
        "4",
        "--serial",
        "SN0002",
        actor="m.keller",
    )
    assert requested.exit_code == 0, requested.output
    override_id = requested.output.split("override ")[1].split(" ")[0]
    password = "firstarticle-demo\n"
    own = run("--as", "m.keller", "hold", "sign", hold_id, override_id, input=password)
    assert own.exit_code == 1
    wrong = run("--as", "p.adams", "hold", "sign", hold_id, override_id, input="guess\n")
    assert wrong.exit_code == 1
    assert "authentication_required" in wrong.output
    signed = run("--as", "p.adams", "hold", "sign", hold_id, override_id, input=password)
    assert signed.exit_code == 0, signed.output
    assert "Pat Adams" in signed.output
    assert "UTC" in signed.output


def test_a_host_operation_cannot_sign(run):
    """Signing needs a named person (--as) who gives their password."""
    result = run("fai", "sign", "FAIR-WCH-2026-0042", "--meaning", "verified")
    assert result.exit_code == 1
    assert "--as" in result.output


def test_acting_as_a_foreign_user_hides_the_itar_part(run):
    """`--as a.moreau` lists fewer FAIs than the host view and never the ITAR assembly."""
    mine = run("--as", "a.moreau", "part", "show", "7A5000-1")
    assert mine.exit_code == 1
    assert "not_found" in mine.output
    assert run("part", "show", "7A5000-1").exit_code == 0


def test_token_create_prints_a_token_for_the_demo_erp_account(run):
    """The documented `token create --user demo-erp` prints one bearer token line."""
    result = run("token", "create", "--user", "demo-erp")
    assert result.exit_code == 0, result.output
    tokens = [line for line in result.output.splitlines() if line.startswith("fat_")]
    assert len(tokens) == 1
    assert len(tokens[0]) > 40


def test_records_import_with_a_dry_run_first(run, tmp_path: Path):
    """--dry-run reports, the real run creates, a second run changes nothing."""
    file = tmp_path / "customers.csv"
    file.write_text(
        "external_id,source_version,code,name,vendor_code\nERP-77,1,ACME,Acme Aero,AC-1\n"
    )
    dry = run("import", "customers", str(file), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 created" in dry.output
    assert "dry run" in dry.output
    first = run("import", "customers", str(file))
    again = run("import", "customers", str(file))
    assert "1 created" in first.output
    assert "1 unchanged" in again.output


def test_a_csv_with_a_formula_is_refused_with_its_line(run, tmp_path: Path):
    """CSV injection is refused, naming the line and column; exit 1."""
    file = tmp_path / "customers.csv"
    file.write_text("external_id,source_version,code,name\nERP-1,1,EVIL,=cmd|' /C calc'!A0\n")
    result = run("import", "customers", str(file))
    assert result.exit_code == 1
    assert "line 2, column name" in result.output


def test_the_audit_chain_verifies_and_checkpoints(run, tmp_path: Path):
    """`audit verify` passes on the demo, `audit checkpoint` appends a line it then checks."""
    checkpoints = tmp_path / "audit.checkpoints"
    assert run("audit", "checkpoint", "--file", str(checkpoints)).exit_code == 0
    verified = run("audit", "verify", "--checkpoints", str(checkpoints))
    assert verified.exit_code == 0, verified.output
    assert "audit chain ok" in verified.output
    exported = run("audit", "export", "FAIR-WCH-2026-0042", "--format", "json")
    entries = json.loads(exported.output)
    assert entries[0]["action"] == "first_article.created"
    assert any(e["action"] == "fai.approve" for e in entries)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a terminal would receive it (progress bars draw only on one)."""
    screen = io.StringIO()
    monkeypatch.setattr(cli.common, "err", Console(file=screen, force_terminal=True, width=120))
    return screen


def test_long_commands_draw_a_progress_bar_on_a_terminal(run, terminal, tmp_path: Path):
    """Audit verification and backups say how far they are while they run."""
    assert run("audit", "verify").exit_code == 0
    assert "audit chain: verifying" in terminal.getvalue()
    result = run("db", "backup", "--out", str(tmp_path / "plant.zip"))
    assert result.exit_code == 0, result.output
    assert "backup: verifying the audit chain" in terminal.getvalue()


def test_quiet_leaves_no_progress_bar_for_scripts(run, terminal, tmp_path: Path):
    """With --quiet a script's standard error carries no bar, and the result is the same."""
    assert run("--quiet", "audit", "verify").exit_code == 0
    result = run("--quiet", "db", "backup", "--out", str(tmp_path / "plant.zip"))
    assert result.exit_code == 0, result.output
    assert "backup" in result.stdout
    assert "verifying" not in terminal.getvalue()
    assert "━" not in terminal.getvalue()


def test_verifying_without_checkpoints_warns_that_a_cut_chain_cannot_be_seen(run, terminal):
    """A chain cut short at its end still links up: without checkpoints, the command says so."""
    result = run("audit", "verify")
    assert result.exit_code == 0
    assert "no checkpoint given" in terminal.getvalue()


def test_a_missing_file_is_unusable_input_and_exits_2(run, tmp_path: Path):
    """Every command maps unusable input the same way: a one-line error and exit 2."""
    result = run("import", "customers", str(tmp_path / "absent.csv"))
    assert result.exit_code == 2
    assert "absent.csv" in result.stderr


def test_an_empty_chain_is_not_called_sound_without_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An emptied ledger looks like a new one: `audit verify` refuses to call it ok (exit 1)."""
    monkeypatch.setenv("FIRSTARTICLE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    _reset()
    try:
        assert CliRunner().invoke(cli.app, ["db", "upgrade"]).exit_code == 0
        result = CliRunner().invoke(cli.app, ["audit", "verify"])
    finally:
        _reset()
    assert result.exit_code == 1
    assert "audit chain ok" not in result.stdout


def test_the_plants_text_is_printed_as_typed_never_as_markup(run):
    """A reason with brackets and the hold's full id come out as typed, in the table and
    in --json (Rich markup would eat "[scrap]"; a narrow table would cut the id)."""
    reason = "[scrap] lot 7 [red]x[/red]"
    placed = run(
        "hold",
        "place",
        "WCH",
        "7A1234-101",
        "C",
        reason,
        "--serial",
        "SN0003",
    )
    assert placed.exit_code == 0, placed.output
    listed = json.loads(run("hold", "list", "--site", "WCH", "--json", "--limit", "200").stdout)
    (hold,) = [h for h in listed["items"] if h["reason"] == reason]
    assert hold["id"] in placed.output
    table = run("hold", "list", "--site", "WCH", "--limit", "200").stdout
    (line,) = [row for row in table.splitlines() if hold["id"][:12] in row]
    assert reason in line
    assert "…" not in line


def test_a_second_persons_verification_names_that_person(run):
    """`fai verify-result --as` says who verified: the named user, not the OS account."""
    entered = run(
        "fai",
        "result",
        "FAIR-WCH-2026-0001",
        "1",
        "--value",
        "25.01",
        "--units",
        "mm",
        "--source",
        "manual_entry",
        actor="inspector.a",
    )
    if entered.exit_code != 0:
        pytest.skip(f"the demo FAI takes no manual result here: {entered.output}")
    result_id = entered.output.rsplit("(", 1)[1].split(")")[0]
    verified = run("--as", "m.keller", "fai", "verify-result", "FAIR-WCH-2026-0001", result_id)
    assert verified.exit_code == 0, verified.output
    assert "verified by m.keller" in verified.stdout


def test_an_audit_export_for_spreadsheets_neutralises_formulas(run):
    """A reason that begins like a formula reaches the CSV as text, not as a formula."""
    created = run("fai", "create", "WCH", "WO-58812", "Formula test")
    assert created.exit_code == 0, created.output
    fair = next(w for w in created.output.split() if w.startswith("FAIR-"))
    cancelled = run(
        "fai", "transition", fair, "cancel", "--reason", '=HYPERLINK("http://x.example","open")'
    )
    assert cancelled.exit_code == 0, cancelled.output
    exported = run("audit", "export", fair, "--format", "csv")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    reasons = [r["reason"] for r in rows if r["reason"]]
    assert reasons
    assert all(not r.startswith(("=", "+", "-", "@")) for r in reasons)
    assert "'=HYPERLINK" in exported.stdout


def test_the_fai_audit_shows_each_change_as_old_and_new(run):
    """`fai audit` reads as `field: old -> new`, whatever the values hold."""
    shown = run("fai", "audit", "FAIR-WCH-2026-0001")
    assert shown.exit_code == 0, shown.output
    assert " -> " in shown.stdout


def test_production_of_a_revision_plm_made_obsolete_is_denied(run):
    """Rev D of the bracket is released, so rev C is obsolete: its approved FAI no longer
    lets product move or ship (issue 12, first case)."""
    checked = run(
        "gate",
        "check",
        "WCH",
        "AEROPRIME",
        "7A1234-101",
        "C",
        "--serial",
        "SN0001",
        "--kind",
        "production",
        "--json",
    )
    assert checked.exit_code == 4
    answer = json.loads(checked.stdout)
    assert answer["decision"] == "deny"
    assert "revision_obsolete" in {r["code"] for r in answer["reasons"]}
