"""anywidget widgets in an FT page: numerous-widgets and drawdata, with Python reacting to them.

Run `python examples/widgets.py` (needs `pip install python-fasthtml[widgets] numerous-widgets drawdata`) and open
http://127.0.0.1:5001. Click the button, move the slider, type a number, draw points on the scatter canvas: Python
callbacks (`observe`, numerous' `on_click`) update other widgets and the summary line, and each change from Python is
pushed back to the page.

It shows: `Widget(w)` inside a `LiveComponent` that owns its widgets (one set per browser tab, recreated on whichever
worker the page's socket reaches, closed when the tab is gone), state synced both ways, and a component re-rendering
when a widget changes, while the widgets themselves keep their drawing.
"""
import numerous.widgets as nw
from drawdata import ScatterWidget

from fasthtml.common import *
from fasthtml.live import Live, LiveComponent, Widget

app, rt = fast_app()
live = Live(app)


class Dashboard(LiveComponent):
    "Widgets owned by one tab, and a summary line Python keeps up to date."
    def __init__(self):
        self.clicks = nw.Number(label='Clicks', default=0, start=0, stop=1000)
        self.button = nw.Button(label='Count a click', on_click=self._clicked)
        self.size = nw.Slider(label='Brush size', min_value=5, max_value=80, default=40, step=1)
        self.scatter = ScatterWidget(width=500, height=300)
        self.size.observe(self._resized, names='value')
        self.scatter.observe(self._changed, names=['data', 'brushsize'])
        self.clicks.observe(self._changed, names='value')

    def _clicked(self, change):
        self.clicks.value = self.clicks.value + 1      # pushed to the page's Number widget

    def _resized(self, change):
        self.scatter.brushsize = int(change['new'])     # one widget driving another

    def _changed(self, change):
        self.update()                                   # the summary line re-renders; the widgets stay as they are

    def render(self):
        return Div(P(f'{len(self.scatter.data)} point(s) drawn, {int(self.clicks.value)} click(s), '
                     f'brush {self.scatter.brushsize}', cls='summary'),
                   Grid(Widget(self.button), Widget(self.clicks), Widget(self.size)),
                   Widget(self.scatter),
                   Button('Clear the drawing', live_click=self.clear, cls='clear'))

    def clear(self):
        self.scatter.data = []


@rt
def index():
    return Titled('Widgets', Dashboard())


serve()
