"""The web application in a real browser: Debian's headless Chromium driven by Playwright
against a server process this module starts (on SQLite, or on a database of its own on the
PostgreSQL server of FIRSTARTICLE_TEST_DATABASE_URL).

Walks journey 1 as far as the pages reach, walks every page as a foreign person without an
export authorization, runs axe-core (served to the test browser only) on every page, and
writes screenshots at desktop and tablet width into the test's temporary folder, or into
the folder named by FIRSTARTICLE_SCREENSHOTS (``docs/screenshots`` for the documentation).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_served_process import (
    Served,
    drop_postgres_database,
    own_postgres_database,
    serve_demo,
)

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests skipped: {CHROMIUM} is absent (apt-get install chromium)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests skipped: the playwright package is missing"
)
Page = Any  # playwright.sync_api.Page, imported lazily above

PASSWORD = "firstarticle-demo"  # the demo plant's documented password
PART, FAIR = "7A1300-101", "FAIR-WCH-2026-0900"
WIDTHS = {"desktop": 1280, "tablet": 800}
# Balloon 1 a toleranced length, 2 a key hole position (limits), 3 a note.
CHARACTERISTICS: list[dict[str, str]] = [
    {
        "balloon": "1",
        "nominal": "25.00",
        "upper_tolerance": "0.05",
        "lower_tolerance": "-0.05",
        "units": "mm",
    },
    {
        "balloon": "2",
        "requirement": "Hole position ⌀0.05 to A|B|C",
        "designator": "key",
        "units": "mm",
    }
    | {"lower_limit": "0", "upper_limit": "0.05", "zone": "C4"},
    {
        "balloon": "3",
        "ctype": "note",
        "requirement": "Chemical film per MIL-DTL-5541 Type II Class 3",
    },
]


# --- the server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo plant served over plain HTTP (so the session cookie is not Secure-only)."""
    workdir = tmp_path_factory.mktemp("browser")
    own = own_postgres_database("browser")
    settings = {"database_url": own[0]} if own else {}
    try:
        yield from serve_demo(
            workdir,
            workdir / "firstarticle-browser.db",
            cookie_secure="false",
            argon2_time_cost="1",
            argon2_memory_kib="1024",
            argon2_parallelism="1",
            **settings,
        )
    finally:
        if own:
            drop_postgres_database(own[1])


