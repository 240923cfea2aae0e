"""Reading a response body within a size cap, decompressing it without a bomb going off.

RESPONSE_SIZE_CAP bounds the body after decoding (and so also what comes over the wire for an
uncompressed body): no answer of the booking API comes near it (a seat map of 10,000 seats is
about 1 MB). Decompression is done here, in bounded steps (`max_length`), so a few KB of
gzip that would expand to gigabytes is refused after at most the cap plus one step, never
inflated in memory first.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import httpx

from seatctl.errors import ProtocolViolation, ResponseError

RESPONSE_SIZE_CAP = 10 * 1024 * 1024  # bytes of decoded body
DECODE_STEP = 64 * 1024  # bytes inflated at most per step
ACCEPT_ENCODING = "gzip, deflate"  # what `BoundedDecoder` can decode
TOO_LARGE_HINT = ("the answer is far larger than any the API sends: a wrong URL, a proxy "
                  "serving a file, or a broken server")


class ResponseTooLarge(ResponseError):
    """The body is over RESPONSE_SIZE_CAP (or would expand past it): refused, not loaded."""


def read_capped(response: httpx.Response, cap: int = RESPONSE_SIZE_CAP) -> bytes:
    """Read the streamed `response`'s body, decoded; ResponseTooLarge past `cap` bytes."""
    where = f"{response.request.method} {response.request.url.path}"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(where, f"says Content-Length {int(declared):,} bytes", cap)
    if response.is_stream_consumed:  # built with its content in memory (a mock transport)
        if len(response.content) > cap:
            raise _too_large(where, "sent a body", cap)
        return response.content
    decoder = BoundedDecoder(response.headers.get("content-encoding", ""), where)
    pieces: list[bytes] = []
    size = 0
    for piece in decoder.decode(response.iter_raw()):
        size += len(piece)
        if size > cap:
            raise _too_large(where, "sent a body", cap)
        pieces.append(piece)
    return b"".join(pieces)


def _too_large(where: str, what: str, cap: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"{where} {what} over the response size cap of {cap // (1024 * 1024)} MB: refused",
        hint=TOO_LARGE_HINT)


class BoundedDecoder:
    """gzip, deflate (zlib or raw) or identity, inflated at most DECODE_STEP bytes at a time."""

    def __init__(self, content_encoding: str, where: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ProtocolViolation(
                f"{where} answered with Content-Encoding {content_encoding!r}, which seatctl "
                f"did not ask for (it accepts {ACCEPT_ENCODING})",
                hint="the server (or a proxy) is misbehaving; `--trace` shows the exchange")
        self._coding = codings[0] if codings else None
        self._where = where
        self._inflater: zlib._Decompress | None = None

    def decode(self, chunks: Iterable[bytes]) -> Iterable[bytes]:
        if self._coding is None:
            yield from chunks
            return
        for chunk in chunks:
            yield from self._inflate(chunk)

    def _inflate(self, data: bytes) -> Iterable[bytes]:
        if self._inflater is None:
            self._inflater = self._start(data)
        while data:
            try:
                out = self._inflater.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                raise self._undecodable(exc) from None
            data = self._inflater.unconsumed_tail
            if not out:
                break
            yield out

    def _start(self, first: bytes) -> zlib._Decompress:
        if self._coding != "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:  # "deflate" is zlib-wrapped by the RFC, raw by some servers: try both
            zlib.decompressobj().decompress(first[:64], 1)
            return zlib.decompressobj()
        except zlib.error:
            return zlib.decompressobj(-zlib.MAX_WBITS)

    def _undecodable(self, exc: zlib.error) -> ProtocolViolation:
        return ProtocolViolation(
            f"{self._where} sent a body that cannot be decoded ({self._coding}): {exc}",
            hint="the server (or a proxy) is misbehaving; `--trace` shows the exchange")
