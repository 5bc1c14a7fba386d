/* fasthtml._crender: the compact renderer's hot loop in C.
 *
 * `render(elms, esc, spaced=False)` returns exactly the string that `_render._render_compact_py(elms, esc, spaced)`
 * (the `_emit_ft` /
 * `_emit` loop) returns, or raises the same exception. The Python code stays the reference: this file handles the
 * common shapes (exact `str`/`int`/`float`/`None`, exact `FT` nodes read through their slots, other FT classes
 * through getattr, exact list/tuple children, attribute dicts holding str/True/False/None/int/float values) and hands
 * anything else to the Python code for that one object (`_pieces`), before writing any of that object's output.
 *
 * Every check happens in the order of the Python code, and Python code (the name checks, `__ft__`, `__html__`,
 * `str()` of unknown objects) is only called where the Python renderer calls it. No borrowed reference is held
 * across a call into Python code. Recursion goes through Py_EnterRecursiveCall, and past MAX_DEPTH nested levels
 * the rest of the subtree is left to the Python code, so the C stack stays bounded whatever the recursion limit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030C0000
#include <structmember.h>
#endif

#ifndef Py_T_OBJECT_EX
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif

#if PY_VERSION_HEX >= 0x030D0000
#define lookup_attr PyObject_GetOptionalAttr
#else
#define lookup_attr _PyObject_LookupAttr
#endif

/* Nesting handled in C before the rest of a subtree goes to the Python code (a few hundred bytes of C stack each). */
#define MAX_DEPTH 1000

/* What `init` was given (see `_render._load_accelerator`). A repeated `init` keeps the earlier objects alive (they are
 * never released), so a render running in another thread never sees them freed. */
static struct {
    int ready;
    PyTypeObject *ft;           /* fasthtml._render.FT: exact instances are read through the slots below */
    Py_ssize_t off_tag, off_children, off_attrs;
    PyObject *base_ft;          /* fastcore.xml.FT */
    PyObject *close_cache;      /* _CLOSE: tag -> closing tag ('' for void elements) */
    PyObject *open_cache;       /* _OPEN: tag -> opening tag of an attribute-less element */
    PyObject *ok_attrs;         /* _OK_ATTRS: attribute names already validated */
    PyObject *raw_tags;         /* RAW_TAGS: script/style (their elements are left to the Python code) */
    /* RAW_TAGS is a frozenset: the lengths and first characters of its (str) names rule most tags out without a
     * lookup. raw_any is set when a name does not fit these tables (then every tag is looked up). */
    unsigned long long raw_lens;
    unsigned char raw_first[128];
    int raw_any;
    /* ROUTE_KEYS (get, post, put, delete, patch, link): attribute names that name a route, which a response resolves
     * after rendering. `render_marked` reports whether any was written; the same tables rule most names out. */
    PyObject *route_keys;
    unsigned long long route_lens;
    unsigned char route_first[128];
    int route_any;
    PyObject *py_close, *py_open, *py_check_attr, *py_attr_value, *py_escape, *py_from_ft;
    PyObject *py_pieces;        /* _pieces(o, esc, sp) -> list of the pieces the Python code appends for o */
    PyObject *py_render;        /* _render_compact_py(elms, esc, spaced) -> str */
    PyObject *notstr;           /* fastcore's NotStr */
    PyObject *seqs;             /* _SEQS: the iterables whose items are rendered in turn */
    PyObject *bytes_types;      /* (bytes, bytearray) */
} S;

static PyObject *s_tag, *s_children, *s_attrs, *s_void, *s_ft, *s_html, *s_decode, *s_utf8, *s_replace, *zero;

#define OK_SEEN 8

typedef struct {
    _PyUnicodeWriter w;
    PyObject *esc_obj;          /* Py_True or Py_False, for the Python fallbacks */
    int esc;
    int sp;                     /* the spacing level of the Python code's `sp` argument: 0, 1 or 2 (see _emit_ft) */
    int depth;
    /* A piece that is not a str was produced (an `__html__` returning something else): the Python code's
     * `''.join` fails on it, naming its index, so the whole render is rerun in Python for that exact error. */
    int bad;
    /* An attribute named in ROUTE_KEYS was written, or part of the tree was left to the Python code (which may have
     * written one): the caller must look for route-naming attributes. */
    int routes;
    /* Attribute names this render found in ok_attrs (strong references, released at the end): a page repeats a few
     * names many times, and a pointer comparison is cheaper than the set lookup. */
    PyObject *ok_seen[OK_SEEN];
    int n_ok_seen;
    /* Likewise the first few tags' entries in close_cache and open_cache (open NULL when not read yet). */
    PyObject *tag_seen[OK_SEEN], *close_seen[OK_SEEN], *open_seen[OK_SEEN];
    int n_tag_seen;
} Ctx;

#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

/* ------------------------------------------------------------------------------------------------------------ */
/* Writing and escaping */

#define M_TEXT 1  /* & < > */
#define M_DQ 2    /* " */
#define M_SQ 4    /* ' */
static unsigned char SPECIAL[256];

