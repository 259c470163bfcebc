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


def _lua(questions: list[dict[str, Any]], gate: bool, token: str = "") -> str:
    """A wrk script that sends a random question (or baseline lookup) each time."""
    lines = ["local requests = {}", "init = function(args)"]
    for q in questions:
        if gate:
            body = json.dumps(q["gate"]).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(
                f'  requests[#requests + 1] = wrk.format("POST", "/api/v1/gate/checks", '
                f'{{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, '
                f'"{body}")'
            )
        else:
            lines.append(f'  requests[#requests + 1] = wrk.format("GET", "{q["baseline"]}")')
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
    if shutil.which("wrk") is None:
        raise SystemExit("W1 needs wrk (Debian package 'wrk') as its load generator")
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
    """Serve the demo plant and load the gate and the baseline in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp) / "w1.db")
        app = fresh_application(url)
        loader.load(app.context("bench"))
        questions = _questions(app.engine)
        # The ERP asks as it does in a plant: with the demo-erp account's bearer token.
        token = identity.create_token(app.context("bench"), "demo-erp", name="W1").secret
        app.engine.dispose()
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.gate_server", url, str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            base_script = Path(tmp) / "baseline.lua"
            base_script.write_text(_lua(questions, gate=False))
            gate_script = Path(tmp) / "gate.lua"
            gate_script.write_text(_lua(questions, gate=True, token=token))
            _wrk(base, base_script, clients, 2)  # warm-up
            baseline = _wrk(base, base_script, clients, seconds)
            gate = _wrk(base, gate_script, clients, seconds)
            gate["decisions"] = _decisions(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures = {
        "database": url.split(":", 1)[0],
        "clients": clients,
        "seconds": seconds,
        "serials": len(questions),
        "baseline": baseline,
        "gate": gate,
        "throughput_ratio": gate["rps"] / baseline["rps"],
        "p99_ratio": gate["p99_ms"] / baseline["p99_ms"],
    }
    print(
        f"W1 baseline {baseline['rps']:.0f} req/s p99 {baseline['p99_ms']:.1f} ms; "
        f"gate {gate['rps']:.0f} req/s p99 {gate['p99_ms']:.1f} ms "
        f"({gate['decisions']}, errors {gate['errors']}); throughput ratio "
        f"{figures['throughput_ratio']:.2f} (goal >= 0.8), p99 ratio "
        f"{figures['p99_ratio']:.2f} (goal <= 2)"
    )
    save("w1_gate", figures)
    return figures
