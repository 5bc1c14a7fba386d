"""Tests for fasthtml.js: the exact script and link headers for each browser library."""
from __future__ import annotations

import pytest

from fasthtml.components import to_xml
from fasthtml.js import (
    HighlightJS,
    KatexMarkdownJS,
    MarkdownJS,
    MermaidJS,
    SortableJS,
    dark_media,
    light_media,
    marked_imp,
    npmcdn,
)


def html(x: object) -> str:
    return to_xml(x)


MARKED = 'import { marked } from "https://cdn.jsdelivr.net/npm/marked/lib/marked.esm.js";\n'
KATEX_CSS = '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.css">'


def test_constants():
    assert marked_imp == MARKED
    assert npmcdn == 'https://cdn.jsdelivr.net/npm/'


def test_media():
    assert html(light_media('a{b:c}')) == '<style>@media (prefers-color-scheme: light) {a{b:c}}</style>'
    assert html(dark_media('a{b:c}')) == '<style>@media (prefers-color-scheme:  dark) {a{b:c}}</style>'
    assert html(light_media('')) == '<style>@media (prefers-color-scheme: light) {}</style>'
    assert html(dark_media('p > a {}')) == '<style>@media (prefers-color-scheme:  dark) {p > a {}}</style>'


@pytest.mark.parametrize('sel, js_sel', [
    (None, "'.marked'"),
    ('.md', "'.md'"),
    # A quote in a selector is escaped, so the module still parses (the original emits `'a'b'`).
    ("a'b", "'a\\'b'"),
])
def test_markdown(sel, js_sel):
    ft = MarkdownJS() if sel is None else MarkdownJS(sel)
    assert html(ft) == (f'<script type="module">{MARKED}proc_htmx({js_sel}, '
                        'e => e.innerHTML = marked.parse(e.textContent));</script>')


def katex(sel: str = "'.marked'", envs: str = "['equation','align','gather','multline']", d: str = r'\$\$',
          i: str = r'\$') -> str:
    return ('<script type="module">' + MARKED +
            'import katex from "https://cdn.jsdelivr.net/npm/katex/dist/katex.mjs";\n\n'
            'const renderMath = (tex, displayMode) => { return katex.renderToString(tex, {\n'
            "    throwOnError: false, displayMode: displayMode, output: 'html', trust: true\n"
            '}) };\n\n'
            'const processLatexEnvironments = (content) => {\n'
            r'    return content.replace(/\\begin{(\w+)}([\s\S]*?)\\end{\1}/g, (match, env, innerContent) => {' '\n'
            f'        if ({envs}.includes(env)) {{ return `{d}${{match}}{d}`; }}\n'
            '        return match;\n'
            '}) };\n\n'
            f'proc_htmx({sel}, e => {{\n'
            '    let content = processLatexEnvironments(e.textContent);\n'
            '    // Display math (including environments)\n'
            f'    content = content.replace(/{d}([\\s\\S]+?){d}/gm, (_, tex) => renderMath(tex.trim(), true));\n'
            '    // Inline math\n'
            f'    content = content.replace(/(?<!\\w){i}([^{i}\\s](?:[^{i}]*[^{i}\\s])?){i}(?!\\w)/g, '
            '(_, tex) => renderMath(tex.trim(), false));\n'
            '    e.innerHTML = marked.parse(content);\n'
            '});\n\n'
            '</script>' + KATEX_CSS)


def test_katex_defaults():
    res = KatexMarkdownJS()
    assert isinstance(res, tuple) and len(res) == 2
    # The environment list is a flat array (the original nests it, `[[...]].includes(env)`, so it never matches).
    assert html(res) == katex()
    assert html(KatexMarkdownJS(math_envs=[])) == katex()


def test_katex_custom_delimiters_and_envs():
    assert html(KatexMarkdownJS('.m', '\\(', '\\[', ['equation'])) == \
        katex("'.m'", "['equation']", d=r'\\\[', i=r'\\\(')
    assert html(KatexMarkdownJS(display_delim='@@', math_envs=('align',))) == katex(envs="['align']", d='@@')


HL = 'https://cdn.jsdelivr.net/gh/highlightjs/cdn-release/build/'
HLC = 'https://cdn.jsdelivr.net/gh/arronhunt/highlightjs-copy/dist/'


def highlight(sel: str, langs: list[str], light: str = 'atom-one-light', dark: str = 'atom-one-dark') -> str:
    return (f'<link rel="stylesheet" href="{HL}styles/{dark}.css" media="(prefers-color-scheme: dark)">'
            f'<link rel="stylesheet" href="{HL}styles/{light}.css" media="(prefers-color-scheme: light)">'
            f'<script src="{HL}highlight.min.js"></script>'
            f'<script src="{HLC}highlightjs-copy.min.js"></script>'
            f'<link rel="stylesheet" href="{HLC}highlightjs-copy.min.css">'
            + ''.join(f'<script src="{HL}languages/{lang}.min.js"></script>' for lang in langs) +
            '<script type="module">\nhljs.addPlugin(new CopyButtonPlugin());\n'
            f"hljs.configure({{'cssSelector': {sel}}});\nhtmx.onLoad(hljs.highlightAll);</script>")


def test_highlight():
    res = HighlightJS()
    assert isinstance(res, list) and len(res) == 7
    assert html(res) == highlight('\'pre code:not([data-highlighted="yes"])\'', ['python'])
    assert html(HighlightJS(langs=['python', 'js'])) == \
        highlight('\'pre code:not([data-highlighted="yes"])\'', ['python', 'js'])
    assert html(HighlightJS(sel='x', langs=('a', 'b'), light='l', dark='d')) == highlight("'x'", ['a', 'b'], 'l', 'd')
    assert html(HighlightJS(sel="x'y", langs=[])) == highlight("'x\\'y'", [])


def test_sortable():
    # `ghost_class` reaches Sortable (the original accepts it and then ignores it).
    assert html(SortableJS()) == (
        '<script type="module">\nimport {Sortable} from \'https://cdn.jsdelivr.net/npm/sortablejs/+esm\';\n'
        "proc_htmx('.sortable', el => Sortable.create(el, {ghostClass: 'blue-background-class'}));\n</script>")
    assert "proc_htmx('.s', el => Sortable.create(el, {ghostClass: 'g'}));" in html(SortableJS('.s', 'g'))


MERMAID = """<script type="module">
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
</script>"""


def test_mermaid():
    assert html(MermaidJS()) == MERMAID.replace('THEME', "'base'").replace('SEL', "'.language-mermaid'")
    assert html(MermaidJS('.m', theme='dark')) == MERMAID.replace('THEME', "'dark'").replace('SEL', "'.m'")
