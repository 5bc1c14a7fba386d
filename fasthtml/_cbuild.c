/* fasthtml._cbuild: element construction in C, the accelerated twin of the tag functions in fasthtml/components.py.
 *
 * Each tag function (`Div`, `Td`, ..., `fasthtml.xtend.A`, and `ft_hx`/`ft_html`) is a `TagFn`: a callable object that
 * knows its tag (or takes it from its first positional argument), whether it is a `named` tag (an `id` also fills
 * `name`), whether it is void, and the pure-Python function it accelerates. A call takes the C path only when the
 * Python function would take its own fast path with nothing unusual in it: no child that needs flattening (list,
 * tuple, generator, map, filter, range, dict, None), no `target_id`, no dict attribute value, no list/tuple/set item
 * other than an exact str/int/float/True/False/None, and `fh_cfg` at its defaults. Anything else calls the Python
 * function with the original arguments, so the results (nodes, attribute order, exceptions) are the Python code's by
 * construction. The C path mirrors `_kw_attrs`:
 *
 *   - keywords in call order, None values left out; the attribute name and rank from the `_KEYS` cache, or on a miss
 *     from `_key_spec` (which fills the cache), as the Python code does;
 *   - values as `valmap_x` maps them: exact str/bool/int/float and any type other than dict, list, tuple, set and
 *     frozenset stored as given; an exact list, tuple, set or frozenset joined with spaces (None and False items left
 *     out, others through str()), an empty one left out;
 *   - ranked attributes (hx-vals 1, hx-target 2, id 3, class 4, title 5, style 6): while ranks never go down and no
 *     plain keyword follows a ranked one, call order is kept; otherwise the ranked ones move to the end in rank order
 *     (both come to the same: plain ones in call order, then the ranked ones in rank order);
 *   - a named tag with a true `id` (not empty, not 0) and no `name` gets `name` = `id`.
 *
 * "Leading defaults" (for `xtend.A`): keyword/default pairs that come first, in their own order, each taking the
 * caller's value when given: `A(*c, href='#', hx_get=None, target_id=None, hx_swap=None, **kw)` builds as
 * `components.A(*c, href=href, hx_get=hx_get, target_id=target_id, hx_swap=hx_swap, **kw)`.
 *
 * "Trailing" keywords (for `ft_hx`/`ft_html`, whose explicit parameters are appended to `**kwargs`): the caller's
 * values for these names come last, in this fixed order, after the other keywords in call order. "Reserved" names
 * (`tag`, `attrmap`, `valmap`, `ft_cls`) send the call to Python whenever given. With no fixed tag, `named` and `void`
 * may be sets the tag is looked up in at each call, as `_build` does (`tag in named` first, `tag in VOIDS` last).
 *
 * Nodes are made as the Python code makes them: `object.__new__(FT)` (FT's tp_new), the three slots stored
 * through the offsets of FT's member descriptors, and `void_ = True` put in the instance dict.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#ifndef Py_T_OBJECT_EX
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif

/* For the steps both call paths share: a copy in each, as when there was one path (~20% of a Td('x') call). */
#if defined(__GNUC__) || defined(__clang__)
#define HOT_INLINE static inline __attribute__((always_inline))
#else
#define HOT_INLINE static inline
#endif

/* ------------------------------------------------------------------------------------------------------------- */
/* Shared state, set by init() (components calls it once at import) and set_cfg() (when fh_cfg changes). */

#define MAX_PREP 16
#define N_TAIL 6
#define RANK_ID 3                          /* the rank of `id` (s_tail[RANK_ID - 1]) */

static int ready = 0;                      /* init() succeeded: the C path may run */
static int cfg_set = 0;                    /* fh_cfg differs from its defaults: always the Python path */
static PyTypeObject *ft_type = NULL;       /* the FT class (strong reference) */
static Py_ssize_t off_tag, off_children, off_attrs;  /* slot offsets in FT instances */
static PyObject *keys_cache = NULL;        /* components._KEYS: keyword -> (attribute, rank) */
static PyObject *key_spec = NULL;          /* components._key_spec: computes (attribute, rank), fills the cache */
static PyTypeObject *prep_types[MAX_PREP]; /* components._PREP (strong references) */
static int n_prep = 0;
static PyObject *empty_tuple = NULL;
static PyObject *s_target_id, *s_name, *s_void, *s_space, *s_anon;
static PyObject *s_tail[N_TAIL];           /* hx-vals, hx-target, id, class, title, style */
static const char *tail_names[N_TAIL] = {"hx-vals", "hx-target", "id", "class", "title", "style"};

