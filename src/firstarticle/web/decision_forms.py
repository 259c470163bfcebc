"""The customer decision form of the FAI page: a transcription with its evidence file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import UploadFile

from firstarticle.domain.channels import EntryPath
from firstarticle.domain.decisions import ItemComment, Outcome, RequestedAction
from firstarticle.services import ServiceContext, decisions
from firstarticle.web.forms import FieldError, choice_of, items_of, moment_of


def page_values(ctx: ServiceContext, fai_id: str) -> dict[str, Any]:
    """What the decision card shows: the decisions recorded, the channel and its people."""
    channel = decisions.channel_of(ctx, fai_id)
    return {
        "customer_decisions": decisions.decisions_of(ctx, fai_id),
        "channel": channel,
        "transcription_open": channel is not None
        and EntryPath.TRANSCRIPTION in channel.entry_paths,
    }


def _comments(text: str) -> list[ItemComment]:
    comments = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        form, _, rest = line.partition(":")
        item, _, comment = rest.partition(":")
        if form.strip() not in ("1", "2", "3") or not item.strip() or not comment.strip():
            raise FieldError("One comment a line: FORM:ITEM:COMMENT.", field="comments")
        comments.append(ItemComment(int(form), item.strip(), comment.strip()))
    return comments


def transcribe_posted(
    ctx: ServiceContext,
    fai_id: str,
    form: Mapping[str, str],
    upload: object,
    content: bytes,
) -> None:
    """Transcribe the posted decision with its uploaded evidence, or raise by field."""
    if not isinstance(upload, UploadFile) or not content:
        raise FieldError("Attach the evidence the decision came in.", field="evidence")
    offset = form.get("utc_offset", "").strip() or "+00:00"
    decided_at = moment_of(form.get("decided_at", "") + offset, "decided_at")
    action = form.get("requested_action", "")
    given = decisions.DecisionInput(
        outcome=choice_of(Outcome, form.get("outcome", ""), "outcome"),
        customer_person_id=form.get("customer_person_id", "").strip(),
        decided_at=decided_at,
        reference=form.get("reference", "").strip() or None,
        requested_action=choice_of(RequestedAction, action, "requested_action") if action else None,
        comments=_comments(form.get("comments", "")),
        conditions=[x.strip() for x in form.get("conditions", "").splitlines() if x.strip()],
        containment_serial_numbers=items_of(form.get("containment_serial_numbers", "")),
        containment_lots=items_of(form.get("containment_lots", "")),
    )
    decisions.transcribe_file(
        ctx,
        fai_id,
        given,
        file_name=upload.filename or "evidence",
        media_type=upload.content_type,
        content=content,
    )
