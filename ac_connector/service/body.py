"""Read a JSON request body: JSON only (a form post from another site cannot pass), bounded in size
(1 MB, compressed or not: one gzip or deflate encoding is accepted and counted as it inflates)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from engine import jsonlimits
from engine.decoding import BoundedDecoder
from engine.errors import InvalidResponse, ResponseTooLarge, ValidationError

from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from .openapi import check_request

MAX_BODY = 1024 * 1024


async def read_json(request: Request, schema: str) -> dict[str, Any]:
    """The body, checked against the published schema ``schema``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
    try:
        decoder = BoundedDecoder(request.headers.get("content-encoding"), MAX_BODY, what="the body")
    except InvalidResponse as exc:
        raise UnsupportedMediaType(exc.message) from None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
            chunks.append(decoder.feed(chunk))  # decompressed bytes are counted too
        chunks.append(decoder.flush())
    except ResponseTooLarge:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes once decompressed") from None
    except InvalidResponse as exc:
        raise BadRequest(exc.message) from None
    try:
        data = jsonlimits.loads(b"".join(chunks) or b"null")
    except jsonlimits.JsonLimitError as exc:
        raise BadRequest(f"the body cannot be used: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ValidationError([{"pointer": "", "keyword": "type", "message": "the body must be a JSON object"}])
    return check_request(schema, data)