/* ------------------------------------------------------------------------------------------------------------- */
/* TagFn */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *tag;        /* str, or NULL: the tag is the first positional argument (ft_hx, ft_html) */
    PyObject *fallback;   /* the pure-Python function (same arguments, same result) */
    PyObject *dnames;     /* leading default names (tuple of interned str) or NULL */
    PyObject *dvalues;    /* their default values (tuple, same length) or NULL */
    PyObject *tnames;     /* trailing keyword names (tuple of interned str) or NULL */
    PyObject *reserved;   /* keyword names that send the call to Python (tuple of interned str) or NULL */
    PyObject *named_in;   /* a set or frozenset the tag is looked up in at each call, or NULL: `named` applies */
    PyObject *void_in;    /* the same for `void_` */
    PyObject *name;       /* __name__ */
    PyObject *qualname;   /* __qualname__ */
    PyObject *doc;        /* __doc__ */
    PyObject *module;     /* __module__ */
    PyObject *dict;       /* __dict__ (__signature__ and anything users set) */
    PyObject *weakreflist;
    char named;
    char void_;
} TagFn;

static PyTypeObject TagFnType;

/* Equality of two exact str objects (interned names compare by identity first). */
static inline int
str_eq(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (PyUnicode_GET_LENGTH(a) != PyUnicode_GET_LENGTH(b))
        return 0;
    return PyUnicode_Compare(a, b) == 0;
}

static inline int
is_prep(PyTypeObject *t)
{
    for (int i = 0; i < n_prep; i++)
        if (prep_types[i] == t)
            return 1;
    return 0;
}

/* Is `a` (an exact str) the interned name `t`? Interned strings are unique, so an interned `a` that is not `t`
 * differs from it (components' `_key_spec` interns the attribute names it caches). */
static inline int
is_name(PyObject *a, PyObject *t)
{
    if (a == t)
        return 1;
    if (PyUnicode_CHECK_INTERNED(a))
        return 0;
    return str_eq(a, t);
}

/* The rank of attribute name `a` (an exact str): i+1 when it is _TAIL[i], else 0. */
static inline long
tail_rank(PyObject *a)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    if (n != 2 && n != 5 && n != 7 && n != 9)  /* id; class, title, style; hx-vals; hx-target */
        return 0;
    for (int i = 0; i < N_TAIL; i++)
        if (is_name(a, s_tail[i]))
            return i + 1;
    return 0;
}

/* The index of keyword name `k` (an exact str) in `names` (a tuple of interned str, or NULL), or -1. */
static inline Py_ssize_t
name_index(PyObject *names, PyObject *k)
{
    if (names == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < n; i++)
        if (is_name(k, PyTuple_GET_ITEM(names, i)))
            return i;
    return -1;
}

/* The caller's value (borrowed) for keyword `k` (an interned str), or `dflt` when not given. */
static inline PyObject *
kw_value(PyObject *const *kwvals, PyObject *kwnames, PyObject *k, PyObject *dflt)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++)
        if (is_name(PyTuple_GET_ITEM(kwnames, i), k))
            return kwvals[i];
    return dflt;
}

/* One item `o` (a strong reference of the caller's) of a list/tuple/set value, as `collection_value` takes it in
 * `' '.join(str(o) for o in v if o is not None and o is not False)`: appended to `parts` as text or left out (0).
 * Only items whose str() is CPython's own C code are converted here; for any other item (a str subclass, a nested
 * list, an object with __str__, ...) str() could run Python code, so the Python code does the whole call (1).
 * -1 on error. */
static int
add_item(PyObject *parts, PyObject *o)
{
    if (o == Py_None || o == Py_False)
        return 0;
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyUnicode_Type)
        return PyList_Append(parts, o);
    if (t != &PyLong_Type && t != &PyFloat_Type && o != Py_True)
        return 1;
    PyObject *s = PyObject_Str(o);
    if (s == NULL) {  /* e.g. an int beyond the digit limit: the Python code raises that itself */
        PyErr_Clear();
        return 1;
    }
    int r = PyList_Append(parts, s);
    Py_DECREF(s);
    return r;
}

/* `valmap_x(v)` for a value that is neither None nor an exact str/bool/int/float. Returns 0 with *out a new reference,
 * or NULL when the attribute is left out (an empty collection); 1 when the Python code must do it (dicts: CSS or
 * JSON; collections holding other items); -1 on error. */
