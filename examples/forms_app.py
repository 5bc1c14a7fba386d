"""Forms to dataclasses, with a cookie: a profile form posted with HTMX, filled into a dataclass, answered with a
fragment that replaces the form's result area; the last email used is remembered in a cookie.

Run `python examples/forms_app.py` and open http://127.0.0.1:5001.
"""
from fasthtml.common import *

app, rt = fast_app(title='Profile form')


@dataclass
class Profile:
    email: str
    name: str
    age: int
    newsletter: bool = False


def profile_form(profile=None):
    "The form, filled from `profile` (a Profile, a dict, or None for an empty form)."
    frm = Form(
        Fieldset(
            Label('Email', Input(name='email', type='email', required=True)),
            Label('Name', Input(name='name', required=True)),
            Label('Age', Input(name='age', type='number', min='0', required=True)),
            CheckboxX(id='newsletter', label='Send me the newsletter'),
        ),
        Button('Save', type='submit'),
        hx_post=save, hx_target='#result', id='profile-form')
    return fill_form(frm, profile) if profile is not None else frm


@rt('/')
def get(last_email: str = ''):
    # `last_email` is read from the cookie of that name (set by `save`), so the form remembers it.
    return Titled('Your profile',
                  P('Saved profiles are shown below the form; nothing is stored on the server.'),
                  profile_form({'email': last_email} if last_email else None),
                  Div(id='result'))


@rt
def save(profile: Profile):
    "The posted form arrives as a `Profile`; a field that does not convert (age='old') is a 400 naming it."
    card = Card(Ul(Li('Email: ', profile.email), Li('Name: ', profile.name), Li('Age: ', profile.age),
                   Li('Newsletter: ', 'yes' if profile.newsletter else 'no')),
                header=H3(f'Saved {profile.name}'), id='saved')
    return card, cookie('last_email', profile.email, max_age=30 * 24 * 3600, httponly=True)


@rt('/edit')
def get(email: str, name: str, age: int, newsletter: bool = False):
    "The form again, filled from query values (a plain GET link can prefill it)."
    return Titled('Edit profile', profile_form(Profile(email, name, age, newsletter)), Div(id='result'))


serve()
