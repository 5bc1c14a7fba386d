"""The Starlette names FastHTML apps commonly use, in one place."""
from starlette._utils import is_async_callable
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, SimpleUser, requires
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.config import Config
from starlette.convertors import CONVERTOR_TYPES, Convertor, StringConvertor, register_url_convertor
from starlette.datastructures import (
    CommaSeparatedStrings,
    FormData,
    Headers,
    QueryParams,
    Secret,
    State,
    UploadFile,
    URLPath,
)
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.responses import JSONResponse as JSONResponseOrig  # FastHTML's name for Starlette's own
from starlette.routing import Host, Match, Mount, Route, Router, WebSocketRoute, compile_path
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose, WebSocketDisconnect, WebSocketState

__all__ = ['Starlette', 'AuthCredentials', 'AuthenticationBackend', 'AuthenticationError', 'SimpleUser',
           'BackgroundTask', 'BackgroundTasks', 'run_in_threadpool', 'Config', 'FormData', 'Headers', 'QueryParams',
           'UploadFile', 'URLPath', 'HTTPEndpoint', 'WebSocketEndpoint', 'HTTPException', 'Middleware',
           'AuthenticationMiddleware', 'BaseHTTPMiddleware', 'CORSMiddleware', 'SessionMiddleware', 'HTTPConnection',
           'Request', 'FileResponse', 'HTMLResponse', 'JSONResponse', 'PlainTextResponse', 'RedirectResponse',
           'Response', 'StreamingResponse', 'Host', 'Mount', 'Route', 'Router', 'WebSocketRoute', 'StaticFiles',
           'ASGIApp', 'Message', 'Receive', 'Scope', 'Send', 'WebSocket', 'WebSocketClose',
           'WebSocketDisconnect', 'WebSocketState',
           'CONVERTOR_TYPES', 'Convertor', 'StringConvertor', 'register_url_convertor', 'CommaSeparatedStrings',
           'Secret', 'State', 'WebSocketException', 'HTTPSRedirectMiddleware', 'TrustedHostMiddleware',
           'JSONResponseOrig', 'Match', 'compile_path', 'requires', 'is_async_callable']


def __getattr__(name: str) -> object:
    """`TestClient` (Starlette's, on httpx2) is imported on first use: it pulls in httpx2 (~50 ms), which serving an
    app never needs, and it is not part of `from fasthtml.common import *` (tests import it by name)."""
    if name == 'TestClient':
        from starlette.testclient import TestClient
        globals()['TestClient'] = TestClient
        return TestClient
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
