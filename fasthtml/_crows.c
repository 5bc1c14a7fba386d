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
 * plain values, as two tuples (see the function). `lane_insert(tbl, lane, record)` is the usual case of the insert lane
 * of fasthtml/_sqlite.py (`Table._lane_insert`, its reference): the checks, the statement and the object it returns,
 * in one call that takes the table's connection itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define SMALL_DICT 5             /* the names an empty dict takes without growing its table */

static PyObject *s_dict = NULL;  /* "__dict__" (interned) */
static PyObject *s_empty = NULL; /* () */
static PyObject *zero = NULL, *one = NULL;

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

/* `names` (exact strs) as a new tuple of the interned strs equal to them. The rows' keys and attribute names are then
 * the interned names the class's and the caller's code use: a lookup compares them by identity, where an equal but
 * distinct str is compared character by character each time (and the type attribute cache takes interned names only,
 * so each attribute set on an object would walk the class's MRO). Column names come from the driver as new strs. */
static PyObject *
interned(PyObject *names)
{
    Py_ssize_t k = PyTuple_GET_SIZE(names);
    PyObject *out = PyTuple_New(k);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *s = Py_NewRef(PyTuple_GET_ITEM(names, j));
        PyUnicode_InternInPlace(&s);
        PyTuple_SET_ITEM(out, j, s);
    }
    return out;
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
    if ((names = interned(names)) == NULL)
        return NULL;
    PyObject *out = PyList_New(n), *prev = NULL;
    if (out == NULL)
        goto fail;
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
    Py_DECREF(names);
    return out;
fail:
    Py_DECREF(names);
    Py_XDECREF(out);  /* frees the dicts made so far (the slots not reached are NULL) */
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
    if ((names = interned(names)) == NULL)
        return NULL;
    PyObject *out = PyList_New(n), *prev = NULL;
    if (out == NULL) {
        Py_DECREF(names);
        return NULL;
    }
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
    Py_DECREF(names);
    return out;
fail:
    Py_XDECREF(prev);
    Py_DECREF(out);
    Py_DECREF(cls);
    Py_DECREF(names);
    return NULL;
}

/* set_fields(obj, flds, skip, plain): the names and values of the fields set on `obj`, as two tuples, when its
 * `__dict__` is an exact dict whose keys are exactly the exact strs `flds` (a tuple) in that order and each value is
 * either one of the objects in the tuple `skip` (left out) or of exactly one of the types in the tuple `plain`; None
 * for any other object, or when no field is set. No Python code runs, so the dict cannot change while it is read.
 * (The function below does it for checked arguments; NULL with an exception set on error.) */
static PyObject *
fields_of(PyObject *obj, PyObject *flds, PyObject *skip, PyObject *plain)
{
    Py_ssize_t n = PyTuple_GET_SIZE(flds), ns = PyTuple_GET_SIZE(skip), np = PyTuple_GET_SIZE(plain);
    PyObject *d = PyObject_GetAttr(obj, s_dict);
    if (d == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return NULL;
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    PyObject *keys = NULL, *vals = NULL;
    if (!PyDict_CheckExact(d) || PyDict_GET_SIZE(d) != n || n == 0)
        goto none;
    /* Two passes: the first checks the dict and counts the fields set, the second (after the tuples of that size are
     * allocated: an allocation can run a collection, whose finalizers could change the dict) checks it again as it
     * fills them. */
    Py_ssize_t m = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            keys = PyTuple_New(m);
            vals = keys ? PyTuple_New(m) : NULL;
            if (vals == NULL)
                goto fail;
            if (PyDict_GET_SIZE(d) != n)
                goto none;
        }
        Py_ssize_t pos = 0, i = 0, j = 0;
        PyObject *k, *v;
        while (PyDict_Next(d, &pos, &k, &v)) {
            PyObject *f = PyTuple_GET_ITEM(flds, i++);
            if (!PyUnicode_CheckExact(k) || (k != f && (!PyUnicode_CheckExact(f) || PyUnicode_Compare(k, f) != 0)))
                goto none;
            int skipped = 0, ok = 0;
            for (Py_ssize_t q = 0; q < ns && !skipped; q++)
                skipped = v == PyTuple_GET_ITEM(skip, q);
            if (skipped)
                continue;
            for (Py_ssize_t q = 0; q < np && !ok; q++)
                ok = (PyObject *)Py_TYPE(v) == PyTuple_GET_ITEM(plain, q);
            if (!ok)
                goto none;
            if (pass == 1) {
                if (j == m)
                    goto none;  /* (changed since the first pass) */
                PyTuple_SET_ITEM(keys, j, Py_NewRef(k));
                PyTuple_SET_ITEM(vals, j, Py_NewRef(v));
            }
            j++;
        }
        if (j == 0 || (pass == 1 && j != m))
            goto none;
        m = j;
    }
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
    return fields_of(args[0], flds, skip, plain);
}