/* ASCII into a one-byte buffer (the common case) is copied here; anything else through the writer's functions. */
static inline int w_ascii(Ctx *c, const char *s, Py_ssize_t n)
{
    if (c->w.kind != PyUnicode_1BYTE_KIND) return _PyUnicodeWriter_WriteASCIIString(&c->w, s, n);
    if (_PyUnicodeWriter_Prepare(&c->w, n, 127) < 0) return -1;
    memcpy((Py_UCS1 *)c->w.data + c->w.pos, s, (size_t)n);
    c->w.pos += n;
    return 0;
}

static inline int w_str(Ctx *c, PyObject *s)
{
    if (PyUnicode_IS_COMPACT_ASCII(s)) return w_ascii(c, (const char *)PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s));
    return _PyUnicodeWriter_WriteStr(&c->w, s);
}
/* One character; an ASCII one into a one-byte buffer with room left is stored here directly. */
static inline int w_char(Ctx *c, Py_UCS4 ch)
{
    if (ch < 128 && c->w.kind == PyUnicode_1BYTE_KIND && c->w.pos < c->w.size) {
        ((Py_UCS1 *)c->w.data)[c->w.pos++] = (Py_UCS1)ch;
        return 0;
    }
    return _PyUnicodeWriter_WriteChar(&c->w, ch);
}

#define FIND_LOOP(T, IN_TABLE)                                        \
    {                                                                 \
        const T *p = (const T *)data;                                 \
        for (; i < n; i++) {                                          \
            T ch = p[i];                                              \
            if (IN_TABLE && (SPECIAL[ch] & mask)) return i;           \
        }                                                             \
        return -1;                                                    \
    }

/* Index of the first character of data[i:n] in the classes of `mask`, or -1. */
static Py_ssize_t find_special(int kind, const void *data, Py_ssize_t i, Py_ssize_t n, int mask)
{
    switch (kind) {
    case PyUnicode_1BYTE_KIND: FIND_LOOP(Py_UCS1, 1)
    case PyUnicode_2BYTE_KIND: FIND_LOOP(Py_UCS2, ch < 256)
    default: FIND_LOOP(Py_UCS4, ch < 256)
    }
}

static inline int ready(PyObject *s)
{
#if PY_VERSION_HEX < 0x030C0000
    return PyUnicode_READY(s);
#else
    (void)s;
    return 0;
#endif
}

/* Write str `s` with the characters of `mask` replaced by entities; `i` is where to start looking (nothing of
 * `mask` comes before it). */
static int write_escaped(Ctx *c, PyObject *s, int mask, Py_ssize_t i)
{
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), start = 0;
    while ((i = find_special(kind, data, i, n, mask)) >= 0) {
        if (i > start && _PyUnicodeWriter_WriteSubstring(&c->w, s, start, i) < 0) return -1;
        int r;
        switch (PyUnicode_READ(kind, data, i)) {
        case '&': r = w_ascii(c, "&amp;", 5); break;
        case '<': r = w_ascii(c, "&lt;", 4); break;
        case '>': r = w_ascii(c, "&gt;", 4); break;
        default: r = w_ascii(c, "&#39;", 5); break;  /* ' (M_SQ) */
        }
        if (r < 0) return -1;
        start = ++i;
    }
    if (start == 0) return w_str(c, s);
    return start < n ? _PyUnicodeWriter_WriteSubstring(&c->w, s, start, n) : 0;
}

/* Text content: `escape(s) if esc else s` for an exact str. */
static int write_text(Ctx *c, PyObject *s)
{
    if (!c->esc) return w_str(c, s);
    if (ready(s) < 0) return -1;
    Py_ssize_t i = find_special(PyUnicode_KIND(s), PyUnicode_DATA(s), 0, PyUnicode_GET_LENGTH(s), M_TEXT);
    return i < 0 ? w_str(c, s) : write_escaped(c, s, M_TEXT, i);
}

/* A piece of any type, as `''.join` would take it: a str (or subclass) is written, anything else marks the
 * render for a rerun in Python (which raises join's TypeError). */
static int write_piece(Ctx *c, PyObject *p)
{
    if (PyUnicode_Check(p)) return w_str(c, p);
    c->bad = 1;
    return 0;
}

/* An exact int, as str(o). */
static int write_int(Ctx *c, PyObject *o)
{
    int overflow;
    long v = PyLong_AsLongAndOverflow(o, &overflow);
    if (overflow) {  /* big numbers (and the digit limit's ValueError) through str() */
        PyObject *s = PyObject_Str(o);
        if (s == NULL) return -1;
        int r = w_str(c, s);
        Py_DECREF(s);
        return r;
    }
    if (v == -1 && PyErr_Occurred()) return -1;
    char buf[24], *p = buf + sizeof buf;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return w_ascii(c, p, buf + sizeof buf - p);
}

/* str(o) for an exact float (or anything whose str() is plain text). */
static int write_str_of(Ctx *c, PyObject *o)
{
    PyObject *s = PyObject_Str(o);
    if (s == NULL) return -1;
    int r = w_str(c, s);
    Py_DECREF(s);
    return r;
}