static int
map_value(PyObject *v, PyObject **out)
{
    PyTypeObject *t = Py_TYPE(v);
    int seq = t == &PyList_Type || t == &PyTuple_Type;
    *out = NULL;
    if (!seq && t != &PySet_Type && t != &PyFrozenSet_Type) {
        if (t == &PyDict_Type)
            return 1;
        *out = Py_NewRef(v);  /* any other type (subclasses too): collection_value returns it unchanged */
        return 0;
    }
    if ((seq ? Py_SIZE(v) : PySet_GET_SIZE(v)) == 0)
        return 0;
    if (seq) {  /* the common case, every item an exact str: joined as it is */
        Py_ssize_t n = PySequence_Fast_GET_SIZE(v), i = 0;
        PyObject **items = PySequence_Fast_ITEMS(v);
        while (i < n && Py_IS_TYPE(items[i], &PyUnicode_Type))
            i++;
        if (i == n) {
            *out = PyUnicode_Join(s_space, v);
            return *out == NULL ? -1 : 0;
        }
    }
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return -1;
    int r = 0;
    if (seq) {
        /* size and items read afresh, each item held while it is converted: only CPython's C code runs here, but an
         * allocation may start a garbage collection, and a finalizer could change a list */
        for (Py_ssize_t i = 0; r == 0 && i < PySequence_Fast_GET_SIZE(v); i++) {
            PyObject *o = Py_NewRef(PySequence_Fast_GET_ITEM(v, i));
            r = add_item(parts, o);
            Py_DECREF(o);
        }
    }
    else {  /* a set's own iterator: the order Python's iteration of the same object gives */
        PyObject *it = PyObject_GetIter(v), *o;
        if (it == NULL)
            r = -1;
        else {
            while (r == 0 && (o = PyIter_Next(it)) != NULL) {
                r = add_item(parts, o);
                Py_DECREF(o);
            }
            if (r == 0 && PyErr_Occurred()) {  /* changed size while iterated: the Python code's turn */
                PyErr_Clear();
                r = 1;
            }
            Py_DECREF(it);
        }
    }
    if (r == 0 && (*out = PyUnicode_Join(s_space, parts)) == NULL)
        r = -1;
    Py_DECREF(parts);
    return r;
}

/* The ranked attributes of a call, held aside until the end: the value by rank 1..N_TAIL, the last given winning.
 * Values are borrowed from the call's arguments or the TagFn's defaults, except joined collection values, which
 * `own` holds (set up at the first one, so calls without any pay nothing for it). */
typedef struct {
    PyObject *val[N_TAIL + 1];
    PyObject *own[N_TAIL + 1];
    int owned;
    int has_name;  /* a plain `name` attribute was added (so an `id` does not fill it) */
} Ranked;

static void
ranked_clear(Ranked *rk)
{
    if (rk->owned)
        for (int i = 0; i <= N_TAIL; i++)
            Py_CLEAR(rk->own[i]);
}

/* Add keyword `k` (an exact str) with value `v` as `_kw_attrs` would: a plain attribute to `attrs`, a ranked one to
 * `rk`. Returns 0 when done (added or left out), 1 when the call must take the Python path, -1 on error (exception
 * set). */
