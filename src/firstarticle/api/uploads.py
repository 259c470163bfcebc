"""Bounded uploads shared by the routers that take files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message

from firstarticle.domain.errors import ValidationError


def upload_body(description: str) -> dict[str, object]:
    """The OpenAPI request body of a route that takes one file in the multipart field
    ``file`` (for ``openapi_extra``)."""
    file = {"type": "string", "format": "binary", "description": description}
    schema = {"type": "object", "required": ["file"], "properties": {"file": file}}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


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


@asynccontextmanager
async def received_file(
    request: Request, what: str, query_parameters: str, max_bytes: int
) -> AsyncIterator[UploadFile]:
    """The one file of a multipart upload in the field ``file``, rewound, open for the block.

    415 unless the body is multipart/form-data, 413 past ``max_bytes`` (declared or sent);
    any other form field is refused, naming the query parameters the route takes instead.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise HTTPException(415, f"Upload the {what} as multipart/form-data, field 'file'.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    form = await limited(request, max_bytes).form(max_files=1, max_fields=10)
    try:
        upload = form.get("file")
        extra = sorted(k for k in form if k != "file")
        if extra:
            raise ValidationError(
                f"Unexpected form field(s) {', '.join(extra)}: send only 'file'; "
                f"{query_parameters} are query parameters.",
                field=extra[0],
            )
        if not isinstance(upload, UploadFile):
            raise ValidationError(f"Upload the {what} in the multipart field 'file'.", field="file")
        upload.file.seek(0)
        yield upload
    finally:
        await form.close()
