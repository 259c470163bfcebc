"""Customers' channels and review workflows: the configuration in force with its version
history, the next version written from a form, and the review template as its JSON document.
The services decide who may change them; these pages only show and send."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from firstarticle.domain import channels as channel_rules
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import DomainError
from firstarticle.domain.model import FormRevision
from firstarticle.services import catalog, channels, review_admin
from firstarticle.web.forms import FieldError, choice_of, posted_lists
from firstarticle.web.session import (
    NOTHING_REFUSED,
    CurrentPage,
    Page,
    Refusal,
    error_page,
    submit,
)

router = APIRouter(prefix="/admin/customers", include_in_schema=False)
PAGE_SIZE = 25
DONE = {
    "channel": "The next channel version is in force; FAIs keep the version they were "
    "submitted under.",
    "template": "The next review template version is in force; running reviews keep theirs.",
}


@router.get("")
def customer_list(
    page: CurrentPage, number: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    """Customers by code with their channel and form revision."""
    try:
        result = catalog.list_customers(page.ctx, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    except DomainError as error:
        return error_page(page, error)
    return page.render(
        "admin_customers.html",
        result=result,
        number=number,
        pages=max(1, -(-result.total // PAGE_SIZE)),
    )


def _people(text: str) -> list[channel_rules.CustomerPerson]:
    """One person a line: the customer's id | name | email | firstarticle username."""
    people = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")] + ["", "", ""]
        if not cells[0] or not cells[1]:
            raise FieldError(
                f"Line {n}: give at least the customer's id and a name.", field="people"
            )
        people.append(
            channel_rules.CustomerPerson(cells[0], cells[1], cells[2] or None, cells[3] or None)
        )
    return people


def people_text(config: channel_rules.ChannelConfiguration) -> str:
    """The configured people as the form's lines."""
    return "\n".join(
        " | ".join([p.customer_person_id, p.name, p.email or "", p.username or ""]).rstrip(" |")
        for p in config.people
    )


def render_customer(page: Page, customer_id: str, refusal: Refusal = NOTHING_REFUSED) -> Response:
    try:
        view = channels.show_channel(page.ctx, customer_id)
        template = review_admin.get_template(page.ctx, customer_id)
    except DomainError as error:
        return error_page(page, error)
    return page.render_form(
        "admin_customer.html",
        refusal,
        DONE,
        customer=view.customer,
        current=view.current,
        versions=list(reversed(view.versions)),
        people=people_text(view.current),
        template=template,
        document=json.dumps(template.template.document(), indent=2),
        authorities=list(channel_rules.Authority),
        buy_offs=list(channel_rules.BuyOffMode),
        paths=list(channel_rules.EntryPath),
        revisions=list(FormRevision),
        may_change_channel=page.can(Permission.CHANNEL_MANAGE),
        may_change_template=page.can(Permission.CUSTOMER_MANAGE),
    )


@router.get("/{customer_id}")
def customer_page(page: CurrentPage, customer_id: str) -> Response:
    return render_customer(page, customer_id)


@router.post("/{customer_id}/channel")
async def set_channel(request: Request, page: CurrentPage, customer_id: str) -> Response:
    """Write the next channel configuration version from the form."""
    form, lists = await posted_lists(request)

    def act() -> None:
        channels.set_channel(
            page.ctx,
            customer_id,
            authority=choice_of(channel_rules.Authority, form.get("authority", ""), "authority"),
            buy_off=choice_of(channel_rules.BuyOffMode, form.get("buy_off", ""), "buy_off"),
            form_revision=choice_of(FormRevision, form.get("form_revision", ""), "form_revision"),
            ships_while_conditional=form.get("ships_while_conditional") == "yes",
            people=_people(form.get("people", "")),
            # None checked: every path the authority allows (the service's default).
            entry_paths=[
                choice_of(channel_rules.EntryPath, v, "entry_paths")
                for v in lists.get("entry_paths", [])
            ]
            or None,
            portal_name=form.get("portal_name", "").strip() or None,
            conditions_meaning=form.get("conditions_meaning", "").strip() or None,
            reason=form.get("reason", "").strip() or None,
        )

    return submit(
        page,
        form,
        form_name="channel",
        default_field="authority",
        act=act,
        again=lambda refusal: render_customer(page, customer_id, refusal),
        then=f"/web/admin/customers/{customer_id}?done=channel",
    )


@router.post("/{customer_id}/template")
async def set_template(request: Request, page: CurrentPage, customer_id: str) -> Response:
    """Store the posted JSON document as the customer's next review template version."""
    form, _ = await posted_lists(request)

    def act() -> None:
        try:
            document = json.loads(form.get("document", ""))
        except ValueError:
            raise FieldError("The template is not valid JSON.", field="document") from None
        review_admin.set_template(page.ctx, customer_id, document)

    return submit(
        page,
        form,
        form_name="template",
        default_field="document",
        act=act,
        again=lambda refusal: render_customer(page, customer_id, refusal),
        then=f"/web/admin/customers/{customer_id}?done=template",
    )
