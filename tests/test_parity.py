"""Name parity with FastHTML: every public name of the original's `fasthtml.common` (and of `core`, `xtend` and
`starlette`) exists here, so apps and add-on libraries written for FastHTML import unchanged; and exact behaviour
tests for each feature those names brought: Fragment, fh_cfg, Toast/toast_after, StaticNoCache/StaticImmutable/vurl,
HostRoute, Lifespan, ApiReturn and `__from_request__`, into/add_sig_param, until_disconnect/cancel_on_disconnect,
cors_allow, JSONResponse, basic_logout, robots.txt, sitemap.xml, JSON-LD, per-tab session ids, upload progress.

Where the original misbehaves, the test says so and asserts the better behaviour."""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import time
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.websockets import WebSocket
from variants import variant

import fasthtml.components as components
import fasthtml.core as core
import fasthtml.starlette as fh_starlette
import fasthtml.xtend as xtend
from fasthtml.components import H1, Div, Input, Li, P, Span, Ul, fh_cfg, ft, ft_html, ft_hx, to_xml
from fasthtml.core import (
    DEF_MAXPART,
    ApiReturn,
    Client,
    FastHTML,
    HostRoute,
    JSONResponse,
    Lifespan,
    StaticImmutable,
    StaticNoCache,
    add_sig_param,
    cancel_on_disconnect,
    cors_allow,
    devtools_loc,
    htmx4src,
    into,
    until_disconnect,
    vurl,
)
from fasthtml.fastapp import fast_app
from fasthtml.starlette import TestClient  # imported without Starlette's httpx deprecation warning
from fasthtml.toaster import Toast, add_toast, render_toasts, setup_toasts, tcid, toast_after
from fasthtml.xtend import (
    Form,
    Fragment,
    LdContactPoint,
    LdCourse,
    LdCourseInstance,
    LdJson,
    LdOrg,
    LdWebsite,
    robots_txt,
    sid_scr,
    sitemap_url,
    sitemap_xml,
    upload_pb_attrs,
    with_sid,
)

HX = {'HX-Request': '1'}


def _common_namespace() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ns: dict = {}
        exec('from fasthtml.common import *', ns)
    return ns


# ---------------------------------------------------------------------------------------------------------------
# Names: the original's public names (python-fasthtml 0.14, listed with `dir()`/`__all__` only), as data.

ORIGINAL_COMMON = '''
A APIRouter ASGIApp AX Abbr Address Any AnyNow ApiReturn Area Article Aside AttrDict AttrDictDefault Audio
AuthCredentials AuthenticationBackend AuthenticationError AuthenticationMiddleware B BackgroundTask
BackgroundTasks Base BasicAuthMiddleware BasicRepr Bdi Bdo Beforeware Blockquote Body Br BuiltinFunctionType
BuiltinMethodType Button CONVERTOR_TYPES CORSMiddleware CachedAwaitable CachedIter Canvas Caption CheckboxX Cite
Client Code Col Colgroup CollBase CommaSeparatedStrings Config ContextManagers Convertor DEF_MAXPART Data
Datalist Dd Debounce Del DepProp Details Dfn Dialog Dict Div Dl Dt E Em Embed EventStream EventTimer FT FastHTML
FastHTMLWithLiveReload Favicon Fencedframe Fieldset Figcaption Figure File FileResponse Float Footer Form
FormData Fragment FtResponse FullString FunctionType Generator GetAttr GetAttrBase H1 H2 H3 H4 H5 H6
HTMLResponse HTTPConnection HTTPEndpoint HTTPException HTTPSRedirectMiddleware Head Header Headers Hgroup Hidden
HighlightJS Host HostRoute Hr Html HtmxHeaders HtmxOn HtmxResponseHeaders HttpHeader HxPartial I IN_COLAB
IN_IPYTHON IN_JUPYTER IN_NOTEBOOK Iframe Img ImportEnum Inf Input Ins Int IterLen Iterable Iterator JSONResponse
JSONResponseOrig KatexMarkdownJS Kbd L Label LdContactPoint LdCourse LdCourseInstance LdJson LdOrg LdWebsite
Legend Li Lifespan Link List Main Map Mapping Mark MarkdownJS Match Math Menu MermaidJS Meta Meter
MethodDescriptorType MethodType MethodWrapperType Middleware MiddlewareBase Mount NS Nav Nbsp NoneType Noscript
NotStr Now NullType Object Ol On Optgroup Option Optional Output P Param PartialFormatter Path Picture
PortalExperimental Pre PrettyString Prev ProcessPoolExecutor Progress Q Receive Redirect RedirectResponse
ReindexCollection Request Response Route RouteFuncs Router Rp Rt Ruby S Safe Samp SaveReturn Scope Script
ScriptX Search Secret Section Select Self Send Sequence SessionMiddleware Set ShowPrint SimpleNamespace
SimpleUser Slot Small Socials SortableJS Source Span Starlette State Stateful StaticFiles StaticImmutable
StaticNoCache Str StrEnum StreamingResponse Strike StringConvertor Strong Style StyleX Sub Summary Sup Surreal
Svg Table Tbody Td Template Textarea Tfoot Th Thead ThreadPoolExecutor Time Title Titled Toast Tr Track
TruncatedString TrustedHostMiddleware Tuple U UNSET URLPath Ul Union Unset UploadFile ValEnum Var Video Wbr
WebSocket WebSocketDisconnect WebSocketEndpoint WebSocketException WebSocketRoute WrapperDescriptorType XML
YouTubeEmbed acache add add_docs add_props add_sig_param add_toast adict all_equal all_meths anno_ret
annotations any_is_instance arg0 arg1 arg2 arg3 arg4 argnames argwhere array_equal asave_iter asdict athreaded
atomic_save attrdict attrgetter attrmap attrmap_x auth_hdrs autostart base64 basic_logout basic_repr bg_task
binascii bind bunzip camel2snake camel2words cancel_on_disconnect charset chunked class2attr clean_cli_output
clear coll_repr compare_digest compile_path compile_re compose concat console_help cookie copy_func cors_allow
ctx_sync curryable custom_dir cycle dark_media dataclass dataclass_src decode_uri def_hdrs defaults
delegate_attr detect_mime detuplify devtools_loc df_equal dict2obj dict2xml disable_async_magics docs
double_braces dstar dumps empty enable_async_magics enum eq equals eval_type even_mults evt_attrs exec_eval
exec_import exec_local exec_new expand_wildcards extend_enum exttypes fail_clean fast_app fastuple fdelegates
fenced fenced_blocks fh_cfg fhjsscr fill_dataclass fill_form filter_dict filter_ex filter_keys filter_values
find_file_parents find_inputs first first_match flat_tuple flat_xt flatmap flatten flexicache flexiclass
form2dict friendly_name frontmatter ft ft_html ft_hx functools ge gen get_annotations_ex get_class get_key
get_source_link getattrs getcallable globtastic groupby gt hasattrs highlight hl_md html2ft html_attrs htmx4src
htmx_exts htmx_hdrs htmx_resps htmxsrc humanize hx_attrs hx_attrs_4only hx_attrs_annotations hx_evt_attrs
hx_evts hx_evts_4only id_words ifnone iframe_scr ignore_exceptions image_size img_bytes import_no_init in_
in_colab in_ipython in_jupyter in_notebook init_args instantiate into inum_methods io ipython_shell is_ is_array
is_async_callable is_bool is_coll is_full_page is_indexer is_iter is_listy is_namedtuple is_not is_typeddict
is_usable_tool isinstance_str itemgetter iter_sync itertools join_path_file joins js js_evt_attrs js_evts jsd
kindsort last last_index last_match le light_media linesplitter listify llmtool load_mod load_pickle loads
loads_multi local2utc loop_first loop_first_last loop_last loose_format lt make_nullable map_ex mapa mapped maps
mapt marked_imp mask2idxs math maybe_aiter maybe_attr maybe_await maybe_open merge mk_class mk_getattr mkdir mod
modified_env modify_exception mtime_policy mul n_friendly_names named ne negate nested_attr nested_callable
nested_idx nested_name nested_setdefault noop noop_body noopa noops not_ npmcdn null nullable_dc num_cpus
num_methods obj2dict only open_file operator os otherwise parallel parallel_async parallel_async_dict
parallel_async_gen parallelable parse_env parse_form parsed_date partial partial_format partialler partition
partition_dict patch patch_to pglob product properties qp range_of re read_config_file reawaitable reduce
reg_re_param register_url_convertor remove_prefix remove_suffix render_toasts renumerate replace_css_vars
replicate repo_details repr_dict req requires respond ret_false ret_true revive_dates risinstance rnum_methods
robots_txt round_multiple rstar rsync_multi rtoken_hex run run_in_threadpool run_js run_sync save_config_file
save_iter save_pickle scopesrc serve set_nested_idx set_num_threads setattrs setify setup_toasts shell show
showtags shufflish sid_scr sig_with_params signal_shutdown signature_ex sitemap_url sitemap_xml sk snake2camel
snake2hyphens sorted_ex spark_chars sparkline splitter sse_message ssh star startproc startthread stop
store_attr str2bool str2date str2dt str2float str2int str2list str_diff str_enum strcat stringfmt_names
strloader strtyps sub surrsrc sys take_lines tcid then threaded time_policy timed_cache to_aiter to_bool
to_camel to_date to_float to_int to_kebab to_list to_pascal to_snake to_xml toast_after toast_css tonull trace
trim_wraps true truediv trunc_ctr truncstr try_attrs tuplify type2str type_hints type_map typed typing
undouble_braces union2tuple uniqueify unqid untar_dir until_disconnect upload_pb_attrs uri user_pwd_auth
using_attr utc2local val2idx valmap vars_pub ver2tuple viewport voids vurl wait_until walk walk_join warn
warnings with_cast with_sid working_directory wrap_class xdumps zip_cycle
'''.split()

