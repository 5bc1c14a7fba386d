"""PARAMETER stage: inspect a handler once at registration and build a plan of extractors; run the plan per request."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
import types
import typing
import warnings
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Union
from urllib.parse import parse_qsl, unquote, unquote_plus

from starlette.applications import Starlette
from starlette.datastructures import FormData, Headers, QueryParams, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket

from ._respond import cookie_name, cookie_text
from .limits import Limits, limits_of

__all__ = ['ParamError', 'HtmxHeaders', 'Plan', 'build_plan', 'read_body', 'parsed_date', 'str2bool', 'snake2hyphens',
           'form2dict', 'parse_form', 'Body', 'check_query', 'lone_surrogate_at']


class ParamError(HTTPException):
    """A client error in the request's parameters. `detail` is the response body, the original's words (`Missing
    required field: x`); `reason` says more for the log and the debug page: the parameter, where it was looked
    for and what was expected."""

    def __init__(self, status_code: int, detail: str | None = None, headers: dict | None = None,
                 reason: str | None = None) -> None:
        super().__init__(status_code, detail, headers)
        self.reason = reason or self.detail

# ---------------------------------------------------------------------------------------------------------------
# Text input is UTF-8. Where Starlette would quietly read bytes that are not UTF-8 (%-escapes in the query and in
# urlencoded forms become U+FFFD, multipart fields fall back to latin-1) or a JSON body holds a lone surrogate
# (`"\ud800"`, which no encoder can send back), the request is refused with a 400 naming the field, before any
# handler runs. Each check first asks whether the raw bytes could hold such text at all, so valid requests pay for
# one search of their raw bytes at most (a query with escapes is parsed once, strictly, where Starlette would).

_SURROGATE = re.compile('[\ud800-\udfff]')
_JSON_SURROGATE = re.compile(rb'\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]')  # an escaped, or raw, UTF-16 surrogate


def _not_text(where: str, name: str, is_name: bool = False) -> ParamError:
    # repr() escapes what cannot be shown (a surrogate too), so the message itself is always sendable
    return ParamError(400, f'{where} {"name " if is_name else ""}{name!r} is not valid UTF-8 text')


def check_query(conn: HTTPConnection) -> None:
    """Refuse (400, naming the field) a query string whose %-escapes are not UTF-8 text. A query with escapes is
    parsed here, strictly, into the connection's `query_params` (exactly Starlette's parse otherwise), so checking it
    costs nothing more when the handler reads it; one without escapes is text however its bytes are read."""
    qs = conn.scope.get('query_string')
    if not qs or b'%' not in qs:
        return
    try:
        conn._query_params = QueryParams(parse_qsl(qs.decode('latin-1'), keep_blank_values=True, errors='strict'))
    except UnicodeDecodeError:
        for part in qs.decode('latin-1').split('&'):  # the fields as parse_qsl splits them, to name the bad one
            k, _, v = part.partition('=')
            k, v = k.replace('+', ' '), v.replace('+', ' ')
            shown = unquote(k)
            try:
                unquote(k, errors='strict')
            except UnicodeDecodeError:
                raise _not_text('Query parameter', shown, True) from None
            try:
                unquote(v, errors='strict')
            except UnicodeDecodeError:
                raise _not_text('Query parameter', shown) from None
        raise ParamError(400, 'The query string is not valid UTF-8 text') from None  # (a field failed above)


def lone_surrogate_at(o: Any) -> str | None:
    """Where in the parsed JSON value `o` a string or key holds a lone surrogate (`a.b[2]`; '' for `o` itself), or
    None. Iterative, so any nesting `json` accepted is fine."""
    stack: list = [(o, '')]
    while stack:
        x, path = stack.pop()
        if isinstance(x, str):
            if _SURROGATE.search(x) is not None:
                return path
        elif isinstance(x, dict):
            for k, v in x.items():
                p = f'{path}.{k}' if path else str(k)
                if isinstance(k, str) and _SURROGATE.search(k) is not None:
                    return p
                stack.append((v, p))
        elif isinstance(x, list):
            stack.extend((v, f'{path}[{i}]') for i, v in enumerate(x))
    return None


_UTF16_BOMS = (b'\xff\xfe', b'\xfe\xff')


def _check_json_text(raw: bytes, obj: Any) -> None:
    # json.loads reads bytes with 'surrogatepass', and UTF-16/32 bodies (a NUL or BOM in the first bytes) can also
    # carry a lone surrogate; a UTF-8 body can only by an escape or its raw encoding, which the regex finds.
    if _JSON_SURROGATE.search(raw) is None and b'\x00' not in raw[:4] and raw[:2] not in _UTF16_BOMS:
        return
    where = lone_surrogate_at(obj)
    if where is not None:
        raise ParamError(400, f'JSON field {where!r} is not valid UTF-8 text' if where
                         else 'The JSON body is not valid UTF-8 text')


def _cookie_names(name: str) -> tuple[str, ...]:
    """Other names the cookie for parameter `name` may arrive under: a non-ASCII name as `cookie` sends it
    (percent-encoded) and as JavaScript sets it (raw UTF-8, which Starlette reads as latin-1)."""
    if name.isascii():
        return ()
    return cookie_name(name), name.encode('utf-8').decode('latin-1')


def _cookie(c: HTTPConnection, key: str, parsed: str, pname: str) -> str:
    """The text of cookie `key` (Starlette's reading: `parsed`), decoded as `cookie_text` does: a 400 naming the
    parameter when it is not UTF-8 text."""
    if parsed.isascii() and '%' not in parsed:
        return parsed  # nothing to decode: the raw value was ASCII without %-escapes, read as the original reads it
    raw = parsed
    for chunk in (c.headers.get('cookie') or '').split(';'):  # Starlette's cookie_parser, keeping the raw value
        k, eq, v = chunk.partition('=')
        if not eq:
            k, v = '', chunk
        if k.strip() == key:
            raw = v.strip()
    try:
        return cookie_text(raw)
    except UnicodeDecodeError:
        raise _not_text('Cookie', pname) from None


def _find_cookie(c: HTTPConnection, name: str, alts: tuple[str, ...]) -> Any:
    "The text of the cookie for parameter `name` (see `_cookie_names`), or `_MISSING`."
    ck = c.cookies
    if name in ck:
        return _cookie(c, name, ck[name], name)
    for a in alts:
        if a in ck:
            return _cookie(c, a, ck[a], name)
    return _MISSING


class _TextMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, except that a field name, value or file name that is not text in the form's
    charset (UTF-8 unless the request says otherwise) is a 400 naming the field, where Starlette reads it as
    latin-1. Only UTF-8 forms are checked: other charsets keep Starlette's reading."""

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._charset == 'utf-8':
            try:
                (self._current_part.content_disposition or b'').decode('utf-8')
            except UnicodeDecodeError:
                raise ParamError(400, f'Multipart field {self._current_part.field_name!r}: its name or file name '
                                      f'is not valid UTF-8 text') from None

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None and self._charset == 'utf-8':
            try:
                part.data.decode('utf-8')
            except UnicodeDecodeError:
                raise _not_text('Form field', part.field_name) from None
        super().on_part_end()



def _dtparse(s: str, **kw: Any) -> Any:
    "dateutil's parser, imported on first use (it costs ~15 ms at import and only date parameters need it)."
    from dateutil import parser
    return parser.parse(s, **kw)

_WORD_START = re.compile(r'(.)([A-Z][a-z]+)')
_WORD_AFTER = re.compile(r'([a-z0-9])([A-Z])')


def snake2hyphens(s: str) -> str:
    """Convert `s` from snake case to hyphenated and capitalised, as FastHTML does: `user_agent` -> `User-Agent`.
    One-letter words join their neighbours (`x_h` -> `XH`), since the words are found again in the CamelCase
    form: the header a parameter is read from."""
    camel = ''.join(w.capitalize() for w in s.split('_'))
    return _WORD_AFTER.sub(r'\1-\2', _WORD_START.sub(r'\1-\2', camel))


def parsed_date(s: str) -> datetime:
    "Convert `s` to a datetime, accepting the many formats `dateutil` understands."
    return _dtparse(s, default=datetime.now().replace(hour=0, minute=0, second=0, microsecond=0))


_TRUE = frozenset(('1', 'true', 'on', 'yes', 't', 'y'))
_FALSE = frozenset(('0', 'false', 'off', 'no', 'f', 'n', ''))


def str2bool(v: Any) -> bool:
    "Interpret checkbox and query values: 'on', '1', 'true', 'yes' are true; '0', 'false', 'off', 'no', '' false."
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f'{v!r} is not a boolean')