/* ` k="v"`, or ` k='v'` when v holds a double quote (then ' is written &#39;); &, < and > always escaped. */
static int write_attr_str(Ctx *c, PyObject *k, PyObject *v)
{
    if (ready(v) < 0) return -1;
    int kind = PyUnicode_KIND(v);
    const void *data = PyUnicode_DATA(v);
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    Py_ssize_t i = find_special(kind, data, 0, n, M_TEXT | M_DQ);
    if (i < 0 && c->w.kind == PyUnicode_1BYTE_KIND && PyUnicode_IS_COMPACT_ASCII(k) && PyUnicode_IS_COMPACT_ASCII(v)) {
        /* the common case, ` k="v"` all ASCII: one copy per part into room made once */
        Py_ssize_t nk = PyUnicode_GET_LENGTH(k);
        if (_PyUnicodeWriter_Prepare(&c->w, nk + n + 4, 127) < 0) return -1;
        Py_UCS1 *o = (Py_UCS1 *)c->w.data + c->w.pos;
        *o++ = ' ';
        memcpy(o, PyUnicode_1BYTE_DATA(k), (size_t)nk);
        o += nk;
        *o++ = '=';
        *o++ = '"';
        memcpy(o, data, (size_t)n);
        o[n] = '"';
        c->w.pos += nk + n + 4;
        return 0;
    }
    if (w_char(c, ' ') < 0 || w_str(c, k) < 0) return -1;
    if (i < 0) {
        if (w_ascii(c, "=\"", 2) < 0 || w_str(c, v) < 0) return -1;
        return w_char(c, '"');
    }
    if (find_special(kind, data, i, n, M_DQ) >= 0) {  /* (a ' may come before i: the search starts again at 0) */
        if (w_ascii(c, "='", 2) < 0 || write_escaped(c, v, M_TEXT | M_SQ, 0) < 0) return -1;
        return w_char(c, '\'');
    }
    if (w_ascii(c, "=\"", 2) < 0 || write_escaped(c, v, M_TEXT, i) < 0) return -1;
    return w_char(c, '"');
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Calls into the Python code */

static PyObject *call1(PyObject *f, PyObject *a) { return PyObject_CallOneArg(f, a); }

static PyObject *call2(PyObject *f, PyObject *a, PyObject *b)
{
    PyObject *args[2] = {a, b};
    return PyObject_Vectorcall(f, args, 2, NULL);
}

static PyObject *call3(PyObject *f, PyObject *a, PyObject *b, PyObject *d)
{
    PyObject *args[3] = {a, b, d};
    return PyObject_Vectorcall(f, args, 3, NULL);
}

/* Leave `o` to the Python code: `_emit(o, ...)` into a list, whose pieces are written here. */
static int delegate(Ctx *c, PyObject *o)
{
    c->routes = 1;  /* what it writes is not seen here */
    PyObject *sp = PyLong_FromLong(c->sp);
    if (sp == NULL) return -1;
    PyObject *pieces = call3(S.py_pieces, o, c->esc_obj, sp);
    Py_DECREF(sp);
    if (pieces == NULL) return -1;
    if (!PyList_CheckExact(pieces)) {
        Py_DECREF(pieces);
        PyErr_SetString(PyExc_TypeError, "fasthtml._crender: _pieces must return a list");
        return -1;
    }
    int r = 0;
    for (Py_ssize_t i = 0; r == 0 && i < PyList_GET_SIZE(pieces); i++) r = write_piece(c, PyList_GET_ITEM(pieces, i));
    Py_DECREF(pieces);
    return r;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Elements */

static int emit(Ctx *c, PyObject *o);

/* Items of an exact list or tuple (the caller holds a reference to it); a list is read live, as its iterator would. */
static int emit_items(Ctx *c, PyObject *seq)
{
    int is_list = PyList_CheckExact(seq);
    for (Py_ssize_t i = 0;; i++) {
        PyObject *it;
        if (is_list) {
            if (i >= PyList_GET_SIZE(seq)) break;
            it = PyList_GET_ITEM(seq, i);
        } else {
            if (i >= PyTuple_GET_SIZE(seq)) break;
            it = PyTuple_GET_ITEM(seq, i);
        }
        if (Py_TYPE(it) == &PyUnicode_Type) {  /* no Python code runs: no reference needed */
            if (write_text(c, it) < 0) return -1;
            continue;
        }
        Py_INCREF(it);
        int r = emit(c, it);
        Py_DECREF(it);
        if (r < 0) return -1;
    }
    return 0;
}

/* Items of any iterable, in iteration order (`for c in o`). */
static int emit_iter(Ctx *c, PyObject *o)
{
    PyObject *it = PyObject_GetIter(o), *x;
    if (it == NULL) return -1;
    while ((x = PyIter_Next(it)) != NULL) {
        int r = emit(c, x);
        Py_DECREF(x);
        if (r < 0) {
            Py_DECREF(it);
            return -1;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* One more level of nesting (a sequence, an `__ft__` result): counted for RecursionError, and past MAX_DEPTH left to
 * the Python code. */
#define NESTED(c, o, call)                                  \
    do {                                                    \
        if ((c)->depth >= MAX_DEPTH) return delegate(c, o); \
        if (Py_EnterRecursiveCall("")) return -1;           \
        (c)->depth++;                                       \
        int r_ = (call);                                    \
        (c)->depth--;                                       \
        Py_LeaveRecursiveCall();                            \
        return r_;                                          \
    } while (0)

static int emit_nested_items(Ctx *c, PyObject *seq) { NESTED(c, seq, emit_items(c, seq)); }
static int emit_nested_iter(Ctx *c, PyObject *o) { NESTED(c, o, emit_iter(c, o)); }
static int emit_nested(Ctx *c, PyObject *o) { NESTED(c, o, emit(c, o)); }

/* The node's `children` (a new reference): the slot of an exact FT, else (or when unset) attribute access. */
static PyObject *get_children(PyObject *e, int exact)
{
    if (exact) {
        PyObject *cs = SLOT(e, S.off_children);
        if (cs != NULL) {
            Py_INCREF(cs);
            return cs;
        }
    }
    return PyObject_GetAttr(e, s_children);
}

/* A fragment (empty tag): its children only. */
static int emit_frag(Ctx *c, PyObject *e, int exact)
{
    PyObject *cs = get_children(e, exact);
    if (cs == NULL) return -1;
    int r = (PyTuple_CheckExact(cs) || PyList_CheckExact(cs)) ? emit_items(c, cs) : emit_iter(c, cs);
    Py_DECREF(cs);
    return r;
}

/* A childless element: its closing tag, unless the element is void (close is '') or marked `void_`. */
static int end_empty(Ctx *c, PyObject *e, PyObject *close)
{
    if (PyUnicode_GET_LENGTH(close) == 0) return 0;
    PyObject *v = PyObject_GetAttr(e, s_void);
    if (v == NULL) return -1;
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (t < 0) return -1;
    return t ? 0 : w_str(c, close);
}

/* Children that are not an exact list/tuple, with the Python code's calls: truth, len(), [0], then iteration. */
static int emit_children_any(Ctx *c, PyObject *e, PyObject *cs, PyObject *close)
{
    int t = PyObject_IsTrue(cs);
    if (t < 0) return -1;
    if (!t) return end_empty(c, e, close);
    Py_ssize_t n = PyObject_Size(cs);
    if (n < 0) return -1;
    if (n == 1) {  /* the Python code's single-child shortcut reads cs[0] and skips the loop for these types */
        PyObject *c0 = PyObject_GetItem(cs, zero);
        if (c0 == NULL) return -1;
        PyTypeObject *t0 = Py_TYPE(c0);
        if (t0 == &PyUnicode_Type || t0 == &PyLong_Type || t0 == S.ft) {
            int r = emit(c, c0);
            Py_DECREF(c0);
            return r < 0 ? -1 : w_str(c, close);
        }
        Py_DECREF(c0);
    }
    if (emit_iter(c, cs) < 0) return -1;
    return w_str(c, close);
}

/* Can the C code write this attribute dict? Names must be exact str, values str/True/False/None/int/float. */
static int simple_attrs(PyObject *attrs)
{
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(attrs, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k)) return 0;
        PyTypeObject *t = Py_TYPE(v);
        if (t == &PyUnicode_Type || v == Py_True || v == Py_False || v == Py_None || t == &PyLong_Type ||
            t == &PyFloat_Type)
            continue;
        return 0;
    }
    return 1;
}

static int write_attr(Ctx *c, PyObject *k, PyObject *v)
{
    if (!PyUnicode_CheckExact(k)) {  /* only if the dict was changed while a name was checked */
        PyErr_SetString(PyExc_RuntimeError, "attributes changed while being rendered");
        return -1;
    }
    if (Py_TYPE(v) == &PyUnicode_Type) return write_attr_str(c, k, v);
    if (v == Py_True) return (w_char(c, ' ') < 0 || w_str(c, k) < 0) ? -1 : 0;
    if (v == Py_False || v == Py_None) return 0;
    PyObject *s;
    if (Py_TYPE(v) == &PyLong_Type || Py_TYPE(v) == &PyFloat_Type) {
        s = PyObject_Str(v);
    } else {  /* only if the dict was changed while a name was checked: attr_value as the Python code does */
        s = call2(S.py_attr_value, v, k);
        if (s == Py_None) {
            Py_DECREF(s);
            return 0;
        }
        if (s != NULL && !PyUnicode_CheckExact(s)) {
            Py_DECREF(s);
            PyErr_SetString(PyExc_RuntimeError, "attributes changed while being rendered");
            return -1;
        }
    }
    if (s == NULL) return -1;
    int r = write_attr_str(c, k, s);
    Py_DECREF(s);
    return r;
}

/* Is exact str `k` one of the names in `set` (described by `lens`/`first`/`any`, see `name_tables`)? */
static int in_names(PyObject *k, PyObject *set, unsigned long long lens, const unsigned char *first, int any)
{
    if (!any) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(k);
        if (n == 0 || n >= 64 || !((lens >> n) & 1)) return 0;
        Py_UCS4 ch = PyUnicode_READ_CHAR(k, 0);
        if (ch >= 128 || !first[ch]) return 0;
    }
    return PySet_Contains(set, k);
}

/* `k in ok_attrs`, remembering the first few names found for the rest of the render. */
static int known_ok(Ctx *c, PyObject *k)
{
    for (int i = 0; i < c->n_ok_seen; i++)
        if (c->ok_seen[i] == k) return 1;
    int r = PySet_Contains(S.ok_attrs, k);
    if (r > 0 && c->n_ok_seen < OK_SEEN) c->ok_seen[c->n_ok_seen++] = Py_NewRef(k);
    return r;
}

/* The attributes of an element, in dict order, validating unknown names with check_attr_name. */
static int write_attrs(Ctx *c, PyObject *attrs)
{
    Py_ssize_t pos = 0, n = PyDict_GET_SIZE(attrs);
    PyObject *k, *v;
    while (PyDict_Next(attrs, &pos, &k, &v)) {
        Py_INCREF(k);
        Py_INCREF(v);
        /* (a name that is not an exact str, only if the dict changed during a name check, fails in write_attr) */
        int r = c->routes || !PyUnicode_CheckExact(k) ? 0
                : ready(k) < 0 ? -1 : in_names(k, S.route_keys, S.route_lens, S.route_first, S.route_any);
        if (r > 0) c->routes = 1;
        if (r >= 0) r = known_ok(c, k);
        if (r == 0) {
            PyObject *x = call1(S.py_check_attr, k);
            r = x == NULL ? -1 : 0;
            Py_XDECREF(x);
            if (r == 0 && PyDict_GET_SIZE(attrs) != n) {
                PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
                r = -1;
            }
        }
        if (r >= 0) r = write_attr(c, k, v);
        Py_DECREF(k);
        Py_DECREF(v);
        if (r < 0) return -1;
    }
    return 0;
}

/* `tag in RAW_TAGS` for an exact str. */
static int is_raw(PyObject *tag) { return in_names(tag, S.raw_tags, S.raw_lens, S.raw_first, S.raw_any); }

/* `tag in _FLAT` (pre, code, textarea) for an exact str: no whitespace is added inside them. */
static inline int is_flat(PyObject *tag)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(tag);
    if (n != 3 && n != 4 && n != 8) return 0;
    Py_UCS4 ch = PyUnicode_READ_CHAR(tag, 0);  /* most tags are ruled out by their length and first letter */
    if (ch != (n == 3 ? 'p' : n == 4 ? 'c' : 't')) return 0;
    return PyUnicode_CompareWithASCIIString(tag, n == 3 ? "pre" : n == 4 ? "code" : "textarea") == 0;
}

/* A spaced `<input>` (`_emit_input`): void (`close` is '') and named input. */
static int is_input(PyObject *tag, PyObject *close)
{
    return PyUnicode_GET_LENGTH(close) == 0 && PyUnicode_GET_LENGTH(tag) == 5 &&
           PyUnicode_CompareWithASCIIString(tag, "input") == 0;
}

/* An input's children, when it has any, are left to the Python code (`_emit_input`) with the whole element. */
static int input_has_children(PyObject *e, int exact)
{
    PyObject *cs = exact ? SLOT(e, S.off_children) : NULL;
    return !(cs != NULL && (PyTuple_CheckExact(cs) || PyList_CheckExact(cs)) && Py_SIZE(cs) == 0);
}

/* The index of `tag` among the tags this render has seen, or -1. */
static inline int tag_index(Ctx *c, PyObject *tag)
{
    for (int i = 0; i < c->n_tag_seen; i++)
        if (c->tag_seen[i] == tag) return i;
    return -1;
}

/* Remember cache entries read for `tag` (exact str values; `open` may be NULL). */
static void remember_tag(Ctx *c, PyObject *tag, PyObject *close, PyObject *open)
{
    int i = tag_index(c, tag);
    if (i < 0) {
        if (c->n_tag_seen == OK_SEEN) return;
        i = c->n_tag_seen++;
        c->tag_seen[i] = Py_NewRef(tag);
        c->close_seen[i] = Py_NewRef(close);
        c->open_seen[i] = NULL;
    }
    if (open != NULL && c->open_seen[i] == NULL) c->open_seen[i] = Py_NewRef(open);
}

/* `_emit_ft(e)`: the element's tags and children; anything unusual about the node leaves it to the Python code. */
static int emit_ft_body(Ctx *c, PyObject *e)
{
    int exact = Py_TYPE(e) == S.ft, rc = -1, raw, sp = c->sp, input = 0, sp_changed = 0;
    PyObject *tag, *attrs, *close = NULL, *cs = NULL;
    if (exact) {
        tag = SLOT(e, S.off_tag);
        attrs = SLOT(e, S.off_attrs);
        if (tag == NULL || attrs == NULL) return delegate(c, e);
        Py_INCREF(tag);
        Py_INCREF(attrs);
    } else {
        tag = PyObject_GetAttr(e, s_tag);
        if (tag == NULL) return -1;
        attrs = PyObject_GetAttr(e, s_attrs);
        if (attrs == NULL) {
            Py_DECREF(tag);
            return -1;
        }
    }
    /* Left to the Python code (which reads the fields again): a tag that is not a str, attributes that are not a
     * plain dict of simple values, and script/style elements with children (raw text), or any of those of a
     * class other than FT. */
    if (!PyUnicode_CheckExact(tag) || !PyDict_CheckExact(attrs) || !simple_attrs(attrs)) goto leave_to_python;
    if (ready(tag) < 0) goto done;
    raw = is_raw(tag);
    if (raw < 0) goto done;
    if (raw) {
        PyObject *cs0 = exact ? SLOT(e, S.off_children) : NULL;
        if (cs0 == NULL || !(PyTuple_CheckExact(cs0) || PyList_CheckExact(cs0)) || Py_SIZE(cs0) != 0)
            goto leave_to_python;
    }

    int seen = tag_index(c, tag);
    if (PyDict_GET_SIZE(attrs)) {
        close = seen >= 0 ? c->close_seen[seen] : PyDict_GetItemWithError(S.close_cache, tag);
        if (close != NULL) {
            Py_INCREF(close);
            if (seen < 0 && PyUnicode_CheckExact(close)) remember_tag(c, tag, close, NULL);
        } else {
            if (PyErr_Occurred()) goto done;
            if (PyUnicode_GET_LENGTH(tag) == 0) {
                rc = emit_frag(c, e, exact);
                goto done;
            }
            close = call1(S.py_close, tag);
            if (close == NULL) goto done;
        }
        if (!PyUnicode_CheckExact(close)) goto leave_to_python;  /* a cache changed by other code */
        if (sp && (input = is_input(tag, close))) {
            if (input_has_children(e, exact)) goto leave_to_python;
            if (sp == 1 && w_char(c, ' ') < 0) goto done;
        }
        if (w_char(c, '<') < 0 || w_str(c, tag) < 0 || write_attrs(c, attrs) < 0 || w_char(c, '>') < 0) goto done;
    } else {
        int cached = seen >= 0 && c->open_seen[seen] != NULL;
        PyObject *s = cached ? c->open_seen[seen] : PyDict_GetItemWithError(S.open_cache, tag);
        int from_cache = s != NULL;
        if (s != NULL) {
            Py_INCREF(s);
        } else {
            if (PyErr_Occurred()) goto done;
            if (PyUnicode_GET_LENGTH(tag) == 0) {
                rc = emit_frag(c, e, exact);
                goto done;
            }
            s = call1(S.py_open, tag);
            if (s == NULL) goto done;
        }
        close = cached ? c->close_seen[seen] : PyDict_GetItemWithError(S.close_cache, tag);
        Py_XINCREF(close);
        int r = (close == NULL && PyErr_Occurred()) ? -1
                : (close == NULL || !PyUnicode_CheckExact(s) || !PyUnicode_CheckExact(close)) ? -2  /* caches changed */
                : 0;
        if (r == 0 && !cached && from_cache) remember_tag(c, tag, close, s);
        if (r == 0 && sp && (input = is_input(tag, close))) {
            if (input_has_children(e, exact)) r = -2;
            else if (sp == 1) r = w_char(c, ' ');
        }
        if (r == 0) r = w_str(c, s);
        Py_DECREF(s);
        if (r == -2) goto leave_to_python;  /* (the Python code finds _OPEN filled by the _open call just made) */
        if (r < 0) goto done;
    }

    cs = get_children(e, exact);
    if (cs == NULL) goto done;
    if (raw && !((PyTuple_CheckExact(cs) || PyList_CheckExact(cs)) && Py_SIZE(cs) == 0)) {
        /* its children were empty a moment ago: only code run by the name checks could have changed them */
        PyErr_SetString(PyExc_RuntimeError, "script/style children changed while being rendered");
        goto done;
    }
    if (input) {  /* childless, as checked above: the newline after it */
        rc = w_char(c, '\n');
        goto done;
    }
    if (sp == 2 || (sp && is_flat(tag))) {  /* what the children get (restored below; unchanged for most) */
        c->sp = sp == 2 && !is_flat(tag);
        sp_changed = 1;
    }
    if (PyTuple_CheckExact(cs) || PyList_CheckExact(cs)) {
        if (Py_SIZE(cs) == 0)
            rc = end_empty(c, e, close);
        else
            rc = (emit_items(c, cs) < 0 || w_str(c, close) < 0) ? -1 : 0;
    } else {
        rc = emit_children_any(c, e, cs, close);
    }
    goto done;

leave_to_python:
    rc = delegate(c, e);
done:
    if (sp_changed) c->sp = sp;
    Py_DECREF(tag);
    Py_DECREF(attrs);
    Py_XDECREF(close);
    Py_XDECREF(cs);
    return rc;
}

static int emit_ft(Ctx *c, PyObject *e) { NESTED(c, e, emit_ft_body(c, e)); }

/* `_emit(o)` for what the type switch in `emit` did not take, in the Python code's order. */
static int emit_other(Ctx *c, PyObject *o)
{
    PyObject *a, *s;
    int r = PyObject_IsInstance(o, S.base_ft);
    if (r) return r < 0 ? -1 : emit_ft(c, o);
    r = lookup_attr(o, s_ft, &a);  /* hasattr(o, '__ft__') */
    if (r < 0) return -1;
    if (r) {
        Py_DECREF(a);
        PyObject *x = call1(S.py_from_ft, o);
        if (x == NULL) return -1;
        r = emit_nested(c, x);
        Py_DECREF(x);
        return r;
    }
    r = lookup_attr(o, s_html, &a);
    if (r < 0) return -1;
    if (r) {
        Py_DECREF(a);
        s = PyObject_CallMethodNoArgs(o, s_html);
    } else if ((PyObject *)Py_TYPE(o) == S.notstr) {
        s = PyObject_Str(o);
    } else if ((r = PyObject_IsInstance(o, (PyObject *)&PyUnicode_Type)) != 0) {
        if (r < 0) return -1;
        if (!c->esc) return write_piece(c, o);
        s = call1(S.py_escape, o);
    } else if ((r = PyObject_IsInstance(o, S.seqs)) != 0) {
        return r < 0 ? -1 : emit_nested_iter(c, o);
    } else {
        r = PyObject_IsInstance(o, S.bytes_types);
        if (r < 0) return -1;
        s = r ? PyObject_CallMethodObjArgs(o, s_decode, s_utf8, s_replace, NULL) : PyObject_Str(o);
        if (s != NULL && c->esc) {
            if (PyUnicode_CheckExact(s)) {
                r = write_text(c, s);
                Py_DECREF(s);
                return r;
            }
            PyObject *t = call1(S.py_escape, s);
            Py_DECREF(s);
            s = t;
        }
    }
    if (s == NULL) return -1;
    r = write_piece(c, s);
    Py_DECREF(s);
    return r;
}

/* `_emit(o)`: any child. */
static int emit(Ctx *c, PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyUnicode_Type) return write_text(c, o);
    if (t == S.ft) return emit_ft(c, o);
    if (o == Py_None) return 0;
    if (t == &PyLong_Type) return write_int(c, o);
    if (t == &PyFloat_Type) return write_str_of(c, o);
    /* exact lists and tuples: no isinstance/hasattr check of the Python code can be true for them before _SEQS */
    if (t == &PyList_Type || t == &PyTuple_Type) return emit_nested_items(c, o);
    return emit_other(c, o);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Module functions */

/* The render; `*routes` is set when the tree may hold a route-naming attribute (see Ctx.routes). */
static PyObject *do_render(PyObject *const *args, Py_ssize_t nargs, int *routes)
{
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "render(elms, esc, spaced=False) takes 2 or 3 arguments");
        return NULL;
    }
    PyObject *elms = args[0];
    if (!PyTuple_Check(elms)) {
        PyErr_SetString(PyExc_TypeError, "render: elms must be a tuple");
        return NULL;
    }
    if (!S.ready) {
        PyErr_SetString(PyExc_RuntimeError, "fasthtml._crender.init() has not been called");
        return NULL;
    }
    int esc = PyObject_IsTrue(args[1]);
    if (esc < 0) return NULL;
    int spaced = nargs == 3 ? PyObject_IsTrue(args[2]) : 0;
    if (spaced < 0) return NULL;
    Ctx c;
    _PyUnicodeWriter_Init(&c.w);
    c.w.overallocate = 1;
    c.esc = esc;
    c.esc_obj = esc ? Py_True : Py_False;
    c.depth = 0;
    c.sp = 0;
    c.bad = 0;
    c.routes = 0;
    c.n_ok_seen = 0;
    c.n_tag_seen = 0;
    int r = 0;
    for (Py_ssize_t i = 0; r == 0 && i < PyTuple_GET_SIZE(elms); i++) {
        PyObject *e = PyTuple_GET_ITEM(elms, i);
        c.sp = spaced ? 2 : 0;
        /* items are separated by a newline; a str given to render itself is markup, written as it is */
        r = (i > 0 && w_char(&c, '\n') < 0) ? -1 : Py_TYPE(e) == &PyUnicode_Type ? w_str(&c, e) : emit(&c, e);
    }
    for (int i = 0; i < c.n_ok_seen; i++) Py_DECREF(c.ok_seen[i]);
    for (int i = 0; i < c.n_tag_seen; i++) {
        Py_DECREF(c.tag_seen[i]);
        Py_DECREF(c.close_seen[i]);
        Py_XDECREF(c.open_seen[i]);
    }
    if (r < 0) {
        _PyUnicodeWriter_Dealloc(&c.w);
        return NULL;
    }
    if (c.bad) {
        _PyUnicodeWriter_Dealloc(&c.w);
        *routes = 1;
        return call3(S.py_render, elms, c.esc_obj, spaced ? Py_True : Py_False);
    }
    *routes = c.routes;
    return _PyUnicodeWriter_Finish(&c.w);
}

