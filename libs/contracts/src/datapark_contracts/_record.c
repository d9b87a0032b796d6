/* Envelope.from_kafka's common case in one compiled function (datapark_contracts._record).

   parse(key, value, headers) returns the Envelope of a record as the platform writes it: the
   required CloudEvents headers present and not empty (the last of a name counting, as in a
   dict), every header value ASCII, the hashed attributes printable ASCII without a quote or a
   backslash, the id and the time in their canonical forms, aggseq a plain decimal of at most
   15 digits, the key the subject, the event hash over the attributes and the value's own bytes
   equal to ce_eventhash, and the value a JSON object. For any other record it returns None and
   the Python code of Envelope.from_kafka decides: it accepts more forms and words the errors.
   So this function never refuses a record, and the envelope it builds is the one the Python
   code builds (tests/unit/contracts/test_contracts_record_fast_path.py holds it to both).

   Why: a replay or a consumer parses every record, and the Python code spent 5-6 us a
   record around the two things that must be done (decoding the JSON, hashing): decoding the
   header values into a dict, the pattern checks, the UUID, the hash's text. Here those are
   plain C over the header bytes; the JSON is decoded by the same msgspec decoder and the hash
   is hashlib's sha256, called through the C API (docs/performance.md, #19). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <string.h>

static PyObject *envelope_type, *uuid_type, *decode, *sha256, *safe_unknown, *empty_tuple, *closing;
static PyObject *s_update, *s_hexdigest, *s_int, *s_is_safe;
static PyObject *k_id, *k_source, *k_type, *k_subject, *k_time, *k_data, *k_aggseq, *k_prevhash,
    *k_eventhash, *k_dataschema, *k_traceparent, *k_tracestate, *k_extra_headers;

enum {
    H_ID, H_SOURCE, H_TYPE, H_SPECVERSION, H_TIME, H_SUBJECT, H_AGGSEQ, H_PREVHASH, H_EVENTHASH,
    H_REQUIRED, /* the ones above must be there and not empty */
    H_DATASCHEMA = H_REQUIRED, H_TRACEPARENT, H_TRACESTATE, H_COUNT
};

static const char *const names[H_COUNT] = {
    "ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject", "ce_aggseq",
    "ce_prevhash", "ce_eventhash", "ce_dataschema", "traceparent", "tracestate",
};

typedef struct {
    const char *p;
    Py_ssize_t n;
} text;

static Py_ssize_t lengths[H_COUNT];

static int which(const char *name, Py_ssize_t n)
{
    for (int i = 0; i < H_COUNT; i++)
        if (lengths[i] == n && memcmp(names[i], name, n) == 0)
            return i;
    return -1;
}

static int ascii(const char *p, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return 0;
    return 1;
}

