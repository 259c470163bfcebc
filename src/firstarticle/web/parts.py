"""Part pages: the part list, a part with the characteristic list of each revision, and the
characteristic diff between two revisions (what a delta FAI must cover)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from firstarticle.domain.errors import DomainError
from firstarticle.domain.forms import natural_key
from firstarticle.services import catalog, characteristic_import
from firstarticle.web.session import CurrentPage, error_page

router = APIRouter(prefix="/parts", include_in_schema=False)
PAGE_SIZE = 25
Rev = Annotated[str | None, Query(min_length=1, max_length=16)]


@router.get("")
def part_list(page: CurrentPage, number: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The parts whose technical data the person may receive, by number."""
    try:
        result = catalog.list_parts(page.ctx, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "parts.html", result=result, number=number, pages=max(1, -(-result.total // PAGE_SIZE))
    )


@router.get("/{part_id}")
def part_page(
    page: CurrentPage, part_id: str, rev: Rev = None, diff_from: Rev = None, diff_to: Rev = None
) -> Response:
    """A part: its revisions, the characteristic list of one, and a diff of two."""
    try:
        part = catalog.get_part(page.ctx, part_id)
        diff = (
            characteristic_import.diff_revisions(page.ctx, part.number, diff_from, diff_to)
            if diff_from and diff_to
            else None
        )
    except DomainError as error:
        return error_page(page, error)
    shown = next((r for r in part.revisions if r.revision == rev), None)
    if shown is None and part.revisions:
        shown = part.released_revision or part.revisions[-1]
    characteristics = sorted(
        shown.characteristics if shown else [], key=lambda c: natural_key(c.balloon)
    )
    # The BOM comes with a single revision's read (PLM's, for an assembly's Form 1 index).
    bom = catalog.get_revision(page.ctx, shown.id).bill_of_materials if shown else []
    return page.render(
        "part.html",
        part=part,
        shown=shown,
        bom=sorted(bom, key=lambda line: natural_key(line.find_number)),
        characteristics=characteristics,
        diff=diff.diff if diff else None,
        diff_from=diff_from or "",
        diff_to=diff_to or "",
    )
