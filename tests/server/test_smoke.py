"""The reference server starts, answers, and stops."""

from __future__ import annotations

import httpx

from seatctl.server import ReferenceServer


def test_health_answers_on_a_free_loopback_port(server: ReferenceServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    response = httpx.get(server.url + "/health")
    assert response.status_code == 200
    assert response.json()["message"] == "Server is running"
