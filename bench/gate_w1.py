"""W1: the shipment gate under 16 concurrent HTTP clients asking for random serials of mixed
status, against a bare endpoint doing one indexed primary-key lookup in the same server."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import database_url, fresh_application, save
from firstarticle.config import Settings
from firstarticle.demo import loader
from firstarticle.services import identity
from firstarticle.storage import orm


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _questions(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every serial of the demo plant as a gate question, and as a baseline key."""
    s, w, r, p, c, site = (
        orm.serial_numbers,
        orm.work_orders,
        orm.part_revisions,
        orm.parts,
        orm.customers,
        orm.sites,
    )
    stmt = (
        sa.select(site.c.code, c.c.code, p.c.number, r.c.revision, s.c.number, s.c.site_id, s.c.id)
        .join(w, (w.c.site_id == s.c.site_id) & (w.c.id == s.c.work_order_id))
        .join(r, r.c.id == w.c.part_revision_id)
        .join(p, p.c.id == r.c.part_id)
        .join(c, c.c.id == w.c.customer_id)
        .join(site, site.c.id == s.c.site_id)
    )
    with engine.connect() as conn:
        return [
            {
                "gate": {
                    "site": a,
                    "customer": b,
                    "part_number": pn,
                    "part_revision": rv,
                    "serial_numbers": [sn],
                    "kind": "shipment",
                },
                "baseline": f"/bench/serials/{sid}/{serial_id}",
            }
            for a, b, pn, rv, sn, sid, serial_id in conn.execute(stmt)
        ]


Call = dict[str, Any]  # {"method", "path", "headers", "body"}


def _calls(questions: list[dict[str, Any]], token: str) -> dict[str, list[Call]]:
    """The three request mixes: the read-only baseline, the durable baseline, the gate."""
    gate_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return {
        "baseline": [{"method": "GET", "path": q["baseline"]} for q in questions],
        "durable_baseline": [
            {
                "method": "POST",
                "path": q["baseline"].replace("/bench/serials/", "/bench/receipts/"),
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(q["gate"]),
            }
            for q in questions
        ],
        "gate": [
            {
                "method": "POST",
                "path": "/api/v1/gate/checks",
                "headers": gate_headers,
                "body": json.dumps(q["gate"]),
            }
            for q in questions
        ],
    }


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lua(calls: list[Call]) -> str:
    """A wrk script that sends a random call of the list each time."""
    lines = ["local requests = {}", "init = function(args)"]
    for c in calls:
        headers = ", ".join(
            f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in c.get("headers", {}).items()
        )
        body = _lua_string(c["body"]) if c.get("body") else "nil"
        lines.append(
            f"  requests[#requests + 1] = wrk.format({_lua_string(c['method'])}, "
            f"{_lua_string(c['path'])}, {{{headers}}}, {body})"
        )
    lines += [
        "end",
        "request = function()",
        "  return requests[math.random(#requests)]",
        "end",
        "done = function(summary, latency, requests)",
        '  io.write(string.format("P99_US %d\\n", latency:percentile(99)))',
        '  io.write(string.format("P50_US %d\\n", latency:percentile(50)))',
        '  io.write(string.format("ERRORS %d\\n", summary.errors.status + '
        "summary.errors.connect + summary.errors.read + summary.errors.write + "
        "summary.errors.timeout))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def _wrk(base: str, script: Path, clients: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = int(re.search(r"P99_US (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    p50 = int(re.search(r"P50_US (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    errors = int(re.search(r"ERRORS (\d+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"requests": total, "rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


def _load(base: str, calls: list[Call], clients: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """Load ``base`` from a separate process: wrk where installed, else bench.load."""
    if shutil.which("wrk"):
        script = tmp / "load.lua"
        script.write_text(_lua(calls))
        figures = _wrk(base, script, clients, seconds)
        figures["generator"] = "wrk"
        return figures
    listed = tmp / "calls.json"
    listed.write_text(json.dumps(calls))
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", base, str(listed), str(clients), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["generator"] = "bench.load (python; install wrk for a lighter load generator)"
    return figures


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.gate_server", url, str(port), str(workers)]
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("W1: the bench server did not start")


def _decisions(url: str) -> dict[str, int]:
    engine = sa.create_engine(Settings(database_url=url).database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(orm.gate_decisions.c.decision, sa.func.count()).group_by(
                orm.gate_decisions.c.decision
            )
        ).all()
    engine.dispose()
    return {d: int(n) for d, n in rows}


def run(seconds: float = 20, clients: int = 16) -> dict[str, Any]:
    """Serve the demo plant; load the two baselines and the gate in turn with one worker,
    then the gate again with two workers."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = database_url(tmp / "w1.db")
        app = fresh_application(url)
        loader.load(app.context("bench"))
        questions = _questions(app.engine)
        # The ERP asks as it does in a plant: with the demo-erp account's bearer token.
        token = identity.create_token(app.context("bench"), "demo-erp", name="W1").secret
        app.engine.dispose()
        calls = _calls(questions, token)
        figures: dict[str, Any] = {
            "database": url.split(":", 1)[0],
            "clients": clients,
            "seconds": seconds,
            "serials": len(questions),
        }
        server, base = _serve(url, 1)
        try:
            _load(base, calls["baseline"], clients, 2, tmp)  # warm-up
            for name in ("baseline", "durable_baseline", "gate"):
                figures[name] = _load(base, calls[name], clients, seconds, tmp)
            figures["gate"]["decisions"] = _decisions(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
        if url.startswith("postgresql"):  # SQLite serialises writers: two workers tell nothing
            server, base = _serve(url, 2)
            try:
                _load(base, calls["gate"], clients, 2, tmp)
                figures["two_workers"] = _load(base, calls["gate"], clients, seconds, tmp)
            finally:
                server.terminate()
                server.wait(timeout=30)
    gate, durable, read = figures["gate"], figures["durable_baseline"], figures["baseline"]
    figures["throughput_ratio"] = gate["rps"] / durable["rps"]
    figures["p99_ratio"] = gate["p99_ms"] / durable["p99_ms"]
    print(
        f"W1 read-only baseline {read['rps']:.0f} req/s p99 {read['p99_ms']:.1f} ms; "
        f"read + durable insert {durable['rps']:.0f} req/s p99 {durable['p99_ms']:.1f} ms; "
        f"gate {gate['rps']:.0f} req/s p99 {gate['p99_ms']:.1f} ms "
        f"({gate['decisions']}, errors {gate['errors']}); throughput ratio "
        f"{figures['throughput_ratio']:.2f} (goal >= 0.8), p99 ratio "
        f"{figures['p99_ratio']:.2f} (goal <= 2)"
    )
    if "two_workers" in figures:
        print(f"W1 gate with two workers: {figures['two_workers']['rps']:.0f} req/s")
    save(f"w1_gate_{figures['database']}", figures)
    return figures
