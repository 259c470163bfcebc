"""First-pass yield: a customer's FAIs approved on their first decided attempt."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from firstarticle.domain import decisions
from firstarticle.domain.access import Permission
from firstarticle.services import ServiceContext, allowed, found
from firstarticle.services.channels import customer_by_key


@dataclass(frozen=True)
class YieldReport:
    """The ratio with the counts behind it, for one customer (site and program optional)."""

    customer_code: str
    site_code: str | None
    program: str | None
    counts: decisions.FirstPassYield


def first_pass_yield(
    ctx: ServiceContext, customer: str, *, site: str | None = None, program: str | None = None
) -> YieldReport:
    """First-pass yield over the customer's submitted FAIs the caller may see: approved on the
    first decided attempt over all first decisions; resets are never counted as rejections."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        chosen = customer_by_key(uow, customer)
        site_ids = ctx.principal.site_ids
        site_code = None
        if site is not None:
            found_site = found(uow.sites.get(site) or uow.sites.by_code(site), "Site", site)
            allowed(ctx, Permission.READ, found_site.id)
            site_ids, site_code = frozenset({found_site.id}), found_site.code
        ids, records, settled = uow.channels.yield_records(chosen.id, site_ids, program)
    by_fai: dict[str, list[decisions.CustomerDecisionRecord]] = defaultdict(list)
    for r in records:
        by_fai[r.first_article_id].append(r)
    firsts: dict[str, decisions.Outcome | None] = {}
    for fai_id, listed in by_fai.items():
        decided, outcome = decisions.first_outcome(listed, settled)
        if decided:
            firsts[fai_id] = outcome
    return YieldReport(chosen.code, site_code, program, decisions.first_pass_yield(ids, firsts))
