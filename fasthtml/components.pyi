# Generated from fasthtml/components.py by `python tests/test_typing.py --write-stub`: do not edit.
"""Types for fasthtml.components: the tag functions are made by a factory at runtime, so their
signature (every documented HTML/htmx keyword; any other keyword works too) is declared here."""
from collections.abc import Callable
from typing import Any, Literal, Protocol

from fastcore.basics import NotStr as NotStr
from fastcore.xml import Safe as Safe

from ._ftextras import File as File
from ._ftextras import fill_dataclass as fill_dataclass
from ._ftextras import fill_form as fill_form
from ._ftextras import find_inputs as find_inputs
from ._ftextras import html2ft as html2ft
from ._ftextras import show as show
from ._ftextras import sse_message as sse_message
from ._render import FT as FT
from ._render import to_xml as to_xml

__all__ = ['FT', 'Safe', 'NotStr', 'to_xml', 'ft', 'ft_html', 'ft_hx', 'attrmap_x', 'valmap_x', 'extend_ft', 'named', 'voids', 'fh_cfg', 'html_attrs', 'hx_attrs', 'hx_attrs_4only', 'hx_attrs_annotations', 'hx_evts', 'hx_evts_4only', 'js_evts', 'hx_evt_attrs', 'js_evt_attrs', 'evt_attrs', 'tag_names', 'Html', 'File', 'show', 'fill_form', 'fill_dataclass', 'find_inputs', 'html2ft', 'sse_message', 'A', 'Abbr', 'Address', 'Area', 'Article', 'Aside', 'Audio', 'B', 'Base', 'Bdi', 'Bdo', 'Blockquote', 'Body', 'Br', 'Button', 'Canvas', 'Caption', 'Cite', 'Code', 'Col', 'Colgroup', 'Data', 'Datalist', 'Dd', 'Del', 'Details', 'Dfn', 'Dialog', 'Div', 'Dl', 'Dt', 'Em', 'Embed', 'Fencedframe', 'Fieldset', 'Figcaption', 'Figure', 'Footer', 'Form', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'Head', 'Header', 'Hgroup', 'Hr', 'HxPartial', 'I', 'Iframe', 'Img', 'Input', 'Ins', 'Kbd', 'Label', 'Legend', 'Li', 'Link', 'Main', 'Map', 'Mark', 'Math', 'Menu', 'Meta', 'Meter', 'Nav', 'Noscript', 'Object', 'Ol', 'Optgroup', 'Option', 'Output', 'P', 'Param', 'Picture', 'PortalExperimental', 'Pre', 'Progress', 'Q', 'Rp', 'Rt', 'Ruby', 'S', 'Samp', 'Script', 'Search', 'Section', 'Select', 'Slot', 'Small', 'Source', 'Span', 'Strike', 'Strong', 'Style', 'Sub', 'Summary', 'Sup', 'Table', 'Tbody', 'Td', 'Template', 'Textarea', 'Tfoot', 'Th', 'Thead', 'Time', 'Title', 'Tr', 'Track', 'U', 'Ul', 'Var', 'Video', 'Wbr']


