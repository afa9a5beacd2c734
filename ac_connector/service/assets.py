"""The builder's static assets: gzip-compressed when the browser accepts it, with cache headers.

The page links its assets under ``/static/<version>/`` where the version is a hash of their contents,
so they can be cached for a year (``immutable``): a new release is a new URL. ``/static/...`` without a
version still works and is revalidated on every use (ETag). The page itself is never cached.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def assets_version(directory: Path) -> str:
    """A short hash of every asset's path and bytes: changes whenever any asset does."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def accepts_gzip(headers: Headers) -> bool:
    return any(part.split(";")[0].strip() in ("gzip", "*") for part in headers.get("accept-encoding", "").split(","))


def compressed_response(body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    return Response(
        gzip.compress(body, 6, mtime=0),
        media_type=media_type,
        headers={**headers, "content-encoding": "gzip", "vary": "Accept-Encoding"},
    )


class BuilderAssets(StaticFiles):
    """StaticFiles with a cache policy and gzip; compressed bytes are kept per file version."""

    def __init__(self, *, directory: Path, cache_control: str) -> None:
        super().__init__(directory=directory)
        self.cache_control = cache_control
        self._gzipped: dict[tuple[str, float, int], bytes] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        response.headers["cache-control"] = self.cache_control
        response.headers["vary"] = "Accept-Encoding"
        if (
            response.status_code != 200
            or not isinstance(response, FileResponse)
            or not accepts_gzip(Headers(scope=scope))
            or not (response.media_type or "").startswith(COMPRESSIBLE)
        ):
            return response
        return self._gzip(response)

    def _gzip(self, response: FileResponse) -> Response:
        stat: Any = response.stat_result
        key = (str(response.path), stat.st_mtime, stat.st_size)
        body = self._gzipped.get(key)
        if body is None:
            body = gzip.compress(Path(response.path).read_bytes(), 6, mtime=0)
            self._gzipped[key] = body
        headers = {k: v for k, v in response.headers.items() if k in ("etag", "last-modified", "cache-control")}
        if "etag" in headers:
            headers["etag"] = "W/" + headers["etag"]  # another representation of the same file
        return Response(
            body, media_type=response.media_type, headers={**headers, "content-encoding": "gzip", "vary": "Accept-Encoding"}
        )
