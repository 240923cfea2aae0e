"""Concurrency (#7): 10 seatctl processes booking different seats of one event at once,
sharing one journal (and racing to create it): all confirmed, journal intact, 10 bookings
on the server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import StartServer
from tests.reliability.test_soak import bench_module

PROCESSES = 10


def test_ten_processes_booking_one_event_at_once(tmp_path: Path,
                                                 start_server: StartServer) -> None:
    soak = bench_module("soak")
    server = start_server()
    client = soak.Client(tmp_path, server.url)
    client.login()
    seat_map = client.seat_map(soak.EVENT_NAME)
    bookings = soak.plan_bookings(seat_map, PROCESSES)
    processes = [subprocess.Popen(
        client.command("book", seat_map["event"]["id"], "--seats", ",".join(b.labels),
                       "--json", "--timeout", "60"),
        env=client.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for b in bookings]
    outputs = [process.communicate(timeout=90) for process in processes]

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert soak.last_json(stdout)["state"] == "confirmed", stdout
    assert soak.journal_integrity(client.journal_path) == "ok"
    entries = soak.journal_entries(client.journal_path)
    assert sorted(entry["state"] for entry in entries) == ["confirmed"] * PROCESSES
    truth = soak.server_truth(Path(server.config.db))
    held = [seats for seats, _ in truth.bookings.values()]
    assert len(held) == PROCESSES
    assert set(held) == {b.seat_ids for b in bookings}
    for booking in bookings:
        assert len(truth.job_keys[booking.seat_ids]) == 1