static int
add_kw(PyObject *attrs, Ranked *rk, PyObject *k, PyObject *v)
{
    if (v == Py_None)
        return 0;
    PyObject *spec = PyDict_GetItemWithError(keys_cache, k);
    if (spec != NULL)
        Py_INCREF(spec);
    else if (PyErr_Occurred())
        return -1;
    else {  /* a miss: as the Python code, compute the key (which fills the cache) */
        PyObject *fn = Py_NewRef(key_spec);  /* kept alive whatever the call does */
        spec = PyObject_CallOneArg(fn, k);
        Py_DECREF(fn);
        if (spec == NULL)
            return -1;
    }
    int res = 1;
    if (!PyTuple_CheckExact(spec) || PyTuple_GET_SIZE(spec) != 2)
        goto done;
    PyObject *a = PyTuple_GET_ITEM(spec, 0);
    PyObject *rank = PyTuple_GET_ITEM(spec, 1);
    if (!PyUnicode_CheckExact(a) || !PyLong_CheckExact(rank))
        goto done;
    int overflow;
    long r = PyLong_AsLongAndOverflow(rank, &overflow);
    if (overflow || (r == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        goto done;
    }
    if (tail_rank(a) != r)  /* the ranks are those of the _TAIL names (as in _RANK), else the Python code decides */
        goto done;
    if (r == 2 && str_eq(k, s_target_id))  /* target_id='x' -> hx-target='#x': the Python code does it */
        goto done;
    if (r == RANK_ID && v == Py_True)  /* id=True asks for a generated id: the Python code does it */
        goto done;
    if (r == 1 || r == 2) {  /* a falsy hx-vals or hx-target is left out (as FastHTML does): the Python code does it */
        int truth = PyObject_IsTrue(v);
        if (truth < 0) {
            res = -1;
            goto done;
        }
        if (!truth)
            goto done;
    }
    PyTypeObject *t = Py_TYPE(v);
    PyObject *val = NULL;  /* a new value made here (a joined collection), else `v` is stored as it is */
    if (t != &PyUnicode_Type && t != &PyBool_Type && t != &PyLong_Type && t != &PyFloat_Type) {
        if ((res = map_value(v, &val)) != 0 || val == NULL)
            goto done;  /* the Python path, an error, or left out (res 0) */
        if (val == v)  /* stored as given: `v` is the caller's */
            Py_CLEAR(val);
        else
            v = val;
    }
    if (r) {
        rk->val[r] = v;
        if (val != NULL && !rk->owned) {
            memset(rk->own, 0, sizeof(rk->own));
            rk->owned = 1;
        }
        if (rk->owned)  /* own the new value; release one it replaces */
            Py_XSETREF(rk->own[r], val);
        res = 0;
    }
    else {
        res = PyDict_SetItem(attrs, a, v);
        if (res == 0 && is_name(a, s_name))
            rk->has_name = 1;
        Py_XDECREF(val);
    }
done:
    Py_DECREF(spec);
    return res;
}

/* The attribute dict for the call, or NULL with *fallback set (no exception) when Python must handle the call.
 * `named`: whether an `id` also fills `name`.
 *
 * `_kw_attrs` keeps call order while the ranks never go down and no plain keyword follows a ranked one; otherwise it
 * moves the ranked attributes to the end in rank order. Either way the result is the plain attributes in call order
 * (a repeated name keeping its first place and its last value) followed by the ranked ones in rank order, which is
 * how it is built here, without moving anything. The keywords come in the order the Python function passes them to
 * `_build`: leading defaults, the caller's others in call order, then the trailing ones. */
HOT_INLINE PyObject *
make_attrs(TagFn *self, PyObject *const *kwvals, PyObject *kwnames, int named, int *fallback)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    Py_ssize_t nd = self->dnames ? PyTuple_GET_SIZE(self->dnames) : 0;
    Py_ssize_t nt = self->tnames ? PyTuple_GET_SIZE(self->tnames) : 0;
    PyObject *attrs = PyDict_New();
    if (attrs == NULL)
        return NULL;
    if (nkw == 0 && nd == 0)
        return attrs;
    Ranked rk;  /* (`own` is set up at its first use) */
    memset(rk.val, 0, sizeof(rk.val));
    rk.owned = 0;
    rk.has_name = 0;
    int r = 0, placed = (nd | nt) != 0;
    for (Py_ssize_t j = 0; j < nd; j++) {
        PyObject *k = PyTuple_GET_ITEM(self->dnames, j);
        if ((r = add_kw(attrs, &rk, k, kw_value(kwvals, kwnames, k, PyTuple_GET_ITEM(self->dvalues, j)))) != 0)
            goto done;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (!PyUnicode_CheckExact(k)) {
            r = 1;
            goto done;
        }
        if (placed && (name_index(self->dnames, k) >= 0 || name_index(self->tnames, k) >= 0))
            continue;  /* leading and trailing keywords have their own place */
        if ((r = add_kw(attrs, &rk, k, kwvals[i])) != 0)
            goto done;
    }
    for (Py_ssize_t j = 0; j < nt; j++) {
        PyObject *k = PyTuple_GET_ITEM(self->tnames, j);
        PyObject *v = kw_value(kwvals, kwnames, k, NULL);
        if (v != NULL && (r = add_kw(attrs, &rk, k, v)) != 0)
            goto done;
    }
    r = -1;
    for (int i = 1; i <= N_TAIL; i++)
        if (rk.val[i] != NULL && PyDict_SetItem(attrs, s_tail[i - 1], rk.val[i]) < 0)
            goto done;
    if (named && rk.val[RANK_ID] != NULL && !rk.has_name) {  /* a true `id` also fills `name` unless one is given */
        int t = PyObject_IsTrue(rk.val[RANK_ID]);
        if (t < 0 || (t > 0 && PyDict_SetItem(attrs, s_name, rk.val[RANK_ID]) < 0))
            goto done;
    }
    r = 0;
done:
    ranked_clear(&rk);
    if (r == 0)
        return attrs;
    Py_DECREF(attrs);
    if (r > 0)
        *fallback = 1;
    return NULL;
}