ORIGINAL_CORE = '''
APIRouter ApiReturn Beforeware Client DEF_MAXPART EventStream FastHTML FtResponse HostRoute HtmxHeaders
HtmxResponseHeaders HttpHeader JSONResponse Lifespan MiddlewareBase Redirect RouteFuncs StaticImmutable
StaticNoCache add_sig_param all_meths cancel_on_disconnect charset cookie cors_allow decode_uri def_hdrs
devtools_loc empty fh_cfg fhjsscr flat_tuple flat_xt form2dict get_key htmx4src htmx_exts htmx_hdrs htmx_resps
htmxsrc iframe_scr into is_full_page nested_name noop_body parse_form parsed_date qp reg_re_param respond
scopesrc serve signal_shutdown snake2hyphens surrsrc unqid until_disconnect uri viewport vurl
'''.split()

ORIGINAL_XTEND = '''
A AX AnyNow CheckboxX Favicon Form Fragment Hidden HtmxOn LdContactPoint LdCourse LdCourseInstance LdJson LdOrg
LdWebsite Nbsp Now On Prev Script ScriptX Socials Style StyleX Surreal Titled YouTubeEmbed clear double_braces
jsd loose_format replace_css_vars robots_txt run_js sid_scr sitemap_url sitemap_xml undouble_braces
upload_pb_attrs with_sid
'''.split()

ORIGINAL_STARLETTE = '''
ASGIApp AuthCredentials AuthenticationBackend AuthenticationError AuthenticationMiddleware BackgroundTask
BackgroundTasks CONVERTOR_TYPES CORSMiddleware CommaSeparatedStrings Config Convertor FileResponse FormData
HTMLResponse HTTPConnection HTTPEndpoint HTTPException HTTPSRedirectMiddleware Headers Host JSONResponseOrig
Match Middleware Mount Receive RedirectResponse Request Response Route Router Scope Secret Send
SessionMiddleware SimpleUser Starlette State StaticFiles StreamingResponse StringConvertor TrustedHostMiddleware
URLPath UploadFile WebSocket WebSocketDisconnect WebSocketEndpoint WebSocketException WebSocketRoute
compile_path is_async_callable register_url_convertor requires run_in_threadpool
'''.split()

def test_every_public_name_of_the_original_common_exists():
    ns = _common_namespace()
    assert [n for n in ORIGINAL_COMMON if n not in ns] == []
    assert len(ORIGINAL_COMMON) == 706


def test_common_js_is_the_toaster_script_as_in_the_original():
    "The original's `common` leaks `fasthtml.toaster.js` (the toast container script); apps may use the name."
    import fasthtml.toaster as toaster
    ns = _common_namespace()
    assert ns['js'] is toaster.js and 'fh-toast-container' in toaster.js


@pytest.mark.parametrize('mod, names', [(core, ORIGINAL_CORE), (xtend, ORIGINAL_XTEND),
                                        (fh_starlette, ORIGINAL_STARLETTE)], ids=['core', 'xtend', 'starlette'])
def test_module_all_covers_the_original(mod, names):
    assert [n for n in names if n not in mod.__all__] == []
    assert all(hasattr(mod, n) for n in mod.__all__)


@pytest.mark.parametrize('modname, name', [('core', 'FastHTML'), ('components', 'Div'), ('xtend', 'Fragment')])
def test_star_imports_of_the_modules_apps_use(modname, name):
    ns: dict = {}
    exec(f'from fasthtml.{modname} import *', ns)
    assert name in ns


def test_reexports_are_the_libraries_own_objects():
    import base64
    import binascii
    import hmac
    import typing

    import fastcore.xml as fx
    import starlette.convertors as sc
    import starlette.datastructures as sd
    import starlette.responses as sr
    import starlette.routing as srt
    ns = _common_namespace()
    for n in ['E', 'XML', 'attrmap', 'valmap', 'dict2xml', 'highlight', 'showtags', 'mk_getattr']:
        assert ns[n] is getattr(fx, n), n
    assert ns['base64'] is base64 and ns['binascii'] is binascii and ns['compare_digest'] is hmac.compare_digest
    assert ns['Mapping'] is typing.Mapping
    assert ns['CONVERTOR_TYPES'] is sc.CONVERTOR_TYPES and ns['Convertor'] is sc.Convertor
    assert ns['StringConvertor'] is sc.StringConvertor and ns['register_url_convertor'] is sc.register_url_convertor
    assert ns['Secret'] is sd.Secret and ns['State'] is sd.State
    assert ns['CommaSeparatedStrings'] is sd.CommaSeparatedStrings
    assert ns['Match'] is srt.Match and ns['compile_path'] is srt.compile_path
    assert ns['JSONResponseOrig'] is sr.JSONResponse
    assert ns['JSONResponse'] is core.JSONResponse and issubclass(core.JSONResponse, sr.JSONResponse)
    assert ns['fh_cfg'] is components.fh_cfg is core.fh_cfg
    ft_ns: dict = {}
    exec('from fasthtml.ft import *', ft_ns)  # FastHTML's `ft` carries fastcore.xml's helpers; `common` gets them there
    assert all(ft_ns[n] is getattr(fx, n) for n in ['E', 'XML', 'attrmap', 'valmap', 'dict2xml', 'highlight',
                                                     'showtags', 'mk_getattr'])


