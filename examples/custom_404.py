"""A custom 404 page: an exception handler that returns FT gets the app's full page layout (title, headers), keeps
the 404 status, and answers HTMX requests with just the fragment (htmx does not swap error responses unless told to,
for example with the `response-targets` extension).

Run `python examples/custom_404.py` and open http://127.0.0.1:5001, then follow the broken links.
"""
from fasthtml.common import *


def not_found(req, exc):
    "Used for every 404: unknown paths, and `HTTPException(404)` raised by handlers."
    detail = exc.detail if getattr(exc, 'detail', None) and exc.detail != 'Not Found' else None
    return Titled("404: I don't exist!",
                  P(f'Nothing lives at {req.url.path}.'),
                  P(detail) if detail else None,
                  A('Back home', href='/'), id='not-found')


app, rt = fast_app(exception_handlers={404: not_found}, title='Custom 404')

BOOKS = {1: 'A Guide to FastHTML', 2: 'FastHTML Cookbook'}


@rt('/')
def get():
    return Titled('Home page',
                  Ul(*[Li(A(title, href=book.to(id=i))) for i, title in BOOKS.items()]),
                  P(A('A page that does not exist', href='/oops')),
                  P(A('A book that does not exist', href=book.to(id=99))))


@rt('/books/{id}')
def book(id: int):
    if id not in BOOKS:
        raise HTTPException(404, f'There is no book {id}.')
    return Titled(BOOKS[id], A('Back home', href='/'))


serve()