htmx_hdrs = dict(boosted='HX-Boosted', current_url='HX-Current-URL',
                 history_restore_request='HX-History-Restore-Request', prompt='HX-Prompt', request='HX-Request',
                 request_type='HX-Request-Type', source='HX-Source', target='HX-Target',
                 trigger_name='HX-Trigger-Name', trigger='HX-Trigger')


@dataclass
class HtmxHeaders:
    "The HTMX request headers, by name; truthy when the request came from HTMX."
    boosted: str | None = None
    current_url: str | None = None
    history_restore_request: str | None = None
    prompt: str | None = None
    request: str | None = None
    request_type: str | None = None
    source: str | None = None
    target: str | None = None
    trigger_name: str | None = None
    trigger: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in dataclasses.astuple(self))


def _get_htmx(h: Headers) -> HtmxHeaders:
    return HtmxHeaders(*(h.get(v) for v in htmx_hdrs.values()))


def form2dict(form: Any) -> dict:
    "Convert Starlette form data to a dict: one value per key, a list where a key repeats."
    if isinstance(form, dict):
        return form
    out: dict = {}
    multi_items = getattr(form, 'multi_items', None)
    if multi_items is None:
        for k in form.keys():
            vs = form.getlist(k)
            out[k] = vs[0] if len(vs) == 1 else vs
        return out
    repeated: set = set()
    for k, v in multi_items():  # one pass, instead of a getlist scan per key
        if k not in out:
            out[k] = v
        elif k in repeated:
            out[k].append(v)
        else:
            out[k] = [out[k], v]
            repeated.add(k)
    return out


def parse_urlencoded(body: bytes, max_fields: int | float | None = None,
                     max_part_size: int | None = None) -> list[tuple[str, str]]:
    """The fields of an `application/x-www-form-urlencoded` body, exactly as Starlette's form parser reads them
    (fields split on `&`, empty ones skipped, name and value split at the first `=`, bytes read as latin-1, then
    `+` and %-escapes decoded as UTF-8 with replacement), in one pass instead of a streaming parser's callbacks.
    Its limits too: more than `max_fields` fields, or a field whose name and value (as sent) are together longer
    than `max_part_size`, raise the errors Starlette raises (tests/test_params.py compares the two). Unlike
    Starlette, %-escapes that are not UTF-8 raise a 400 ParamError naming the field (see `check_query`)."""
    out = []
    for part in body.decode('latin-1').split('&'):
        if not part:
            continue
        k, eq, v = part.partition('=')
        if max_fields is not None and len(out) >= max_fields:
            raise MultiPartException(f'Too many fields. Maximum number of fields is {max_fields}.')
        if max_part_size is not None and len(part) - len(eq) > max_part_size:
            raise MultiPartException(f'Field exceeded maximum size of {int(max_part_size / 1024)}KB.')
        if '+' in k or '%' in k:
            try:
                k = unquote_plus(k, errors='strict')
            except UnicodeDecodeError:
                raise _not_text('Form field', unquote_plus(k), True) from None
        if '+' in v or '%' in v:
            try:
                v = unquote_plus(v, errors='strict')
            except UnicodeDecodeError:
                raise _not_text('Form field', k) from None
        out.append((k, v))
    return out