# ---------------------------------------------------------------------------------------------------------------
# Fragment: an FT with no tag renders just its children

def test_fragment_renders_only_its_children():
    f = Fragment(P('a'), 'b<', [Div(Span('c'))], None)
    assert f.tag == '' and f.attrs == {} and isinstance(f, components.FT)
    assert to_xml(f) == '<p>a</p>b&lt;<div><span>c</span></div>'
    assert str(f) == '<p>a</p>b&lt;<div><span>c</span></div>'
    assert to_xml(Ul(Fragment(Li('1'), Li('2')), Li('3'))) == '<ul><li>1</li><li>2</li><li>3</li></ul>'
    assert to_xml(Fragment()) == ''


def test_fragment_indented_puts_children_at_its_own_level():
    # The original emits stray indentation and newlines around a fragment's children.
    assert to_xml(Div(Fragment(P('x'), P('y'))), indent=True) == '<div>\n  <p>x</p>\n  <p>y</p>\n</div>\n'
    assert to_xml(Fragment(P('a'), 'b'), indent=True) == '<p>a</p>\nb'
    # otherwise the original's layout: inline content stays on its line
    assert to_xml(Div(Span(Fragment('x', Span('y')))), indent=True) == '<div>\n<span>x<span>y</span></span></div>\n'


def test_empty_tag_from_any_ft_class_is_a_fragment():
    import fastcore.xml as fx
    assert to_xml(ft('', P('a'), 'b')) == '<p>a</p>b'
    assert to_xml(Div(fx.FT('', (P('a'), 'b&'), {}))) == '<div><p>a</p>b&amp;</div>'


def test_fragment_takes_no_attributes():
    with pytest.raises(TypeError):
        Fragment(P('a'), id='x')  # type: ignore[call-arg]
    with pytest.raises(TypeError, match='no tag to carry attributes'):
        Fragment(P('a'), {'id': 'x'})


def test_fragment_returned_by_a_handler():
    app = FastHTML()

    @app.get('/')
    def home():
        return Fragment(P('a'), P('b'))
    assert Client(app).get('/', headers=HX).text == '<p>a</p><p>b</p>'


# ---------------------------------------------------------------------------------------------------------------
# fh_cfg: construction settings

@pytest.fixture
def cfg():
    saved = dict(fh_cfg)
    yield fh_cfg
    fh_cfg.clear()
    fh_cfg.update(saved)
    assert components._CFG is False


def test_fh_cfg_defaults_keep_the_fast_path():
    # FastHTML's keys, `indent` first (it changes nothing: to_xml's own `indent` decides)
    assert dict(fh_cfg) == {'indent': True, 'attrmap': components.attrmap_x, 'valmap': components.valmap_x,
                            'ft_cls': components.FT, 'auto_id': False, 'auto_name': True}
    assert list(fh_cfg)[0] == 'indent'
    assert components._CFG is False


def test_fh_cfg_auto_id(cfg):
    cfg.auto_id = True
    assert components._CFG is True
    d = Div(P('a'))
    assert d.attrs['id'].startswith('_') and len(d.attrs['id']) == 23
    assert d.children[0].attrs['id'] != d.attrs['id']
    i = Input()
    assert i.attrs['name'] == i.attrs['id']  # form controls also get the name
    assert to_xml(Input(id='z')) == '<input id="z" name="z">\n'  # an explicit id is kept
    cfg['auto_id'] = False
    assert to_xml(Div()) == '<div></div>'


def test_fh_cfg_auto_name(cfg):
    cfg.auto_name = False
    assert to_xml(Input(id='q')) == '<input id="q">\n'
    assert to_xml(ft_hx('input', id='w')) == '<input id="w">\n'
    cfg.auto_name = True
    assert to_xml(Input(id='q')) == '<input id="q" name="q">\n'


def test_fh_cfg_attrmap_valmap_and_ft_cls(cfg):
    cfg.attrmap = lambda k: k.upper()
    assert to_xml(Div(hx_get='/x', cls='c')) == '<div HX_GET="/x" CLS="c"></div>'
    cfg.attrmap = components.attrmap_x
    cfg.valmap = lambda v: f'[{v}]'
    assert to_xml(Div(cls='c')) == '<div class="[c]"></div>'
    cfg.valmap = components.valmap_x

    class MyFT(components.FT):
        __slots__ = ()
    cfg.ft_cls = MyFT
    assert type(Div()) is MyFT and type(ft_hx('x')) is MyFT and type(ft_html('y')) is MyFT
    assert to_xml(Div(P('a'), cls='c')) == '<div class="c"><p>a</p></div>'
    cfg.ft_cls = components.FT
    assert components._CFG is False and type(Div()) is components.FT


# ---------------------------------------------------------------------------------------------------------------
# Toasts

def test_toast_element():
    "The original's markup: the toast removes itself `duration` ms after its fade-in transition ends."
    assert to_xml(Toast('x')) == ('<div hx-on-transitionend="setTimeout(() =&gt; this?.remove(), 5000);" '
                                  'class="fh-toast fh-toast-info"><span>x</span></div>')
    assert to_xml(Toast('Hi <b>', 'success', dismiss=True, duration=2000)) == (
        '<div hx-on-transitionend="setTimeout(() =&gt; this?.remove(), 2000);" class="fh-toast fh-toast-success">'
        '<span>Hi &lt;b&gt;</span><button onclick="htmx.remove(this?.parentElement);" class="fh-toast-dismiss">x'
        '</button></div>')
    assert 'fh-toast-loud' in to_xml(Toast('x', 'loud'))  # any type renders; add_toast checks
    with pytest.raises(AssertionError, match='Toast type'):
        add_toast({}, 'x', 'loud')
    assert tcid == 'fh-toast-container'


def test_render_toasts_returns_the_container_even_when_empty():
    assert to_xml(render_toasts({})) == '<div hx-swap-oob="beforeend:#fh-toast-container" id="fh-toast-container">' \
        '</div>'
    sess = {'toasts': [('a', 'info', False)], 'toast_duration': 7}
    assert 'this?.remove(), 7)' in to_xml(render_toasts(sess)) and 'toasts' not in sess


def test_toast_duration_is_the_apps_and_kept_in_the_session(kind):
    app = FastHTML(secret_key='x')
    setup_toasts(app, duration=2000)
    assert app.after == [toast_after]

    def index(session):
        add_toast(session, 'm')
        return P('home')

    def other(session):
        return P(str(dict(session)))
    app.route('/')(variant(kind, index))
    app.route('/other')(variant(kind, other))
    cli = Client(app)
    assert 'this?.remove(), 2000)' in cli.get('/', headers=HX).text
    assert cli.get('/other', headers=HX).text == "<p>{'toast_duration': 2000}</p>"