class _Tag(Protocol):
    "An HTML element function: positional arguments are children, keywords are attributes."
    def __call__(self, *c: Any,
                 target_id: Any = None,
                 hx_vals: Any = None,
                 hx_target: Any = None,
                 id: Any = None,
                 cls: Any = None,
                 title: Any = None,
                 style: Any = None,
                 accesskey: Any = None,
                 contenteditable: Any = None,
                 dir: Any = None,
                 draggable: Any = None,
                 enterkeyhint: Any = None,
                 hidden: Any = None,
                 inert: Any = None,
                 inputmode: Any = None,
                 lang: Any = None,
                 popover: Any = None,
                 spellcheck: Any = None,
                 tabindex: Any = None,
                 translate: Any = None,
                 hx_get: Any = None,
                 hx_post: Any = None,
                 hx_put: Any = None,
                 hx_delete: Any = None,
                 hx_patch: Any = None,
                 hx_trigger: Any = None,
                 hx_swap: Literal['innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend', 'afterend', 'delete', 'none'] | str | bool | None = None,
                 hx_swap_oob: Literal['true', 'innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend', 'afterend', 'delete', 'none'] | str | bool | None = None,
                 hx_include: Any = None,
                 hx_select: Any = None,
                 hx_select_oob: Any = None,
                 hx_indicator: Any = None,
                 hx_push_url: Literal['true', 'false'] | str | bool | None = None,
                 hx_confirm: Any = None,
                 hx_disable: Any = None,
                 hx_replace_url: Literal['true', 'false'] | str | bool | None = None,
                 hx_disabled_elt: Literal['this', 'next', 'previous'] | str | bool | None = None,
                 hx_ext: Any = None,
                 hx_headers: Any = None,
                 hx_history: Literal['false'] | str | bool | None = None,
                 hx_history_elt: Any = None,
                 hx_inherit: Any = None,
                 hx_params: Literal['*', 'none'] | str | bool | None = None,
                 hx_preserve: Any = None,
                 hx_prompt: Any = None,
                 hx_request: Any = None,
                 hx_sync: Any = None,
                 hx_validate: Literal['true', 'false'] | str | bool | None = None,
                 hx_action: Any = None,
                 hx_method: Any = None,
                 hx_config: Any = None,
                 hx_ignore: Any = None,
                 hx_on_blur: Any = None,
                 hx_on_change: Any = None,
                 hx_on_contextmenu: Any = None,
                 hx_on_focus: Any = None,
                 hx_on_input: Any = None,
                 hx_on_invalid: Any = None,
                 hx_on_reset: Any = None,
                 hx_on_select: Any = None,
                 hx_on_submit: Any = None,
                 hx_on_keydown: Any = None,
                 hx_on_keypress: Any = None,
                 hx_on_keyup: Any = None,
                 hx_on_click: Any = None,
                 hx_on_dblclick: Any = None,
                 hx_on_mousedown: Any = None,
                 hx_on_mouseenter: Any = None,
                 hx_on_mouseleave: Any = None,
                 hx_on_mousemove: Any = None,
                 hx_on_mouseout: Any = None,
                 hx_on_mouseover: Any = None,
                 hx_on_mouseup: Any = None,
                 hx_on_wheel: Any = None,
                 hx_on__abort: Any = None,
                 hx_on__after_on_load: Any = None,
                 hx_on__after_process_node: Any = None,
                 hx_on__after_request: Any = None,
                 hx_on__after_settle: Any = None,
                 hx_on__after_swap: Any = None,
                 hx_on__before_cleanup_element: Any = None,
                 hx_on__before_on_load: Any = None,
                 hx_on__before_process_node: Any = None,
                 hx_on__before_request: Any = None,
                 hx_on__before_swap: Any = None,
                 hx_on__before_send: Any = None,
                 hx_on__before_transition: Any = None,
                 hx_on__config_request: Any = None,
                 hx_on__confirm: Any = None,
                 hx_on__history_cache_error: Any = None,
                 hx_on__history_cache_miss: Any = None,
                 hx_on__history_cache_miss_error: Any = None,
                 hx_on__history_cache_miss_load: Any = None,
                 hx_on__history_restore: Any = None,
                 hx_on__before_history_save: Any = None,
                 hx_on__load: Any = None,
                 hx_on__no_sse_source_error: Any = None,
                 hx_on__on_load_error: Any = None,
                 hx_on__oob_after_swap: Any = None,
                 hx_on__oob_before_swap: Any = None,
                 hx_on__oob_error_no_target: Any = None,
                 hx_on__prompt: Any = None,
                 hx_on__pushed_into_history: Any = None,
                 hx_on__replaced_in_history: Any = None,
                 hx_on__response_error: Any = None,
                 hx_on__send_abort: Any = None,
                 hx_on__send_error: Any = None,
                 hx_on__sse_error: Any = None,
                 hx_on__sse_open: Any = None,
                 hx_on__swap_error: Any = None,
                 hx_on__target_error: Any = None,
                 hx_on__timeout: Any = None,
                 hx_on__validation_validate: Any = None,
                 hx_on__validation_failed: Any = None,
                 hx_on__validation_halted: Any = None,
                 hx_on__xhr_abort: Any = None,
                 hx_on__xhr_loadend: Any = None,
                 hx_on__xhr_loadstart: Any = None,
                 hx_on__xhr_progress: Any = None,
                 hx_on__after_init: Any = None,
                 hx_on__before_cleanup: Any = None,
                 hx_on__before_history_update: Any = None,
                 hx_on__before_init: Any = None,
                 hx_on__before_process: Any = None,
                 hx_on__before_history_restore: Any = None,
                 hx_on__after_history_push: Any = None,
                 hx_on__after_history_replace: Any = None,
                 hx_on__error: Any = None,
                 **kwargs: Any) -> FT: ...


named: set[str]
voids: set[str]
fh_cfg: Any
html_attrs: list[str]
hx_attrs: list[str]
hx_attrs_4only: str
hx_attrs_annotations: dict[str, Any]
hx_evts: str
hx_evts_4only: str
js_evts: str
hx_evt_attrs: list[str]
js_evt_attrs: list[str]
evt_attrs: list[str]
tag_names: list[str]