async def parse_form(req: Request) -> FormData:
    "Read the request's form, treating an empty multipart body as an empty form instead of an error."
    ctype = req.headers.get('content-type', '')
    if ctype.startswith('multipart/form-data'):
        if req.headers.get('content-length', '1').strip() in ('0', '') or 'boundary=' not in ctype:
            return FormData()
    lim = limits_of(req.scope)
    if ctype.startswith('application/x-www-form-urlencoded') and getattr(req, '_form', True) is None:
        body = await req.body()  # (a body over Limits.max_body raises its 413 here)
        try:
            pairs = parse_urlencoded(body, lim.max_fields, lim.max_part_size)
            form = FormData(typing.cast('list[tuple[str, str | UploadFile]]', pairs))  # (a list's type is invariant)
        except MultiPartException as e:
            raise _form_error(str(e), lim) from None
        req._form = form  # Starlette's cache: `await req.form()` in the handler returns this same parse
        return form
    try:
        if getattr(req, '_form', True) is None and _is_multipart(ctype):
            # What Request.form() does for multipart, with the parser that checks the text (the same cache too)
            async with aclosing(req.stream()) as stream:
                req._form = await _TextMultiPartParser(req.headers, stream, **lim.form_kwargs()).parse()
            return req._form
        return await req.form(**lim.form_kwargs())
    except MultiPartException as e:
        raise _form_error(str(e), lim) from None
    except HTTPException as e:
        if e.status_code != 400 or isinstance(e, ParamError):
            raise
        raise _form_error(str(e.detail), lim) from None


def _is_multipart(ctype: str) -> bool:
    "Does Starlette read this content type as multipart (its media type exactly, parameters aside)?"
    return ctype.partition(';')[0].strip().lower() == 'multipart/form-data'


def _form_error(msg: str, lim: Limits) -> ParamError:
    "Starlette's form-limit messages, reworded to name the limit that was hit (413 for sizes, 400 for counts)."
    if msg.startswith('Too many fields'):
        return ParamError(400, f'Too many form fields: the limit is {lim.max_fields} (Limits.max_fields)')
    if msg.startswith('Too many files'):
        return ParamError(400, f'Too many uploaded files: the limit is {lim.max_files} (Limits.max_files)')
    if 'exceeded maximum size' in msg:
        return ParamError(413, f'Form field too large: one field may hold at most {lim.max_part_size} bytes '
                               f'(Limits.max_part_size)')
    return ParamError(400, f'Malformed form body: {msg}')


class Body:
    "The parsed request body: form fields or a JSON object, looked up by name."
    __slots__ = ('form', 'json', 'raw')

    def __init__(self, form: FormData | None = None, json_: Any = None, raw: bytes | None = None):
        self.form, self.json, self.raw = form, json_, raw

    def get(self, name: str, many: bool = False, alt: str | None = None) -> Any:
        """The value(s) posted for `name` (or else for `alt`, its hyphenated spelling), or `_MISSING`. A JSON
        `null` is no value, as in FastHTML."""
        if self.form is not None:
            for k in (name, alt) if alt else (name,):
                if many:
                    vs = self.form.getlist(k)
                    if vs:
                        return vs
                else:
                    v = self.form.get(k, _MISSING)
                    if v is not _MISSING:
                        return v
            return _MISSING
        js = self.json
        if isinstance(js, dict):
            k = name if name in js else alt if alt and alt in js else None
            if k is not None and js[k] is not None:
                return js[k]
        return _MISSING

    def as_dict(self) -> dict:
        if self.form is not None:
            return form2dict(self.form)
        return dict(self.json) if isinstance(self.json, dict) else {}


_EMPTY_BODY = Body(FormData())


def _no_constant(name: str) -> Any:
    "`NaN` and `Infinity` are not JSON (RFC 8259); Python's parser accepts them, we do not."
    raise ValueError(f'{name} is not a JSON value')


def _finite_float(s: str) -> float:
    "A JSON number that overflows to infinity (`1e999`) cannot be sent back as JSON either."
    f = float(s)
    if f in (float('inf'), float('-inf')):
        raise ValueError(f'number {s[:40]} is out of range')
    return f


def _detail(e: Exception) -> str:
    if isinstance(e, UnicodeDecodeError):
        return ': not UTF-8'
    return f': {e}'


def _declares_no_body(raw_headers: list) -> bool:
    "No content type, no transfer encoding, no (or zero) content length: a typical GET, told from the raw headers."
    for k, v in raw_headers:
        if k == b'content-type' or k == b'transfer-encoding':
            return False
        if k == b'content-length' and v.strip() not in (b'0', b''):
            return False
    return True


