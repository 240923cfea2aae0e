"""`GET /health`: is the API up, how fast, and what stands in front of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from seatctl.errors import ErrorEnvelope
from seatctl.http import (
    ATTEMPT_NUMBER,
    ATTEMPT_SECONDS,
    ApiClient,
    RateLimitInfo,
    decode_json,
    local_time,
    parse_model,
)

IDENTIFYING_HEADERS = (
    "server", "x-powered-by", "via", "x-render-origin-server", "rndr-id", "cf-ray",
    "cf-cache-status", "fly-request-id", "x-vercel-id", "x-amzn-trace-id", "x-amz-cf-id",
    "x-served-by", "x-cache", "connection", "keep-alive",
)


class HealthBody(BaseModel):
    """`/health` puts its fields at the top level, not under `data`."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    message: str | None = None
    timestamp: str | None = None
    environment: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Health:
    url: str
    status_code: int
    latency_s: float
    body: HealthBody
    server_headers: dict[str, str]
    attempts: int = 1
    rate_limit: RateLimitInfo | None = None  # this answer's, or as last seen by seatctl
    rate_limit_seen_at: float | None = None  # Unix time
    now: float = 0.0  # Unix time of the answer

    def budget_line(self) -> str:
        """"42 of 100 left, resets 18:28:05 (seen 18:20:01)", or why it is not known."""
        if self.rate_limit is None:
            return "not known yet (the server announces it on its /api/ answers)"
        seen = ""
        if self.rate_limit_seen_at is not None and self.now - self.rate_limit_seen_at > 1:
            seen = f" (seen {local_time(self.rate_limit_seen_at, self.now)})"
        return self.rate_limit.describe(self.now) + seen

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status_code": self.status_code,
            "latency_ms": round(self.latency_s * 1000, 1),
            "attempts": self.attempts,
            "health": self.body.model_dump(exclude_none=True),
            "server_headers": self.server_headers,
            "rate_limit": None if self.rate_limit is None else {
                **self.rate_limit.as_dict(), "seen_at": self.rate_limit_seen_at},
        }


def check_health(client: ApiClient) -> Health:
    """GET /health; the latency is that of the attempt that answered, not of retries."""
    response = client.get("/health", authenticated=False)
    latency = float(response.extensions[ATTEMPT_SECONDS])
    attempts = int(response.extensions[ATTEMPT_NUMBER])
    body = parse_model(decode_json(response), HealthBody, "GET /health")
    if body.status == "error":
        raise ErrorEnvelope(f"GET /health answered that the server is unhealthy: "
                            f"{body.message or 'no message'}",
                            hint="the server is up but reports a problem; check its logs")
    headers = {name: response.headers[name] for name in IDENTIFYING_HEADERS
               if name in response.headers}
    budget = client.budget
    return Health(str(response.request.url), response.status_code, latency, body, headers,
                  attempts, budget.known, budget.seen_at, budget.now())
