/* fasthtml._crows: database rows in C, the accelerated twin of the generated functions in fasthtml/_rows.py.
 *
 * `dicts(names, rows, skip)` gives `[dict(zip(names, r[skip:])) for r in rows]` and `objects(cls, names, rows, skip)`
 * the same dicts as the `__dict__` of instances of `cls` made without calling `__init__`, as the Python code does
 * (`o = object.__new__(cls); o.__dict__ = {...}`). They take the call only when it is plain: every name an exact str,
 * `rows` an exact list of exact tuples each `skip + len(names)` long, `skip` an exact int >= 0 (and for `objects` a
 * class whose instances `object.__new__` makes with nothing of its own; see `plain_class`). Anything else returns
 * NotImplemented and fasthtml._rows runs the Python code for the call, so its results and exceptions are the Python
 * code's by construction. Arguments of the wrong type (names not a tuple, cls not a type) raise TypeError.
 *
 * The dicts are the ones a dict display `{n0: c0, n1: c1, ...}` builds: keys in first-appearance order, the last value
 * of a repeated name kept (instances of a class that keeps its attributes in the instance, 3.11+, are filled one
 * attribute at a time instead: the same attributes in the same order, the dict made only if asked for). With more
 * than SMALL_DICT names, each row after the first starts as a copy of the previous row's dict (its keys table comes
 * presized and in order, the values are then replaced in place), which is quicker than growing an empty dict; up to
 * SMALL_DICT, an empty dict's first table holds them all and inserting is quicker.
 *
 * `set_fields(obj, flds, skip, plain)` reads a record for an insert: the fields set on a table_dataclass row holding
 * plain values, as two tuples (see the function).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define SMALL_DICT 5             /* the names an empty dict takes without growing its table */

static PyObject *s_dict = NULL;  /* "__dict__" (interned) */
static PyObject *s_empty = NULL; /* () */

/* 1 when the call is plain (see above), 0 to leave it to the Python code, -1 on error. Sets *skip. */
static int
plain_call(PyObject *names, PyObject *rows, PyObject *skipobj, Py_ssize_t *skip)
{
    Py_ssize_t k = PyTuple_GET_SIZE(names);
    for (Py_ssize_t j = 0; j < k; j++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(names, j)))
            return 0;
    if (!PyLong_CheckExact(skipobj) || !PyList_CheckExact(rows))
        return 0;
    int overflow = 0;
    long long s = PyLong_AsLongLongAndOverflow(skipobj, &overflow);
    if (s == -1 && PyErr_Occurred())
        return -1;
    /* The Python code cannot make a function for zero columns (nor a negative skip): its error, not ours. */
    if (overflow || s < 0 || s > PY_SSIZE_T_MAX - k || s + k == 0)
        return 0;
    *skip = (Py_ssize_t)s;
    Py_ssize_t width = *skip + k, n = PyList_GET_SIZE(rows);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyList_GET_ITEM(rows, i);
        if (!PyTuple_CheckExact(r) || PyTuple_GET_SIZE(r) != width)
            return 0;
    }
    return 1;
}

/* Row `i` of `rows` (a new reference), checked again: a finalizer run by a garbage collection during the loop (which
 * an allocation can start on 3.11) could have changed the list since plain_call looked at it. Such a change raises
 * RuntimeError, as changing a dict while iterating over it does; the Python code would read the changed list. */
static PyObject *
row_at(PyObject *rows, Py_ssize_t i, Py_ssize_t width)
{
    if (i < PyList_GET_SIZE(rows)) {
        PyObject *r = PyList_GET_ITEM(rows, i);
        if (PyTuple_CheckExact(r) && PyTuple_GET_SIZE(r) == width) {
            Py_INCREF(r);
            return r;
        }
    }
    PyErr_SetString(PyExc_RuntimeError, "the rows list changed while its rows were being built");
    return NULL;
}

