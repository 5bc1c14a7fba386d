"""The worker-thread pool that sync handlers run in (fasthtml._workers)."""
import asyncio
import contextvars
import threading
import time

import pytest

from fasthtml import _workers
from fasthtml._workers import run_sync

var: contextvars.ContextVar = contextvars.ContextVar('var', default='unset')


def run(coro):
    return asyncio.run(coro)


def test_returns_the_result_from_another_thread():
    main = threading.get_ident()
    r = run(run_sync(lambda a, b: (a + b, threading.get_ident()), 2, 3))
    assert r[0] == 5 and r[1] != main


def test_exceptions_reach_the_caller_unchanged():
    class Boom(Exception):
        pass

    def f():
        raise Boom('x')
    with pytest.raises(Boom, match='x'):
        run(run_sync(f))


def test_the_callers_context_variables_are_visible_and_changes_stay_in_the_job():
    async def main():
        var.set('from the request')

        def f():
            seen = var.get()
            var.set('changed in the worker')
            return seen
        seen = await run_sync(f)
        return seen, var.get()
    assert run(main()) == ('from the request', 'from the request')


def test_blocking_jobs_run_side_by_side():
    barrier = threading.Barrier(8, timeout=60)  # passes only once all eight jobs block in it at the same time

    async def main():
        return await asyncio.gather(*[run_sync(barrier.wait) for _ in range(8)])
    assert sorted(run(main())) == list(range(8))  # one after another, the first would raise BrokenBarrierError


def test_a_full_pool_queues_jobs_and_finishes_them_all(monkeypatch):
    monkeypatch.setattr(_workers, 'max_workers', 2)
    monkeypatch.setattr(_workers, '_pool', _workers._Pool())
    active, peak = [0], [0]
    lock = threading.Lock()

    def job(i):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return i

    async def main():
        return await asyncio.gather(*[run_sync(job, i) for i in range(7)])
    assert run(main()) == list(range(7))
    assert peak[0] == 2 and _workers._pool.threads == 2
    assert _workers._pool.backlog == 0 and _workers._pool.idle == 2


def test_a_cancelled_caller_waits_for_its_job_then_the_pool_goes_on(monkeypatch):
    "As with anyio's to_thread: cancellation takes effect once the job has finished, never while it still runs."
    monkeypatch.setattr(_workers, '_pool', _workers._Pool())
    done = threading.Event()

    def slow():
        time.sleep(0.2)
        done.set()
        return 'late'

    async def main():
        t = asyncio.ensure_future(run_sync(slow))
        await asyncio.sleep(0.05)
        t.cancel()
        await asyncio.sleep(0.01)
        t.cancel()  # a second cancellation does not cut the wait short either
        with pytest.raises(asyncio.CancelledError):
            await t
        finished_first = done.is_set()
        return finished_first, await run_sync(lambda: 'next')
    assert run(main()) == (True, 'next')


def test_a_job_raising_cancelled_error_is_not_a_cancelled_caller():
    def f():
        raise asyncio.CancelledError()

    async def main():
        with pytest.raises(asyncio.CancelledError):
            await run_sync(f)
        return await run_sync(lambda: 'still running')
    assert run(main()) == 'still running'


def test_results_go_back_to_the_loop_that_asked():
    "Two event loops in two threads (as test clients run them) share the pool."
    out = {}

    def in_thread(name):
        out[name] = asyncio.run(run_sync(lambda: threading.current_thread().name + '->' + name))
    ts = [threading.Thread(target=in_thread, args=(n,)) for n in 'ab']
    for t in ts:
        t.start()
    for t in ts:
        t.join(5)
    assert out['a'].endswith('->a') and out['b'].endswith('->b')



def test_workers_run_with_the_batch_policy_on_linux():
    "SCHED_BATCH: a woken worker does not preempt the event loop thread (fewer context switches per hop)."
    import os
    if not hasattr(os, 'SCHED_BATCH'):
        assert not _workers._Pool().batch
        return
    assert run(run_sync(os.sched_getscheduler, 0)) == os.SCHED_BATCH
    assert os.sched_getscheduler(0) != os.SCHED_BATCH  # the caller's own thread is left alone
