"""What an FAI accounts for beyond its rows: Form 2 categories stated as not applying, and
the characteristics a partial FAI leaves out, each with who said so, when and why."""

from __future__ import annotations

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.services import ServiceContext
from firstarticle.services.fai_record import (
    FirstArticleDetail,
    characteristic_of,
    commit_change,
    load_fai,
)


def state_none_applies(
    ctx: ServiceContext, fai_id: str, *, kind: model.Form2Kind, reason: str
) -> FirstArticleDetail:
    """Record, under the caller's name, that no Form 2 entry of ``kind`` applies to the FAI;
    refused while Form 2 lists entries of that kind."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        statement = loaded.fai.state_none_applies(kind, reason, ctx.actor, ctx.clock.now())
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.form2_none_applies_stated",
            {f"form2.{kind.value}": (None, "none applies")},
            statement.reason,
        )


def withdraw_none_applies(
    ctx: ServiceContext, fai_id: str, *, kind: model.Form2Kind, reason: str
) -> FirstArticleDetail:
    """Take back a 'none applies' statement, with the reason."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        loaded.fai.withdraw_none_applies(kind, ctx.clock.now())
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.form2_none_applies_withdrawn",
            {f"form2.{kind.value}": ("none applies", None)},
            model.require_text(reason, "reason"),
        )


def omit_characteristic(
    ctx: ServiceContext, fai_id: str, *, balloon: str, reason: str
) -> FirstArticleDetail:
    """Leave a characteristic out of a partial FAI's Form 3, with the reason on record."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        characteristic = characteristic_of(loaded, balloon)
        omission = loaded.fai.omit(characteristic, reason, ctx.actor, ctx.clock.now())
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.characteristic_omitted",
            {"omitted": (None, f"balloon {characteristic.balloon}")},
            omission.reason,
        )