/* The dict of one row: `names[j]` -> `row[skip + j]`; for many names a copy of `proto` (the previous row's dict, or
 * NULL for the first row) filled with this row's values. */
static PyObject *
row_dict(PyObject *names, PyObject *row, Py_ssize_t skip, PyObject *proto)
{
    Py_ssize_t k = PyTuple_GET_SIZE(names);
    /* (A copy of a tracked dict is tracked; the display's dict is tracked only when a value is a container.) */
    int copy = k > SMALL_DICT && proto != NULL && !PyObject_GC_IsTracked(proto);
    PyObject *d = copy ? PyDict_Copy(proto) : PyDict_New();
    if (d == NULL)
        return NULL;
    for (Py_ssize_t j = 0; j < k; j++) {
        if (PyDict_SetItem(d, PyTuple_GET_ITEM(names, j), PyTuple_GET_ITEM(row, skip + j)) < 0) {
            Py_DECREF(d);
            return NULL;
        }
    }
    return d;
}

static int
check_nargs(const char *fn, Py_ssize_t nargs, Py_ssize_t want)
{
    if (nargs == want)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", fn, want, nargs);
    return -1;
}

static int
check_names(const char *fn, PyObject *names)
{
    if (PyTuple_Check(names))
        return 0;
    PyErr_Format(PyExc_TypeError, "%s(): names must be a tuple of str, not %.200s", fn, Py_TYPE(names)->tp_name);
    return -1;
}

static PyObject *
dicts(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("dicts", nargs, 3) < 0 || check_names("dicts", args[0]) < 0)
        return NULL;
    PyObject *names = args[0], *rows = args[1];
    Py_ssize_t skip = 0;
    int plain = plain_call(names, rows, args[2], &skip);
    if (plain <= 0)
        return plain < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    Py_ssize_t n = PyList_GET_SIZE(rows), width = skip + PyTuple_GET_SIZE(names);
    PyObject *out = PyList_New(n), *prev = NULL;
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = row_at(rows, i, width);
        if (r == NULL)
            goto fail;
        PyObject *d = row_dict(names, r, skip, prev);
        Py_DECREF(r);
        if (d == NULL)
            goto fail;
        PyList_SET_ITEM(out, i, d);  /* (out keeps d alive as prev) */
        prev = d;
    }
    return out;
fail:
    Py_DECREF(out);  /* frees the dicts made so far (the slots not reached are NULL) */
    return NULL;
}

/* Whether `object.__new__(t)` followed by `o.__dict__ = d` does exactly what `t->tp_alloc` and PyObject_SetAttr do:
 * `t` takes object's __new__ and the generic allocator (a class statement's class), is not abstract (object.__new__
 * refuses those) and is not variable-sized. A class with its own __setattr__ (a frozen dataclass) is left to the
 * Python code too, so no code of the caller's runs in the loop; the `__dict__` is still set through PyObject_SetAttr,
 * exactly as the Python code's assignment sets it.
 *
 * Why tp_alloc and not object.__new__ when a dict is assigned: on 3.11 and 3.12 object_new also sets up the
 * instance's inline attribute values, which the `__dict__` assignment then turns into a dict only to drop it; an
 * instance that has neither (all zero from the allocator) gets the assigned dict as its dict on every version, the
 * state object_new + assignment leaves. On 3.13+ the allocator itself sets up inline values and object_new adds
 * nothing but its argument checks. Where the class allows it (`fills_inline`), `objects` uses object.__new__ and sets
 * the attributes one by one instead, into those inline values, and no dict is made. */
static int
plain_class(PyTypeObject *t)
{
    return t->tp_new == PyBaseObject_Type.tp_new && t->tp_alloc == PyType_GenericAlloc && t->tp_itemsize == 0
        && t->tp_setattro == PyObject_GenericSetAttr && !(t->tp_flags & Py_TPFLAGS_IS_ABSTRACT);
}