/* An FT node with these fields; `children` and `attrs` are stolen. */
HOT_INLINE PyObject *
make_node(PyObject *tag, PyObject *children, PyObject *attrs, int void_)
{
    PyObject *o = ft_type->tp_new(ft_type, empty_tuple, NULL);
    if (o == NULL) {
        Py_DECREF(children);
        Py_DECREF(attrs);
        return NULL;
    }
    PyObject **p;
    p = (PyObject **)((char *)o + off_tag);
    Py_XSETREF(*p, Py_NewRef(tag));
    p = (PyObject **)((char *)o + off_children);
    Py_XSETREF(*p, children);
    p = (PyObject **)((char *)o + off_attrs);
    Py_XSETREF(*p, attrs);
    if (void_ && PyObject_GenericSetAttr(o, s_void, Py_True) < 0) {
        Py_DECREF(o);
        return NULL;
    }
    return o;
}

/* The node for a call the C code builds: children `args[0:nargs]`, `attrs` stolen. */
HOT_INLINE PyObject *
new_node(PyObject *tag, PyObject *const *args, Py_ssize_t nargs, PyObject *attrs, int void_)
{
    PyObject *children = PyTuple_New(nargs);
    if (children == NULL) {
        Py_DECREF(attrs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(children, i, Py_NewRef(args[i]));
    return make_node(tag, children, attrs, void_);
}

/* A call of a tag function with a fixed tag, named and void flags, and no reserved names (Div, Td, xtend.A, ...). */
static PyObject *
tagfn_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    TagFn *self = (TagFn *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (!ready || cfg_set)
        goto python;
    for (Py_ssize_t i = 0; i < nargs; i++)
        if (is_prep(Py_TYPE(args[i])))
            goto python;
    int fallback = 0;
    PyObject *attrs = make_attrs(self, args + nargs, kwnames, self->named, &fallback);
    if (attrs == NULL) {
        if (fallback)
            goto python;
        return NULL;
    }
    return new_node(self->tag, args, nargs, attrs, self->void_);
python:
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

/* Any other call: the tag from the first positional argument (ft_hx, ft_html), reserved names, `named`/`void` sets. */
static PyObject *
tagfn_vectorcall_general(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    TagFn *self = (TagFn *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (!ready || cfg_set)
        goto python;
    PyObject *tag = self->tag;
    Py_ssize_t first = 0;
    if (tag == NULL) {  /* the tag is the first positional argument, used as given */
        if (nargs == 0 || !PyUnicode_CheckExact(args[0]))
            goto python;
        tag = args[0];
        first = 1;
    }
    for (Py_ssize_t i = first; i < nargs; i++)
        if (is_prep(Py_TYPE(args[i])))
            goto python;
    /* Whether the keyword dict the Python function passes to `_build` is empty: it holds the leading defaults, the
     * caller's other keywords (even None ones) and the trailing ones that are not None. */
    int has_kw = self->dnames != NULL;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (!PyUnicode_CheckExact(k) || name_index(self->reserved, k) >= 0)
            goto python;
        if (!has_kw && (args[nargs + i] != Py_None || name_index(self->tnames, k) < 0))
            has_kw = 1;
    }
    int named = self->named;
    if (self->named_in != NULL && has_kw) {  /* `_kw_attrs(kw, tag in named) if kw else {}`: looked up first */
        named = PySet_Contains(self->named_in, tag);
        if (named < 0)
            return NULL;
    }
    int fallback = 0;
    PyObject *attrs = make_attrs(self, args + nargs, kwnames, named, &fallback);
    if (attrs == NULL) {
        if (fallback)
            goto python;
        return NULL;
    }
    int void_ = self->void_;
    if (self->void_in != NULL && !void_ && (void_ = PySet_Contains(self->void_in, tag)) < 0) {  /* `tag in VOIDS` */
        Py_DECREF(attrs);
        return NULL;
    }
    return new_node(tag, args + first, nargs - first, attrs, void_);
python:
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

/* `names` (a tuple of str) as a tuple of interned exact str in *out (NULL when empty); -1 with an exception if it
 * holds anything else. */
static int
intern_names(PyObject *names, PyObject **out)
{
    Py_ssize_t n = names ? PyTuple_GET_SIZE(names) : 0;
    *out = NULL;
    if (n == 0)
        return 0;
    PyObject *t = PyTuple_New(n);
    if (t == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *k = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(k)) {
            Py_DECREF(t);
            PyErr_SetString(PyExc_TypeError, "TagFn: keyword names must be str");
            return -1;
        }
        k = PyUnicode_FromObject(k);  /* an exact str */
        if (k == NULL) {
            Py_DECREF(t);
            return -1;
        }
        PyUnicode_InternInPlace(&k);
        PyTuple_SET_ITEM(t, i, k);
    }
    *out = t;
    return 0;
}

/* `named`/`void`: a set or frozenset (the tag looked up in it at each call) in *set, else a flag in *flag. */
static int
flag_or_set(PyObject *o, char *flag, PyObject **set)
{
    *flag = 0;
    *set = NULL;
    if (PyAnySet_CheckExact(o)) {
        *set = Py_NewRef(o);
        return 0;
    }
    int t = PyObject_IsTrue(o);
    if (t < 0)
        return -1;
    *flag = (char)t;
    return 0;
}

static PyObject *
tagfn_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"tag", "named", "void", "fallback", "defaults", "trailing", "reserved", NULL};
    PyObject *tag, *named, *void_, *fallback, *defaults = NULL, *trailing = NULL, *reserved = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO|O!O!O!:TagFn", kwlist, &tag, &named, &void_, &fallback,
                                     &PyTuple_Type, &defaults, &PyTuple_Type, &trailing, &PyTuple_Type, &reserved))
        return NULL;
    if (tag != Py_None && !PyUnicode_CheckExact(tag)) {
        PyErr_SetString(PyExc_TypeError, "TagFn: tag must be a str or None");
        return NULL;
    }
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "TagFn: fallback must be callable");
        return NULL;
    }
    Py_ssize_t nd = defaults ? PyTuple_GET_SIZE(defaults) : 0;
    PyObject *dnames = NULL, *dvalues = NULL, *tnames = NULL, *rnames = NULL, *named_in = NULL, *void_in = NULL;
    char named_flag, void_flag;
    if (nd) {
        dnames = PyTuple_New(nd);
        dvalues = PyTuple_New(nd);
        if (dnames == NULL || dvalues == NULL)
            goto error;
        for (Py_ssize_t i = 0; i < nd; i++) {
            PyObject *pair = PyTuple_GET_ITEM(defaults, i);
            if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2
                || !PyUnicode_CheckExact(PyTuple_GET_ITEM(pair, 0))) {
                PyErr_SetString(PyExc_TypeError, "TagFn: defaults must be (str, value) pairs");
                goto error;
            }
            PyObject *k = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
            PyUnicode_InternInPlace(&k);
            PyTuple_SET_ITEM(dnames, i, k);
            PyTuple_SET_ITEM(dvalues, i, Py_NewRef(PyTuple_GET_ITEM(pair, 1)));
        }
    }
    if (intern_names(trailing, &tnames) < 0 || intern_names(reserved, &rnames) < 0
        || flag_or_set(named, &named_flag, &named_in) < 0 || flag_or_set(void_, &void_flag, &void_in) < 0)
        goto error;
    TagFn *self = (TagFn *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto error;
    self->vectorcall = tag == Py_None || named_in || void_in || rnames ? tagfn_vectorcall_general : tagfn_vectorcall;
    self->tag = tag == Py_None ? NULL : Py_NewRef(tag);
    self->fallback = Py_NewRef(fallback);
    self->dnames = dnames;
    self->dvalues = dvalues;
    self->tnames = tnames;
    self->reserved = rnames;
    self->named_in = named_in;
    self->void_in = void_in;
    self->named = named_flag;
    self->void_ = void_flag;
    /* Look like the function it accelerates. */
    PyObject *v = PyObject_GetAttrString(fallback, "__name__");
    if (v != NULL && !PyUnicode_Check(v))
        Py_CLEAR(v);
    PyErr_Clear();
    self->name = v ? v : Py_NewRef(tag == Py_None ? s_anon : tag);  /* (a fallback without a name) */
    v = PyObject_GetAttrString(fallback, "__qualname__");
    if (v != NULL && !PyUnicode_Check(v))
        Py_CLEAR(v);
    PyErr_Clear();
    self->qualname = v ? v : Py_NewRef(self->name);
    self->doc = PyObject_GetAttrString(fallback, "__doc__");
    if (self->doc == NULL) {
        PyErr_Clear();
        self->doc = Py_NewRef(Py_None);
    }
    self->module = PyObject_GetAttrString(fallback, "__module__");
    if (self->module == NULL) {
        PyErr_Clear();
        self->module = Py_NewRef(Py_None);
    }
    return (PyObject *)self;
error:
    Py_XDECREF(dnames);
    Py_XDECREF(dvalues);
    Py_XDECREF(tnames);
    Py_XDECREF(rnames);
    Py_XDECREF(named_in);
    Py_XDECREF(void_in);
    return NULL;
}

