"""Star imports of `fasthtml.common` that never replace an importer's own names with names FastHTML's common lacks.

`fasthtml.common` exports more than FastHTML 0.14.14's does: names earlier FastHTML versions exported (the Pico helpers
`Card`, `Grid`...), our own features (`Accounts`, `Live`...) and SVG elements (`Image`, `Text`, `Line`...). An add-on or
app written for FastHTML may bind such a name itself and star-import `fasthtml.common` afterwards (fh-matui's billing
module: `from .components import *` then `from fasthtml.common import *`, keeping its own `Card`), or import PIL's
`Image` first. On FastHTML their name survives the star import; here it does too: `common.__all__` is a `StarNames`,
which a star import reads item by item, and which then leaves out the extra names the importing namespace already has.
Indexing `__all__` anywhere else, iterating it or `len()` see every name."""
from __future__ import annotations

import dis
import sys
import threading
from typing import Any

__all__ = ['StarNames', 'FASTHTML_COMMON']

# The public names of FastHTML 0.14.14's `fasthtml.common` (tests/test_parity.py pins the same list): these always bind.
FASTHTML_COMMON = frozenset('''
A APIRouter ASGIApp AX Abbr Address Any AnyNow ApiReturn Area Article Aside AttrDict AttrDictDefault Audio
AuthCredentials AuthenticationBackend AuthenticationError AuthenticationMiddleware B BackgroundTask BackgroundTasks
Base BasicAuthMiddleware BasicRepr Bdi Bdo Beforeware Blockquote Body Br BuiltinFunctionType BuiltinMethodType
Button CONVERTOR_TYPES CORSMiddleware CachedAwaitable CachedIter Canvas Caption CheckboxX Cite Client Code Col
Colgroup CollBase CommaSeparatedStrings Config ContextManagers Convertor DEF_MAXPART Data Datalist Dd Debounce Del
DepProp Details Dfn Dialog Dict Div Dl Dt E Em Embed EventStream EventTimer FT FastHTML FastHTMLWithLiveReload
Favicon Fencedframe Fieldset Figcaption Figure File FileResponse Float Footer Form FormData Fragment FtResponse
FullString FunctionType Generator GetAttr GetAttrBase H1 H2 H3 H4 H5 H6 HTMLResponse HTTPConnection HTTPEndpoint
HTTPException HTTPSRedirectMiddleware Head Header Headers Hgroup Hidden HighlightJS Host HostRoute Hr Html
HtmxHeaders HtmxOn HtmxResponseHeaders HttpHeader HxPartial I IN_COLAB IN_IPYTHON IN_JUPYTER IN_NOTEBOOK Iframe Img
ImportEnum Inf Input Ins Int IterLen Iterable Iterator JSONResponse JSONResponseOrig KatexMarkdownJS Kbd L Label
LdContactPoint LdCourse LdCourseInstance LdJson LdOrg LdWebsite Legend Li Lifespan Link List Main Map Mapping Mark
MarkdownJS Match Math Menu MermaidJS Meta Meter MethodDescriptorType MethodType MethodWrapperType Middleware
MiddlewareBase Mount NS Nav Nbsp NoneType Noscript NotStr Now NullType Object Ol On Optgroup Option Optional Output
P Param PartialFormatter Path Picture PortalExperimental Pre PrettyString Prev ProcessPoolExecutor Progress Q
Receive Redirect RedirectResponse ReindexCollection Request Response Route RouteFuncs Router Rp Rt Ruby S Safe Samp
SaveReturn Scope Script ScriptX Search Secret Section Select Self Send Sequence SessionMiddleware Set ShowPrint
SimpleNamespace SimpleUser Slot Small Socials SortableJS Source Span Starlette State Stateful StaticFiles
StaticImmutable StaticNoCache Str StrEnum StreamingResponse Strike StringConvertor Strong Style StyleX Sub Summary
Sup Surreal Svg Table Tbody Td Template Textarea Tfoot Th Thead ThreadPoolExecutor Time Title Titled Toast Tr Track
TruncatedString TrustedHostMiddleware Tuple U UNSET URLPath Ul Union Unset UploadFile ValEnum Var Video Wbr
WebSocket WebSocketDisconnect WebSocketEndpoint WebSocketException WebSocketRoute WrapperDescriptorType XML
YouTubeEmbed acache add add_docs add_props add_sig_param add_toast adict all_equal all_meths anno_ret annotations
any_is_instance arg0 arg1 arg2 arg3 arg4 argnames argwhere array_equal asave_iter asdict athreaded atomic_save
attrdict attrgetter attrmap attrmap_x auth_hdrs autostart base64 basic_logout basic_repr bg_task binascii bind
bunzip camel2snake camel2words cancel_on_disconnect charset chunked class2attr clean_cli_output clear coll_repr
compare_digest compile_path compile_re compose concat console_help cookie copy_func cors_allow ctx_sync curryable
custom_dir cycle dark_media dataclass dataclass_src decode_uri def_hdrs defaults delegate_attr detect_mime detuplify
devtools_loc df_equal dict2obj dict2xml disable_async_magics docs double_braces dstar dumps empty
enable_async_magics enum eq equals eval_type even_mults evt_attrs exec_eval exec_import exec_local exec_new
expand_wildcards extend_enum exttypes fail_clean fast_app fastuple fdelegates fenced fenced_blocks fh_cfg fhjsscr
fill_dataclass fill_form filter_dict filter_ex filter_keys filter_values find_file_parents find_inputs first
first_match flat_tuple flat_xt flatmap flatten flexicache flexiclass form2dict friendly_name frontmatter ft ft_html
ft_hx functools ge gen get_annotations_ex get_class get_key get_source_link getattrs getcallable globtastic groupby
gt hasattrs highlight hl_md html2ft html_attrs htmx4src htmx_exts htmx_hdrs htmx_resps htmxsrc humanize hx_attrs
hx_attrs_4only hx_attrs_annotations hx_evt_attrs hx_evts hx_evts_4only id_words ifnone iframe_scr ignore_exceptions
image_size img_bytes import_no_init in_ in_colab in_ipython in_jupyter in_notebook init_args instantiate into
inum_methods io ipython_shell is_ is_array is_async_callable is_bool is_coll is_full_page is_indexer is_iter
is_listy is_namedtuple is_not is_typeddict is_usable_tool isinstance_str itemgetter iter_sync itertools
join_path_file joins js js_evt_attrs js_evts jsd kindsort last last_index last_match le light_media linesplitter
listify llmtool load_mod load_pickle loads loads_multi local2utc loop_first loop_first_last loop_last loose_format
lt make_nullable map_ex mapa mapped maps mapt marked_imp mask2idxs math maybe_aiter maybe_attr maybe_await
maybe_open merge mk_class mk_getattr mkdir mod modified_env modify_exception mtime_policy mul n_friendly_names named
ne negate nested_attr nested_callable nested_idx nested_name nested_setdefault noop noop_body noopa noops not_
npmcdn null nullable_dc num_cpus num_methods obj2dict only open_file operator os otherwise parallel parallel_async
parallel_async_dict parallel_async_gen parallelable parse_env parse_form parsed_date partial partial_format
partialler partition partition_dict patch patch_to pglob product properties qp range_of re read_config_file
reawaitable reduce reg_re_param register_url_convertor remove_prefix remove_suffix render_toasts renumerate
replace_css_vars replicate repo_details repr_dict req requires respond ret_false ret_true revive_dates risinstance
rnum_methods robots_txt round_multiple rstar rsync_multi rtoken_hex run run_in_threadpool run_js run_sync
save_config_file save_iter save_pickle scopesrc serve set_nested_idx set_num_threads setattrs setify setup_toasts
shell show showtags shufflish sid_scr sig_with_params signal_shutdown signature_ex sitemap_url sitemap_xml sk
snake2camel snake2hyphens sorted_ex spark_chars sparkline splitter sse_message ssh star startproc startthread stop
store_attr str2bool str2date str2dt str2float str2int str2list str_diff str_enum strcat stringfmt_names strloader
strtyps sub surrsrc sys take_lines tcid then threaded time_policy timed_cache to_aiter to_bool to_camel to_date
to_float to_int to_kebab to_list to_pascal to_snake to_xml toast_after toast_css tonull trace trim_wraps true
truediv trunc_ctr truncstr try_attrs tuplify type2str type_hints type_map typed typing undouble_braces union2tuple
uniqueify unqid untar_dir until_disconnect upload_pb_attrs uri user_pwd_auth using_attr utc2local val2idx valmap
vars_pub ver2tuple viewport voids vurl wait_until walk walk_join warn warnings with_cast with_sid working_directory
wrap_class xdumps zip_cycle
'''.split())

