"""Server push from live components: a clock, a progress bar, and announcements that reach every open page.

Run `python examples/live_clock.py` and open http://127.0.0.1:5001 in two windows. The clock ticks with no user
action; "Start a job" fills a progress bar pushed from a sync handler; an announcement typed in one window appears
in every window. Under several worker processes set `FASTHTML_PUBSUB_URL=redis://127.0.0.1:6379/0`: announcements
then cross workers through Redis.

It shows: `async def mount(self)` running for as long as the component is on a page, `await self.update()` from it,
`self.update()` called from a sync handler's worker thread (each call pushes a frame), and a component subscribing to
a `PubSub` topic in `mount()` and updating itself on each message.
"""
import asyncio
import os
import time
from datetime import datetime

from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app()
live = Live(app)
hub = PubSub(app)                                    # in-memory; Redis with FASTHTML_PUBSUB_URL
TICK = float(os.environ.get('CLOCK_TICK', '1'))      # seconds between clock updates
STEP = float(os.environ.get('JOB_STEP', '0.2'))      # seconds per 10% of the job


class Clock(LiveComponent):
    "Re-renders itself every TICK seconds while a page shows it."
    def render(self):
        now = datetime.now()
        return P('It is ', Time(now.strftime('%H:%M:%S'), datetime=now.isoformat(timespec='seconds'), cls='clock'), '.')

    async def mount(self):
        while True:
            await asyncio.sleep(TICK)
            await self.update()


class Job(LiveComponent):
    "A slow sync handler that reports its progress as it goes."
    def __init__(self):
        self.pct = None

    def render(self):
        if self.pct is None:
            return Div(Button('Start a job', live_click=self.start, cls='start'))
        if self.pct >= 100:
            return Div(P('Done!', cls='done'), Button('Run it again', live_click=self.start, cls='start'))
        return Div(Progress(value=self.pct, max=100), P(f'{self.pct}%', cls='pct'))

    def start(self):
        for pct in range(0, 100, 10):
            self.pct = pct
            self.update()            # from the handler's worker thread: pushes this frame now
            time.sleep(STEP)
        self.pct = 100               # the final render is sent when the handler returns


class Announcements(LiveComponent):
    "Every page's copy subscribes to the 'news' topic; a message from any page (or worker) reaches all of them."
    def __init__(self):
        self.items: list[str] = []

    def render(self):
        return Div(H3('Announcements'), Ul(*[Li(x) for x in self.items], cls='news'),
                   Form(Input(name='text', placeholder='Announce something', autocomplete='off'), Button('Send'),
                        live_submit=self.announce))

    async def announce(self, text: str):
        if text.strip():
            await hub.publish('news', text.strip()[:200])

    async def mount(self):
        async with await hub.subscribe('news') as sub:
            async for text in sub:
                self.items = [*self.items, text][-10:]
                await self.update()


@rt
def index():
    return Titled('Live clock', Clock(), Job(), Announcements())


serve()