def ft(tag: str, *c: Any, void_: bool=..., attrmap: Callable[[str], str]=..., valmap: Callable[[Any], Any] | None=..., ft_cls: type=..., **kw: Any) -> FT:
    ...
def ft_html(tag: str, *c: Any, id: Any=..., cls: Any=..., title: Any=..., style: Any=..., attrmap: Callable[[str], str] | None=..., valmap: Callable[[Any], Any] | None=..., ft_cls: type | None=..., **kwargs: Any) -> FT:
    ...
def ft_hx(tag: str,
          *c: Any,
          target_id: Any = None,
          hx_vals: Any = None,
          hx_target: Any = None,
          id: Any = None,
          cls: Any = None,
          title: Any = None,
          style: Any = None,
          accesskey: Any = None,
          contenteditable: Any = None,
          dir: Any = None,
          draggable: Any = None,
          enterkeyhint: Any = None,
          hidden: Any = None,
          inert: Any = None,
          inputmode: Any = None,
          lang: Any = None,
          popover: Any = None,
          spellcheck: Any = None,
          tabindex: Any = None,
          translate: Any = None,
          hx_get: Any = None,
          hx_post: Any = None,
          hx_put: Any = None,
          hx_delete: Any = None,
          hx_patch: Any = None,
          hx_trigger: Any = None,
          hx_swap: Literal['innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend', 'afterend', 'delete', 'none'] | str | bool | None = None,
          hx_swap_oob: Literal['true', 'innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend', 'afterend', 'delete', 'none'] | str | bool | None = None,
          hx_include: Any = None,
          hx_select: Any = None,
          hx_select_oob: Any = None,
          hx_indicator: Any = None,
          hx_push_url: Literal['true', 'false'] | str | bool | None = None,
          hx_confirm: Any = None,
          hx_disable: Any = None,
          hx_replace_url: Literal['true', 'false'] | str | bool | None = None,
          hx_disabled_elt: Literal['this', 'next', 'previous'] | str | bool | None = None,
          hx_ext: Any = None,
          hx_headers: Any = None,
          hx_history: Literal['false'] | str | bool | None = None,
          hx_history_elt: Any = None,
          hx_inherit: Any = None,
          hx_params: Literal['*', 'none'] | str | bool | None = None,
          hx_preserve: Any = None,
          hx_prompt: Any = None,
          hx_request: Any = None,
          hx_sync: Any = None,
          hx_validate: Literal['true', 'false'] | str | bool | None = None,
          hx_action: Any = None,
          hx_method: Any = None,
          hx_config: Any = None,
          hx_ignore: Any = None,
          hx_on_blur: Any = None,
          hx_on_change: Any = None,
          hx_on_contextmenu: Any = None,
          hx_on_focus: Any = None,
          hx_on_input: Any = None,
          hx_on_invalid: Any = None,
          hx_on_reset: Any = None,
          hx_on_select: Any = None,
          hx_on_submit: Any = None,
          hx_on_keydown: Any = None,
          hx_on_keypress: Any = None,
          hx_on_keyup: Any = None,
          hx_on_click: Any = None,
          hx_on_dblclick: Any = None,
          hx_on_mousedown: Any = None,
          hx_on_mouseenter: Any = None,
          hx_on_mouseleave: Any = None,
          hx_on_mousemove: Any = None,
          hx_on_mouseout: Any = None,
          hx_on_mouseover: Any = None,
          hx_on_mouseup: Any = None,
          hx_on_wheel: Any = None,
          hx_on__abort: Any = None,
          hx_on__after_on_load: Any = None,
          hx_on__after_process_node: Any = None,
          hx_on__after_request: Any = None,
          hx_on__after_settle: Any = None,
          hx_on__after_swap: Any = None,
          hx_on__before_cleanup_element: Any = None,
          hx_on__before_on_load: Any = None,
          hx_on__before_process_node: Any = None,
          hx_on__before_request: Any = None,
          hx_on__before_swap: Any = None,
          hx_on__before_send: Any = None,
          hx_on__before_transition: Any = None,
          hx_on__config_request: Any = None,
          hx_on__confirm: Any = None,
          hx_on__history_cache_error: Any = None,
          hx_on__history_cache_miss: Any = None,
          hx_on__history_cache_miss_error: Any = None,
          hx_on__history_cache_miss_load: Any = None,
          hx_on__history_restore: Any = None,
          hx_on__before_history_save: Any = None,
          hx_on__load: Any = None,
          hx_on__no_sse_source_error: Any = None,
          hx_on__on_load_error: Any = None,
          hx_on__oob_after_swap: Any = None,
          hx_on__oob_before_swap: Any = None,
          hx_on__oob_error_no_target: Any = None,
          hx_on__prompt: Any = None,
          hx_on__pushed_into_history: Any = None,
          hx_on__replaced_in_history: Any = None,
          hx_on__response_error: Any = None,
          hx_on__send_abort: Any = None,
          hx_on__send_error: Any = None,
          hx_on__sse_error: Any = None,
          hx_on__sse_open: Any = None,
          hx_on__swap_error: Any = None,
          hx_on__target_error: Any = None,
          hx_on__timeout: Any = None,
          hx_on__validation_validate: Any = None,
          hx_on__validation_failed: Any = None,
          hx_on__validation_halted: Any = None,
          hx_on__xhr_abort: Any = None,
          hx_on__xhr_loadend: Any = None,
          hx_on__xhr_loadstart: Any = None,
          hx_on__xhr_progress: Any = None,
          hx_on__after_init: Any = None,
          hx_on__before_cleanup: Any = None,
          hx_on__before_history_update: Any = None,
          hx_on__before_init: Any = None,
          hx_on__before_process: Any = None,
          hx_on__before_history_restore: Any = None,
          hx_on__after_history_push: Any = None,
          hx_on__after_history_replace: Any = None,
          hx_on__error: Any = None,
          **kwargs: Any) -> FT: ...
