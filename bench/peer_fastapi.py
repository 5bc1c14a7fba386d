"""The benchmark scenarios as Jinja2 templates on FastAPI, written as FastAPI apps are: typed path and query
parameters, form fields and a dict returned as JSON, on the default app (its docs routes included).

bench/apps.py builds it (`fastapi_app()`) with the templates and renderer the Jinja2-on-Starlette peer uses.
"""
import json
from typing import Annotated, Any

from apps import DATA, HEADERS, ROWS, SECRET, Profile
from fastapi import FastAPI, Form, Request, WebSocket, WebSocketDisconnect
from starlette.middleware.sessions import SessionMiddleware

__all__ = ['app']


def app(j: Any) -> FastAPI:
    "The FastAPI app; `j` renders a named template for a request (the partial layout for HTMX requests)."
    api = FastAPI()
    api.add_middleware(SessionMiddleware, secret_key=SECRET, session_cookie='session_', max_age=365 * 24 * 3600)

    @api.get('/hello')
    async def hello(request: Request):
        return j.render(request, 'hello', msg='Hello World')

    @api.get('/item/{idx}')
    async def item(request: Request, idx: int, q: str, flag: bool = False):
        return j.render(request, 'item', idx=idx, q=q, flag=flag)

    @api.get('/items')
    async def items(request: Request):
        return j.render(request, 'items', items=range(100))

    @api.get('/table')
    async def table(request: Request):
        return j.render(request, 'table', headers=HEADERS, rows=ROWS)

    @api.post('/profile')
    async def profile(request: Request, name: Annotated[str, Form()], email: Annotated[str, Form()],
                      age: Annotated[int, Form()], city: Annotated[str, Form()], score: Annotated[float, Form()],
                      newsletter: Annotated[bool, Form()] = False):
        return j.render(request, 'profile', p=Profile(name, email, age, city, newsletter, score))

    @api.get('/count')
    async def count(request: Request):
        s = request.session
        s['n'] = s.get('n', 0) + 1
        return j.render(request, 'count', n=s['n'])

    @api.get('/data')
    async def data() -> dict:
        return DATA

    echo = j.t['echo']

    @api.websocket('/ws')
    async def ws(sock: WebSocket) -> None:
        await sock.accept()
        try:
            while True:
                d = json.loads(await sock.receive_text())
                await sock.send_text(echo.render(msg=d['msg']))
        except WebSocketDisconnect:
            pass

    return api
