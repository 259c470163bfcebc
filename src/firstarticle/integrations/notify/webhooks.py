"""Webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com/):
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``{id}.{timestamp}.{body}`` with the endpoint's secret (``whsec_`` + base64 of the key)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx

from firstarticle.ports import DeliveryFailedError

SECRET_PREFIX = "whsec_"


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header a delivery carries."""
    return {
        "content-type": "application/json",
        "user-agent": "firstarticle-webhooks",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


class HttpWebhookSender:
    """POSTs with httpx; a 2xx is delivered, anything else (or a timeout) DeliveryFailedError
    naming the status or the error class, never the URL (it may carry a token)."""

    def __init__(self, timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def send(self, url: str, secret: str, event_id: str, timestamp: int, body: bytes) -> None:
        try:
            response = self.client.post(
                url, content=body, headers=headers(secret, event_id, timestamp, body)
            )
        except httpx.TimeoutException:
            raise DeliveryFailedError("webhook timed out") from None
        except httpx.HTTPError as error:
            raise DeliveryFailedError(f"webhook: {type(error).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailedError(f"webhook answered {response.status_code}")
