"""Worker threads for sync (`def`) handlers: one hop per request, at a third of the cost of anyio's `to_thread`.

A sync handler runs in a worker thread so that a blocking call in it never freezes the event loop. The hop is the
largest fixed cost of a small request, and most of anyio's share of it (capacity limiter, cancel scope, a portal per
call) buys nothing here, so the request path uses this pool instead: a job queue, threads started on demand up to
`max_workers` (anyio's default limit, 40), and the result handed back with `call_soon_threadsafe`. Each job runs in a
copy of the caller's context, so context variables set by middleware are visible in the handler, as with anyio.
As with anyio, a caller cancelled while its job runs waits for the job to finish before the cancellation goes on, so
nothing a handler does happens after the request (or websocket) that ran it has been torn down.

Outside asyncio (an app served under trio, say) `run_sync` falls back to Starlette's `run_in_threadpool`.
"""
from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from starlette.concurrency import run_in_threadpool

__all__ = ['run_sync', 'max_workers']

max_workers = 40


class _Job:
    "One call's result future, and a waiter for a cancelled caller that must still see the call finish."
    __slots__ = ('fut', 'finished', 'waiter')
    fut: asyncio.Future
    finished: bool
    waiter: asyncio.Future | None

    def __init__(self, fut: asyncio.Future) -> None:
        self.fut, self.finished, self.waiter = fut, False, None


def _deliver(job: _Job, ok: bool, value: Any) -> None:
    "Runs on the caller's loop: hand over the result, and wake a cancelled caller waiting for the job to end."
    job.finished = True
    fut = job.fut
    if not fut.cancelled():
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
    w = job.waiter
    if w is not None and not w.done():
        w.set_result(None)


class _Pool:
    """Threads that take jobs from one queue. Every job is matched, when submitted, with an idle thread, a new thread
    or the backlog, so a job never waits behind a busy thread while the pool has room for another."""

    def __init__(self, batch: bool = True) -> None:
        self.batch = batch and hasattr(os, 'sched_setscheduler') and hasattr(os, 'SCHED_BATCH')
        self.jobs: SimpleQueue = SimpleQueue()
        self.lock = threading.Lock()
        self.idle = 0       # threads waiting for a job that no submitted job has claimed yet
        self.threads = 0
        self.backlog = 0    # jobs queued while every thread was busy and the pool was full

    def submit(self, job: tuple) -> None:
        with self.lock:
            if self.idle:
                self.idle -= 1
                spawn = False
            elif self.threads < max_workers:
                self.threads += 1
                spawn = True
            else:
                self.backlog += 1
                spawn = False
        self.jobs.put(job)
        if spawn:
            threading.Thread(target=self._work, name='fasthtml-worker', daemon=True).start()

    def _work(self) -> None:
        jobs, lock = self.jobs, self.lock
        if self.batch:
            _batch_policy()
        while True:
            loop, job, ctx, fn, args = jobs.get()
            try:
                value, ok = ctx.run(fn, *args), True
            except BaseException as e:  # noqa: BLE001 (handed to the awaiting task, which re-raises it)
                value, ok = e, False
            # Free before delivering: the loop may submit its next job the moment it has this result.
            with lock:
                if self.backlog:
                    self.backlog -= 1
                else:
                    self.idle += 1
            try:
                loop.call_soon_threadsafe(_deliver, job, ok, value)
            except RuntimeError:  # the loop has closed: nobody is waiting for this result
                pass
            del loop, job, ctx, fn, args, value


def _batch_policy() -> None:
    """Give this worker thread Linux's SCHED_BATCH policy (same priority; it only gives up waking-up preemption): a
    worker woken for a job then waits for the event loop thread to reach its next poll instead of preempting it to
    find the GIL still held. That saves two to four context switches per hop when both threads share a CPU."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError:  # not permitted in this sandbox or container: the default policy works, a little slower
        pass


_pool = _Pool()


def _reset_after_fork() -> None:
    "Threads do not survive a fork: the child starts with an empty pool."
    global _pool
    _pool = _Pool()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_reset_after_fork)


async def run_sync(fn: Callable[..., Any], *args: Any) -> Any:
    "Run `fn(*args)` in a worker thread and return (or raise) its result."
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return await run_in_threadpool(fn, *args)
    fut = loop.create_future()
    job = _Job(fut)
    _pool.submit((loop, job, contextvars.copy_context(), fn, args))
    try:
        return await fut
    except asyncio.CancelledError:
        if fut.cancelled():  # the caller was cancelled (not `fn` raising CancelledError): wait for `fn` to end
            while not job.finished:
                job.waiter = loop.create_future()
                try:
                    await job.waiter
                except asyncio.CancelledError:
                    continue
        raise
