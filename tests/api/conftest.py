"""The API's calls are tested through the HTTP core's client factory."""

from tests.support.clients import make_client

__all__ = ["make_client"]