@pytest.fixture(scope="module")
def journey(served: Served) -> dict[str, str]:
    """Journey 1's starting point, built through the API as the systems would: a released
    EAR99 part with three characteristics, a work order (which places the shipment hold), an
    FAI in progress, and the CMM's results, balloon 2 out of tolerance."""
    base = served.base_url

    def client(username: str) -> httpx.Client:
        token = served.token_for(username)
        return httpx.Client(
            base_url=base + "/api/v1", timeout=20.0, headers={"Authorization": f"Bearer {token}"}
        )

    def ok(response: httpx.Response) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    with (
        client("m.keller") as quality,
        client("k.wright") as design,
        client("demo-erp") as erp,
        client("l.nguyen") as cmm,
    ):
        sites = {s["code"]: s["id"] for s in ok(quality.get("/sites"))["items"]}
        customers = {c["code"]: c["id"] for c in ok(quality.get("/customers"))["items"]}
        part = ok(quality.post("/parts", json={"number": PART, "name": "Bracket, mounting"}))
        ok(
            design.put(
                f"/parts/{part['id']}/export-classification",
                json={"regime": "ear99", "reason": "Jurisdiction and classification 2026-77"},
            )
        )
        revision = ok(
            quality.post(
                f"/parts/{part['id']}/revisions",
                json={"revision": "C", "drawings": [{"number": "7A1300", "revision": "C"}]},
            )
        )
        ok(
            quality.post(
                f"/revisions/{revision['id']}/characteristics",
                json={
                    "characteristics": [
                        {"drawing_number": "7A1300", "sheet": "1", **c} for c in CHARACTERISTICS
                    ]
                },
            )
        )
        work_order = ok(
            erp.post(
                "/work-orders",
                json={
                    "site_id": sites["WCH"],
                    "number": "WO-58900",
                    "part_revision_id": revision["id"],
                    "quantity": 10,
                    "customer_id": customers["AEROPRIME"],
                    "router": "RTR-7A1300-C",
                    "purchase_order": "PO-4471999",
                    "serial_numbers": ["SN0101"],
                },
            )
        )
        fai = ok(
            quality.post(
                "/first-articles",
                json={
                    "work_order_id": work_order["id"],
                    "reason": "New part: first production run",
                    "fair_identifier": FAIR,
                },
            )
        )
        ok(quality.post(f"/first-articles/{fai['id']}/transitions", json={"action": "start"}))
        measured = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        ok(
            cmm.post(
                f"/first-articles/{fai['id']}/results",
                json={
                    "results": [
                        {
                            "balloon": b,
                            "measured_at": measured,
                            "source": "device_import",
                            "value": v,
                            "units": "mm",
                            "device": "CMM-02 Zeiss Contura",
                            "serial_number": "SN0101",
                        }
                        for b, v in (("1", "25.012"), ("2", "0.06"))
                    ]
                },
            )
        )
    return {"fai_id": fai["id"]}


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any, served: Served) -> Iterator[Page]:
    context = browser.new_context(
        base_url=served.base_url, viewport={"width": WIDTHS["desktop"], "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems: list[str] = []
    # A refused form answers 4xx on purpose; anything else logged as an error is a fault.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if r.status == 404 or r.status >= 500 else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, f"script errors or refused content in the pages: {problems}"


AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it stands."""
    page.evaluate(AXE)  # through the test browser's debugger: the pages' CSP is not loosened
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    named = os.environ.get("FIRSTARTICLE_SCREENSHOTS", "").strip()
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, folder: Path, name: str) -> None:
    """The page at desktop and tablet width."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def sign_in(page: Page, username: str) -> None:
    page.goto("/web/")
    assert "/web/sign-in" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/web/")
    accessible(page)


def sign_out(page: Page) -> None:
    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/web/sign-in?reason=signed_out")
    assert page.locator("text=You are signed out").is_visible()


def open_fai(page: Page, fai_id: str, section: str = "overview") -> None:
    page.goto(f"/web/fai/{fai_id}?tab={section}")
    accessible(page)


def complete_review(served: Served, fai_id: str) -> None:
    """Aero Prime's required review stages (quality, then engineering), each completed over
    the API by a reviewer holding its role, every checklist item answered yes."""
    for username in ("m.keller", "k.wright"):
        headers = {"Authorization": f"Bearer {served.token_for(username)}"}
        with httpx.Client(
            base_url=served.base_url + "/api/v1", headers=headers, timeout=20.0
        ) as api:
            listed = api.get("/tasks", params={"first_article_id": fai_id, "mine": "false"})
            for task in listed.json()["items"]:
                if not task["required"] or task["role"] != REVIEW_ROLES[username]:
                    continue
                answers = {c["key"]: {"answer": "yes"} for c in task["checklist"]}
                done = api.post(f"/tasks/{task['id']}/completion", json={"answers": answers})
                assert done.status_code == 200, done.text


REVIEW_ROLES = {"m.keller": "quality", "k.wright": "engineering"}


def test_journey_1_in_the_browser(
    tab: Page, journey: dict[str, str], shots: Path, served: Served
) -> None:
    """Sign in, open the FAI, see the findings, enter and verify a manual result, link an
    NC, sign field 20, complete Aero Prime's review tasks, sign field 22 as another person,
    see the hold, request and sign an override."""
    fai_id = journey["fai_id"]
    page = tab

    # The inspector finds the FAI from the dashboard and reads its readiness findings.
    sign_in(page, "l.nguyen")
    screenshot(page, shots, "dashboard")
    page.click("a:has-text('In progress')")
    page.wait_for_url("**/web/fai?status=in_progress*")
    accessible(page)
    page.click(f"a:has-text('{FAIR}')")
    findings = page.locator("ul.findings").inner_text()
    assert "balloon 2" in findings  # out of tolerance without an NC
    assert "balloon 3" in findings  # no result yet
    accessible(page)
    screenshot(page, shots, "fai-overview")
    for section in ("form1", "form3", "package", "audit"):
        open_fai(page, fai_id, section)
        screenshot(page, shots, f"fai-{section}")
    assert (shots / "fai-form3-tablet.png").stat().st_size > 0
    open_fai(page, fai_id, "form3")
    assert page.locator("#form3 tr.oot").count() == 1

    # A dry run of a results file shows its report and records nothing.
    page.set_input_files(
        "#u-file",
        files=[
            {
                "name": "cmm.csv",
                "mimeType": "text/csv",
                "buffer": b"balloon,serial_number,value,units,measured_at\n"
                b"1,SN0101,25.01,mm,2026-11-20T09:00:00Z\n",
            }
        ],
    )
    page.check("input[name=dry_run]")
    page.click("#upload-form button:has-text('Upload')")
    page.wait_for_selector("text=Dry run: nothing was recorded.")
    accessible(page)
    open_fai(page, fai_id, "form3")

    # A refused entry keeps what was typed and marks the field; then the right one.
    page.fill("#r-balloon", "3")
    page.fill("#r-value", "passes")
    page.fill("#r-device", "Visual, 10x loupe")
    page.click("button:has-text('Record result')")
    assert page.locator("#r-value").get_attribute("aria-invalid") == "true"
    assert page.locator("#r-value").input_value() == "passes"
    assert page.locator("#r-device").input_value() == "Visual, 10x loupe"
    accessible(page)
    page.fill("#r-value", "")
    page.select_option("#r-attribute", "accept")
    page.click("button:has-text('Record result')")
    assert page.locator("text=The result is recorded.").is_visible()
    sign_out(page)

    # A second inspector verifies it.
    sign_in(page, "r.okafor")
    open_fai(page, fai_id, "form3")
    page.click("button:has-text('Verify')")
    assert page.locator("text=The result is verified.").is_visible()
    assert "verified by r.okafor" in page.locator("#form3").inner_text()
    sign_out(page)

    # The quality engineer fills Form 2 (material and outside chemical film), links the NC,
    # and readiness is clean.
    sign_in(page, "j.ortiz")
    open_fai(page, fai_id, "form2")
    for kind, name, spec, supplier, certificate in (
        ("material", "Aluminium 7075-T7351 plate", "AMS-QQ-A-250/12", "Kaiser", "MTR-88172"),
        (
            "special_process",
            "Chemical film",
            "MIL-DTL-5541 Type II",
            "Precision Finishing",
            "C-2231",
        ),
    ):
        page.select_option("#f2-kind", kind)
        page.fill("#f2-name", name)
        page.fill("#f2-spec", spec)
        page.fill("#f2-supplier", supplier)
        page.select_option("#f2-approval", "yes")
        page.fill("#f2-cert", certificate)
        page.click("button:has-text('Add row')")
        assert page.locator("text=The Form 2 row is added.").is_visible()
    assert "C-2231" in page.locator("table").inner_text()
    page.select_option("#f2n-kind", "functional_test")
    page.fill("#f2n-reason", "Drawing 7A1300 calls for no functional test.")
    page.click("button:has-text('State none applies')")
    assert page.locator("text='None applies' is stated under your name.").is_visible()
    assert "No functional test" in page.locator("main").inner_text()
    accessible(page)
    screenshot(page, shots, "fai-form2")
    open_fai(page, fai_id)
    page.select_option("#nc-kind", "nonconformance")
    page.fill("#nc-number", "NC-30911")
    page.fill("#nc-title", "Hole position 0.06 vs 0.05")
    page.fill("#nc-balloons", "2")
    page.click("button:has-text('Link')")
    assert page.locator("text=The nonconformance is linked.").is_visible()
    assert "NC-30911 is open" in page.locator("ul.findings").inner_text()

    # The QMS, not a person, dispositions and closes it; the page then shows the FAI ready.
    qms = {"Authorization": f"Bearer {served.token_for('demo-qms')}"}
    closed = httpx.post(
        served.base_url + "/api/v1/mirror/nonconformances",
        headers=qms,
        timeout=20.0,
        json={
            "external_id": "QMS-NC-30911-B",
            "source_version": 1,
            "site": "WCH",
            "fair_identifier": FAIR,
            "number": "NC-30911",
            "status": "closed",
            "disposition": "use_as_is",
            "balloons": ["2"],
        },
    )
    assert closed.status_code in (200, 201), closed.text
    open_fai(page, fai_id)
    assert page.locator("#readiness .badge.ok").is_visible(), page.locator(
        "#readiness"
    ).inner_text()

    # Field 20 by the quality engineer, with the password; field 22 refused to the same person.
    open_fai(page, fai_id, "signatures")
    page.select_option("#s-meaning", "verified")
    page.fill("#s-password", PASSWORD)
    page.click("#sign-submit")
    assert page.locator("text=Your signature is recorded.").is_visible()
    page.select_option("#s-meaning", "reviewed_approved")
    page.fill("#s-password", PASSWORD)
    page.click("#sign-submit")
    assert page.locator("#sign-error").is_visible()
    assert page.locator("#s-password").input_value() == ""  # a password is never sent back
    accessible(page)
    sign_out(page)

    # Aero Prime's template asks for a quality and an engineering review before field 22.
    complete_review(served, fai_id)

    # The quality manager signs field 22 and asks for an override of the shipment hold.
    sign_in(page, "m.keller")
    open_fai(page, fai_id, "signatures")
    page.select_option("#s-meaning", "reviewed_approved")
    page.fill("#s-password", PASSWORD)
    page.click("#sign-submit")
    assert page.locator("text=Your signature is recorded.").is_visible()
    signed = page.locator("table").inner_text()
    assert "Jorge Ortiz" in signed
    assert "Maria Keller" in signed
    screenshot(page, shots, "fai-signatures")
    open_fai(page, fai_id, "form1")
    assert "Jorge Ortiz" in page.locator("dl.fields").inner_text()
    open_fai(page, fai_id)
    assert "Internally approved" in page.locator(".heading .badge").inner_text()
    page.click("#holds-here + ul a")
    accessible(page)
    page.fill("#o-reason", "AOG shipment of SN0101; FAI approval expected this week")
    page.fill("#o-serials", "SN0101")
    page.click("button:has-text('Request and sign first')")
    assert page.locator("text=The override is requested").is_visible()
    hold_url = page.url.split("?")[0]
    page.goto("/web/holds")
    accessible(page)
    screenshot(page, shots, "holds")
    sign_out(page)

    # The program manager gives the second signature, re-authenticated.
    sign_in(page, "p.adams")
    page.goto(hold_url)
    page.fill("input[type=password]", PASSWORD)
    page.click("button:has-text('Sign override')")
    assert page.locator("text=The override is signed").is_visible()
    assert page.locator("td .badge.ok:has-text('In force')").is_visible()
    accessible(page)
    screenshot(page, shots, "hold")
    page.goto("/web/gate")
    accessible(page)
    sign_out(page)


ITAR_MARKS = ("7A5000-1", "Actuator assembly", "ATP-5000", "WO-60001", "Controller software")


@pytest.mark.parametrize("username", ["a.moreau", "tls.admin"])
def test_a_foreign_person_sees_no_itar_data_on_any_page(tab: Page, username: str) -> None:
    """a.moreau (French design engineer at every site) and tls.admin (French administrator
    at Toulouse), neither with an authorization, walk every page the navigation and the lists
    lead to; no mark of the ITAR assembly appears anywhere."""
    page = tab
    sign_in(page, username)
    seen: set[str] = set()
    queue = ["/web/", "/web/fai", "/web/holds", "/web/gate", "/web/parts", "/web/admin/users"]
    while queue:
        path = queue.pop()
        if path in seen or len(seen) > 200:
            continue
        seen.add(path)
        page.goto(path)
        text = page.content()
        for mark in ITAR_MARKS:
            assert mark not in text, f"{mark} shown on {path}"
        for href in page.eval_on_selector_all(
            "main a[href^='/web/']", "as => as.map(a => a.getAttribute('href'))"
        ):
            if href.startswith(("/web/fai", "/web/holds", "/web/parts", "/web/admin")):
                queue.append(href)
    assert any(p.startswith("/web/fai/") for p in seen), "the walk reached FAI pages"
    assert any(p.startswith("/web/holds/") for p in seen), "the walk reached hold pages"
    assert any(p.startswith("/web/parts/") for p in seen), "the walk reached part pages"
    if username == "tls.admin":
        assert any(p.startswith("/web/admin/users/") for p in seen), "and people pages"
    sign_out(page)


def test_the_part_page_lists_characteristics_and_compares_revisions(tab: Page, shots: Path) -> None:
    """The demo bracket: rev D's list, and the diff C to D names what a delta FAI covers."""
    page = tab
    sign_in(page, "m.keller")
    page.goto("/web/parts")
    accessible(page)
    page.click("a:has-text('7A1234-101')")
    page.select_option("#diff_from", "C")
    page.select_option("#diff_to", "D")
    page.click("button:has-text('Compare')")
    summary = page.locator("#diff-heading + form + p").inner_text()
    assert "1 added" in summary
    assert "The design changed" in summary
    assert "43" in summary  # the hole added in rev D
    accessible(page)
    screenshot(page, shots, "part-diff")
    sign_out(page)


def test_the_administration_pages_are_accessible(tab: Page, shots: Path) -> None:
    """People, one person with authorizations and tokens, and sites, as the administrator."""
    page = tab
    sign_in(page, "admin")
    page.click("nav a:has-text('Administration')")
    accessible(page)
    page.click("a:has-text('e.fischer')")
    assert "TAA-2026-0193" in page.locator("#auth-heading + table").inner_text()
    accessible(page)
    screenshot(page, shots, "admin-person")
    page.goto("/web/admin/sites")
    accessible(page)
    page.click("nav a:has-text('Customers')")
    accessible(page)
    page.click("main table a >> nth=0")
    assert page.locator("text=Channel in force").is_visible()
    accessible(page)
    screenshot(page, shots, "admin-customer")
    page.click("nav a:has-text('Re-FAI')")
    accessible(page)
    page.click("main table a >> nth=0")
    assert page.locator("text=What changed").is_visible()
    accessible(page)
    screenshot(page, shots, "trigger")
    sign_out(page)