def test_toast_after_is_the_installed_after_function():
    app = FastHTML()
    setup_toasts(app)
    assert app.after == [toast_after]
    assert inspect.signature(toast_after).parameters.keys() == {'resp', 'req', 'sess'}

    @app.post('/save')
    def save(session):
        add_toast(session, 'Saved', 'success')
        return core.Redirect('/done')

    @app.get('/done')
    def done():
        return P('done')
    cli = Client(app)
    r = cli.post('/save', headers=HX)
    assert r.status_code == 200 and r.headers['HX-Redirect'] == '/done' and 'Saved' not in r.text
    t = cli.get('/done', headers=HX).text  # the toast survived the redirect
    assert t == ('<p>done</p><div hx-swap-oob="beforeend:#fh-toast-container" id="fh-toast-container">'
                 '<div hx-on-transitionend="setTimeout(() =&gt; this?.remove(), 5000);" '
                 'class="fh-toast fh-toast-success"><span>Saved</span></div></div>')
    assert cli.get('/done', headers=HX).text == '<p>done</p>'  # shown once


def test_toast_after_with_ft_response_and_direct_call():
    sess = {}
    add_toast(sess, 'Hey')
    r = toast_after(core.FtResponse(P('x')), None, sess)
    assert isinstance(r, core.FtResponse) and to_xml(r.content[0]) == '<p>x</p>'
    assert 'Hey' in to_xml(r.content[1]) and sess == {'toast_duration': 5000}
    assert toast_after(P('y'), None, {}) is None  # nothing queued: the response is left alone
    add_toast(sess, 'Later')
    assert toast_after({'json': 1}, None, sess) is None and sess['toasts']  # not FT: stays queued


# ---------------------------------------------------------------------------------------------------------------
# Static files with caching, and vurl

@pytest.fixture
def static_dir(tmp_path):
    d = tmp_path / 'st'
    d.mkdir()
    (d / 'a.css').write_text('body{}\n')
    (d / '404.html').write_text('nope')
    return d


def test_static_no_cache_and_immutable_headers(static_dir):
    app = Starlette(routes=[Mount('/s', StaticNoCache(directory=static_dir)),
                            Mount('/i', StaticImmutable(directory=static_dir)),
                            Mount('/h', StaticImmutable(directory=static_dir, html=True))])
    cli = TestClient(app)
    r = cli.get('/s/a.css')
    assert r.status_code == 200 and r.text == 'body{}\n' and r.headers['cache-control'] == 'no-cache'
    r2 = cli.get('/s/a.css', headers={'if-none-match': r.headers['etag']})
    assert r2.status_code == 304 and r2.headers['cache-control'] == 'no-cache'
    r = cli.get('/i/a.css?v=123')
    assert r.status_code == 200 and r.headers['cache-control'] == 'public, max-age=31536000, immutable'
    r2 = cli.get('/i/a.css', headers={'if-none-match': r.headers['etag']})
    assert r2.status_code == 304 and r2.headers['cache-control'] == 'public, max-age=31536000, immutable'
    assert cli.get('/i/zz.css').status_code == 404 and 'cache-control' not in cli.get('/i/zz.css').headers
    r = cli.get('/h/zz.css')  # html mode's 404 page must not be cached forever
    assert r.status_code == 404 and r.text == 'nope' and 'cache-control' not in r.headers


def test_vurl_hashes_the_file(static_dir, monkeypatch):
    monkeypatch.chdir(static_dir.parent)
    # blake2b(b'body{}\n', digest_size=4), as the original
    assert vurl('st/a.css') == 'st/a.css?v=54964432'
    assert vurl('/st/a.css') == '/st/a.css?v=54964432'
    assert vurl('/a.css', root='st') == '/a.css?v=54964432'
    assert vurl('st/a.css?x=1&y=2') == 'st/a.css?x=1&y=2&v=54964432'
    assert vurl('st/a.css#top') == 'st/a.css?v=54964432#top'


def test_vurl_changes_with_the_file(static_dir):
    f = static_dir / 'b.js'
    f.write_text('1')
    v1 = vurl('b.js', root=static_dir)
    f.write_text('22')
    os.utime(f, (time.time() + 5, time.time() + 5))
    v2 = vurl('b.js', root=static_dir)
    assert v1 == 'b.js?v=fc942c07' and v2 == 'b.js?v=29edb228'


def test_vurl_absolute_urls_and_missing_files(static_dir):
    # The original tries to read a local file for these and crashes.
    assert vurl('https://cdn.example.com/a.css') == 'https://cdn.example.com/a.css'
    assert vurl('//cdn.example.com/a.css') == '//cdn.example.com/a.css'
    with pytest.raises(FileNotFoundError, match="vurl: no file .*nope.css"):
        vurl('nope.css', root=static_dir)
    with pytest.raises(FileNotFoundError):
        vurl('st', root=static_dir.parent)  # a directory is not a file to hash


# ---------------------------------------------------------------------------------------------------------------
# HostRoute

def _hello(request):
    return PlainTextResponse(f'hi {sorted(request.path_params.items())}')


def test_host_route_matches_the_host_header():
    app = Starlette(routes=[HostRoute('/x/{n}', _hello, host='{sub}.example.com'),
                            Route('/x/{n}', lambda r: PlainTextResponse('fallback'))])
    cli = TestClient(app)

    def get(host):
        r = cli.get('/x/1', headers={'host': host})
        return r.status_code, r.text
    assert get('a.example.com') == (200, "hi [('n', '1'), ('sub', 'a')]")  # host params join the path params
    assert get('a.example.com:8080') == (200, "hi [('n', '1'), ('sub', 'a')]")
    assert get('A.EXAMPLE.COM') == (200, "hi [('n', '1'), ('sub', 'a')]")
    assert get('example.com') == (200, 'fallback')
    assert get('a.example.com.evil.org') == (200, 'fallback')


def test_host_route_methods_names_and_no_host():
    app = Starlette(routes=[HostRoute('/z', _hello, host='api.example.com', methods=['POST'], name='zz'),
                            HostRoute('/y', _hello)])
    cli = TestClient(app)
    assert cli.post('/z', headers={'host': 'api.example.com'}).text == 'hi []'
    assert cli.get('/z', headers={'host': 'api.example.com'}).status_code == 405
    assert cli.post('/z', headers={'host': 'x.example.com'}).status_code == 404
    assert cli.get('/y', headers={'host': 'anything'}).text == 'hi []'
    assert app.url_path_for('zz') == '/z'
    assert repr(app.routes[0]) == "HostRoute(path='/z', host='api.example.com', name='zz', methods=['POST'])"
    with pytest.raises(ValueError, match='host name pattern'):
        HostRoute('/q', _hello, host='/not-a-host')


def test_host_route_in_a_fasthtml_app():
    app = FastHTML()
    app.router.routes.append(HostRoute('/h', lambda req: PlainTextResponse('api'), host='api.local'))
    cli = Client(app)
    assert cli.get('/h', headers={'host': 'api.local'}).text == 'api'
    assert cli.get('/h', headers={'host': 'www.local'}).status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Lifespan

