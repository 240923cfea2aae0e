"""Request and Response as handlers see them: plain data, no sockets, no h11."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]  # names lower-cased
    body: bytes = b""
    client: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        """The first value of each query parameter."""
        raw = self.target.split("?", 1)[1] if "?" in self.target else ""
        return {key: values[0] for key, values in parse_qs(raw).items()}

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        if not self.body:
            return {}
        return json.loads(self.body)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, document: Any, headers: list[tuple[str, str]] | None = None
             ) -> Response:
        body = json.dumps(document, separators=(",", ":")).encode()
        return cls(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])

    @classmethod
    def success(cls, data: Any = None, *, status: int = 200, message: str | None = None,
                headers: list[tuple[str, str]] | None = None) -> Response:
        document: dict[str, Any] = {"status": "success"}
        if message is not None:
            document["message"] = message
        if data is not None:
            document["data"] = data
        return cls.json(status, document, headers)

    @classmethod
    def error(cls, status: int, message: str, headers: list[tuple[str, str]] | None = None
              ) -> Response:
        return cls.json(status, {"status": "error", "message": message}, headers)


Handler = Callable[[Request], Awaitable[Response]]
