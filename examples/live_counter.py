"""Live counters: Python objects that keep their state on the server and re-render on browser events.

Run `python examples/live_counter.py` and open http://127.0.0.1:5001 in two tabs: each tab has its own counters.

It shows: `Live(app)`, a `LiveComponent` whose public methods are event handlers (`live_click`, `live_input`), typed
handler parameters filled like a route's (`live_vals`, the input's `name`), several components in one page, a
component that creates child components (each keeps its own state), a component whose count lives in the session
(it survives a reload), and an error shown inside the one component whose handler raised.
"""
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app()
live = Live(app)


class Counter(LiveComponent):
    "A counter with a step size typed into an input."
    def __init__(self, start: int = 0, step: int = 1):
        self.n, self.step = start, step

    def render(self):
        return Article(H3(f'Count: {self.n}', cls='count'),
                       Button('-', live_click=self.add, live_vals={'sign': -1}, cls='minus'),
                       Button('+', live_click=self.add, cls='plus'),
                       Label('Step ', Input(type='number', name='step', value=self.step, live_input=self.set_step)))

    def add(self, sign: int = 1):
        self.n += sign * self.step

    def set_step(self, step: int):
        self.step = step


class Greeter(LiveComponent):
    "Echoes what is typed, as the user types."
    def __init__(self):
        self.name = ''

    def render(self):
        return Div(Input(name='name', value=self.name, live_input=self.typed, placeholder='Your name'),
                   P(f'Hello, {self.name or "stranger"}!', cls='hello'))

    def typed(self, value: str):
        self.name = value.strip()


class Board(LiveComponent):
    "Owns a list of counters; adding one renders a new child component, the others keep their counts."
    def __init__(self):
        self.counters = [Counter()]

    def render(self):
        return Section(H2(f'{len(self.counters)} counter(s)'), *self.counters,
                       Button('Add a counter', live_click=self.add_counter, cls='add'))

    def add_counter(self):
        self.counters.append(Counter(len(self.counters) * 10))


class Likes(LiveComponent):
    "Its count is kept in the session, so a reload (or another worker) shows the same number."
    def __init__(self, n: int = 0):
        self.n = n

    def render(self):
        return P(Button(f'Like ({self.n})', live_click=self.like, cls='like'))

    def like(self, session):
        self.n = session['likes'] = session.get('likes', 0) + 1


class Fragile(LiveComponent):
    "Its handler raises: the error shows inside this component, the rest of the page keeps working."
    def render(self):
        return P(Button('Break me', live_click=self.boom, cls='boom'))

    def boom(self):
        raise ValueError('this button always fails')


@rt
def index(session):
    return Titled('Live counters', Counter(), Greeter(), Board(), Likes(session.get('likes', 0)), Fragile())


serve()
