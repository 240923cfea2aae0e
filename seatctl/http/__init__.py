"""The one HTTP core. Importing it imports httpx: only commands that talk HTTP do."""

from seatctl.http._body import RESPONSE_SIZE_CAP, ResponseTooLarge, read_capped
from seatctl.http._client import (
    ATTEMPT_NUMBER,
    ATTEMPT_SECONDS,
    USER_AGENT,
    ApiClient,
    ClientConfig,
)
from seatctl.http._envelope import (
    Envelope,
    decode_json,
    error_for_status,
    parse_envelope,
    parse_model,
    parse_retry_after,
    window_resets,
)
from seatctl.http._observe import AttemptTrace, Exchange, NullObserver, Observer
from seatctl.http._ratelimit import RateBudget, RateLimitInfo, local_time, parse_rate_limit
from seatctl.http._retry import SAFE_METHODS, RetryPolicy
from seatctl.http._timeouts import POOL_KEEPALIVE_EXPIRY, Timeouts
from seatctl.http._translate import Attempt, classify_os_error, translate
from seatctl.http._transport import CoreTransport, core_transport
from seatctl.redact import REDACTED, redact_headers

__all__ = [
    "ATTEMPT_NUMBER",
    "ATTEMPT_SECONDS",
    "POOL_KEEPALIVE_EXPIRY",
    "REDACTED",
    "RESPONSE_SIZE_CAP",
    "SAFE_METHODS",
    "USER_AGENT",
    "ApiClient",
    "Attempt",
    "AttemptTrace",
    "ClientConfig",
    "CoreTransport",
    "Envelope",
    "Exchange",
    "NullObserver",
    "Observer",
    "RateBudget",
    "RateLimitInfo",
    "ResponseTooLarge",
    "RetryPolicy",
    "Timeouts",
    "classify_os_error",
    "core_transport",
    "decode_json",
    "error_for_status",
    "local_time",
    "parse_envelope",
    "parse_model",
    "parse_rate_limit",
    "parse_retry_after",
    "read_capped",
    "redact_headers",
    "translate",
    "window_resets",
]