def test_lifespan_order_and_state():
    log = []

    def s1():
        log.append('s1')

    async def s2():
        log.append('s2')

    async def ls(app):
        log.append('ls-start')
        yield {'k': 1}
        log.append('ls-end')
    def home(request):
        return PlainTextResponse(str(request.state.k))
    app = Starlette(routes=[Route('/', home)],
                    lifespan=Lifespan(startup=[s1, s2], shutdown=lambda: log.append('d1'), ls=ls))
    with TestClient(app) as cli:
        log.append('running')
        assert cli.get('/').text == '1'
    assert log == ['s1', 's2', 'ls-start', 'running', 'ls-end', 'd1']


def test_lifespan_on_event_returns_the_function():
    # The original's decorator returns None, so the decorated name is lost.
    log = []
    lf = Lifespan()

    @lf.on_event('startup')
    def up():
        log.append('up')
    lf.on_event('shutdown')(lambda: log.append('down'))
    assert callable(up)
    with TestClient(Starlette(lifespan=lf)):
        log.append('running')
    assert log == ['up', 'running', 'down']
    with pytest.raises(ValueError, match="'startup' or 'shutdown'"):
        lf.on_event('startpu')


def test_lifespan_accepts_sync_generators_and_context_managers():
    log = []

    def gen(app):
        log.append('g-start')
        yield
        log.append('g-end')

    @contextlib.asynccontextmanager
    async def acm(app):
        log.append('cm-start')
        yield {'x': 2}
        log.append('cm-end')
    with TestClient(Starlette(lifespan=Lifespan(ls=gen))):
        log.append('running')
    with TestClient(Starlette(lifespan=Lifespan(ls=acm))) as cli:
        assert cli.app_state == {'x': 2}
    assert log == ['g-start', 'running', 'g-end', 'cm-start', 'cm-end']


def test_lifespan_shutdown_runs_after_a_failing_lifespan_and_startup_failure_stops():
    log = []

    async def broken(app):
        yield
        raise RuntimeError('ls failed')

    def boom():
        raise RuntimeError('startup failed')
    with pytest.raises(RuntimeError, match='ls failed'):
        with TestClient(Starlette(lifespan=Lifespan(shutdown=lambda: log.append('d'), ls=broken))):
            pass
    assert log == ['d']
    with pytest.raises(RuntimeError, match='startup failed'):
        with TestClient(Starlette(lifespan=Lifespan(startup=boom, shutdown=lambda: log.append('d2')))):
            pass
    assert log == ['d']
    with pytest.raises(TypeError, match='callables'):
        Lifespan(startup='not callable')


def test_lifespan_with_fasthtml():
    log = []
    app = FastHTML(lifespan=Lifespan(lambda: log.append('up'), lambda: log.append('down')))
    with TestClient(app):
        log.append('running')
    assert log == ['up', 'running', 'down']


# ---------------------------------------------------------------------------------------------------------------
# ApiReturn and the `__from_request__` protocol

@pytest.mark.parametrize('accept, isapi', [
    ('application/json', True),
    ('APPLICATION/JSON; charset=utf-8', True),
    ('application/json, */*', True),  # fetch-style: JSON named, HTML only through the wildcard
    ('application/json;q=0.9, text/html;q=0.1', True),
    ('text/html;q=0.1, application/json', True),
    ('', False),
    ('*/*', False),
    ('text/html', False),
    ('application/json, text/html', False),  # a tie between named types goes to the page
    ('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', False),  # a browser
    ('application/json;q=0.5, text/html', False),
    ('application/json;q=0', False),
    ('application/ld+json', False),
    ('application/json;q=bogus', False),
])
def test_api_return_content_negotiation(accept, isapi):
    # The original treats only an exact `application/json` header as an API client.
    req = Request({'type': 'http', 'headers': [(b'accept', accept.encode())]})
    api = ApiReturn.__from_request__(req)
    assert bool(api) is isapi and api.isapi is isapi


def test_api_return_in_a_handler():
    app = FastHTML()

    @app.get('/a')
    def a(api: ApiReturn, x: int = 1):
        return api(Div(f'x={x}'), x=x, y=[1, 2])
    cli = Client(app)
    r = cli.get('/a?x=3', headers={'accept': 'application/json'})
    assert r.headers['content-type'] == 'application/json' and r.json() == {'x': 3, 'y': [1, 2]}
    r = cli.get('/a?x=3', headers={**HX, 'accept': 'text/html'})
    assert r.headers['content-type'].startswith('text/html') and r.text == '<div>x=3</div>'
    assert ApiReturn(True)(P('page'), z=1) == {'z': 1} and ApiReturn()(P('page'), z=1) is not None
    assert repr(ApiReturn(True)) == 'ApiReturn(isapi=True)'


class Who:
    "Built from the request: its `__from_request__` parameters are filled by name, like a handler's."

    def __init__(self, name: str, visits: int):
        self.name, self.visits = name, visits

    @classmethod
    def __from_request__(cls, req: Request, session, who: str = 'anon'):
        session['visits'] = session.get('visits', 0) + 1
        return cls(who, session['visits'])


class Slow:
    def __init__(self, v):
        self.v = v

    @classmethod
    async def __from_request__(cls, req: Request):
        await asyncio.sleep(0)
        return cls(req.url.path)


@pytest.mark.parametrize('kind', ['sync', 'async'])
def test_from_request_classes(kind):
    app = FastHTML()
    if kind == 'sync':
        @app.get('/w')
        def w(me: Who, s: Slow, n: int = 0):
            return f'{me.name} {me.visits} {s.v} {n}'
    else:
        @app.get('/w')
        async def w(me: Who, s: Slow, n: int = 0):
            return f'{me.name} {me.visits} {s.v} {n}'
    cli = Client(app)
    assert cli.get('/w?who=ann&n=2').text == 'ann 1 /w 2'
    assert cli.get('/w').text == 'anon 2 /w 0'


class Named:
    def __init__(self, n):
        self.n = n

    @classmethod
    def __from_request__(cls, ws: WebSocket, who: str = 'anon'):  # message fields, then the query
        return cls(who)


class Pathed:
    def __init__(self, p):
        self.p = p

    @classmethod
    async def __from_request__(cls, ws: WebSocket):
        return cls(ws.url.path)


def test_from_request_in_a_websocket_handler():
    app = FastHTML()

    @app.ws('/ws')
    async def chat(msg: str, me: Named, at: Pathed, send):
        await send(P(f'{me.n} {at.p} {msg}'))
    with TestClient(app).websocket_connect('/ws?who=ann') as ws:
        ws.send_text('{"msg": "hi", "who": "bob"}')
        assert ws.receive_text() == '<p>bob /ws hi</p>'
        ws.send_text('{"msg": "yo"}')
        assert ws.receive_text() == '<p>ann /ws yo</p>'


def test_from_request_in_beforeware():
    seen = []

    def before(me: Who):
        seen.append(me.name)
    app = FastHTML(before=before)

    @app.get('/')
    def home():
        return 'ok'
    assert Client(app).get('/?who=bo').text == 'ok' and seen == ['bo']


