"""The real server process: `python -m firstarticle serve --demo` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from firstarticle.domain.lifecycle import FaiStatus

SRC = Path(__file__).resolve().parents[2] / "src"
STARTUP_TIMEOUT_SECONDS = 120.0


@dataclass
class Served:
    """A running server: its base URL, working directory and log."""

    base_url: str
    database: Path
    log: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    workdir: Path

    def token_for(self, username: str) -> str:
        """A token issued by ``firstarticle token create --user`` on the same database."""
        done = subprocess.run(
            [sys.executable, "-m", "firstarticle", "token", "create", "--user", username],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_health(served: Served) -> None:
    """Poll /health until it answers 200, the process dies, or the deadline passes."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last = "no answer yet"
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(
                f"server exited with {served.process.returncode} before it was healthy:\n"
                + served.log_tail()
            )
        try:
            response = httpx.get(served.base_url + "/health", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    pytest.fail(
        f"server not healthy after {STARTUP_TIMEOUT_SECONDS} s ({last}):\n{served.log_tail()}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server we started, killing it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def own_postgres_database(purpose: str) -> tuple[str, str] | None:
    """A fresh database beside the test database when PostgreSQL is configured."""
    url = os.environ.get("FIRSTARTICLE_TEST_DATABASE_URL", "").strip()
    if not url:
        return None
    from firstarticle.config import Settings

    base = sa.engine.make_url(Settings(database_url=url).database_url)
    name = f"{base.database}_{purpose}_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    from firstarticle.config import Settings

    url = os.environ["FIRSTARTICLE_TEST_DATABASE_URL"].strip()
    admin = sa.create_engine(Settings(database_url=url).database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def serve_demo(workdir: Path, database: Path, **settings: str) -> Iterator[Served]:
    """Start ``firstarticle serve --demo`` in ``workdir`` on a free port with only the given
    FIRSTARTICLE_* settings (the database a SQLite file unless DATABASE_URL is among them);
    yield it once healthy, stop it afterwards."""
    log = workdir / "server.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTARTICLE_")}
    env["FIRSTARTICLE_DATABASE_URL"] = f"sqlite:///{database}"
    env.update({f"FIRSTARTICLE_{k.upper()}": v for k, v in settings.items()})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "firstarticle", "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Served(f"http://127.0.0.1:{port}", database, log, process, env, workdir)
    try:
        wait_for_health(server)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo server on a fresh SQLite file in its own working directory."""
    workdir = tmp_path_factory.mktemp("served")
    yield from serve_demo(workdir, workdir / "firstarticle-e2e.db")


@pytest.fixture(scope="module")
def http(served: Served) -> Iterator[httpx.Client]:
    """A client with the token of the demo quality manager (every site, US person)."""
    headers = {"Authorization": f"Bearer {served.token_for('m.keller')}"}
    with httpx.Client(base_url=served.base_url, timeout=10.0, headers=headers) as client:
        yield client


def test_the_served_process_is_healthy_on_its_own_sqlite_file(
    served: Served, http: httpx.Client
) -> None:
    """/health (liveness) answers 200; /ready finds the database and its schema at the head;
    the database is the file we named."""
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["X-Request-ID"]
    ready = http.get("/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["schema_revision"] == body["head_revision"]
    assert served.database.is_file()
    assert served.database.stat().st_size > 0


def test_the_served_process_publishes_its_openapi_document(http: httpx.Client) -> None:
    """/openapi.json is served and lists the versioned first-article routes."""
    response = http.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "firstarticle"
    paths = spec["paths"]
    for path in [
        "/health",
        "/api/v1/sites",
        "/api/v1/first-articles",
        "/api/v1/first-articles/{fai_id}/transitions",
        "/api/v1/first-articles/by-fair/{fair_identifier}",
    ]:
        assert path in paths, path


def test_the_demo_plant_has_fais_in_every_status(http: httpx.Client) -> None:
    """The demo data shows each of the ten lifecycle statuses at least once."""
    response = http.get("/api/v1/first-articles", params={"limit": 50})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] <= 50, "the demo outgrew one page; page through it"
    statuses = {item["status"] for item in page["items"]}
    assert statuses == {status.value for status in FaiStatus}
    assert len(FaiStatus) == 10


def test_the_demo_fair_0042_is_approved_without_documented_nonconformances(
    http: httpx.Client,
) -> None:
    """FAIR-WCH-2026-0042 (journey 1) is approved and Form 1 field 19 says No."""
    response = http.get("/api/v1/first-articles/by-fair/FAIR-WCH-2026-0042")
    assert response.status_code == 200, response.text
    fai = response.json()
    assert fai["status"] == "approved"
    assert fai["form1"]["documented_nonconformances"] is False
    assert fai["form1"]["part_number"] == "7A1234-101"
    assert fai["form1"]["customer_decision"]["outcome"] == "approved"


def test_the_served_process_answers_bad_requests_with_problems(http: httpx.Client) -> None:
    """Errors from the real process are problem+json too, and echo the request id."""
    response = http.get(
        "/api/v1/first-articles/by-fair/FAIR-NONE", headers={"X-Request-ID": "e2e-1"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"
    assert response.headers["X-Request-ID"] == "e2e-1"


def test_the_served_process_refuses_callers_without_credentials(served: Served) -> None:
    """No token, no cookie: 401 problem+json with a Bearer challenge."""
    response = httpx.get(f"{served.base_url}/api/v1/first-articles", timeout=10.0)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_demo_erp_account_asks_the_gate_with_a_cli_token(served: Served) -> None:
    """`firstarticle token create --user demo-erp` gives the ERP a token the gate accepts."""
    token = served.token_for("demo-erp")
    response = httpx.post(
        f"{served.base_url}/api/v1/gate/checks",
        json={
            "site": "WCH",
            "customer": "AEROPRIME",
            "part_number": "7A2260-1",
            "part_revision": "B",
            "serial_numbers": ["7A2260-B-001"],
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10.0,
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "allow"


def test_a_foreign_design_engineer_sees_nothing_of_the_itar_part(served: Served) -> None:
    """Journey 6: a.moreau (French, no authorization) gets neither the ITAR assembly's FAIs
    nor their count, while the quality manager (US person) sees them."""

    def fais(username: str) -> list[str]:
        response = httpx.get(
            f"{served.base_url}/api/v1/first-articles",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {served.token_for(username)}"},
            timeout=10.0,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return [f["part_revision_id"] for f in body["items"]]

    assert len(fais("a.moreau")) < len(fais("m.keller"))
    parts = httpx.get(
        f"{served.base_url}/api/v1/parts",
        params={"limit": 200},
        headers={"Authorization": f"Bearer {served.token_for('a.moreau')}"},
        timeout=10.0,
    ).json()
    assert "7A5000-1" not in {p["number"] for p in parts["items"]}


SENTINEL = "ITAR-SENTINEL-7f3c9e"


@pytest.mark.requirement("A3")
def test_controlled_technical_data_never_reaches_the_server_log(served: Served) -> None:
    """A3: a sentinel in ITAR data (part name, requirement text) is read, refused, exported
    and mis-sent through the real process, and never appears in its log."""
    base = served.base_url

    def as_(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {served.token_for(username)}"}

    quality, design, foreign = as_("m.keller"), as_("k.wright"), as_("a.moreau")
    with httpx.Client(base_url=base, timeout=10.0) as http:
        part = http.post(
            "/api/v1/parts",
            json={"number": "9X0001-1", "name": f"Guidance fin {SENTINEL}"},
            headers=quality,
        )
        assert part.status_code == 201, part.text
        part_id = part.json()["id"]
        classified = http.put(
            f"/api/v1/parts/{part_id}/export-classification",
            json={"regime": "itar", "category": "XIX", "reason": "CJ determination 2026-114"},
            headers=design,
        )
        assert classified.status_code == 200, classified.text
        rev = http.post(
            f"/api/v1/parts/{part_id}/revisions",
            json={"revision": "A", "drawings": [{"number": "9X0001", "revision": "A"}]},
            headers=quality,
        )
        assert rev.status_code == 201, rev.text
        chars = http.post(
            f"/api/v1/revisions/{rev.json()['id']}/characteristics",
            json={
                "characteristics": [
                    {
                        "drawing_number": "9X0001",
                        "balloon": "1",
                        "ctype": "note",
                        "requirement": f"Seeker window coating {SENTINEL}",
                    }
                ]
            },
            headers=quality,
        )
        assert chars.status_code == 201, chars.text
        seen = http.get(f"/api/v1/parts/{part_id}", headers=quality)
        assert SENTINEL in seen.text
        hidden = http.get(f"/api/v1/parts/{part_id}", headers=foreign)
        assert hidden.status_code == 404
        assert SENTINEL not in hidden.text
        listed = http.get("/api/v1/parts", params={"limit": 200}, headers=foreign)
        assert SENTINEL not in listed.text
        # A duplicate and a malformed request carry the sentinel in; errors must not log it.
        http.post(
            "/api/v1/parts",
            json={"number": "9X0001-1", "name": f"Guidance fin {SENTINEL}"},
            headers=quality,
        )
        http.post(
            f"/api/v1/revisions/{rev.json()['id']}/characteristics",
            json={"characteristics": [{"drawing_number": "9X0001", "balloon": SENTINEL * 5}]},
            headers=quality,
        )
    time.sleep(0.5)  # let the server flush its log
    log = served.log.read_text(errors="replace")
    # The request log is there and was written: one JSON line per request, by route.
    assert '"route": "/api/v1/parts"' in log
    assert SENTINEL not in log
