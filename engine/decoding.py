"""Decompress a body as it streams, never beyond a size limit.

httpx inflates each chunk whole: a 2 KB answer sent ``Content-Encoding: gzip, gzip`` inflates to
gigabytes before any size check sees it. Here the compressed bytes are fed to zlib with a cap on
what it may hand back (``max_length``), the output is counted as it comes, and a body encoded more
than once (or with an encoding this client does not speak) is refused outright.
"""

from __future__ import annotations

import zlib

from .errors import InvalidResponse, ResponseTooLarge

_GZIP = 16 + zlib.MAX_WBITS
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


def encodings_of(header: str | None) -> list[str]:
    """The content codings applied, in order, without ``identity``."""
    return [e for e in (part.strip().lower() for part in (header or "").split(",")) if e and e != "identity"]


class BoundedDecoder:
    """Feed compressed chunks, get decompressed ones; raises ResponseTooLarge once ``limit`` is passed."""

    def __init__(self, content_encoding: str | None, limit: int, *, what: str = "the response") -> None:
        codings = encodings_of(content_encoding)
        if len(codings) > 1:
            raise InvalidResponse(
                f"{what} is compressed {len(codings)} times ({', '.join(codings)}); only one content encoding is accepted",
                rule="encoding",
            )
        coding = codings[0] if codings else None
        if coding not in (None, "gzip", "x-gzip", "deflate"):
            raise InvalidResponse(
                f"{what} uses the content encoding {coding[:40]!r}, which this client does not accept (gzip or deflate only)",
                rule="encoding",
            )
        self.coding = coding
        self.limit = limit
        self.what = what
        self.size = 0
        self._first = True
        self._z = None if coding is None else zlib.decompressobj(_GZIP if coding in ("gzip", "x-gzip") else _ZLIB)

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise ResponseTooLarge(f"{self.what} is larger than {self.limit} bytes (once decompressed)")
        return out

    def feed(self, chunk: bytes) -> bytes:
        if self._z is None:
            return self._count(chunk)
        try:
            out = self._inflate(chunk)
        except zlib.error:
            if not (self._first and self.coding == "deflate"):
                raise InvalidResponse(f"{self.what} cannot be decompressed ({self.coding})", rule="encoding") from None
            self._z = zlib.decompressobj(_RAW_DEFLATE)  # "deflate" without its zlib header, as some servers send
            out = self._inflate(chunk)
        self._first = False
        return out

    def _inflate(self, chunk: bytes) -> bytes:
        assert self._z is not None
        parts: list[bytes] = []
        data = chunk
        while True:
            room = self.limit - self.size + 1  # one byte past the limit is enough to know it was passed
            parts.append(self._count(self._z.decompress(data, room)))
            data = self._z.unconsumed_tail
            if not data:
                return b"".join(parts)

    def flush(self) -> bytes:
        if self._z is None:
            return b""
        try:
            return self._count(self._z.flush(self.limit - self.size + 1))
        except zlib.error:
            raise InvalidResponse(f"{self.what} cannot be decompressed ({self.coding})", rule="encoding") from None