# ---------------------------------------------------------------------------------------------------------------
# into and add_sig_param

def test_add_sig_param_in_place():
    def f(a, b: int = 1, **kw):
        return a
    g = add_sig_param(f, 'req', Request)
    assert g is f
    ps = inspect.signature(f).parameters
    assert list(ps) == ['a', 'b', 'req', 'kw']  # before **kw, where a keyword-only parameter can go
    assert ps['req'].kind is inspect.Parameter.KEYWORD_ONLY and ps['req'].annotation is Request
    assert ps['req'].default is inspect.Parameter.empty
    add_sig_param(f, 'a', str)  # already there: unchanged
    assert list(inspect.signature(f).parameters) == ['a', 'b', 'req', 'kw']
    h = add_sig_param(lambda x: x, 'y', int, inspect.Parameter.POSITIONAL_OR_KEYWORD, 5)
    assert str(inspect.signature(h)) == "(x, y: int = 5)"
    with pytest.raises(TypeError, match='cannot set the signature'):
        add_sig_param(len, 'z')
    # without a type, the parameter is annotated NoneType, as in FastHTML
    assert str(inspect.signature(add_sig_param(lambda x: x, 'y'))) == '(x, *, y: NoneType)'


def layout(content, title: str = 'T', dark: bool = False):
    return Div(H1(title), content, cls='dark' if dark else None)


def test_into_adds_the_layout_parameters_to_the_route():
    # The original also adds the layout's first parameter (`content`), so every request fails as missing it.
    app = FastHTML()

    @app.get('/i')
    @into(layout)
    def page(x: int = 0):
        return P(f'x={x}')
    assert page.__name__ == 'page'
    ps = inspect.signature(page).parameters
    assert [(p.name, p.kind.name, p.default) for p in ps.values()] == \
        [('x', 'POSITIONAL_OR_KEYWORD', 0), ('title', 'KEYWORD_ONLY', 'T'), ('dark', 'KEYWORD_ONLY', False)]
    cli = Client(app)
    assert cli.get('/i?x=2&title=Hi&dark=1', headers=HX).text == '<div class="dark"><h1>Hi</h1><p>x=2</p></div>'
    assert cli.get('/i', headers=HX).text == '<div><h1>T</h1><p>x=0</p></div>'


@pytest.mark.parametrize('h_async', [False, True])
@pytest.mark.parametrize('l_async', [False, True])
def test_into_sync_and_async(h_async, l_async):
    def lay(content, sub: str = 's'):
        return Div(content, sub)

    async def alay(content, sub: str = 's'):
        return Div(content, sub)

    def h(y: int = 0, sub: str = 'own'):  # a name both use gets the same value
        return P(y, sub)

    async def ah(y: int = 0, sub: str = 'own'):
        return P(y, sub)
    wrapped = into(alay if l_async else lay)(ah if h_async else h)
    assert inspect.iscoroutinefunction(wrapped) is (h_async or l_async)
    app = FastHTML()
    app.get('/w')(wrapped)
    assert Client(app).get('/w?y=3&sub=zz', headers=HX).text == '<div><p>3zz</p>zz</div>'
    assert Client(app).get('/w', headers=HX).text == '<div><p>0own</p>own</div>'  # the handler's default


def test_into_needs_a_content_parameter():
    with pytest.raises(TypeError, match="must take the handler's result"):
        into(lambda: None)


# ---------------------------------------------------------------------------------------------------------------
# until_disconnect and cancel_on_disconnect

async def _asgi(app, path, method='GET', body=b'', disconnect_after=None):
    "One request; with `disconnect_after` (seconds) the client goes away then. Returns (status, body)."
    q: asyncio.Queue = asyncio.Queue()
    await q.put({'type': 'http.request', 'body': body, 'more_body': False})
    sent = []

    async def receive():
        return await q.get()

    async def send(m):
        sent.append(m)
        if m['type'] == 'http.response.body' and not m.get('more_body'):
            await q.put({'type': 'http.disconnect'})
    hdrs = [(b'host', b'testserver'), (b'hx-request', b'1')]
    if body:
        hdrs += [(b'content-type', b'application/x-www-form-urlencoded'), (b'content-length', str(len(body)).encode())]
    scope = {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': method, 'scheme': 'http',
             'path': path, 'raw_path': path.encode(), 'query_string': b'', 'root_path': '', 'headers': hdrs,
             'client': ('127.0.0.1', 1), 'server': ('testserver', 80), 'state': {}}
    task = asyncio.create_task(app(scope, receive, send))
    if disconnect_after is not None:
        await asyncio.sleep(disconnect_after)
        await q.put({'type': 'http.disconnect'})
    await asyncio.wait_for(task, 30)  # a handler that was not cancelled sleeps for an hour: a TimeoutError here
    status = next(m['status'] for m in sent if m['type'] == 'http.response.start')
    return status, b''.join(m.get('body', b'') for m in sent if m['type'] == 'http.response.body').decode()


def _disconnect_app(log):
    app = FastHTML()

    @app.get('/c')
    @cancel_on_disconnect
    async def slow(n: int = 0):
        try:
            await asyncio.sleep(3600 if n == 0 else 0)
            return P(f'c{n}')
        except asyncio.CancelledError:
            log.append('c-cancelled')
            raise

    @app.post('/p')
    @cancel_on_disconnect
    async def slow_post(x: str, req: Request):
        form = await req.form()  # the body is still there for the handler
        try:
            await asyncio.sleep(3600 if x == 'wait' else 0)
            return P(f'posted {x} {form["x"]}')
        except asyncio.CancelledError:
            log.append(f'p-cancelled {x}')
            raise

    @app.get('/u')
    async def u(req, n: int = 0):
        async def work():
            try:
                await asyncio.sleep(3600 if n == 0 else 0)
                return P('done')
            except asyncio.CancelledError:
                log.append('u-cancelled')
                raise
        return await until_disconnect(req, work())

    @app.get('/t')
    @cancel_on_disconnect(timeout=0.05)
    async def timed(n: int = 0):
        await asyncio.sleep(3600 if n == 0 else 0)
        return P('in time')
    return app


def test_handlers_finish_normally_while_connected():
    log: list = []
    app = _disconnect_app(log)

    cli = Client(app)
    assert cli.get('/c?n=1', headers=HX).text == '<p>c1</p>'
    assert cli.post('/p', data={'x': 'now'}, headers=HX).text == '<p>posted now now</p>'
    assert cli.get('/u?n=1', headers=HX).text == '<p>done</p>'
    assert cli.get('/t?n=1', headers=HX).text == '<p>in time</p>'
    assert log == []


def test_disconnect_cancels_the_work():
    log: list = []
    app = _disconnect_app(log)

    async def main():
        return [await _asgi(app, '/c', disconnect_after=0.1),
                await _asgi(app, '/p', 'POST', b'x=wait', disconnect_after=0.1),
                await _asgi(app, '/u', disconnect_after=0.1)]
    assert asyncio.run(main()) == [(204, ''), (204, ''), (204, '')]  # not the handlers' hour each
    assert log == ['c-cancelled', 'p-cancelled wait', 'u-cancelled']