static int
tagfn_traverse(TagFn *self, visitproc visit, void *arg)
{
    Py_VISIT(self->tag);
    Py_VISIT(self->fallback);
    Py_VISIT(self->dnames);
    Py_VISIT(self->dvalues);
    Py_VISIT(self->tnames);
    Py_VISIT(self->reserved);
    Py_VISIT(self->named_in);
    Py_VISIT(self->void_in);
    Py_VISIT(self->name);
    Py_VISIT(self->qualname);
    Py_VISIT(self->doc);
    Py_VISIT(self->module);
    Py_VISIT(self->dict);
    return 0;
}

static int
tagfn_clear(TagFn *self)
{
    Py_CLEAR(self->tag);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->dnames);
    Py_CLEAR(self->dvalues);
    Py_CLEAR(self->tnames);
    Py_CLEAR(self->reserved);
    Py_CLEAR(self->named_in);
    Py_CLEAR(self->void_in);
    Py_CLEAR(self->name);
    Py_CLEAR(self->qualname);
    Py_CLEAR(self->doc);
    Py_CLEAR(self->module);
    Py_CLEAR(self->dict);
    return 0;
}

static void
tagfn_dealloc(TagFn *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    tagfn_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
tagfn_repr(TagFn *self)
{
    return PyUnicode_FromFormat("<function %U at %p>", self->qualname, self);
}

/* Bound like a function when stored on a class. */
static PyObject *
tagfn_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    (void)type;
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

/* Pickled by reference, like a function: `module.qualname`. */
static PyObject *
tagfn_reduce(TagFn *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->qualname);
}