_IMPORT_STAR = dis.opmap.get('IMPORT_STAR')  # Python < 3.12
_INTRINSIC = dis.opmap.get('CALL_INTRINSIC_1')  # Python >= 3.12: `from m import *` is CALL_INTRINSIC_1(2)
_INTRINSIC_IMPORT_STAR = 2


def _star_importing(frame: Any) -> bool:
    "Is `frame` executing `from module import *` (the instruction it is on)?"
    code, i = frame.f_code.co_code, frame.f_lasti
    if i < 0 or i + 1 >= len(code):
        return False
    op = code[i]
    return (op == _IMPORT_STAR and _IMPORT_STAR is not None) or (
        op == _INTRINSIC and _INTRINSIC is not None and code[i + 1] == _INTRINSIC_IMPORT_STAR)


class StarNames(list):
    """A module's `__all__`: every name, except that a star import skips the names outside `FASTHTML_COMMON` which the
    importing namespace already binds (as a star import of FastHTML's own module would leave them)."""

    def __init__(self, names: Any) -> None:
        super().__init__(names)
        self._local = threading.local()  # the names of the star import under way, per thread and importing frame

    def __getitem__(self, i: Any) -> Any:
        if type(i) is int and i >= 0:
            frame = sys._getframe(1)
            if _star_importing(frame):
                return self._star_item(frame, i)
        return list.__getitem__(self, i)

    def _star_item(self, frame: Any, i: int) -> str:
        runs = self._local.__dict__.setdefault('runs', {})
        key = id(frame)
        if i == 0 or key not in runs:
            ns = frame.f_locals
            runs[key] = [n for n in list.__iter__(self) if n in FASTHTML_COMMON or n not in ns]
        names = runs[key]
        if i < len(names):
            return names[i]
        del runs[key]  # the import is done: the IndexError below ends it
        raise IndexError(i)
