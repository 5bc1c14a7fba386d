"""Script and style headers that load common browser libraries: Markdown, KaTeX, highlight.js, Mermaid, SortableJS."""
from __future__ import annotations

import re
from typing import Any

from .components import FT, Link
from .xtend import Script, Style

__all__ = ['HighlightJS', 'KatexMarkdownJS', 'MarkdownJS', 'MermaidJS', 'SortableJS', 'dark_media', 'light_media',
           'marked_imp', 'npmcdn']

marked_imp = 'import { marked } from "https://cdn.jsdelivr.net/npm/marked/lib/marked.esm.js";\n'
npmcdn = 'https://cdn.jsdelivr.net/npm/'

_hl = 'https://cdn.jsdelivr.net/gh/highlightjs/cdn-release/build/'
_hl_copy = 'https://cdn.jsdelivr.net/gh/arronhunt/highlightjs-copy/dist/'


def _sq(s: str) -> str:
    "A single-quoted JavaScript string literal for `s` (plain selectors come out exactly as `'sel'`)."
    s = s.replace('\\', '\\\\').replace("'", "\\'").replace('\n', '\\n').replace('\r', '\\r')
    return "'" + s + "'"


def light_media(css: str) -> FT:
    "Render light media for day mode views."
    return Style('@media (prefers-color-scheme: light) {' + css + '}')


def dark_media(css: str) -> FT:
    "Render dark media for night mode views."
    return Style('@media (prefers-color-scheme:  dark) {' + css + '}')


def MarkdownJS(sel: str = '.marked') -> FT:
    "Implements browser-based markdown rendering."
    return Script(marked_imp + 'proc_htmx(' + _sq(sel) + ', e => e.innerHTML = marked.parse(e.textContent));',
                  type='module')


_KATEX = r"""import katex from "https://cdn.jsdelivr.net/npm/katex/dist/katex.mjs";

const renderMath = (tex, displayMode) => { return katex.renderToString(tex, {
    throwOnError: false, displayMode: displayMode, output: 'html', trust: true
}) };

const processLatexEnvironments = (content) => {
    return content.replace(/\\begin{(\w+)}([\s\S]*?)\\end{\1}/g, (match, env, innerContent) => {
        if (ENVS.includes(env)) { return `DDD${match}DDD`; }
        return match;
}) };

proc_htmx(SEL, e => {
    let content = processLatexEnvironments(e.textContent);
    // Display math (including environments)
    content = content.replace(/DDD([\s\S]+?)DDD/gm, (_, tex) => renderMath(tex.trim(), true));
    // Inline math
    content = content.replace(/(?<!\w)III([^III\s](?:[^III]*[^III\s])?)III(?!\w)/g, (_, tex) => renderMath(tex.trim(), false));
    e.innerHTML = marked.parse(content);
});

"""  # noqa: E501 (the script is sent as written: FastHTML's text, line for line)
_KATEX_PARTS = re.compile('ENVS|DDD|III|SEL')


def KatexMarkdownJS(sel: str = '.marked', inline_delim: str = '$', display_delim: str = '$$',
                    math_envs: list[str] | tuple[str, ...] | None = None) -> tuple[FT, FT]:
    "Markdown rendering with KaTeX math between `inline_delim` or `display_delim` and in LaTeX environments."
    envs = math_envs or ['equation', 'align', 'gather', 'multline']
    # Delimiters are escaped once: valid both inside the JS regex literals and the template string.
    parts = {'ENVS': '[' + ','.join(_sq(e) for e in envs) + ']', 'DDD': re.escape(display_delim),
             'III': re.escape(inline_delim), 'SEL': _sq(sel)}
    code = marked_imp + _KATEX_PARTS.sub(lambda m: parts[m.group(0)], _KATEX)
    return (Script(code, type='module'),
            Link(rel='stylesheet', href='https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.css'))


def HighlightJS(sel: str = 'pre code:not([data-highlighted="yes"])',
                langs: str | list[str] | tuple[str, ...] = 'python', light: str = 'atom-one-light',
                dark: str = 'atom-one-dark') -> list[FT]:
    "Implements browser-based syntax highlighting, with a copy button and light/dark themes."
    if isinstance(langs, str):
        langs = [langs]
    code = ('\nhljs.addPlugin(new CopyButtonPlugin());\n'
            "hljs.configure({'cssSelector': " + _sq(sel) + '});\n'
            'htmx.onLoad(hljs.highlightAll);')
    return [Link(rel='stylesheet', href=f'{_hl}styles/{dark}.css', media='(prefers-color-scheme: dark)'),
            Link(rel='stylesheet', href=f'{_hl}styles/{light}.css', media='(prefers-color-scheme: light)'),
            Script(src=f'{_hl}highlight.min.js'),
            Script(src=f'{_hl_copy}highlightjs-copy.min.js'),
            Link(rel='stylesheet', href=f'{_hl_copy}highlightjs-copy.min.css'),
            *[Script(src=f'{_hl}languages/{lang}.min.js') for lang in langs],
            Script(code, type='module')]


def SortableJS(sel: str = '.sortable', ghost_class: str = 'blue-background-class') -> FT:
    "Drag-and-drop reordering (SortableJS) for elements matching `sel`; `ghost_class` styles the drop placeholder."
    return Script("\nimport {Sortable} from 'https://cdn.jsdelivr.net/npm/sortablejs/+esm';\n"
                  'proc_htmx(' + _sq(sel) + ', el => Sortable.create(el, {ghostClass: ' + _sq(ghost_class) + '}));\n',
                  type='module')


_MERMAID = """
import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs';

mermaid.initialize({
    startOnLoad: false,
    theme: THEME,
    securityLevel: 'loose',
    flowchart: { useMaxWidth: false, useMaxHeight: false }
});

function renderMermaidDiagrams(element, index) {
    try {
        const graphDefinition = element.textContent;
        const graphId = `mermaid-diagram-${index}`;
        mermaid.render(graphId, graphDefinition)
            .then(({svg, bindFunctions}) => {
                element.innerHTML = svg;
                bindFunctions?.(element);
            })
            .catch(error => {
                console.error(`Error rendering Mermaid diagram ${index}:`, error);
                element.innerHTML = `<p>Error rendering diagram: ${error.message}</p>`;
            });
    } catch (error) {
        console.error(`Error processing Mermaid diagram ${index}:`, error);
    }
}

// Assuming proc_htmx is a function that triggers rendering
proc_htmx(SEL, renderMermaidDiagrams);
"""


def MermaidJS(sel: str = '.language-mermaid', theme: str = 'base') -> FT:
    "Implements browser-based Mermaid diagram rendering."
    parts: dict[str, Any] = {'THEME': _sq(theme), 'SEL': _sq(sel)}
    return Script(re.sub('THEME|SEL', lambda m: parts[m.group(0)], _MERMAID), type='module')
