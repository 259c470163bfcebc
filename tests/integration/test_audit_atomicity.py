"""R3 and R7: a business write never commits without its audit entry, and the record times
are the server's, whatever a client sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from plant import a_plant, an_fai

from firstarticle.services import catalog, first_articles
from firstarticle.storage.repositories import SqlAuditLog


class AuditDownError(RuntimeError):
    """The audit write fails (disk full, lost connection, a trigger refusing it)."""


WRITES = {
    "update an FAI": lambda ctx, p, f: first_articles.update_first_article(
        ctx, f, {"purchase_order": "PO-LOST"}
    ),
    "create a customer": lambda ctx, p, f: catalog.create_customer(
        ctx, code="CLOST", name="Lost", vendor_code="V"
    ),
    "create a part": lambda ctx, p, f: catalog.create_part(ctx, number="LOST-1", name="Lost"),
}


@pytest.mark.requirement("R3")
def test_when_the_audit_write_fails_the_business_write_rolls_back(
    ctx: Any, monkeypatch: pytest.MonkeyPatch, figure: Any
) -> None:
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id

    def refuse(self: SqlAuditLog, *args: Any) -> None:
        raise AuditDownError("the audit table refused the entry")

    monkeypatch.setattr(SqlAuditLog, "append", refuse)
    committed = []
    for write in WRITES.values():
        with pytest.raises(AuditDownError):
            write(ctx, plant, fai_id)
    monkeypatch.undo()
    if first_articles.get_first_article(ctx, fai_id).fai.purchase_order == "PO-LOST":
        committed.append("update an FAI")
    codes = {c.code for c in catalog.list_customers(ctx, limit=200).items}
    if "CLOST" in codes:
        committed.append("create a customer")
    if "LOST-1" in {p.number for p in catalog.list_parts(ctx, limit=200).items}:
        committed.append("create a part")
    figure("R3", f"writes committed without audit, of {len(WRITES)} kinds", len(committed), "0")
    assert committed == []


@pytest.mark.requirement("R7")
def test_record_times_are_the_servers_not_the_clients(client: Any, ctx: Any, clock: Any) -> None:
    """A body naming its own record time is refused; what is stored carries server time."""
    fai_id = an_fai(ctx, a_plant(ctx)).fai.id
    forged = "2001-01-01T00:00:00Z"
    url = f"/api/v1/first-articles/{fai_id}"
    refused = client.patch(url, json={"purchase_order": "PO-T", "updated_at": forged})
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request")
    clock.advance(hours=5)
    changed = client.patch(url, json={"purchase_order": "PO-T"}, headers={"Date": forged})
    assert changed.status_code == 200
    assert datetime.fromisoformat(changed.json()["updated_at"]) == clock.now()
    trail = client.get(f"{url}/audit", params={"limit": 200}).json()["items"]
    assert datetime.fromisoformat(trail[-1]["at"]) == clock.now().astimezone(UTC)
