"""Bounded uploads shared by the routers that take files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import Message


def too_large(max_bytes: int) -> HTTPException:
    """The 413 an upload over ``max_bytes`` gets."""
    return HTTPException(
        413, f"The upload exceeds {max_bytes // (1024 * 1024)} MiB; send a smaller file."
    )


def limited(request: Request, max_bytes: int) -> Request:
    """The request with a body that stops (413) once it passes ``max_bytes``."""
    received = 0
    receive = request.receive

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise too_large(max_bytes)
        return message

    limited_receive: Callable[[], Awaitable[Message]] = counting
    return Request(request.scope, receive=limited_receive)