def test_cancel_on_disconnect_timeout_is_a_503():
    # The original lets the TimeoutError escape as a 500.
    r = Client(_disconnect_app([])).get('/t', headers=HX)
    assert r.status_code == 503 and r.text == '_disconnect_app.<locals>.timed did not finish within 0.05 s'


def test_cancel_on_disconnect_setup_errors():
    def sync_handler():
        return 'x'
    with pytest.raises(TypeError, match='must be an async def handler'):
        cancel_on_disconnect(sync_handler)
    with pytest.raises(ValueError, match='positive number of seconds'):
        cancel_on_disconnect(timeout=0)

    async def h(x: int = 0):
        return x
    w = cancel_on_disconnect(h)
    ps = inspect.signature(w).parameters
    assert w.__name__ == 'h' and list(ps) == ['x', '_fh_request'] and ps['_fh_request'].annotation is Request


# ---------------------------------------------------------------------------------------------------------------
# Constants, CORS, JSON, Basic-auth logout

def test_constants():
    assert devtools_loc == '/.well-known/appspecific/com.chrome.devtools.json'
    assert to_xml(htmx4src) == '<script src="https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/htmx.min.js"></script>'
    assert DEF_MAXPART == 1024 * 1024  # our safer default part limit (the original's is 100 MiB)
    assert 'htmx.org@2' in to_xml(core.def_hdrs()) and 'htmx.org@4' not in to_xml(core.def_hdrs())  # htmx 2 default


def test_cors_allow_echoes_the_origin_with_credentials(kind):
    "As the original (compared black-box): the request's Origin is echoed and credentials are allowed."
    app = FastHTML(middleware=[cors_allow])

    def api():
        return {'ok': 1}
    app.get('/api')(variant(kind, api))
    assert repr(cors_allow) == ("Middleware(CORSMiddleware, allow_credentials=True, allow_origins=['*'], "
                                "allow_methods=['*'], allow_headers=['*'])")
    cli = Client(app)
    r = cli.options('/api', headers={'origin': 'https://other.example', 'access-control-request-method': 'POST',
                                     'access-control-request-headers': 'x-custom'})
    assert r.status_code == 200 and r.headers['access-control-allow-origin'] == 'https://other.example'
    assert r.headers['access-control-allow-credentials'] == 'true'
    assert r.headers['access-control-allow-headers'] == 'x-custom'
    r = cli.get('/api', headers={'origin': 'https://other.example', 'cookie': 'session_=x'})
    assert r.json() == {'ok': 1} and r.headers['access-control-allow-origin'] == 'https://other.example'
    assert r.headers['access-control-allow-credentials'] == 'true'
    r = cli.get('/api')  # no Origin: no CORS headers
    assert 'access-control-allow-origin' not in r.headers


class Color(Enum):
    RED = 'red'


@dataclass
class Pt:
    x: int
    when: date


def test_json_response_writes_common_python_values():
    import uuid
    from decimal import Decimal
    body = JSONResponse({'d': date(2020, 1, 2), 'dt': datetime(2020, 1, 2, 3, 4, 5), 'u': uuid.UUID(int=1),
                         'dec': Decimal('1.5'), 'p': Path('a/b'), 's': {3}, 't': (1, 2), 'e': Color.RED,
                         'pt': Pt(1, date(2021, 1, 1)), 'b': b'x', 'é': 'ü'}).body
    assert body.decode() == ('{"d":"2020-01-02","dt":"2020-01-02T03:04:05",'
                             '"u":"00000000-0000-0000-0000-000000000001","dec":"1.5","p":"a/b","s":[3],"t":[1,2],'
                             '"e":"red","pt":{"x":1,"when":"2021-01-01"},"b":"x","é":"ü"}')
    with pytest.raises(ValueError):
        JSONResponse({'x': float('nan')})


def test_handlers_returning_dicts_use_it():
    app = FastHTML()

    @app.get('/')
    def home():
        return {'when': date(2020, 1, 2)}  # a 500 before: Starlette's JSONResponse cannot write dates
    r = Client(app).get('/')
    assert r.status_code == 200 and r.text == '{"when":"2020-01-02"}'


def test_auth_hdrs_and_basic_logout():
    from fasthtml.authmw import auth_hdrs, basic_logout
    assert auth_hdrs == {'WWW-Authenticate': 'Basic realm="login"'}
    req = Request({'type': 'http', 'method': 'GET', 'path': '/x', 'headers': [(b'host', b'ex.com:8000')],
                   'scheme': 'https', 'server': ('ex.com', 8000), 'query_string': b'', 'root_path': ''})
    assert basic_logout(req) == 'https://logout:logout@ex.com:8000/'


# ---------------------------------------------------------------------------------------------------------------
# robots.txt and sitemap.xml

def test_robots_txt_variants():
    def robots(**kw):
        app = FastHTML()
        robots_txt(app, **kw)
        r = Client(app).get('/robots.txt')
        assert r.status_code == 200 and r.headers['content-type'] == 'text/plain; charset=utf-8'
        return r.text
    assert robots() == 'User-agent: *\nAllow: /\n'
    assert robots(allow_all=False) == 'User-agent: *\nDisallow: /\n'
    assert robots(disallow_paths=['/admin', '/tmp/'], sitemap_url='https://e.com/sitemap.xml', crawl_delay=5) == \
        'User-agent: *\nDisallow: /admin\nDisallow: /tmp/\nCrawl-delay: 5\nSitemap: https://e.com/sitemap.xml\n'
    # The original iterates a single string path character by character.
    assert robots(disallow_paths='/admin') == 'User-agent: *\nDisallow: /admin\n'


def test_robots_txt_is_not_shadowed_by_fast_apps_static_route():
    # With the original, fast_app's static-file route answers /robots.txt first (404 without a file).
    app, rt = fast_app()
    robots_txt(app)
    sitemap_xml(app, ['/'])
    cli = Client(app)
    assert cli.get('/robots.txt').text == 'User-agent: *\nAllow: /\n'
    assert cli.get('/sitemap.xml').status_code == 200


def test_robots_txt_refuses_line_breaks():
    with pytest.raises(ValueError, match='line break'):
        robots_txt(FastHTML(), disallow_paths=['/a\nAllow: /secret'])


def test_sitemap_url_elements():
    assert to_xml(sitemap_url('/a')) == '<url><loc>/a</loc></url>'
    assert to_xml(sitemap_url('/a', loc_base='https://e.com')) == '<url><loc>https://e.com/a</loc></url>'
    assert to_xml(sitemap_url('/a', loc_base='https://e.com/')) == '<url><loc>https://e.com/a</loc></url>'
    assert to_xml(sitemap_url('https://x.org/p', loc_base='https://e.com')) == '<url><loc>https://x.org/p</loc></url>'
    assert to_xml(sitemap_url({'priority': 0.5, 'loc': '/b?x=1&y=<2>', 'lastmod': date(2024, 1, 2),
                               'changefreq': 'daily', 'other': 'ignored'}, 'https://e.com')) == (
        '<url><loc>https://e.com/b?x=1&amp;y=&lt;2&gt;</loc><lastmod>2024-01-02</lastmod>'
        '<changefreq>daily</changefreq><priority>0.5</priority></url>')
    with pytest.raises(ValueError, match="'loc'"):
        sitemap_url({'lastmod': 'x'})