async def read_body(req: Request) -> Body:
    "Parse the body once by content type: JSON, urlencoded or multipart form; anything else is an empty form."
    if _declares_no_body(req.scope['headers']):
        return _EMPTY_BODY  # what the checks below conclude, without two header lookups that raise KeyError
    ctype = req.headers.get('content-type', '')
    if ctype.startswith('application/json') or ctype.endswith('+json'):
        raw = await req.body()
        if not raw:
            return Body(json_={}, raw=raw)
        try:
            js = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, UnicodeDecodeError) as e:
            raise ParamError(400, 'Invalid JSON body', reason=f'Invalid JSON body{_detail(e)}') from None
        except RecursionError:
            raise ParamError(400, 'Invalid JSON body', reason='Invalid JSON body: nested too deeply') from None
        if not isinstance(js, dict):
            raise ParamError(400, 'JSON body must be an object',
                             reason=f'JSON body must be an object, got a JSON {type(js).__name__}')
        _check_json_text(raw, js)
        return Body(json_=js, raw=raw)
    if ctype.startswith(('multipart/form-data', 'application/x-www-form-urlencoded')):
        return Body(await parse_form(req))
    h = req.headers
    if h.get('content-length', '0').strip() not in ('0', '') or 'transfer-encoding' in h:
        # Any other body (text, XML, ...) is kept raw for a `body` parameter; named fields find nothing in it.
        return Body(FormData(), raw=await req.body())
    return _EMPTY_BODY


# ---------------------------------------------------------------------------------------------------------------
# Casting values to annotated types: each annotation gets its cast function once, at registration.

class _Missing:
    def __repr__(self) -> str:
        return '<missing>'


_MISSING: Any = _Missing()
_NoneType = type(None)


def _unwrap_optional(anno: Any) -> tuple[Any, bool]:
    "Return (inner annotation, whether None is allowed) for `X | None` / `Optional[X]`."
    origin = typing.get_origin(anno)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(anno) if a is not _NoneType]
        optional = len(args) < len(typing.get_args(anno))
        # FastHTML reads a value as the first type of a Union (`Union[int, str]` is an int parameter).
        return (args[0] if args else anno), optional
    return anno, False


def _type_name(anno: Any) -> str:
    return getattr(anno, '__name__', None) or str(anno).replace('typing.', '')


def _cast_date(v: Any) -> date | None:
    "An ISO 8601 date (`2024-05-17`, `20240517`), as FastHTML reads one; an empty value is None."
    if isinstance(v, date):
        return v
    s = str(v)
    return date.fromisoformat(s) if s else None


def _cast_datetime(v: Any) -> datetime | None:
    "Any date and time dateutil understands; an empty value is None."
    if isinstance(v, datetime):
        return v
    s = str(v)
    return _dtparse(s) if s else None


def _cast_time(v: Any) -> time:
    return v if isinstance(v, time) else _dtparse(str(v)).time()


_INT_WORDS = {'': 0, 'on': 1, 'off': 0}  # a checkbox (`on`), or an empty input, read as a number


def _cast_int(v: Any) -> int:
    "`int()`, except that FastHTML reads an empty value as 0 and a checkbox's `on`/`off` as 1/0."
    if isinstance(v, str):
        w = _INT_WORDS.get(v.strip().lower())
        return int(v) if w is None else w
    if isinstance(v, bool):
        raise ValueError('boolean is not an integer')
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError('not an integer')
        return int(v)
    return int(v)


def _cast_float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError('boolean is not a number')
    return float(v)


def _cast_str(v: Any) -> str:
    if isinstance(v, UploadFile):
        raise ValueError('got a file upload, expected text')
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v if isinstance(v, str) else str(v)


def caster(anno: Any) -> Callable[[Any], Any]:
    "The function that converts a raw value (str, or JSON value) to `anno`; it raises ValueError/TypeError."
    if anno is inspect.Parameter.empty or anno is Any or anno is str:
        return _cast_str if anno is str else (lambda v: v)
    if anno is bool:
        return str2bool
    if anno is int:
        return _cast_int
    if anno is float:
        return _cast_float
    if anno is datetime:
        return _cast_datetime
    if anno is date:
        return _cast_date
    if anno is time:
        return _cast_time
    if anno is bytes:
        return lambda v: v if isinstance(v, bytes) else str(v).encode()
    inner, _ = _unwrap_optional(anno)
    if inner is not anno:
        return caster(inner)
    origin = typing.get_origin(anno)
    if origin is typing.Literal:
        allowed = typing.get_args(anno)

        def _lit(v: Any) -> Any:
            for a in allowed:
                if v == a or str(v) == str(a):
                    return a
            raise ValueError(f'{v!r} is not one of {allowed}')
        return _lit
    if isinstance(anno, type) and issubclass(anno, Enum):
        def _enum(v: Any) -> Enum:
            try:
                return anno(v)
            except ValueError:
                for m in anno:  # `?n=1` for a member whose value is the int 1
                    if str(m.value) == str(v):
                        return m
                raise
        return _enum
    if isinstance(anno, type) and issubclass(anno, UploadFile):
        def _upload(v: Any) -> UploadFile:
            if not isinstance(v, UploadFile):
                raise ValueError('expected a file upload')
            return v
        _upload.strict = True  # type: ignore[attr-defined]  # JSON values are not passed on as sent (see _cast)
        return _upload
    if callable(anno):
        return anno
    return lambda v: v


# ---------------------------------------------------------------------------------------------------------------
# Plans

_REQ_NAMES = frozenset(('req', 'request'))
_SESS_NAMES = frozenset(('session', 'sess'))


def _is_typeddict(anno: Any) -> bool:
    return isinstance(anno, type) and issubclass(anno, dict) and hasattr(anno, '__total__')


def _is_namedtuple(anno: Any) -> bool:
    return isinstance(anno, type) and issubclass(anno, tuple) and hasattr(anno, '_fields')