/* ------------------------------------------------------------------------------------------------------------ */
/* The insert lane's usual case (see `Table._lane_insert` in fasthtml/_sqlite.py, its reference) */

static PyObject *s_fh_schema, *s_cls, *s_xtra_id, *s_db, *s_tracer, *s_conn, *s_row_trace, *s_exec_trace,
    *s_in_transaction, *s_name, *s_names, *s_defaults, *s_pk, *s_data_version, *s_execute, *s_fetchall,
    *s_last_insert_rowid, *s_result, *s_last_rowid, *s_last_pk, *s_insert_failed, *s_lock, *s_txn, *s_acquire,
    *s_release;
#define N_OPTS 6
static PyObject *s_opts[N_OPTS];  /* the table options the lane does not take when set (see _lane_insert) */
static const char *const opt_names[N_OPTS] = {"hash_id", "hash_id_columns", "extracts", "conversions", "ignore",
                                              "replace"};

static PyObject *
call_method0(PyObject *o, PyObject *name)
{
    PyObject *a[1] = {o};
    return PyObject_VectorcallMethod(name, a, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* 1 when attribute `name` of `o` is None, 0 when it is something else, -1 on error. */
static int
attr_is_none(PyObject *o, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(o, name);
    if (a == NULL)
        return -1;
    Py_DECREF(a);
    return a == Py_None;
}

/* 1 when `d[key]` (d an exact dict) is false, 0 when true or missing (the Python code then raises its KeyError), -1
 * on error. */
static int
item_false(PyObject *d, PyObject *key)
{
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(v);
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    return t < 0 ? -1 : !t;
}

/* 1 when the lane takes the insert (each condition of `_lane_insert`, none of which writes anything), 0 when not,
 * -1 on error. */
static int
lane_applies(PyObject *tbl, PyObject *db, PyObject *c, PyObject *sch, PyObject *cls, PyObject *dpk)
{
    PyObject *td = NULL, *d = NULL, *names = NULL, *name = NULL, *x;
    int ok = -1, r;
    td = PyObject_GenericGetDict(tbl, NULL);
    if (td == NULL)
        goto out;
    ok = 0;
    if (!PyDict_CheckExact(td) || PyDict_GetItemWithError(td, s_fh_schema) != sch
        || PyDict_GetItemWithError(td, s_cls) != cls)
        goto out;
    x = PyDict_GetItemWithError(td, s_xtra_id);
    if (x != NULL) {
        Py_INCREF(x);
        r = PyObject_IsTrue(x);
        Py_DECREF(x);
        if (r != 0)
            goto out;
    }
    if (PyErr_Occurred() || attr_is_none(db, s_tracer) != 1 || attr_is_none(c, s_row_trace) != 1
        || attr_is_none(c, s_exec_trace) != 1 || (x = PyObject_GetAttr(c, s_in_transaction)) == NULL)
        goto out;
    r = PyObject_IsTrue(x);
    Py_DECREF(x);
    if (r != 0)
        goto out;
    if ((name = PyObject_GetAttr(tbl, s_name)) == NULL || (names = PyObject_GetAttr(db, s_names)) == NULL
        || PySequence_Contains(names, name) != 1)
        goto out;
    if ((d = PyObject_GetAttr(tbl, s_defaults)) == NULL || !PyDict_CheckExact(d))
        goto out;
    for (int i = 0; i < N_OPTS; i++)
        if (item_false(d, s_opts[i]) != 1)
            goto out;
    x = PyDict_GetItemWithError(d, s_pk);
    if (x == NULL)
        goto out;
    Py_INCREF(x);
    r = PyObject_RichCompareBool(x, dpk, Py_NE);
    Py_DECREF(x);
    ok = r == 0;
out:
    Py_XDECREF(td);
    Py_XDECREF(d);
    Py_XDECREF(name);
    Py_XDECREF(names);
    return PyErr_Occurred() ? -1 : ok;
}

/* Saves the exception being raised (normalized, with its traceback) into *e; `restore_after` raises it again. */
typedef struct {
    PyObject *t, *v, *tb;
} Exc;

static void
fetch(Exc *e)
{
    PyErr_Fetch(&e->t, &e->v, &e->tb);
    PyErr_NormalizeException(&e->t, &e->v, &e->tb);
    if (e->tb != NULL)
        PyException_SetTraceback(e->v, e->tb);
}

/* After code that ran while `e` was being handled: `e` raised again if that code succeeded (`ok`), else the new
 * exception, with `e` as its context (as Python sets it for an exception raised in an `except` or `finally` block). */
static void
restore_after(Exc *e, int ok)
{
    if (ok) {
        PyErr_Restore(e->t, e->v, e->tb);
        return;
    }
    Exc n;
    fetch(&n);
    PyException_SetContext(n.v, e->v);  /* (steals the value) */
    Py_XDECREF(e->t);
    Py_XDECREF(e->tb);
    PyErr_Restore(n.t, n.v, n.tb);
}

/* `c.release()`, the connection's own release (which keeps it for a transaction left open), with any exception being
 * raised kept (a `finally` block's). 0, or -1 with an exception set. */
static int
release_conn(PyObject *c)
{
    int pending = PyErr_Occurred() != NULL;
    Exc e = {NULL, NULL, NULL};
    if (pending)
        fetch(&e);
    PyObject *r = call_method0(c, s_release);
    Py_XDECREF(r);
    if (pending)
        restore_after(&e, r != NULL);
    return PyErr_Occurred() ? -1 : 0;
}

/* After the lane's statement failed with an Exception: what `_lane_insert`'s `except` does. NULL (the exception, or
 * one raised by `_insert_failed` with it as its context) or False (nothing was written: fastlite's code runs). */
static PyObject *
lane_failed(PyObject *tbl, PyObject *st)
{
    Exc e;
    fetch(&e);
    PyObject *f = PyList_SetItem(st, 0, Py_NewRef(Py_None)) < 0 ? NULL : call_method0(tbl, s_insert_failed);
    int raise = f == NULL ? -1 : PyObject_IsTrue(f);
    Py_XDECREF(f);
    if (raise != 0) {
        restore_after(&e, raise > 0);
        return NULL;
    }
    Py_XDECREF(e.t);
    Py_XDECREF(e.v);
    Py_XDECREF(e.tb);
    Py_RETURN_FALSE;
}

/* lane_insert(tbl, lane, record): `insert(record)` (no other argument) by the lane `_lane_insert` takes, for its
 * usual cases. The lane is `(sch, cls, dpk, flds, ways, st, skip, plain, Cursor)` (see `_open_lane`). It takes the
 * table's connection itself, only if no other thread holds it and it holds no transaction of this thread's, and
 * returns
 * - NotImplemented when it did not take the connection, or the lane does not take the record: nothing was run that
 *   writes, the connection is given back, and the caller decides (by the Python lane);
 * - False when nothing was written (the statement failed, and `_insert_failed` says fastlite's code may run, or a
 *   trigger skipped the row; `st[0]` is then None); the connection is given back by its `release()`;
 * - the new row object when the row was stored under the remembered schema (the statement returned that schema
 *   version, or ran without it and moved the data version by exactly one) and is the one `last_insert_rowid()`
 *   names: `result`, `last_rowid`, `last_pk` and the lane's state are set and the connection is given back;
 * - otherwise `(way, row, dv, rowid, after, checked)`, for `_lane_finish` to finish *with the connection still
 *   held*: the caller gives it back (`release()`).
 * It raises what the statement raised when `_insert_failed` says so, having called `release()` (which keeps the
 * connection for the transaction left open). An error the checks run into leaves the call to the caller. */
static PyObject *
lane_insert(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("lane_insert", nargs, 3) < 0)
        return NULL;
    PyObject *tbl = args[0], *lane = args[1], *rec = args[2];
    if (!PyTuple_CheckExact(lane) || PyTuple_GET_SIZE(lane) != 9) {
        PyErr_SetString(PyExc_TypeError, "lane_insert(): lane must be the 9-tuple _open_lane makes");
        return NULL;
    }
    PyObject *sch = PyTuple_GET_ITEM(lane, 0), *cls = PyTuple_GET_ITEM(lane, 1), *dpk = PyTuple_GET_ITEM(lane, 2),
             *flds = PyTuple_GET_ITEM(lane, 3), *ways = PyTuple_GET_ITEM(lane, 4), *st = PyTuple_GET_ITEM(lane, 5),
             *skip = PyTuple_GET_ITEM(lane, 6), *plain = PyTuple_GET_ITEM(lane, 7), *cursor = PyTuple_GET_ITEM(lane, 8);
    if ((PyObject *)Py_TYPE(rec) != cls || !PyDict_CheckExact(ways) || !PyList_CheckExact(st) || !PyTuple_Check(flds)
        || !PyTuple_Check(skip) || !PyTuple_Check(plain))
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *db = NULL, *c = NULL, *lock = NULL, *x = NULL, *kv = NULL, *way = NULL, *dv = NULL, *cur = NULL;
    PyObject *rows = NULL, *rid = NULL, *after = NULL, *out = NULL, *o = NULL, *d = NULL;
    int held = 0;  /* 1 once the lock is taken here: released by lock.release() (nothing ran) or c.release() */

    /* the connection, as Connection.acquire() takes it, but only when that would not wait */
    if ((db = PyObject_GetAttr(tbl, s_db)) == NULL || (c = PyObject_GetAttr(db, s_conn)) == NULL
        || (lock = PyObject_GetAttr(c, s_lock)) == NULL || (x = PyObject_GetAttr(c, s_txn)) == NULL
        || PyObject_IsTrue(x) != 0)
        goto not_taken;
    Py_SETREF(x, PyObject_VectorcallMethod(s_acquire, (PyObject *[]){lock, Py_False},
                                           2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL));
    if (x != Py_True)
        goto not_taken;  /* (another thread has it: the caller waits for it) */
    held = 1;

    if (lane_applies(tbl, db, c, sch, cls, dpk) != 1)
        goto not_taken;
    kv = fields_of(rec, flds, skip, plain);
    if (kv == NULL || kv == Py_None)
        goto not_taken;
    way = PyDict_GetItemWithError(ways, PyTuple_GET_ITEM(kv, 0));
    if (way == NULL || !PyTuple_CheckExact(way) || PyTuple_GET_SIZE(way) != 5) {
        way = NULL;
        goto not_taken;
    }
    Py_INCREF(way);
    PyObject *make = PyTuple_GET_ITEM(way, 1), *at = PyTuple_GET_ITEM(way, 2), *unchecked = PyTuple_GET_ITEM(way, 3),
             *names = PyTuple_GET_ITEM(way, 4);
    if (!PyTuple_CheckExact(names) || (dv = call_method0(c, s_data_version)) == NULL || !PyLong_CheckExact(dv))
        goto not_taken;
    /* `checked = dv != st[0]`: unless the lane's last insert left the data version this one finds, the statement
     * returns the schema version with its row */
    PyObject *st0 = PyList_GET_SIZE(st) == 2 ? PyList_GET_ITEM(st, 0) : NULL, *plan = PyTuple_GET_ITEM(way, 0);
    if (st0 == NULL || !(st0 == Py_None || PyLong_CheckExact(st0)) || !PyList_CheckExact(plan)
        || PyList_GET_SIZE(plan) < 1 || !PyUnicode_CheckExact(PyList_GET_ITEM(plan, 0)))
        goto not_taken;
    int checked = st0 == Py_None || PyObject_RichCompareBool(dv, st0, Py_EQ) != 1;
    PyObject *sql = Py_NewRef(checked ? PyList_GET_ITEM(plan, 0) : unchecked);

    /* the statement: apsw.Cursor(c).execute(sql, values).fetchall() */
    cur = PyObject_CallOneArg(cursor, c);
    if (cur != NULL) {
        PyObject *a[3] = {cur, sql, PyTuple_GET_ITEM(kv, 1)};
        PyObject *res = PyObject_VectorcallMethod(s_execute, a, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        rows = res == NULL ? NULL : call_method0(res, s_fetchall);
        Py_XDECREF(res);
    }
    Py_DECREF(sql);
    if (rows == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception))
            out = lane_failed(tbl, st);
        goto release;
    }
    if (!PyList_CheckExact(rows)) {
        PyErr_SetString(PyExc_TypeError, "lane_insert(): fetchall() did not return a list");
        goto release;
    }
    if (PyList_GET_SIZE(rows) == 0) {  /* a trigger skipped the row: nothing was written */
        if (PyList_SetItem(st, 0, Py_NewRef(Py_None)) == 0)
            out = Py_NewRef(Py_False);
        goto release;
    }
    PyObject *r = Py_NewRef(PyList_GET_ITEM(rows, 0));
    Py_SETREF(rows, r);  /* (rows now holds the row) */
    if ((rid = call_method0(c, s_last_insert_rowid)) == NULL || (after = call_method0(c, s_data_version)) == NULL)
        goto release;
    /* Clean: the row stored under the remembered schema (returned with it, or the data version moved by exactly this
     * insert's commit) is the one last_insert_rowid() names. The lane's next state is then set as `_lane_finish`
     * sets it; anything else is left to `_lane_finish`. */
    int clean = 0;
    PyObject *st1 = PyList_GET_ITEM(st, 1);  /* (the list is 2 long: nothing changed it since) */
    if (PyLong_CheckExact(after) && PyTuple_CheckExact(r) && PyTuple_GET_SIZE(r) == 2 + PyTuple_GET_SIZE(names)
        && PyLong_CheckExact(st1) && PyTuple_CheckExact(sch) && PyTuple_GET_SIZE(sch) > 0) {
        if (checked) {
            clean = PyObject_RichCompareBool(PyTuple_GET_ITEM(r, 0), PyTuple_GET_ITEM(sch, 0), Py_EQ);
        } else {
            int o1 = 0, o2 = 0;  /* (exact ints: only an overflow, which is then not clean) */
            long long a = PyLong_AsLongLongAndOverflow(after, &o1), b = PyLong_AsLongLongAndOverflow(dv, &o2);
            clean = !o1 && !o2 && b < LLONG_MAX && a == b + 1;
        }
        if (clean > 0)
            clean = PyObject_RichCompareBool(PyTuple_GET_ITEM(r, 1), rid, Py_EQ);
        if (clean < 0)
            goto release;
    }
    if (!clean) {
        out = PyTuple_Pack(6, way, r, dv, rid, after, checked ? Py_True : Py_False);
        if (out != NULL)
            held = 0;  /* (the caller finishes, then releases) */
        goto release;
    }
    int cooling = checked ? PyObject_RichCompareBool(st1, zero, Py_GT) : 0;
    if (cooling < 0)
        goto release;
    if (cooling) {  /* (cooling down after another connection's commit: the next one checks too) */
        PyObject *less = PyNumber_Subtract(st1, one);
        if (less == NULL || PyList_SetItem(st, 1, less) < 0 || PyList_SetItem(st, 0, Py_NewRef(Py_None)) < 0)
            goto release;
    } else if (PyList_SetItem(st, 0, Py_NewRef(after)) < 0) {
        goto release;
    }
    /* the object, as `make(r)` makes it, and its dict as `result` */
    if (plain_class((PyTypeObject *)cls)) {
        d = row_dict(names, r, 2, NULL);
        if (d == NULL || (o = ((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0)) == NULL
            || PyObject_SetAttr(o, s_dict, d) < 0)
            goto release;
    } else {
        if ((o = PyObject_CallOneArg(make, r)) == NULL || (d = PyObject_GetAttr(o, s_dict)) == NULL)
            goto release;
    }
    PyObject *res = PyList_New(1), *pk = NULL;
    if (res == NULL)
        goto release;
    PyList_SET_ITEM(res, 0, Py_NewRef(d));
    int bad = PyObject_SetAttr(tbl, s_result, res) < 0 || PyObject_SetAttr(tbl, s_last_rowid, rid) < 0
              || (pk = PyObject_GetItem(r, at)) == NULL || PyObject_SetAttr(tbl, s_last_pk, pk) < 0;
    Py_DECREF(res);
    Py_XDECREF(pk);
    if (bad)
        goto release;
    out = Py_NewRef(o);
    /* (an autocommit statement that succeeded leaves no transaction: the lock as it was before) */
    Py_SETREF(x, call_method0(lock, s_release));
    held = 0;
    if (x == NULL)
        Py_CLEAR(out);
    goto done;

release:  /* after the statement ran (or failed): the connection's own release */
    if (held && release_conn(c) < 0)
        Py_CLEAR(out);
    held = 0;
    goto done;

not_taken:  /* nothing that writes ran: the lock as it was, and the caller decides */
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            goto release;
        PyErr_Clear();
    }
    if (held) {
        Py_XSETREF(x, call_method0(lock, s_release));
        held = 0;
        if (x == NULL)
            goto done;
    }
    out = Py_NewRef(Py_NotImplemented);
done:
    Py_XDECREF(db);
    Py_XDECREF(c);
    Py_XDECREF(lock);
    Py_XDECREF(x);
    Py_XDECREF(kv);
    Py_XDECREF(way);
    Py_XDECREF(dv);
    Py_XDECREF(cur);
    Py_XDECREF(rows);
    Py_XDECREF(rid);
    Py_XDECREF(after);
    Py_XDECREF(o);
    Py_XDECREF(d);
    return out;
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
    {"lane_insert", (PyCFunction)(void (*)(void))lane_insert, METH_FASTCALL,
     "lane_insert(tbl, lane, record): the insert lane's usual case (see Table._lane_insert); NotImplemented when "
     "the Python lane decides."},
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
    if ((zero == NULL && (zero = PyLong_FromLong(0)) == NULL) || (one == NULL && (one = PyLong_FromLong(1)) == NULL))
        return NULL;
    struct {
        PyObject **p;
        const char *s;
    } strs[] = {{&s_fh_schema, "_fh_schema"}, {&s_cls, "cls"}, {&s_xtra_id, "xtra_id"}, {&s_db, "db"},
                {&s_tracer, "_tracer"}, {&s_conn, "conn"}, {&s_row_trace, "row_trace"}, {&s_exec_trace, "exec_trace"},
                {&s_in_transaction, "in_transaction"}, {&s_name, "name"}, {&s_names, "_names"},
                {&s_defaults, "_defaults"}, {&s_pk, "pk"}, {&s_data_version, "data_version"}, {&s_execute, "execute"},
                {&s_fetchall, "fetchall"}, {&s_last_insert_rowid, "last_insert_rowid"}, {&s_result, "result"},
                {&s_last_rowid, "last_rowid"}, {&s_last_pk, "last_pk"}, {&s_insert_failed, "_insert_failed"},
                {&s_lock, "lock"}, {&s_txn, "_txn"}, {&s_acquire, "acquire"}, {&s_release, "release"}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (*strs[i].p == NULL && (*strs[i].p = PyUnicode_InternFromString(strs[i].s)) == NULL)
            return NULL;
    for (int i = 0; i < N_OPTS; i++)
        if (s_opts[i] == NULL && (s_opts[i] = PyUnicode_InternFromString(opt_names[i])) == NULL)
            return NULL;
    return PyModule_Create(&module);
}