/* 1 when a plain class's instances can be filled attribute by attribute instead of being given a dict: they keep
 * their attributes in the instance itself (a managed dict, 3.11+), and no name is a data descriptor of the class
 * (`__dict__`, `__class__`, a property, a slot), which an assignment would run where a dict entry does not. Such an
 * instance holds what the assigned dict would hold, in the same order (each instance records the order its attributes
 * were first set; a repeated name keeps its first place and its last value, as a dict display does), and makes that
 * dict only if `__dict__` is asked for, which saves a dict per row. */
static int
fills_inline(PyTypeObject *t, PyObject *names)
{
#ifdef Py_TPFLAGS_MANAGED_DICT
    if (!(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
        return 0;
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(names); j++) {
        PyObject *a = _PyType_Lookup(t, PyTuple_GET_ITEM(names, j));  /* (borrowed; no error on a miss) */
        if (a != NULL && Py_TYPE(a)->tp_descr_set != NULL)
            return 0;
    }
    return 1;
#else
    (void)t;
    (void)names;
    return 0;
#endif
}

static PyObject *
objects(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("objects", nargs, 4) < 0)
        return NULL;
    PyObject *cls = args[0], *names = args[1], *rows = args[2];
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_TypeError, "objects(): cls must be a class, not %.200s", Py_TYPE(cls)->tp_name);
        return NULL;
    }
    if (check_names("objects", names) < 0)
        return NULL;
    PyTypeObject *t = (PyTypeObject *)cls;
    Py_ssize_t skip = 0;
    int plain = plain_call(names, rows, args[3], &skip);
    if (plain <= 0 || !plain_class(t))
        return plain < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    Py_ssize_t n = PyList_GET_SIZE(rows), width = skip + PyTuple_GET_SIZE(names);
    PyObject *out = PyList_New(n), *prev = NULL;
    if (out == NULL)
        return NULL;
    Py_INCREF(cls);  /* (kept for the loop: a collection could run code that rebinds every other reference) */
    int inl = fills_inline(t, names);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = row_at(rows, i, width);
        if (r == NULL)
            goto fail;
        if (inl) {
            PyObject *o = PyBaseObject_Type.tp_new(t, s_empty, NULL);  /* object.__new__(cls): inline values */
            if (o == NULL) {
                Py_DECREF(r);
                goto fail;
            }
            PyList_SET_ITEM(out, i, o);
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(names); j++)
                if (PyObject_GenericSetAttr(o, PyTuple_GET_ITEM(names, j), PyTuple_GET_ITEM(r, skip + j)) < 0) {
                    Py_DECREF(r);
                    goto fail;
                }
            Py_DECREF(r);
            continue;
        }
        PyObject *o = t->tp_alloc(t, 0);
        if (o == NULL) {
            Py_DECREF(r);
            goto fail;
        }
        PyList_SET_ITEM(out, i, o);
        PyObject *d = row_dict(names, r, skip, prev);
        Py_DECREF(r);
        if (d == NULL)
            goto fail;
        Py_XSETREF(prev, d);  /* (our own reference: a class's __setattr__ need not keep the dict) */
        if (PyObject_SetAttr(o, s_dict, d) < 0)
            goto fail;
    }
    Py_XDECREF(prev);
    Py_DECREF(cls);
    return out;
fail:
    Py_XDECREF(prev);
    Py_DECREF(out);
    Py_DECREF(cls);
    return NULL;
}

/* set_fields(obj, flds, skip, plain): the names and values of the fields set on `obj`, as two tuples, when its
 * `__dict__` is an exact dict whose keys are exactly the exact strs `flds` (a tuple) in that order and each value is
 * either one of the objects in the tuple `skip` (left out) or of exactly one of the types in the tuple `plain`; None
 * for any other object, or when no field is set. No Python code runs, so the dict cannot change while it is read. */