static PyObject *
get_str_attr(TagFn *self, void *closure)
{
    return Py_NewRef(closure ? self->qualname : self->name);
}

static int
set_str_attr(TagFn *self, PyObject *value, void *closure)
{
    const char *what = closure ? "__qualname__" : "__name__";
    if (value == NULL || !PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be set to a string object", what);
        return -1;
    }
    if (closure)
        Py_XSETREF(self->qualname, Py_NewRef(value));
    else
        Py_XSETREF(self->name, Py_NewRef(value));
    return 0;
}

/* Function attributes inspect and typing read (`__code__`, `__defaults__`, ...): those of the Python twin. */
static PyObject *
get_fallback_attr(TagFn *self, void *closure)
{
    return PyObject_GetAttrString(self->fallback, (const char *)closure);
}

static PyGetSetDef tagfn_getset[] = {
    {"__name__", (getter)get_str_attr, (setter)set_str_attr, NULL, NULL},
    {"__qualname__", (getter)get_str_attr, (setter)set_str_attr, NULL, (void *)1},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"__code__", (getter)get_fallback_attr, NULL, NULL, "__code__"},
    {"__defaults__", (getter)get_fallback_attr, NULL, NULL, "__defaults__"},
    {"__kwdefaults__", (getter)get_fallback_attr, NULL, NULL, "__kwdefaults__"},
    {"__annotations__", (getter)get_fallback_attr, NULL, NULL, "__annotations__"},
    {"__globals__", (getter)get_fallback_attr, NULL, NULL, "__globals__"},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef tagfn_members[] = {
    {"__doc__", T_OBJECT, offsetof(TagFn, doc), 0, NULL},
    {"__module__", T_OBJECT, offsetof(TagFn, module), 0, NULL},
    {"_pure", T_OBJECT, offsetof(TagFn, fallback), READONLY, "The pure-Python function this one accelerates."},
    {"_tag", T_OBJECT, offsetof(TagFn, tag), READONLY, "The element's tag (None: the first positional argument)."},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef tagfn_methods[] = {
    {"__reduce__", (PyCFunction)tagfn_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TagFnType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fasthtml._cbuild.TagFn",
    .tp_doc = PyDoc_STR("TagFn(tag, named, void, fallback, defaults=(), trailing=(), reserved=())\n--\n\n"
                        "A tag function built in C; any call it does not handle goes to `fallback`. `tag` None: "
                        "the tag is the first positional argument. `named`/`void`: flags, or sets the tag is "
                        "looked up in at each call. `defaults`: leading (name, value) keyword defaults; "
                        "`trailing`: keyword names passed after the others; `reserved`: names that always go to "
                        "`fallback`."),
    .tp_basicsize = sizeof(TagFn),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_new = tagfn_new,
    .tp_dealloc = (destructor)tagfn_dealloc,
    .tp_traverse = (traverseproc)tagfn_traverse,
    .tp_clear = (inquiry)tagfn_clear,
    .tp_repr = (reprfunc)tagfn_repr,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(TagFn, vectorcall),
    .tp_descr_get = tagfn_descr_get,
    .tp_dictoffset = offsetof(TagFn, dict),
    .tp_weaklistoffset = offsetof(TagFn, weakreflist),
    .tp_getset = tagfn_getset,
    .tp_members = tagfn_members,
    .tp_methods = tagfn_methods,
};

/* ------------------------------------------------------------------------------------------------------------- */
/* Module functions */

/* The offset of slot `name` in instances of `cls`, from its member descriptor (-1 with an exception if unusable). */
static Py_ssize_t
slot_offset(PyTypeObject *cls, const char *name)
{
    PyObject *d = PyObject_GetAttrString((PyObject *)cls, name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type) || ((PyDescrObject *)d)->d_type != cls) {
        if (d == NULL && !PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
        Py_XDECREF(d);
        PyErr_Format(PyExc_TypeError, "init: %s.%s is not a slot of that class", cls->tp_name, name);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    Py_ssize_t off = m->offset;
    int ok = m->type == Py_T_OBJECT_EX && !(m->flags & READONLY);
    Py_DECREF(d);  /* the class keeps the descriptor (and its PyMemberDef) alive */
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "init: %s.%s is not a writable object slot", cls->tp_name, name);
        return -1;
    }
    return off;
}

static void
clear_state(void)
{
    ready = 0;
    Py_CLEAR(ft_type);
    Py_CLEAR(keys_cache);
    Py_CLEAR(key_spec);
    for (int i = 0; i < n_prep; i++)
        Py_CLEAR(prep_types[i]);
    n_prep = 0;
}

PyDoc_STRVAR(init_doc, "init(ft_cls, keys, key_spec, prep)\n--\n\n"
             "Share components' node class `FT`, its `_KEYS` cache, `_key_spec` (called on a cache miss) and its "
             "`_PREP` child types; resets the fh_cfg flag.");

static PyObject *
cbuild_init(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *cls, *keys, *spec, *prep;
    if (!PyArg_ParseTuple(args, "O!O!OO:init", &PyType_Type, &cls, &PyDict_Type, &keys, &spec, &prep))
        return NULL;
    if (!PyCallable_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "init: key_spec must be callable");
        return NULL;
    }
    PyTypeObject *t = (PyTypeObject *)cls;
    if (t->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "init: the node class must be created by object.__new__");
        return NULL;
    }
    Py_ssize_t o1, o2, o3;
    if ((o1 = slot_offset(t, "tag")) < 0 || (o2 = slot_offset(t, "children")) < 0
        || (o3 = slot_offset(t, "attrs")) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(prep, "init: prep must be iterable");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MAX_PREP) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "init: too many prep types");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyType_Check(PySequence_Fast_ITEMS(seq)[i])) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "init: prep must hold types");
            return NULL;
        }
    }
    clear_state();
    for (Py_ssize_t i = 0; i < n; i++)
        prep_types[i] = (PyTypeObject *)Py_NewRef(PySequence_Fast_ITEMS(seq)[i]);
    n_prep = (int)n;
    Py_DECREF(seq);
    ft_type = (PyTypeObject *)Py_NewRef(cls);
    keys_cache = Py_NewRef(keys);
    key_spec = Py_NewRef(spec);
    off_tag = o1;
    off_children = o2;
    off_attrs = o3;
    cfg_set = 0;
    ready = 1;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(set_cfg_doc, "set_cfg(flag)\n--\n\n"
             "Tell the tag functions whether fh_cfg differs from its defaults (then every call takes the Python "
             "path).");