/* printable ASCII other than a quote or a backslash: its JSON string is itself in quotes */
static int plain(text t)
{
    for (Py_ssize_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static int digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static int number(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

static int hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 8-4-4-4-12 lower-case hex digits: the text str(uuid.UUID) writes */
static int canonical_uuid(text t, char *hex32)
{
    if (t.n != 36)
        return 0;
    int k = 0;
    for (int i = 0; i < 36; i++) {
        char c = t.p[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else {
            if (!hexdigit(c))
                return 0;
            hex32[k++] = c;
        }
    }
    hex32[32] = '\0';
    return 1;
}

/* YYYY-MM-DDTHH:MM:SS.ffffffZ: the text format_time writes */
static int canonical_time(text t)
{
    const char *p = t.p;
    return t.n == 27 && digits(p, 4) && p[4] == '-' && digits(p + 5, 2) && p[7] == '-' &&
           digits(p + 8, 2) && p[10] == 'T' && digits(p + 11, 2) && p[13] == ':' &&
           digits(p + 14, 2) && p[16] == ':' && digits(p + 17, 2) && p[19] == '.' &&
           digits(p + 20, 6) && p[26] == 'Z';
}

/* an integer as str(int) writes it, within 15 digits (below 2**53: hashed as written) */
static int canonical_aggseq(text t)
{
    const char *p = t.p;
    Py_ssize_t n = t.n;
    if (n > 0 && p[0] == '-') {
        p++;
        n--;
        if (n == 1 && p[0] == '0')
            return 0; /* "-0" is 0 */
    }
    if (n < 1 || n > 15 || !digits(p, (int)n))
        return 0;
    return n == 1 || p[0] != '0';
}

static PyObject *str_of(text t)
{
    return PyUnicode_DecodeASCII(t.p, t.n, NULL);
}

/* sha256(prevhash + the attributes' canonical JSON, written directly, + value + "}") against
   ce_eventhash, as plain_event_hash in envelope.py: 1 when equal, 0 when not, -1 on an error */
static int hash_matches(const text *found, PyObject *value)
{
    static const char *const parts[] = {
        "{\"attributes\":{\"aggseq\":",
        ",\"datacontenttype\":\"application/json\",\"dataschema\":\"",
        "\",\"id\":\"", "\",\"prevhash\":\"", "\",\"source\":\"",
        "\",\"specversion\":\"1.0\",\"subject\":\"", "\",\"time\":\"", "\",\"type\":\"",
        "\"},\"data\":",
    };
    const text fields[] = {
        found[H_PREVHASH], found[H_AGGSEQ], found[H_DATASCHEMA], found[H_ID], found[H_PREVHASH],
        found[H_SOURCE], found[H_SUBJECT], found[H_TIME], found[H_TYPE],
    };
    Py_ssize_t size = 0;
    for (int i = 0; i < 9; i++)
        size += fields[i].n + (Py_ssize_t)strlen(parts[i]);
    PyObject *head = PyBytes_FromStringAndSize(NULL, size);
    if (head == NULL)
        return -1;
    char *w = PyBytes_AS_STRING(head);
    for (int i = 0; i < 9; i++) {
        memcpy(w, fields[i].p, fields[i].n);
        w += fields[i].n;
        size_t m = strlen(parts[i]);
        memcpy(w, parts[i], m);
        w += m;
    }
    PyObject *digest = PyObject_CallOneArg(sha256, head);
    Py_DECREF(head);
    if (digest == NULL)
        return -1;
    PyObject *chunks[] = {value, closing};
    for (int i = 0; i < 2; i++) {
        PyObject *r = PyObject_CallMethodOneArg(digest, s_update, chunks[i]);
        if (r == NULL) {
            Py_DECREF(digest);
            return -1;
        }
        Py_DECREF(r);
    }
    PyObject *hex = PyObject_CallMethodNoArgs(digest, s_hexdigest);
    Py_DECREF(digest);
    if (hex == NULL)
        return -1;
    Py_ssize_t n;
    const char *h = PyUnicode_AsUTF8AndSize(hex, &n);
    int matches = h == NULL ? -1
                            : n == found[H_EVENTHASH].n && memcmp(h, found[H_EVENTHASH].p, n) == 0;
    Py_DECREF(hex);
    return matches;
}

/* uuid.UUID of the 32 hex digits, built as _uuid_of_canonical in envelope.py builds it */
static PyObject *uuid_of(const char *hex32)
{
    PyObject *number = PyLong_FromString(hex32, NULL, 16);
    if (number == NULL)
        return NULL;
    PyObject *id = PyBaseObject_Type.tp_new((PyTypeObject *)uuid_type, empty_tuple, NULL);
    if (id != NULL && (PyObject_GenericSetAttr(id, s_int, number) < 0 ||
                       PyObject_GenericSetAttr(id, s_is_safe, safe_unknown) < 0))
        Py_CLEAR(id);
    Py_DECREF(number);
    return id;
}

/* the Envelope, its fields set at once as from_kafka sets them; takes over id, when and data */
static PyObject *envelope_of(const text *found, const int *seen, PyObject *id, PyObject *when,
                             PyObject *data)
{
    char aggseq[17]; /* canonical_aggseq: at most a sign and 15 digits */
    memcpy(aggseq, found[H_AGGSEQ].p, found[H_AGGSEQ].n);
    aggseq[found[H_AGGSEQ].n] = '\0';
    PyObject *const keys[13] = {
        k_id, k_source, k_type, k_subject, k_time, k_data, k_aggseq, k_prevhash, k_eventhash,
        k_dataschema, k_traceparent, k_tracestate, k_extra_headers,
    };
    PyObject *values[13] = {
        id,
        str_of(found[H_SOURCE]),
        str_of(found[H_TYPE]),
        str_of(found[H_SUBJECT]),
        when,
        data,
        PyLong_FromString(aggseq, NULL, 10),
        str_of(found[H_PREVHASH]),
        str_of(found[H_EVENTHASH]),
        str_of(found[H_DATASCHEMA]),
        seen[H_TRACEPARENT] ? str_of(found[H_TRACEPARENT]) : Py_NewRef(Py_None),
        seen[H_TRACESTATE] ? str_of(found[H_TRACESTATE]) : Py_NewRef(Py_None),
        Py_NewRef(empty_tuple),
    };
    PyObject *fields = PyDict_New();
    int failed = fields == NULL;
    for (int i = 0; i < 13; i++) {
        if (!failed && (values[i] == NULL || PyDict_SetItem(fields, keys[i], values[i]) < 0))
            failed = 1;
        Py_XDECREF(values[i]);
    }
    PyObject *envelope =
        failed ? NULL : PyBaseObject_Type.tp_new((PyTypeObject *)envelope_type, empty_tuple, NULL);
    if (envelope != NULL && PyObject_GenericSetDict(envelope, fields, NULL) < 0)
        Py_CLEAR(envelope);
    Py_XDECREF(fields);
    return envelope;
}

/* returns a new reference, Py_None when the Python code must decide, or NULL on an error that
   is not about the record (out of memory) */
static PyObject *parse(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "parse(key, value, headers)");
        return NULL;
    }
    PyObject *key = args[0], *value = args[1], *headers = args[2];
    if (envelope_type == NULL || !PyBytes_CheckExact(value) ||
        !(key == Py_None || PyBytes_CheckExact(key)))
        Py_RETURN_NONE;
    /* a tuple (aiokafka's) as it is, a list copied: the header values are read in place while
       the JSON is decoded and hashed, so nothing may take them away meanwhile; anything else
       (an iterator, which this would use up) is the Python code's */
    if (!PyTuple_Check(headers) && !PyList_Check(headers))
        Py_RETURN_NONE;
    PyObject *items = PySequence_Tuple(headers);
    if (items == NULL)
        return NULL;
    text found[H_COUNT];
    int seen[H_COUNT] = {0};
    Py_ssize_t count = PyTuple_GET_SIZE(items);
    PyObject **item = &PyTuple_GET_ITEM(items, 0);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = item[i];
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)
            goto python;
        PyObject *name = PyTuple_GET_ITEM(pair, 0), *raw = PyTuple_GET_ITEM(pair, 1);
        if (!PyUnicode_CheckExact(name) || !PyBytes_CheckExact(raw))
            goto python;
        if (!ascii(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)))
            goto python; /* the Python code decodes every value as UTF-8 */
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(name, &n);
        if (s == NULL) {
            PyErr_Clear();
            goto python;
        }
        int h = which(s, n);
        if (h >= 0) {
            found[h].p = PyBytes_AS_STRING(raw);
            found[h].n = PyBytes_GET_SIZE(raw);
            seen[h] = 1;
        }
    }
    for (int h = 0; h < H_REQUIRED; h++)
        if (!seen[h] || found[h].n == 0)
            goto python;
    if (!seen[H_DATASCHEMA]) {
        found[H_DATASCHEMA].p = "";
        found[H_DATASCHEMA].n = 0;
    }
    char hex32[33];
    text sv = found[H_SPECVERSION], subject = found[H_SUBJECT], time = found[H_TIME];
    if (sv.n != 3 || memcmp(sv.p, "1.0", 3) != 0 || !canonical_uuid(found[H_ID], hex32) ||
        !canonical_time(time) || !canonical_aggseq(found[H_AGGSEQ]) || !plain(found[H_SOURCE]) ||
        !plain(found[H_TYPE]) || !plain(subject) || !plain(found[H_DATASCHEMA]) ||
        !plain(found[H_PREVHASH]))
        goto python;
    if (key != Py_None &&
        (PyBytes_GET_SIZE(key) != subject.n || memcmp(PyBytes_AS_STRING(key), subject.p, subject.n)))
        goto python;

    switch (hash_matches(found, value)) {
    case -1:
        goto error;
    case 0:
        goto python; /* perhaps a value that is not canonical JSON: the Python code re-serialises */
    }
    PyObject *data = PyObject_CallOneArg(decode, value);
    if (data == NULL) {
        PyErr_Clear();
        goto python;
    }
    if (!PyDict_CheckExact(data)) {
        Py_DECREF(data);
        goto python;
    }
    const char *t = time.p;
    PyObject *when = PyDateTimeAPI->DateTime_FromDateAndTime(
        number(t, 4), number(t + 5, 2), number(t + 8, 2), number(t + 11, 2), number(t + 14, 2),
        number(t + 17, 2), number(t + 20, 6), PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
    if (when == NULL) {
        Py_DECREF(data);
        if (!PyErr_ExceptionMatches(PyExc_ValueError))
            goto error;
        PyErr_Clear();
        goto python; /* a day or an hour out of range */
    }
    PyObject *id = uuid_of(hex32);
    if (id == NULL) {
        Py_DECREF(when);
        Py_DECREF(data);
        goto error;
    }
    PyObject *envelope = envelope_of(found, seen, id, when, data);
    Py_DECREF(items);
    return envelope;

python:
    Py_DECREF(items);
    Py_RETURN_NONE;
error:
    Py_DECREF(items);
    return NULL;
}