static PyObject *
set_fields(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("set_fields", nargs, 4) < 0)
        return NULL;
    PyObject *flds = args[1], *skip = args[2], *plain = args[3];
    if (!PyTuple_Check(flds) || !PyTuple_Check(skip) || !PyTuple_Check(plain)) {
        PyErr_SetString(PyExc_TypeError, "set_fields(): flds, skip and plain must be tuples");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(flds), ns = PyTuple_GET_SIZE(skip), np = PyTuple_GET_SIZE(plain);
    PyObject *d = PyObject_GetAttr(args[0], s_dict);
    if (d == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return NULL;
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    PyObject *keys = NULL, *vals = NULL;
    if (!PyDict_CheckExact(d) || PyDict_GET_SIZE(d) != n || n == 0)
        goto none;
    /* (allocated before the dict is read: an allocation can run a collection, whose finalizers could change it) */
    keys = PyTuple_New(n);
    vals = keys ? PyTuple_New(n) : NULL;
    if (vals == NULL)
        goto fail;
    if (PyDict_GET_SIZE(d) != n)
        goto none;
    Py_ssize_t pos = 0, i = 0, m = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        PyObject *f = PyTuple_GET_ITEM(flds, i++);
        if (!PyUnicode_CheckExact(k) || !PyUnicode_CheckExact(f) || (k != f && PyUnicode_Compare(k, f) != 0))
            goto none;
        int skipped = 0, ok = 0;
        for (Py_ssize_t j = 0; j < ns && !skipped; j++)
            skipped = v == PyTuple_GET_ITEM(skip, j);
        if (skipped)
            continue;
        for (Py_ssize_t j = 0; j < np && !ok; j++)
            ok = (PyObject *)Py_TYPE(v) == PyTuple_GET_ITEM(plain, j);
        if (!ok)
            goto none;
        PyTuple_SET_ITEM(keys, m, Py_NewRef(k));
        PyTuple_SET_ITEM(vals, m, Py_NewRef(v));
        m++;
    }
    if (m == 0)
        goto none;
    if (m < n && (_PyTuple_Resize(&keys, m) < 0 || _PyTuple_Resize(&vals, m) < 0))
        goto fail;
    Py_DECREF(d);
    PyObject *out = PyTuple_Pack(2, keys, vals);
    Py_DECREF(keys);
    Py_DECREF(vals);
    return out;
none:
    Py_DECREF(d);
    Py_XDECREF(keys);
    Py_XDECREF(vals);
    Py_RETURN_NONE;
fail:
    Py_DECREF(d);
    Py_XDECREF(keys);
    Py_XDECREF(vals);
    return NULL;
}

static PyMethodDef methods[] = {
    {"dicts", (PyCFunction)(void (*)(void))dicts, METH_FASTCALL,
     "dicts(names: tuple[str, ...], rows: list, skip: int) -> list[dict]: [dict(zip(names, r[skip:])) for r in rows] "
     "for a plain call (see the module doc); NotImplemented otherwise."},
    {"objects", (PyCFunction)(void (*)(void))objects, METH_FASTCALL,
     "objects(cls: type, names, rows, skip) -> list: instances of cls, made without calling __init__, whose __dict__ "
     "is each row's dict (as dicts()); NotImplemented when the call is not plain."},
    {"set_fields", (PyCFunction)(void (*)(void))set_fields, METH_FASTCALL,
     "set_fields(obj, flds: tuple[str, ...], skip: tuple, plain: tuple[type, ...]) -> tuple[tuple, tuple] | None: "
     "the names and values of the fields set on obj (values in skip left out) when its __dict__ holds exactly flds, "
     "in order, with values of the plain types only; None otherwise."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fasthtml._crows",
    .m_doc = "Database rows in C: the accelerated twin of fasthtml._rows' generated row functions.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__crows(void)
{
    if (s_dict == NULL && (s_dict = PyUnicode_InternFromString("__dict__")) == NULL)
        return NULL;
    if (s_empty == NULL && (s_empty = PyTuple_New(0)) == NULL)
        return NULL;
    return PyModule_Create(&module);
}
