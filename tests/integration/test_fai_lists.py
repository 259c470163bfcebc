"""FAI lists and dashboard counts on the database: filters, stable sorting, one grouped query."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plant import a_plant, an_fai

from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.ports import FaiFilter, FaiSort
from firstarticle.services import catalog, first_articles, orders


def _second_program(ctx, plant, program: str) -> str:
    """Another work order of the same plant for ``program``; an FAI on it."""
    order = orders.create_work_order(
        ctx,
        site_id=plant.site.id,
        number=f"WO-{program}",
        part_revision_id=plant.revision.id,
        quantity=1,
        customer_id=plant.customer.id,
        program=program,
        serial_numbers=[f"SN-{program}"],
    )
    return first_articles.create_first_article(
        ctx,
        work_order_id=order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    ).fai.id


def test_lists_filter_by_customer_part_and_program(ctx):
    west = a_plant(ctx)
    east = a_plant(ctx, code="EST", part_number="9B0001-1")
    plain = an_fai(ctx, west).fai.id
    on_program = _second_program(ctx, west, "F-35")
    elsewhere = an_fai(ctx, east).fai.id

    def ids(**which):
        return {f.id for f in first_articles.list_first_articles(ctx, **which).items}

    assert ids(customer_id=west.customer.id) == {plain, on_program}
    assert ids(part_id=east.part.id) == {elsewhere}
    assert ids(program="F-35") == {on_program}
    assert ids(program="F-35", customer_id=east.customer.id) == set()
    assert ids(part_id=catalog.create_part(ctx, number="NONE-1", name="Unused").id) == set()


def test_dashboard_counts_come_from_one_query_per_status_group(ctx, clock, connection):
    plant = a_plant(ctx)
    first = an_fai(ctx, plant).fai.id
    clock.advance(days=2)
    second = an_fai(ctx, plant).fai.id
    an_fai(ctx, plant)
    first_articles.transition(ctx, first, FaiAction.START)
    first_articles.transition(ctx, second, FaiAction.START)
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(connection, "before_cursor_execute", seen)
    try:
        counts = first_articles.status_counts(ctx, FaiFilter(site_id=plant.site.id))
    finally:
        sa.event.remove(connection, "before_cursor_execute", seen)
    by_status = {c.status: c for c in counts}
    assert {s: c.count for s, c in by_status.items()} == {
        FaiStatus.IN_PROGRESS: 2,
        FaiStatus.DRAFT: 1,
    }
    opened = first_articles.get_first_article(ctx, first).fai.created_at
    assert by_status[FaiStatus.IN_PROGRESS].oldest == opened
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


# The examples share the test's database on purpose: one plant, seven FAIs, many sorts.
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(min_value=1, max_value=4),
    sort=st.sampled_from(list(FaiSort)),
    descending=st.booleans(),
)
def test_consecutive_pages_of_any_sort_neither_repeat_nor_skip(ctx, size, sort, descending):
    """Many FAIs share a status and a timestamp: the id must break the ties."""
    if not catalog.list_sites(ctx, limit=10).items:
        plant = a_plant(ctx)
        for _ in range(7):
            an_fai(ctx, plant)
    everyone = first_articles.list_first_articles(ctx, limit=100).total
    seen: list[str] = []
    for offset in range(0, everyone, size):
        page = first_articles.list_first_articles(
            ctx, sort=sort, descending=descending, limit=size, offset=offset
        )
        seen += [f.id for f in page.items]
    assert len(seen) == len(set(seen)) == everyone