def attrmap_x(o: str) -> str:
    ...
def valmap_x(v: Any, k: str=...) -> Any:
    ...
def extend_ft(e: FT, c: tuple, kw: dict, replace: bool=...) -> FT:
    ...
def Html(*c: Any, doctype: bool=..., **kwargs: Any) -> Any:
    ...
_PREP: frozenset
def _build(tag: str, c: tuple, kw: dict, void: bool=...) -> FT:
    ...
def _prep(c: tuple) -> tuple[tuple, dict]:
    ...


A: _Tag
Abbr: _Tag
Address: _Tag
Area: _Tag
Article: _Tag
Aside: _Tag
Audio: _Tag
B: _Tag
Base: _Tag
Bdi: _Tag
Bdo: _Tag
Blockquote: _Tag
Body: _Tag
Br: _Tag
Button: _Tag
Canvas: _Tag
Caption: _Tag
Cite: _Tag
Code: _Tag
Col: _Tag
Colgroup: _Tag
Data: _Tag
Datalist: _Tag
Dd: _Tag
Del: _Tag
Details: _Tag
Dfn: _Tag
Dialog: _Tag
Div: _Tag
Dl: _Tag
Dt: _Tag
Em: _Tag
Embed: _Tag
Fencedframe: _Tag
Fieldset: _Tag
Figcaption: _Tag
Figure: _Tag
Footer: _Tag
Form: _Tag
H1: _Tag
H2: _Tag
H3: _Tag
H4: _Tag
H5: _Tag
H6: _Tag
Head: _Tag
Header: _Tag
Hgroup: _Tag
Hr: _Tag
HxPartial: _Tag
I: _Tag
Iframe: _Tag
Img: _Tag
Input: _Tag
Ins: _Tag
Kbd: _Tag
Label: _Tag
Legend: _Tag
Li: _Tag
Link: _Tag
Main: _Tag
Map: _Tag
Mark: _Tag
Math: _Tag
Menu: _Tag
Meta: _Tag
Meter: _Tag
Nav: _Tag
Noscript: _Tag
Object: _Tag
Ol: _Tag
Optgroup: _Tag
Option: _Tag
Output: _Tag
P: _Tag
Param: _Tag
Picture: _Tag
PortalExperimental: _Tag
Pre: _Tag
Progress: _Tag
Q: _Tag
Rp: _Tag
Rt: _Tag
Ruby: _Tag
S: _Tag
Samp: _Tag
Script: _Tag
Search: _Tag
Section: _Tag
Select: _Tag
Slot: _Tag
Small: _Tag
Source: _Tag
Span: _Tag
Strike: _Tag
Strong: _Tag
Style: _Tag
Sub: _Tag
Summary: _Tag
Sup: _Tag
Table: _Tag
Tbody: _Tag
Td: _Tag
Template: _Tag
Textarea: _Tag
Tfoot: _Tag
Th: _Tag
Thead: _Tag
Time: _Tag
Title: _Tag
Tr: _Tag
Track: _Tag
U: _Tag
Ul: _Tag
Var: _Tag
Video: _Tag
Wbr: _Tag


def __getattr__(name: str) -> _Tag: ...
