"""The task inbox page: a quality engineer sees the review task waiting for the quality role,
answers its checklist on the page and marks it done; an unknown answer keeps it open."""

from __future__ import annotations

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in

from firstarticle import bootstrap
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import ServiceContext, first_articles, review_admin, tasks

TEMPLATE = {
    "stages": [
        {
            "key": "quality",
            "name": "Quality review",
            "role": "quality",
            "required": True,
            "checklist": [{"key": "certs", "text": "Certificates match Form 2"}],
        }
    ]
}


def test_a_review_task_is_answered_and_done_from_the_inbox(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    """The inbox lists the task under 'Waiting for quality' with its FAIR; a bad answer is
    refused (422, the task stays open); answering yes marks it done."""
    a_person(application, "m.keller")
    shop = plant.a_plant(ctx)
    review_admin.set_template(ctx, shop.customer.code, TEMPLATE)
    fai = plant.an_fai(ctx, shop).fai
    first_articles.transition(ctx, fai.id, FaiAction.START)
    plant.complete_results(ctx, fai.id)
    plant.sign(ctx, fai.id, SignatureMeaning.VERIFIED, "q.verifier")
    (task,) = tasks.inbox(ctx, first_article_id=fai.id).items
    csrf = sign_in(web, "m.keller")

    inbox = web.get("/web/tasks")
    assert inbox.status_code == 200
    assert "Waiting for quality" in inbox.text
    assert fai.fair_identifier in inbox.text
    assert "Certificates match Form 2" in inbox.text

    wrong = web.post(
        f"/web/tasks/{task.task.id}/completion", data={"csrf_token": csrf, "answer-certs": "maybe"}
    )
    assert wrong.status_code == 422
    assert tasks.get_task(ctx, task.task.id).task.status.is_open

    done = web.post(
        f"/web/tasks/{task.task.id}/completion",
        data={"csrf_token": csrf, "answer-certs": "yes", "comment-certs": "COC-881 checked"},
    )
    assert done.status_code == 200
    assert "The task is done" in done.text
    assert not tasks.get_task(ctx, task.task.id).task.status.is_open
