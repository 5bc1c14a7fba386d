"""A small app that uses the common API the way apps do; `pyright` checks it (tests/test_typing.py).

Run it with `python examples/typed_sample.py` and open http://127.0.0.1:5001.
"""
from dataclasses import dataclass

from fasthtml.common import *


@dataclass
class Profile:
    name: str
    age: int = 0


app, rt = fast_app(title='Typed sample', hdrs=(Style(':root { --pico-font-size: 100%; }'),))
counter = {'n': 0}


def nav() -> FT:
    return Nav(Ul(Li(A('Home', href='/')), Li(A('Profile', href=profile_form))), cls='container')


@rt
def index(req: Request, session: dict):
    visits = session['visits'] = session.get('visits', 0) + 1
    return Titled('Typed sample', nav(),
                  P(f'Visit number {visits} from ', Code(req.url.path)),
                  Button('Add one', hx_post=increment, hx_target='#count', hx_swap='innerHTML'),
                  Span(str(counter['n']), id='count'),
                  Card(P('A Pico card'), header=H3('Card'), footer=Small('footer')))


@rt
def increment():
    counter['n'] += 1
    return str(counter['n'])


@app.get('/profile')
def profile_form():
    form = Form(Input(id='name', placeholder='Name'), Input(id='age', type='number'), Button('Save'),
                method='post', action='/profile')
    return Titled('Profile', fill_form(form, Profile('Ada', 36)))


@app.post('/profile')
def save_profile(profile: Profile):
    return Redirect(f'/hello/{profile.name}')


@rt('/hello/{name}')
def hello(name: str, shout: bool = False):
    text = f'Hello, {name}!'
    return Div(H1(text.upper() if shout else text), P(A('back', href='/')), id='hello')


@app.get('/api/items/{idx}')
def item(idx: int) -> dict:
    return {'idx': idx, 'square': idx * idx}


@app.route('/svg', methods=['get'])
def drawing():
    return Svg(Rect(width=10, height=10, fill='red'), SvgPath(d='M0 0 L10 10'), width=20, height=20)


def files_here() -> list[Path]:
    "`Path` from fasthtml.common is pathlib's."
    return sorted(Path(__file__).parent.glob('*.py'))


serve()