static PyObject *render(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    int routes;
    return do_render(args, nargs, &routes);
}

static PyObject *render_marked(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    int routes = 1;
    PyObject *html = do_render(args, nargs, &routes);
    if (html == NULL) return NULL;
    return Py_BuildValue("(NO)", html, routes ? Py_True : Py_False);
}

/* Offset of slot `name` of `type`, which must be an object member descriptor. */
static int slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *off)
{
    PyObject *d = PyDict_GetItemString(type->tp_dict, name);  /* borrowed; the type keeps it */
    if (d == NULL || Py_TYPE(d) != &PyMemberDescr_Type) {
        PyErr_Format(PyExc_TypeError, "init: %s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != Py_T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "init: %s.%s is not an object slot", type->tp_name, name);
        return -1;
    }
    *off = m->offset;
    return 0;
}

/* The lengths and first characters of the (str) names in frozenset `set`, for `in_names`; `*any` is set when a name
 * does not fit these tables (then every name is looked up). */
static int name_tables(PyObject *set, unsigned long long *lens, unsigned char first[128], int *any)
{
    PyObject *it = PyObject_GetIter(set), *name;
    if (it == NULL) return -1;
    while ((name = PyIter_Next(it)) != NULL) {
        Py_ssize_t n = PyUnicode_CheckExact(name) && ready(name) == 0 ? PyUnicode_GET_LENGTH(name) : 0;
        Py_UCS4 ch = n ? PyUnicode_READ_CHAR(name, 0) : 0;
        Py_DECREF(name);
        if (n == 0 || n >= 64 || ch >= 128) {
            *any = 1;
            continue;
        }
        *lens |= 1ULL << n;
        first[ch] = 1;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *init(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw)
{
    static char *names[] = {"ft", "base_ft", "close_cache", "open_cache", "ok_attrs", "raw_tags", "close", "open",
                            "check_attr_name", "attr_value", "escape", "from_ft", "pieces", "render_py", "notstr",
                            "seqs", "route_keys", NULL};
    PyObject *ft, *base_ft, *cc, *oc, *ok, *raw, *f_close, *f_open, *f_check, *f_attr, *f_esc, *f_from, *f_pieces,
        *f_render, *notstr, *seqs, *rk;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!O!O!O!O!OOOOOOOOO!O!O!:init", names, &PyType_Type, &ft,
                                     &PyType_Type, &base_ft, &PyDict_Type, &cc, &PyDict_Type, &oc, &PySet_Type, &ok,
                                     &PyFrozenSet_Type, &raw, &f_close, &f_open, &f_check, &f_attr, &f_esc, &f_from,
                                     &f_pieces, &f_render, &PyType_Type, &notstr, &PyTuple_Type, &seqs,
                                     &PyFrozenSet_Type, &rk))
        return NULL;
    PyTypeObject *t = (PyTypeObject *)ft;
    Py_ssize_t off_tag, off_children, off_attrs;
    if (!PyType_IsSubtype(t, (PyTypeObject *)base_ft)) {
        PyErr_SetString(PyExc_TypeError, "init: ft must be a subclass of base_ft");
        return NULL;
    }
    if (slot_offset(t, "tag", &off_tag) < 0 || slot_offset(t, "children", &off_children) < 0 ||
        slot_offset(t, "attrs", &off_attrs) < 0)
        return NULL;
    unsigned long long raw_lens = 0, route_lens = 0;
    unsigned char raw_first[128] = {0}, route_first[128] = {0};
    int raw_any = 0, route_any = 0;
    if (name_tables(raw, &raw_lens, raw_first, &raw_any) < 0 ||
        name_tables(rk, &route_lens, route_first, &route_any) < 0)
        return NULL;
    PyObject *bytes_types = PyTuple_Pack(2, (PyObject *)&PyBytes_Type, (PyObject *)&PyByteArray_Type);
    if (bytes_types == NULL) return NULL;
    PyObject *keep[] = {ft, base_ft, cc, oc, ok, raw, f_close, f_open, f_check, f_attr, f_esc, f_from, f_pieces,
                        f_render, notstr, seqs, rk};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) Py_INCREF(keep[i]);
    S.ft = t;
    S.off_tag = off_tag;
    S.off_children = off_children;
    S.off_attrs = off_attrs;
    S.base_ft = base_ft;
    S.close_cache = cc;
    S.open_cache = oc;
    S.ok_attrs = ok;
    S.raw_tags = raw;
    S.raw_lens = raw_lens;
    memcpy(S.raw_first, raw_first, sizeof raw_first);
    S.raw_any = raw_any;
    S.route_keys = rk;
    S.route_lens = route_lens;
    memcpy(S.route_first, route_first, sizeof route_first);
    S.route_any = route_any;
    S.py_close = f_close;
    S.py_open = f_open;
    S.py_check_attr = f_check;
    S.py_attr_value = f_attr;
    S.py_escape = f_esc;
    S.py_from_ft = f_from;
    S.py_pieces = f_pieces;
    S.py_render = f_render;
    S.notstr = notstr;
    S.seqs = seqs;
    S.bytes_types = bytes_types;
    S.ready = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"init", (PyCFunction)(void (*)(void))init, METH_VARARGS | METH_KEYWORDS,
     "init(**kw): the FT classes, caches and Python fallbacks of fasthtml._render (called once at its import)."},
    {"render", (PyCFunction)(void (*)(void))render, METH_FASTCALL,
     "render(elms: tuple, esc: bool, spaced: bool = False) -> str: the compact HTML of `elms`, as "
     "_render._render_compact_py."},
    {"render_marked", (PyCFunction)(void (*)(void))render_marked, METH_FASTCALL,
     "render_marked(elms, esc, spaced=False) -> (str, bool): the render, and False only when no element in `elms` "
     "has an attribute named in ROUTE_KEYS (nothing for the response to resolve), as _render._render_marked_py."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fasthtml._crender", "C accelerator for fasthtml's compact renderer.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__crender(void)
{
    SPECIAL['&'] = SPECIAL['<'] = SPECIAL['>'] = M_TEXT;
    SPECIAL['"'] = M_DQ;
    SPECIAL['\''] = M_SQ;
    struct { PyObject **dst; const char *s; } strs[] = {
        {&s_tag, "tag"}, {&s_children, "children"}, {&s_attrs, "attrs"}, {&s_void, "void_"}, {&s_ft, "__ft__"},
        {&s_html, "__html__"}, {&s_decode, "decode"}, {&s_utf8, "utf-8"}, {&s_replace, "replace"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (*strs[i].dst == NULL && (*strs[i].dst = PyUnicode_InternFromString(strs[i].s)) == NULL) return NULL;
    }
    if (zero == NULL && (zero = PyLong_FromLong(0)) == NULL) return NULL;
    return PyModule_Create(&module);
}
