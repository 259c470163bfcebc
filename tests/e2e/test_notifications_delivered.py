"""Notifications leave the process for real: an SMTP server (aiosmtpd) and a webhook
receiver on loopback, each on a free port. The receiver checks the Standard Webhooks
signature with its own code; an ITAR part's technical data never reaches either."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from outbox_world import (
    HOLD_TOPICS,
    Hook,
    SmtpInbox,
    real_delivery,
    shipment_hold,
    subscribe_all,
    verify_standard_webhook,
)
from plant import a_plant, approve, as_

from firstarticle.config import Settings
from firstarticle.domain import model
from firstarticle.domain.classification import ExportRegime
from firstarticle.integrations.notify.smtp import SmtpMailer
from firstarticle.integrations.notify.webhooks import HttpWebhookSender
from firstarticle.ports import DeliveryFailedError, Email
from firstarticle.services import catalog, first_articles, holds, outbox

SENTINEL = "ITAR-XIX-SENTINEL-5RW"


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook().start()
    yield receiver
    receiver.stop()


def _delivery(inbox: SmtpInbox):
    mailer = SmtpMailer("127.0.0.1", inbox.port, sender="fai@plant.example", starttls=False)
    return real_delivery(mailer, HttpWebhookSender(timeout=2.0))


def _itar_plant(ctx):
    """The plant of the integration tests, its part ITAR USML XIX and its note's requirement
    text carrying the sentinel."""
    plant = a_plant(ctx, part_number="ITAR-77", note=f"Seal per {SENTINEL}")
    catalog.classify(
        ctx, plant.part.id, regime=ExportRegime.ITAR, category="XIX", reason="USML XIX(f)"
    )
    return plant


@pytest.mark.requirement("C5")
def test_an_email_and_a_signed_webhook_reach_real_receivers(ctx, inbox, hook):
    """One hold placed: the SMTP server gets a mail whose Message-ID and event-id header
    are the event id; the receiver's own signature check passes on the webhook."""
    plant = _itar_plant(ctx)
    subscribed = subscribe_all(ctx, plant.site.id, hook.url)
    hook.secret = subscribed.secret
    shipment_hold(ctx, plant, "Awaiting the review board")
    tally = outbox.run(ctx, _delivery(inbox), "e2e", once=True)
    assert tally.delivered >= 2
    (mail,) = inbox.messages()
    (headers, body, valid) = hook.received[0]
    assert valid
    assert len(hook.received) == 1
    event_id = mail["X-Firstarticle-Event-Id"]
    assert mail["Message-ID"] == f"<{event_id}@firstarticle>"
    assert mail["To"] == subscribed.email
    webhook = json.loads(body)
    assert webhook["id"] == headers["webhook-id"] != event_id  # one id per destination
    assert webhook["type"] == "firstarticle.hold_placed"
    assert webhook["link"] in mail.get_content()
    assert abs(int(headers["webhook-timestamp"]) - ctx.clock.now().timestamp()) < 1
    # A forged body fails the receiver's check: the signature covers it.
    assert not verify_standard_webhook(subscribed.secret, headers, body.replace(b"hold", b"hodl"))
    assert plant.revision.id not in body.decode()


@pytest.mark.requirement("A3", "C5")
def test_itar_technical_data_never_reaches_a_mail_or_a_webhook(ctx, inbox, hook, figure):
    """Holds placed (reasons naming the sentinel), overrides requested
    and signed, the FAI approved so its holds are released: every message of the run is
    delivered, and the sentinel is in none of them."""
    plant = _itar_plant(ctx)
    hook.secret = subscribe_all(ctx, plant.site.id, hook.url).secret
    manual = shipment_hold(ctx, plant, f"Seal leak, see {SENTINEL}")
    override = holds.request_override(
        as_(ctx, "pm.one"),
        manual.id,
        reason=f"Customer waiver {SENTINEL}",
        expires_at=ctx.clock.now() + timedelta(days=3),
    )
    holds.sign_override(as_(ctx, "pm.two"), manual.id, override.id)
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason=f"New part {SENTINEL}",
    )
    shipment_hold(ctx, plant, f"Until FAI, {SENTINEL}", first_article_id=fai.fai.id)
    approve(ctx, fai.fai.id, comments=f"Approved, note {SENTINEL}")
    outbox.run(ctx, _delivery(inbox), "sentinel", once=True)

    mails = [bytes(raw) for raw in inbox.raw]
    bodies = [body for _, body, _ in hook.received]
    topics = {json.loads(b)["type"].removeprefix("firstarticle.") for b in bodies}
    assert topics == {t.value for t in HOLD_TOPICS}
    assert len(mails) == len(bodies) >= 5  # 2 placed, 1+ released, 1 requested, 1 signed
    leaks = sum(SENTINEL.encode() in m for m in mails + bodies)
    figure("A3", f"sentinel in {len(mails)} mails and {len(bodies)} webhooks", leaks, "0")
    assert leaks == 0
    assert all(valid for _, _, valid in hook.received)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_authentication_uses_the_password_from_its_file(tmp_path):
    """A server that requires AUTH takes the password read from FIRSTARTICLE_SMTP_PASSWORD_FILE
    and refuses a wrong one (the error keeps the SMTP failure, never the password)."""
    server = SmtpInbox(login=("fai-notify", "s3cret pass")).start()
    try:
        secret_file = tmp_path / "smtp-password"
        secret_file.write_text("s3cret pass\n")
        settings = Settings(
            smtp_password="wrong", smtp_password_file=str(secret_file), smtp_port=server.port
        )

        def mailer(password: str | None) -> SmtpMailer:
            return SmtpMailer(
                "127.0.0.1",
                settings.smtp_port,
                sender="fai@plant.example",
                starttls=False,
                username="fai-notify",
                password=password,
                timeout=1.0,
            )

        email = Email("q@plant.example", "[firstarticle] test", "body", "evt-1")
        with pytest.raises(DeliveryFailedError, match=r"^smtp") as refused:
            mailer(settings.smtp_password).send(email)
        assert "wrong" not in str(refused.value)
        assert server.raw == []
        mailer(settings.smtp_secret()).send(email)
        (received,) = server.messages()
        assert received["X-Firstarticle-Event-Id"] == "evt-1"
    finally:
        server.stop()