/* configure(Envelope, uuid.UUID, decode, hashlib.sha256, uuid.SafeUUID.unknown) */
static PyObject *configure(PyObject *module, PyObject *args)
{
    PyObject *e, *u, *d, *s, *safe;
    if (!PyArg_ParseTuple(args, "O!O!OOO", &PyType_Type, &e, &PyType_Type, &u, &d, &s, &safe))
        return NULL;
    Py_XSETREF(envelope_type, Py_NewRef(e));
    Py_XSETREF(uuid_type, Py_NewRef(u));
    Py_XSETREF(decode, Py_NewRef(d));
    Py_XSETREF(sha256, Py_NewRef(s));
    Py_XSETREF(safe_unknown, Py_NewRef(safe));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"parse", (PyCFunction)(void (*)(void))parse, METH_FASTCALL,
     "parse(key, value, headers): the Envelope of a plain, valid record, or None"},
    {"configure", configure, METH_VARARGS, "configure(Envelope, UUID, decode, sha256, unknown)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_record", "Envelope.from_kafka's common case, compiled.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__record(void)
{
    for (int i = 0; i < H_COUNT; i++)
        lengths[i] = (Py_ssize_t)strlen(names[i]);
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    empty_tuple = PyTuple_New(0);
    closing = PyBytes_FromStringAndSize("}", 1);
#define INTERN(var, s) if ((var = PyUnicode_InternFromString(s)) == NULL) return NULL
    INTERN(s_update, "update");
    INTERN(s_hexdigest, "hexdigest");
    INTERN(s_int, "int");
    INTERN(s_is_safe, "is_safe");
    INTERN(k_id, "id");
    INTERN(k_source, "source");
    INTERN(k_type, "type");
    INTERN(k_subject, "subject");
    INTERN(k_time, "time");
    INTERN(k_data, "data");
    INTERN(k_aggseq, "aggseq");
    INTERN(k_prevhash, "prevhash");
    INTERN(k_eventhash, "eventhash");
    INTERN(k_dataschema, "dataschema");
    INTERN(k_traceparent, "traceparent");
    INTERN(k_tracestate, "tracestate");
    INTERN(k_extra_headers, "extra_headers");
    if (empty_tuple == NULL || closing == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}