def _is_list(anno: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(anno)
    if origin in (list, tuple, set, frozenset) or anno in (list,):
        args = typing.get_args(anno)
        return True, (args[0] if args else str)
    return False, None


def _is_upload_list(anno: Any) -> bool:
    ok, item = _is_list(anno)
    return ok and isinstance(item, type) and issubclass(item, UploadFile)


_SIMPLE = (str, int, float, bool, bytes, date, datetime, time)


def _is_body_class(anno: Any) -> bool:
    """Annotations filled from the whole body: dict, dataclass, TypedDict, namedtuple, or a class that declares
    annotated attributes (`class Login: name: str; pwd: str`). A class without them converts one value by name,
    as `Path` does (`def f(p: Path)` reads `p`), which is how FastHTML tells the two apart."""
    if anno is dict or typing.get_origin(anno) is dict:
        return True
    if dataclasses.is_dataclass(anno) or _is_typeddict(anno) or _is_namedtuple(anno):
        return True
    if not isinstance(anno, type) or anno in _SIMPLE or issubclass(anno, (Enum, UploadFile, HTTPConnection)):
        return False
    if issubclass(anno, (str, int, float, bytes, list, tuple, set)) or anno.__module__ in ('builtins', 'pathlib'):
        return False
    return any(c.__dict__.get('__annotations__') for c in anno.__mro__[:-1])


class _Field:
    "One named value read from the request, with its cast. (A plain class: a dataclass costs ~1 ms of import.)"
    __slots__ = ('name', 'cast', 'type_name', 'default', 'optional', 'many', 'empty_is_none', 'alt')

    def __init__(self, name: str, cast: Callable[[Any], Any], type_name: str, default: Any, optional: bool,
                 many: bool, empty_is_none: bool = False, alt: str | None = None) -> None:
        self.name, self.cast, self.type_name, self.default = name, cast, type_name, default
        self.optional, self.many = optional, many
        # A body-class field: an empty input that does not convert (a float, say) means None where None is allowed,
        # else the field's default (the original fails with a 500 there).
        self.empty_is_none = empty_is_none
        # The hyphenated spelling of the name, also looked up in the query and body (`x-h` fills `x_h`).
        self.alt = alt

    def __repr__(self) -> str:
        return f'_Field({self.name!r}, {self.type_name})'


def _field(name: str, anno: Any, default: Any) -> _Field:
    inner, optional = _unwrap_optional(anno)
    if default is None:
        optional = True
    many, item = _is_list(inner)
    cast = caster(item if many else inner)
    if inner is inspect.Parameter.empty:
        tname = 'str'
    else:
        tname = f'list[{_type_name(item)}]' if many else _type_name(inner)
    return _Field(name, cast, tname, default, optional, many, alt=name.replace('_', '-') if '_' in name else None)


class _NoValue(Exception):
    "An empty JSON list for a single value: no value at all."


def _cast(f: _Field, raw: Any, as_sent: bool = True) -> Any:
    """`raw` converted for `f`, as FastHTML converts: a list for a single value gives its last item; JSON values
    that are not strings (numbers, booleans, objects) are passed on as sent (unless `as_sent` is false: websocket
    messages). Raises ValueError/TypeError."""
    if f.many:
        return [f.cast(v) for v in (raw if isinstance(raw, list) else [raw])]
    if isinstance(raw, list):
        if not raw:
            raise _NoValue
        return f.cast(raw[-1])
    if as_sent and not isinstance(raw, (str, UploadFile)) and not getattr(f.cast, 'strict', False):
        return raw
    return f.cast(raw)


_CAST_ERRORS = (ValueError, TypeError, OverflowError, ArithmeticError)


def _why(f: _Field, raw: Any, where: str, e: Exception) -> str:
    "The log and debug-page text for a value that did not convert."
    shown = raw if isinstance(raw, (str, int, float, bool)) else type(raw).__name__
    detail = f' ({e})' if f.type_name not in ('int', 'float', 'bool') else ''
    return f'Invalid value for {where} {f.name!r}: expected {f.type_name}, got {str(shown)[:80]!r}{detail}'


def _convert(f: _Field, raw: Any, where: str, c: HTTPConnection, path: str) -> Any:
    """Cast `raw` for field `f`. A value that does not convert answers 404 (FastHTML's answer: such a URL names
    nothing), with the original's detail for the app's own 404 handler."""
    try:
        if type(raw) is str and not f.many:
            return f.cast(raw)  # the common case, without a call to _cast
        return _cast(f, raw)
    except _NoValue:
        return _missing(f, where, path)
    except _CAST_ERRORS as e:
        if raw == '' and f.empty_is_none:
            if f.optional:
                return None
            if f.default is not _MISSING:
                return f.default
        raise ParamError(404, f'{c.url.path}: {e}', reason=_why(f, raw, where, e)) from None


def _missing(f: _Field, where: str, path: str) -> Any:
    "The default of a parameter the request does not carry (`[]` for a list defaulting to None), else a 400."
    if f.default is not _MISSING:
        return [] if f.many and f.default is None else f.default
    raise ParamError(400, f'Missing required field: {f.name}',
                     reason=f'Missing required field: {f.name} (looked in {where} for {path})')


def _body_factory(anno: Any, handler: str, pname: str) -> Callable[[dict, HTTPConnection], Any]:
    "Build, once, the function that turns a body dict into an instance of `anno` with converted fields."
    if anno is dict or typing.get_origin(anno) is dict:
        return lambda d, c: d
    if dataclasses.is_dataclass(anno):
        hints = typing.get_type_hints(anno)
        fields = []
        for fd in dataclasses.fields(anno):
            if not fd.init:
                continue
            default = fd.default if fd.default is not dataclasses.MISSING else (
                fd.default_factory() if fd.default_factory is not dataclasses.MISSING else _MISSING)  # type: ignore
            fields.append(_field(fd.name, hints.get(fd.name, str), default))
    elif _is_typeddict(anno):
        hints = typing.get_type_hints(anno)
        required = getattr(anno, '__required_keys__', set(hints))
        fields = [_field(k, t, _MISSING if k in required else _SKIP) for k, t in hints.items()]
    elif _is_namedtuple(anno):
        hints = typing.get_type_hints(anno) if getattr(anno, '__annotations__', None) else {}
        defaults = getattr(anno, '_field_defaults', {})
        fields = [_field(k, hints.get(k, str), defaults.get(k, _MISSING)) for k in anno._fields]
    else:
        try:
            hints = typing.get_type_hints(anno)
        except Exception:  # noqa: BLE001 (an annotation that does not resolve: str, like a missing one)
            hints = {}
        if anno.__init__ is object.__init__:
            # Annotated attributes and no constructor: made empty, then given the fields the body carries.
            fields = [_field(k, t, _SKIP) for k, t in hints.items() if not k.startswith('_')]
            plain = anno
            anno = functools.partial(_set_attrs, plain)
        else:
            try:
                init_hints = typing.get_type_hints(anno.__init__)
            except Exception:  # noqa: BLE001 (an annotation that does not resolve: str, like a missing one)
                init_hints = {}
            ps = list(inspect.signature(anno.__init__).parameters.values())[1:]
            fields = [_field(p.name, init_hints.get(p.name, hints.get(p.name, str)),
                             p.default if p.default is not p.empty else _MISSING)
                      for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    for f in fields:
        f.empty_is_none = True
    where = f'field of {pname!r}'
    build = typing.cast('Callable[..., Any]', anno)  # (is_dataclass above narrowed it to a class or an instance)

    def make(d: dict, c: HTTPConnection) -> Any:
        kw = {}
        for f in fields:
            raw = d.get(f.name, _MISSING)
            if raw is _MISSING and f.alt is not None:
                raw = d.get(f.alt, _MISSING)
            if raw is _MISSING or raw is None:
                if f.default is _SKIP:
                    continue
                if f.default is _MISSING:
                    _missing(f, 'the body', f'parameter {pname!r} of {handler}')
                kw[f.name] = f.default
                continue
            kw[f.name] = _convert(f, raw, where, c, where)
        try:
            return build(**kw)
        except (TypeError, ValueError) as e:
            raise ParamError(400, 'Invalid body', reason=f'Invalid body for parameter {pname!r}: {e}') from None
    return make


def _set_attrs(cls: type, **kw: Any) -> Any:
    o = cls()
    for k, v in kw.items():
        setattr(o, k, v)
    return o


_SKIP: Any = object()


class Plan:
    """How to fill one handler's parameters: one extractor per parameter, built at registration.

    Per request, `resolve(conn, body)` only runs the extractors; it never inspects the handler."""
    __slots__ = ('fn', 'name', 'extractors', 'needs_body', 'is_async', 'path')

    def __init__(self, fn: Callable, name: str, extractors: list, needs_body: bool, path: str):
        self.fn, self.name, self.extractors, self.needs_body, self.path = fn, name, extractors, needs_body, path
        self.is_async = (inspect.iscoroutinefunction(fn)  # an object's async __call__ makes the handler async
                         or inspect.iscoroutinefunction(getattr(fn, '__call__', None)))  # noqa: B004 (not a callable test)

    def resolve(self, conn: HTTPConnection, body: Body | None = None, extra: dict | None = None) -> dict:
        "Fill the handler's keyword arguments from `conn` (and the parsed `body`); raises ParamError on bad input."
        return {name: ex(conn, body, extra) for name, ex in self.extractors}


def _special(name: str, anno: Any, app_cls: type, ws: bool = False) -> Callable | None:
    "Extractor for a special parameter (request, session, auth, htmx, app, scope, body, ...) or None."
    def is_sub(t: type) -> bool:
        return isinstance(anno, type) and issubclass(anno, t)
    if is_sub(HTTPConnection) or is_sub(WebSocket):
        return lambda c, b, x: c
    if anno is FormData:  # the parsed body alone (no query values mixed in, unlike `dict`)
        return lambda c, b, x: _form_of(b)
    if anno is HtmxHeaders:
        return lambda c, b, x: _get_htmx(c.headers)
    if is_sub(Starlette):
        return lambda c, b, x: c.scope['app']
    if name in _REQ_NAMES and anno in (inspect.Parameter.empty, Any):
        return lambda c, b, x: c
    if name in _SESS_NAMES:
        return lambda c, b, x: c.scope['session'] if 'session' in c.scope else {}
    # FastHTML also accepts any unannotated prefix of `request` or `session` (`r`, `req`, `s`, `sess`, ...).
    if anno is inspect.Parameter.empty and 'request'.startswith(name):
        return lambda c, b, x: c
    if anno is inspect.Parameter.empty and 'session'.startswith(name):
        return lambda c, b, x: c.scope['session'] if 'session' in c.scope else {}
    if name == 'auth':
        return lambda c, b, x: c.scope.get('auth')
    if name == 'htmx':
        return lambda c, b, x: _get_htmx(c.headers)
    if name == 'app' and anno in (inspect.Parameter.empty, Any):
        return lambda c, b, x: c.scope['app']
    if name == 'scope':
        return lambda c, b, x: c.scope
    if name == 'ws' and anno in (inspect.Parameter.empty, Any):
        return lambda c, b, x: c
    if name == 'body' and (anno is inspect.Parameter.empty or ws and anno in (str, bytes)):
        # The raw body (or websocket message) as text. Annotated (`body: str`) in an HTTP handler, it is an ordinary
        # field, as in FastHTML: a form's `body` textarea.
        if anno is bytes:
            return lambda c, b, x: (b.raw if b is not None and b.raw is not None else _raw_of(b))
        return lambda c, b, x: _raw_of(b).decode('utf-8', 'replace')
    return None


def _form_of(b: Body | None) -> FormData:
    if b is None:
        return FormData()
    if b.form is not None:
        return b.form
    return FormData([(k, v) for k, v in b.json.items() if isinstance(v, str)] if isinstance(b.json, dict) else [])


def _raw_of(b: Body | None) -> bytes:
    if b is None:
        return b''
    if b.raw is not None:
        return b.raw
    if b.form is not None:
        from urllib.parse import urlencode
        return urlencode([(k, v) for k, v in b.form.multi_items() if isinstance(v, str)]).encode()
    return b''


def build_plan(fn: Callable, path: str = '', path_params: frozenset | set = frozenset(), *, ws: bool = False,
               extra_names: tuple = (), app_cls: type = Starlette) -> Plan:
    """Inspect `fn` once and return its Plan. Setup mistakes (an unfillable parameter) are reported here,
    naming the handler; unannotated parameters warn and receive None, as FastHTML documents."""
    hname = getattr(fn, '__qualname__', None) or getattr(fn, '__name__', repr(fn))
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 (one that does not resolve: one by one, naming it)
        hints = _hints_one_by_one(fn, sig, hname)
    extractors: list = []
    awaited: list = []
    needs_body = False
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        name = p.name
        if p.kind == p.POSITIONAL_ONLY:
            raise TypeError(f'{hname}: parameter `{name}` is positional-only, so it can never be filled by name; '
                            f'remove the `/` from its signature')
        anno = hints.get(name, p.annotation)
        default = p.default if p.default is not p.empty else _MISSING
        if name in extra_names:
            extractors.append((name, _extra(name, default)))
            continue
        fr = _from_request_plan(anno, path, path_params, app_cls, ws)
        if fr is not None:  # a class that builds itself from the request (ApiReturn, ...)
            needs_body = needs_body or fr.needs_body
            extractors.append((name, _from_request_extractor(fr)))
            if fr.is_async:
                awaited.append(name)
            continue
        sp = _special(name, anno, app_cls, ws)
        if sp is not None:
            if anno is FormData or name == 'body' and (anno is inspect.Parameter.empty or ws):
                needs_body = True
            extractors.append((name, sp))
            continue
        if anno is inspect.Parameter.empty or anno is list:
            if name in path_params and anno is inspect.Parameter.empty:
                anno = str
            elif name == 'self' and anno is inspect.Parameter.empty:
                extractors.append((name, _none))  # a method of a class route: FastHTML passes None
                continue
            else:
                # FastHTML warns when the route is added and each time it is used; the parameter gets None.
                msg = (f'`{name}` has no type annotation and is not a recognised special name, so is ignored.'
                       if anno is inspect.Parameter.empty else
                       f'`{name}` uses bare `list` annotation, so is ignored (use e.g. `list[str]` instead).')
                msg += f' ({hname}, route {path or "?"})'
                warnings.warn(msg, stacklevel=4)
                extractors.append((name, _ignored(msg, None if default is _MISSING else default)))
                continue
        inner, _ = _unwrap_optional(anno)
        if _is_body_class(inner):  # ws: built from the message's fields
            needs_body = True
            extractors.append((name, _body_extractor(inner, hname, name, default)))
            continue
        f = _field(name, anno, default)
        if name in path_params:
            extractors.append((name, _path_extractor(f, path)))
            continue
        if ws:
            extractors.append((name, _ws_extractor(f, path)))
            continue
        upload = (isinstance(inner, type) and issubclass(inner, UploadFile)) or _is_upload_list(inner)
        needs_body = True
        extractors.append((name, _named_extractor(f, path, upload)))
    if awaited:
        fn = _awaiting(fn, tuple(awaited))
    return Plan(fn, hname, extractors, needs_body, path)


def _none(c: Any, b: Any, x: Any) -> None:
    return None


def _ignored(msg: str, value: Any) -> Callable:
    "The extractor of a parameter FastHTML cannot fill: it warns on each use and gives `value`."
    def ex(c: Any, b: Any, x: Any) -> Any:
        warnings.warn(msg, stacklevel=2)
        return value
    return ex


def _from_request_plan(anno: Any, path: str, path_params: Any, app_cls: type, ws: bool = False) -> Plan | None:
    """The plan of `anno.__from_request__` when the annotation is a class defining it: that classmethod's own
    parameters are filled by name like a handler's (`req`, `session`, query fields...)."""
    inner, _ = _unwrap_optional(anno)
    fr = getattr(inner, '__from_request__', None) if isinstance(inner, type) else None
    return None if fr is None else build_plan(fr, path, path_params, ws=ws, app_cls=app_cls)


def _from_request_extractor(fr: Plan) -> Callable:
    def ex(c: HTTPConnection, b: Body | None, x: Any) -> Any:
        return fr.fn(**fr.resolve(c, b, x))  # an async `__from_request__` gives a coroutine, awaited by `_awaiting`
    return ex


def _awaiting(fn: Callable, names: tuple) -> Callable:
    "`fn` behind an async wrapper that first awaits the parameters an async `__from_request__` produced."
    import functools

    from ._workers import run_sync
    is_async = inspect.iscoroutinefunction(fn)

    @functools.wraps(fn)
    async def call(**kw: Any) -> Any:
        for n in names:
            kw[n] = await kw[n]
        if is_async:
            return await fn(**kw)
        return await run_sync(functools.partial(fn, **kw))  # a sync handler still runs in a worker thread
    return call


def _hints_one_by_one(fn: Callable, sig: inspect.Signature, hname: str) -> dict:
    "Resolve string annotations one parameter at a time, so an unresolvable one is named instead of ignored."
    glb = getattr(inspect.unwrap(fn), '__globals__', {})
    hints = {}
    for p in sig.parameters.values():
        a = p.annotation
        if not isinstance(a, str):
            hints[p.name] = a
            continue
        try:
            hints[p.name] = eval(a, glb)  # noqa: S307 (the handler's own annotation, evaluated as Python would)
        except Exception as e:  # noqa: BLE001 (re-raised as a TypeError naming the parameter)
            raise TypeError(f'{hname}: cannot resolve the annotation {a!r} of parameter `{p.name}` ({e}). '
                            f'Define the type at module level, or annotate with the type itself.') from None
    return hints


def _extra(name: str, default: Any) -> Callable:
    def ex(c: Any, b: Any, x: dict | None) -> Any:
        if x is not None and name in x:
            return x[name]
        return None if default is _MISSING else default
    return ex


def _path_extractor(f: _Field, path: str) -> Callable:
    def ex(c: HTTPConnection, b: Any, x: Any) -> Any:
        raw = c.path_params.get(f.name, _MISSING)
        if raw is _MISSING:
            return _missing(f, 'the path', path)
        if not isinstance(raw, str):
            return raw
        return _convert(f, raw, 'path parameter', c, path)
    return ex


def _named_extractor(f: _Field, path: str, upload: bool) -> Callable:
    """Look a parameter up by name in FastHTML's order: cookies, headers (`user_agent` reads `User-Agent`), query,
    then the body (form or JSON). The query and body also answer to the hyphenated name (`x-h` for `x_h`)."""
    name, alt = f.name, f.alt
    header = snake2hyphens(name).lower().encode('latin-1')  # as ASGI servers give header names
    many = f.many
    alts = _cookie_names(name)

    def ex(c: HTTPConnection, b: Body | None, x: Any) -> Any:
        if not upload:
            # One pass over the raw headers finds the parameter's header and whether there are cookies at all.
            hv = None
            cookies = False
            for k, v in c.scope['headers']:
                if k == header:
                    if hv is None:
                        hv = v
                elif k == b'cookie':
                    cookies = True
            if cookies:
                ck = _find_cookie(c, name, alts)
                if ck is not _MISSING:
                    return _convert(f, ck, 'cookie', c, path)
            if hv is not None:
                return _convert(f, hv.decode('latin-1'), 'header', c, path)
            qp = c.query_params
            k = name if name in qp else alt if alt is not None and alt in qp else None
            if k is not None:
                return _convert(f, qp.getlist(k) if many else qp[k], 'query parameter', c, path)
        if b is not None:
            raw = b.get(name, many, alt)
            if raw is not _MISSING:
                return _convert(f, raw, 'form field' if b.form is not None else 'JSON field', c, path)
        return _missing(f, 'cookies, headers, query and body' if not upload else 'the multipart body', path)
    return ex


def _ws_convert(f: _Field, raw: Any, where: str) -> Any:
    "Cast a websocket value; a failure is a ParamError naming the field (logged; the message is dropped)."
    try:
        return _cast(f, raw, as_sent=False)
    except _NoValue:
        return _ws_missing(f, where)
    except _CAST_ERRORS as e:
        raise ParamError(400, _why(f, raw, where, e)) from None


def _ws_missing(f: _Field, where: str) -> Any:
    if f.default is not _MISSING:
        return f.default
    if f.optional:
        return None
    raise ParamError(400, f'Missing required field: {f.name} (looked in {where})')


def _ws_extractor(f: _Field, path: str) -> Callable:
    "WebSocket handlers get message fields (passed as `extra`), then query, cookies and headers."
    name = f.name
    header = name.replace('_', '-')
    alts = _cookie_names(name)

    def ex(c: HTTPConnection, b: Any, x: dict | None) -> Any:
        if x is not None and name in x:
            return _ws_convert(f, x[name], 'message field')
        qp = c.query_params
        if name in qp:
            return _ws_convert(f, qp.getlist(name) if f.many else qp[name], 'query parameter')
        if c.cookies:
            v = _find_cookie(c, name, alts)
            if v is not _MISSING:
                return _ws_convert(f, v, 'cookie')
        hv = c.headers.get(header)
        if hv is not None:
            return _ws_convert(f, hv, 'header')
        return _ws_missing(f, f'the message, query, cookies and headers for {path}')
    return ex


def _body_extractor(anno: Any, hname: str, pname: str, default: Any) -> Callable:
    make = _body_factory(anno, hname, pname)
    is_dict = anno is dict or typing.get_origin(anno) is dict

    def ex(c: HTTPConnection, b: Body | None, x: Any) -> Any:
        d = b.as_dict() if b is not None else {}
        # Query fields win over the body's (one value each, the last); for a class, path parameters win over both.
        if c.scope.get('query_string') and c.query_params:
            d = {**d, **c.query_params}
        if not is_dict and c.path_params:
            d = {**d, **c.path_params}
        if is_dict:
            return d  # `d: dict = None` is still a dict, as in FastHTML
        if not d and default is not _MISSING:
            return default
        return make(d, c)
    return ex


def optional_anno(anno: Any) -> Any | None:
    return _unwrap_optional(anno)[0]