static PyObject *
cbuild_set_cfg(PyObject *module, PyObject *flag)
{
    (void)module;
    int f = PyObject_IsTrue(flag);
    if (f < 0)
        return NULL;
    cfg_set = f;
    Py_RETURN_NONE;
}

static PyMethodDef cbuild_methods[] = {
    {"init", cbuild_init, METH_VARARGS, init_doc},
    {"set_cfg", cbuild_set_cfg, METH_O, set_cfg_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cbuild_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fasthtml._cbuild",
    .m_doc = "Element construction in C: the accelerated twin of fasthtml.components' tag functions.",
    .m_size = -1,
    .m_methods = cbuild_methods,
};

static PyObject *
intern(const char *s)
{
    return PyUnicode_InternFromString(s);
}

PyMODINIT_FUNC
PyInit__cbuild(void)
{
    if (empty_tuple == NULL) {
        if ((empty_tuple = PyTuple_New(0)) == NULL || (s_target_id = intern("target_id")) == NULL
            || (s_name = intern("name")) == NULL
            || (s_void = intern("void_")) == NULL || (s_space = intern(" ")) == NULL
            || (s_anon = intern("TagFn")) == NULL)
            return NULL;
        for (int i = 0; i < N_TAIL; i++)
            if ((s_tail[i] = intern(tail_names[i])) == NULL)
                return NULL;
    }
    if (PyType_Ready(&TagFnType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&cbuild_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TagFnType);
    if (PyModule_AddObject(m, "TagFn", (PyObject *)&TagFnType) < 0) {
        Py_DECREF(&TagFnType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