def test_sitemap_xml_is_served_as_xml():
    # The original serves it as an HTML page (text/html, wrapped in <html> for browsers).
    app = FastHTML()
    sitemap_xml(app, ['/', {'loc': '/about', 'priority': '0.8'}, '/q?a=1&b=2'], loc_base='https://e.com')
    for h in ({}, HX):
        r = Client(app).get('/sitemap.xml', headers=h)
        assert r.headers['content-type'] == 'application/xml'
        assert r.text == ('<?xml version="1.0" encoding="UTF-8"?>\n'
                          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                          '<url><loc>https://e.com/</loc></url>'
                          '<url><loc>https://e.com/about</loc><priority>0.8</priority></url>'
                          '<url><loc>https://e.com/q?a=1&amp;b=2</loc></url></urlset>')


# ---------------------------------------------------------------------------------------------------------------
# JSON-LD

def test_ld_dicts():
    assert LdJson('Thing', {'name': 'x'}, extra={'a': 1}, b=2) == \
        {'@type': 'Thing', '@context': 'https://schema.org', 'name': 'x', 'a': 1}
    assert LdWebsite('Site', 'https://e.com') == \
        {'@type': 'WebSite', '@context': 'https://schema.org', 'name': 'Site', 'url': 'https://e.com'}
    assert LdOrg('Org') == {'@type': 'Organization', '@context': 'https://schema.org', 'name': 'Org'}
    cp = LdContactPoint('support', email='a@b.c', phone='+1', areaServed='US')
    assert cp == {'@type': 'ContactPoint', '@context': 'https://schema.org', 'contactType': 'support',
                  'email': 'a@b.c', 'telephone': '+1', 'areaServed': 'US'}
    assert list(LdOrg('Org', url='u', logo='l', alt_name='O', same_as=['s'], contact_points=[cp], x=1)) == \
        ['@type', '@context', 'name', 'alternateName', 'url', 'logo', 'sameAs', 'contactPoint', 'x']
    assert LdCourseInstance() == {'@type': 'CourseInstance', '@context': 'https://schema.org', 'courseMode': 'Online'}
    ci = LdCourseInstance('Blended', date(2024, 1, 1), '2024-02-01', location={'@type': 'Place'}, x=2)
    assert ci == {'@type': 'CourseInstance', '@context': 'https://schema.org', 'courseMode': 'Blended',
                  'startDate': date(2024, 1, 1), 'endDate': '2024-02-01', 'location': {'@type': 'Place'}, 'x': 2}
    assert LdCourse('C', 'd', {'name': 'P'}, course_instance=ci, y=3) == {
        '@type': 'Course', '@context': 'https://schema.org', 'name': 'C', 'description': 'd',
        'provider': {'name': 'P'}, 'hasCourseInstance': ci, 'y': 3}


def test_ld_script_is_escaped_so_it_cannot_end_early():
    # The original writes `</script>` from a value straight into the script.
    s = to_xml(LdJson('Thing', {'name': 'x </script><!-- & é'}, script=True, id='ld'))
    assert s == ('<script type="application/ld+json" id="ld">{\n "@type": "Thing",\n "@context": "https://schema.org",'
                 '\n "name": "x \\u003c/script\\u003e\\u003c!-- \\u0026 \\u00e9"\n}</script>')
    body = s[s.index('>') + 1:-len('</script>')]
    assert json.loads(body)['name'] == 'x </script><!-- & é'
    s = to_xml(LdWebsite('Site', 'https://e.com', script=True, started=date(2020, 1, 1)))
    assert json.loads(s[s.index('>') + 1:-len('</script>')])['started'] == '2020-01-01'


# ---------------------------------------------------------------------------------------------------------------
# Per-tab session ids, upload progress

def test_sid_scr_and_with_sid():
    assert to_xml(sid_scr).startswith('<script>\n(function () {\n  var sid = sessionStorage.getItem(\'sid\');')
    app = FastHTML()
    with_sid(app, '/dest', path='/start')
    with_sid(app, '/dest', path='/again')  # the script is added once

    @app.get('/dest')
    def dest(sid: str = ''):
        return P(f'sid={sid}')
    assert sum(h is sid_scr for h in app.hdrs) == 1
    cli = Client(app)
    page = cli.get('/start').text
    assert to_xml(sid_scr) in page
    assert '<body><div hx-get="/dest" hx-trigger="load" hx-swap="outerHTML"></div></body>' in page
    assert cli.get('/dest?sid=abc', headers=HX).text == '<p>sid=abc</p>'


def test_upload_pb_attrs():
    js = ('{ const p = document.getElementById("pb");\n  if (p && event.detail.total) { p.classList.remove("hidden"); '
          'p.value = event.detail.loaded / event.detail.total * 100; } }')
    assert upload_pb_attrs('pb') == {'hx-on::xhr:progress': js}
    assert to_xml(Form(hx_post='/up', **upload_pb_attrs('pb'))) == (
        '<form enctype="multipart/form-data" hx-post="/up" hx-on::xhr:progress=\'' + js.replace('&', '&amp;') +
        '\'></form>')
    # the id is a JavaScript string literal, so no id can break out of it (the original pastes it in quotes)
    assert 'getElementById("a\\"b")' in upload_pb_attrs('a"b')['hx-on::xhr:progress']


# ---------------------------------------------------------------------------------------------------------------
# Names earlier FastHTML versions exported from `common` that 0.14.14 dropped, which published example apps still use
# (they fail there with a NameError or a 500): the Pico helpers and fastlite's names. Kept, and pinned here; fastlite's
# NotFoundError by name only (`from fasthtml.common import NotFoundError`), since binding it in the star import means
# importing fastlite in every app (see fasthtml/common.py), and 0.14.14's star import does not bind it either.

LEGACY_COMMON = ('picolink picocss picocondcss picocondlink set_pico_cls Card Grid Container Group Search DialogX '
                 'PicoBusy htmx_ws database').split()


def test_common_keeps_the_names_older_fasthtml_exported():
    import fastlite

    import fasthtml.common
    import fasthtml.pico as pico
    from fasthtml.common import NotFoundError
    ns = _common_namespace()
    assert [n for n in LEGACY_COMMON if n not in ns] == []
    assert NotFoundError is fasthtml.common.NotFoundError is fastlite.NotFoundError
    # `database` is fasthtml.db's: for a file path it gives fastlite's database, as fastlite's `database` does (a URL
    # gives PostgreSQL); same parameters, so `database(path='x.db', wal=False)` still works.
    import tempfile
    assert list(inspect.signature(ns['database']).parameters)[:3] == ['path', 'wal', 'flags']
    with tempfile.TemporaryDirectory() as d:
        assert isinstance(ns['database'](path=str(Path(d) / 'x.db'), wal=False), fastlite.Database)
    assert all(ns[n] is getattr(pico, n) for n in LEGACY_COMMON[:-2])
    assert to_xml(ns['htmx_ws']) == '<script src="https://cdn.jsdelivr.net/npm/htmx-ext-ws@2.0.3/ws.js"></script>'
    assert to_xml(ns['Card'](P('x'), header=P('h'))).startswith('<article><header><p>h</p></header><p>x</p>')
