"""The reference booking server: the seed's contract on asyncio + h11, SQLite and a durable
queue, with Node-like connection timeouts and fault injection. Importable as a library:

    from seatctl.server import serving

    async with serving(process_delay=0) as server:
        ...  # server.url
"""

from seatctl.server.config import (
    PRESETS,
    ConnectionTimeouts,
    Dialect,
    Fault,
    FaultKind,
    Preset,
    RateLimit,
    ServerConfig,
    parse_fault,
    timeouts_for,
)
from seatctl.server.protocol import LogEntry
from seatctl.server.server import (
    ReferenceServer,
    serve_until_stopped,
    serving,
    serving_in_thread,
)

__all__ = [
    "PRESETS",
    "ConnectionTimeouts",
    "Dialect",
    "Fault",
    "FaultKind",
    "LogEntry",
    "Preset",
    "RateLimit",
    "ReferenceServer",
    "ServerConfig",
    "parse_fault",
    "serve_until_stopped",
    "serving",
    "serving_in_thread",
    "timeouts_for",
]
