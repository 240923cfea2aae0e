"""The booking queue: jobs are SQLite rows, processed by asyncio workers.

A job accepted before a crash survives it: at start, jobs left `processing` by a worker
process that no longer runs go back to `queued` (their booking is one transaction that
either committed or did not, and a rerun finds the booking it made). Long pollers wait on
per-job events that a worker sets whenever the job's state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import sqlite3
from collections.abc import Awaitable, Callable

from seatctl.server.store import JobRow, Store

log = logging.getLogger("seatctl.server")

IDLE_POLL = 1.0  # seconds between looks at the table when no wake-up came (other writers)
JITTER = 0.1  # +-10% of the process delay, like a real worker's variance

Sleep = Callable[[float], Awaitable[None]]


def owner_alive(owner: str) -> bool:
    """Whether the worker process named `host:pid` still runs."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's worker: cannot tell, so leave its jobs alone
    if not pid.isdigit() or int(pid) == os.getpid():
        return False  # unreadable, or this very process restarting: stale claims
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobQueue:
    def __init__(self, store: Store, *, workers: int, process_delay: float,
                 extra_delay: float = 0.0, seed: int | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._store = store
        self._workers = workers
        self._delay = process_delay
        self._extra = extra_delay
        self._random = random.Random(seed)
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self.owner = f"{socket.gethostname()}:{os.getpid()}"  # marks the jobs it processes

    def start(self) -> None:
        self._store.requeue_interrupted_jobs(owner_alive)
        self._tasks = [asyncio.create_task(self._work(), name=f"booking-worker-{n}")
                       for n in range(self._workers)]

    def stop_taking_jobs(self) -> list[asyncio.Task[None]]:
        """The first step of a shutdown: idle workers end now, busy ones after their job.
        Returns the workers still running, for the caller to wait on."""
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            if task not in self._busy:
                task.cancel()
        return [task for task in self._tasks if task in self._busy]

    async def stop(self, grace: float) -> None:
        """Let running jobs finish (within `grace` seconds); stop taking new ones."""
        busy = self.stop_taking_jobs()
        if busy:
            _done, pending = await asyncio.wait(busy, timeout=grace)
            for task in pending:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def submit(self, user_id: str, event_id: str, seat_ids: list[str], key: str | None) -> str:
        job_id = self._store.add_job(user_id, event_id, seat_ids, key)
        self._wake.set()
        return job_id

    async def wait_for_change(self, job_id: str, timeout: float) -> None:
        """Return when the job's state changes, or after `timeout` seconds."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiters.get(job_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiters[job_id]

    @property
    def long_polls(self) -> int:
        """How many status requests are waiting for a change right now."""
        return sum(len(events) for events in self._waiters.values())

    def release_waiters(self) -> None:
        """At shutdown: every long poll answers now, with the state it has."""
        for events in self._waiters.values():
            for event in events:
                event.set()

    def _changed(self, job_id: str) -> None:
        for event in self._waiters.get(job_id, ()):
            event.set()

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._stopping:
            try:
                job = self._store.claim_next_job(self.owner)
            except sqlite3.Error:  # e.g. locked by another server past the busy timeout
                log.exception("could not claim a job; trying again")
                job = None
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL)
                continue
            self._busy.add(task)
            try:
                await self._process(job)
            finally:
                self._busy.discard(task)

    async def _process(self, job: JobRow) -> None:
        """Book, record, notify. A failure fails this job, never the worker."""
        self._changed(job.id)
        await self._sleep(self._processing_time())
        try:
            result = self._store.book_seats(job)
        except Exception as error:
            log.exception("booking job %s failed", job.id)
            result = {"success": False,
                      "message": f"Booking failed: internal error ({type(error).__name__})"}
        try:
            self._store.finish_job(job.id, result)
        except sqlite3.Error:
            log.exception("could not record the result of job %s; it will be requeued", job.id)
        self._changed(job.id)

    def _processing_time(self) -> float:
        jitter = self._random.uniform(-JITTER, JITTER) * self._delay
        return max(0.0, self._delay + jitter + self._extra)
