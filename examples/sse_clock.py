"""A live clock and a progress bar, pushed by the server with server-sent events.

Run `python examples/sse_clock.py` and open http://127.0.0.1:5001: the clock ticks every second, and "Start a job"
streams a progress bar that closes its stream when the job is done.

It shows: `EventStream` over an async generator, `sse_message` with named events, the htmx sse extension
(`exts='sse'`, `sse_connect`, `sse_swap`, `sse_close`), and `signal_shutdown()`: the clock's generator loops until
the server shuts down, so Ctrl-C and reloads never wait on an open stream (EventStream also stops a stream by itself
when the browser goes away or the server stops).
"""
import asyncio
import os
from datetime import datetime

from fasthtml.common import *

app, rt = fast_app(exts='sse')
shutdown = signal_shutdown()
TICK = float(os.environ.get('CLOCK_TICK', '1'))      # seconds between clock updates
STEP = float(os.environ.get('JOB_STEP', '0.2'))      # seconds per 10% of the job


def Clock():
    now = datetime.now()
    return Time(now.strftime('%H:%M:%S'), datetime=now.isoformat(timespec='seconds'), id='clock')


@rt
def index():
    return Titled('Live clock',
                  P('It is ', Span(Clock(), hx_ext='sse', sse_connect='/ticks', sse_swap='tick'), '.'),
                  Button('Start a job', hx_post='/job', hx_target='#job', hx_swap='innerHTML'),
                  Div(id='job'))


async def ticks():
    while not shutdown.is_set():
        yield sse_message(Clock(), event='tick')
        await asyncio.sleep(TICK)


@rt('/ticks')
async def get_ticks():
    return EventStream(ticks())


@rt('/job', methods=['post'])
def post_job():
    "The progress bar and the stream that fills it; `sse_close` ends the stream on the `done` event."
    return Div(Progress(value=0, max=100, id='bar'), hx_ext='sse', sse_connect='/progress', sse_swap='progress',
               sse_close='done', hx_swap='innerHTML')


async def progress():
    for pct in range(10, 101, 10):
        await asyncio.sleep(STEP)
        yield sse_message(Progress(value=pct, max=100, id='bar'), event='progress')
    yield sse_message(P('Done!', id='job-done'), event='progress')
    yield sse_message('', event='done')


@rt('/progress')
async def get_progress():
    return EventStream(progress())


serve()
