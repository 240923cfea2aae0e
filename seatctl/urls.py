"""What every layer needs to know about URLs and nothing more: the default port of each
scheme. A leaf module (the standard library only), so the command line can use it without
loading the HTTP stack."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_PORTS: Mapping[str, int] = MappingProxyType({"http": 80, "https": 443})


def default_port(scheme: str) -> int | None:
    """80 for http, 443 for https, None for a scheme seatctl does not speak."""
    return DEFAULT_PORTS.get(scheme.lower())
