/* The nearby search's inner loops: scanning a segment's cells for the nearest places, and
 * printing the nearby list's JSON. In numpy and Python the two took ~300 us of a ~500 us
 * request, a few dozen array calls and a Struct per place; here they take a few us.
 *
 * Arrays arrive as buffers (numpy arrays, bytearray), their types fixed by places.segment;
 * every index is checked against its buffer before it is read. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define EARTH_RADIUS_M 6371008.8
#define M_PER_DEG (EARTH_RADIUS_M * M_PI / 180.0)
#define CELL 0.0025
#define LAT_OFF 36000
#define LON_OFF 72000
#define MAX_CELL ((1 << 20) - 1)
#define X_PI (M_PI * 3000.0 / 180.0)
#define STATUS_OPEN 2 /* a place's flag: its status is open */

/* --- buffers ---------------------------------------------------------------------------- */

typedef struct {
    Py_buffer view;
    int held;
} Buf;

/* The buffer of ``obj`` as a C-contiguous, aligned array of ``itemsize``-byte items of
 * ``kind``: 'f' floating, 'i' signed integer, 'u' unsigned integer or bool. */
static int take(PyObject *obj, Buf *buf, char kind, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, &buf->view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    buf->held = 1;
    const char *format = buf->view.format ? buf->view.format : "B";
    char code = format[strlen(format) ? strlen(format) - 1 : 0];
    char found = strchr("fde", code) ? 'f' : strchr("bhilqn", code) ? 'i'
               : strchr("BHILQN?c", code) ? 'u' : '?';
    if (found != kind || buf->view.itemsize != itemsize ||
        (uintptr_t)buf->view.buf % (uintptr_t)itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: expected aligned %zd-byte %s items, got format '%s'",
                     what, itemsize, kind == 'f' ? "floating" : kind == 'i' ? "signed" : "unsigned",
                     format);
        return -1;
    }
    return 0;
}

static void release(Buf *bufs, int count) {
    for (int i = 0; i < count; i++)
        if (bufs[i].held) PyBuffer_Release(&bufs[i].view);
}

/* --- nearest ---------------------------------------------------------------------------- */

/* Equirectangular distance with the mean latitude of the pair (places.segment). */
static double approx_distance(double lat, double lon, double plat, double plon) {
    double y = (plat - lat) * M_PER_DEG;
    double x = (plon - lon) * M_PER_DEG * cos((plat + lat) * 0.5 * M_PI / 180.0);
    return sqrt(x * x + y * y);
}

typedef struct {
    double dist;
    int64_t id;
    int64_t pos;
} Cand;

static int cand_cmp(const void *a, const void *b) {
    const Cand *x = a, *y = b;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static inline int cand_before(const Cand *x, const Cand *y) {
    return x->dist < y->dist || (x->dist == y->dist && x->id < y->id);
}

static Py_ssize_t lower_bound(const int64_t *keys, Py_ssize_t n, int64_t key) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

typedef struct {
    Cand *items;
    Py_ssize_t len, cap, limit; /* limit < 0: keep all */
} Best;

static int best_add(Best *best, Cand c) {
    if (best->limit >= 0) {
        if (best->len == best->limit) {
            if (best->limit == 0 || !cand_before(&c, &best->items[best->len - 1])) return 0;
            best->len--;
        }
        Py_ssize_t i = best->len;
        while (i > 0 && cand_before(&c, &best->items[i - 1])) {
            best->items[i] = best->items[i - 1];
            i--;
        }
        best->items[i] = c;
        best->len++;
        return 0;
    }
    if (best->len == best->cap) {
        Py_ssize_t cap = best->cap ? best->cap * 2 : 256;
        Cand *grown = PyMem_Realloc(best->items, cap * sizeof(Cand));
        if (!grown) { PyErr_NoMemory(); return -1; }
        best->items = grown;
        best->cap = cap;
    }
    best->items[best->len++] = c;
    return 0;
}

/* The row (LAT_OFF) or column (LON_OFF) number of the cell holding ``degrees``, clamped to
 * the grid in floating point before the cast, so no value is out of an integer's range. */
static int64_t cell_of(double degrees, int64_t offset) {
    double cell = floor(degrees / CELL) + (double)offset;
    if (!(cell > 0)) return 0; /* NaN too */
    return cell >= MAX_CELL ? MAX_CELL : (int64_t)cell;
}

PyDoc_STRVAR(nearest_doc,
"nearest(keys, lat, lon, flags, dead, ids, sched, kinds, qlat, qlon, radius, need, limit)\n"
"-> (positions: bytes of int64, distances: bytes of float64, hours: list[int])\n\n"
"Places of a segment sorted by cell key (places.segment) whose kind is in ``kinds``, whose\n"
"flags include ``need`` and that are not ``dead``, within ``radius`` metres of (qlat, qlon):\n"
"the ``limit`` nearest (all if negative), nearest first, ties by id. ``hours`` holds for\n"
"each the schedule number (``sched``, int32) times two plus one if its status is open:\n"
"what open-now needs (places.found).");

static PyObject *nearest(PyObject *self, PyObject *args) {
    PyObject *o_keys, *o_lat, *o_lon, *o_flags, *o_dead, *o_ids, *o_sched, *o_kinds;
    double qlat, qlon, radius;
    int need;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OOOOOOOOdddin", &o_keys, &o_lat, &o_lon, &o_flags, &o_dead,
                          &o_ids, &o_sched, &o_kinds, &qlat, &qlon, &radius, &need, &limit))
        return NULL;
    if (!(fabs(qlat) <= 90.0) || !(fabs(qlon) <= 180.0) || !(radius >= 0 && radius <= 1e7)) {
        PyErr_SetString(PyExc_ValueError, "a point or radius out of range");
        return NULL;
    }
    Buf b[7];
    memset(b, 0, sizeof b);
    Best best = {NULL, 0, 0, limit};
    PyObject *result = NULL, *kinds = NULL;
    if (take(o_keys, &b[0], 'i', 8, "keys") || take(o_lat, &b[1], 'f', 8, "lat") ||
        take(o_lon, &b[2], 'f', 8, "lon") || take(o_flags, &b[3], 'u', 1, "flags") ||
        take(o_ids, &b[4], 'i', 8, "ids") || take(o_sched, &b[6], 'i', 4, "sched") ||
        (o_dead != Py_None && take(o_dead, &b[5], 'u', 1, "dead")))
        goto done;
    Py_ssize_t n = b[0].view.len / 8;
    if (b[1].view.len != n * 8 || b[2].view.len != n * 8 || b[3].view.len != n ||
        b[4].view.len != n * 8 || b[6].view.len != n * 4 || (b[5].held && b[5].view.len != n)) {
        PyErr_SetString(PyExc_ValueError, "columns of different lengths");
        goto done;
    }
    const int64_t *keys = b[0].view.buf, *ids = b[4].view.buf;
    const double *lat = b[1].view.buf, *lon = b[2].view.buf;
    const uint8_t *flags = b[3].view.buf, *dead = b[5].held ? b[5].view.buf : NULL;
    const int32_t *sched = b[6].view.buf;
    if (limit >= 0) {
        best.limit = limit = limit > n ? n : limit; /* never more than the segment holds */
        best.items = PyMem_New(Cand, limit ? limit : 1);
        if (!best.items) { PyErr_NoMemory(); goto done; }
    }
    kinds = PySequence_Fast(o_kinds, "kinds must be a sequence");
    if (!kinds) goto done;
    Py_ssize_t kind_count = PySequence_Fast_GET_SIZE(kinds);
    int64_t kind_numbers[64];
    if (kind_count > 64) {
        PyErr_SetString(PyExc_ValueError, "more than 64 kinds");
        goto done;
    }
    for (Py_ssize_t k = 0; k < kind_count; k++) {
        int64_t kind = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(kinds, k));
        if (kind == -1 && PyErr_Occurred()) goto done;
        if (kind < 0 || kind > INT16_MAX) {
            PyErr_SetString(PyExc_ValueError, "a kind number out of range");
            goto done;
        }
        for (Py_ssize_t j = 0; j < k; j++)
            if (kind_numbers[j] == kind) {
                PyErr_SetString(PyExc_ValueError, "a kind twice");
                goto done;
            }
        kind_numbers[k] = kind;
    }

    /* The circle's bounding rows and columns of cells; ``cos_min`` bounds the cosine of the
     * mean latitude of any pair inside it from below, so column ranges and the quick
     * rejections below never drop a place the exact distance would keep. */
    double d_lat = radius * (1 + 1e-9) / M_PER_DEG;
    double top = fabs(qlat) + d_lat; /* no pair inside has a mean latitude beyond it */
    double cos_min = top >= 90.0 ? 0.0 : cos(top * M_PI / 180.0);
    int64_t r0 = cell_of(qlat - d_lat, LAT_OFF);
    int64_t r1 = cell_of(qlat + d_lat, LAT_OFF);
    int64_t rq = cell_of(qlat, LAT_OFF);

    for (Py_ssize_t k = 0; k < kind_count; k++) {
        int64_t kind = kind_numbers[k];
        /* Rows from the query's outwards: once ``limit`` places are held, the farthest of
         * them bounds what is left to look at, and near rows make that bound small early. */
        for (int64_t step = 0; step <= 2 * (r1 - r0); step++) {
            int64_t row = step % 2 ? rq - (step + 1) / 2 : rq + step / 2;
            if (row < r0 || row > r1) continue;
            double bound = radius;
            if (best.limit > 0 && best.len == best.limit) bound = best.items[best.len - 1].dist;
            double south = (double)(row - LAT_OFF) * CELL, north = south + CELL;
            double gap = fmax(0.0, fmax(south - qlat, qlat - north)) * M_PER_DEG - 0.001;
            if (gap > bound) continue;
            double d_lon = cos_min > 0 ? bound * (1 + 1e-9) / (M_PER_DEG * cos_min) : INFINITY;
            int64_t c0 = cell_of(qlon - d_lon, LON_OFF), c1 = cell_of(qlon + d_lon, LON_OFF);
            int64_t base = (kind << 40) | (row << 20);
            Py_ssize_t i = lower_bound(keys, n, base | c0);
            Py_ssize_t end = lower_bound(keys, n, (base | c1) + 1);
            for (; i < end; i++) {
                if ((dead && dead[i]) || (flags[i] & need) != need) continue;
                double y = (lat[i] - qlat) * M_PER_DEG;
                double x_min = (lon[i] - qlon) * M_PER_DEG * cos_min;
                if (x_min * x_min + y * y > bound * bound * 1.000001 + 1e-6) continue;
                double dist = approx_distance(qlat, qlon, lat[i], lon[i]);
                if (!(dist <= radius)) continue; /* NaN too */
                Cand cand = {dist, ids[i], i};
                if (best_add(&best, cand) < 0) goto done;
                if (best.limit > 0 && best.len == best.limit) bound = best.items[best.len - 1].dist;
            }
        }
    }
    if (limit < 0 && best.len > 1) qsort(best.items, best.len, sizeof(Cand), cand_cmp);
    PyObject *positions = PyBytes_FromStringAndSize(NULL, best.len * 8);
    PyObject *distances = positions ? PyBytes_FromStringAndSize(NULL, best.len * 8) : NULL;
    PyObject *hours = distances ? PyList_New(best.len) : NULL;
    if (hours) {
        int64_t *p = (int64_t *)PyBytes_AS_STRING(positions);
        double *d = (double *)PyBytes_AS_STRING(distances);
        for (Py_ssize_t i = 0; i < best.len; i++) {
            Py_ssize_t at = p[i] = best.items[i].pos;
            d[i] = best.items[i].dist;
            long long open = (flags[at] & STATUS_OPEN) != 0;
            PyObject *key = PyLong_FromLongLong(2 * (long long)sched[at] + open);
            if (!key) { Py_CLEAR(hours); break; }
            PyList_SET_ITEM(hours, i, key);
        }
        if (hours) result = PyTuple_Pack(3, positions, distances, hours);
    }
    Py_XDECREF(positions);
    Py_XDECREF(distances);
    Py_XDECREF(hours);
done:
    Py_XDECREF(kinds);
    PyMem_Free(best.items);
    release(b, 7);
    return result;
}

/* --- JSON ------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Out;

static int out_grow(Out *out, Py_ssize_t more) {
    if (more > PY_SSIZE_T_MAX - out->len) { PyErr_NoMemory(); return -1; }
    if (out->len + more <= out->cap) return 0;
    Py_ssize_t cap = out->cap ? out->cap : 4096;
    while (cap < out->len + more) {
        if (cap > PY_SSIZE_T_MAX / 2) { cap = out->len + more; break; }
        cap *= 2;
    }
    char *grown = PyMem_Realloc(out->data, cap);
    if (!grown) { PyErr_NoMemory(); return -1; }
    out->data = grown;
    out->cap = cap;
    return 0;
}

/* Inline: a place's document is some sixty small pieces, and a call apiece showed. */
static inline int put(Out *out, const char *text, Py_ssize_t len) {
    if (len <= 0) return 0;
    if (out->cap - out->len < len && out_grow(out, len) < 0) return -1;
    memcpy(out->data + out->len, text, len);
    out->len += len;
    return 0;
}

#define PUT(out, literal) put(out, literal, sizeof(literal) - 1)

/* Digits by hand: snprintf costs more than the rest of a place's document. */
static int put_uint(Out *out, unsigned long long value) {
    char text[24];
    int at = sizeof text;
    do {
        text[--at] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return put(out, text + at, sizeof text - at);
}

static int put_int(Out *out, long long value) {
    if (value < 0 && PUT(out, "-") < 0) return -1;
    return put_uint(out, value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value);
}

/* ``value`` rounded to ``digits`` decimals as numpy rounds (scale, round half to even,
 * unscale), printed as the integer it scaled to with the point put back: the same number as
 * msgspec's shortest repr of that float, since a decimal of at most 15 significant digits
 * reads back as exactly the double the unscaling made (IEEE division rounds correctly). */
static inline int put_decimal(Out *out, double value, int digits) {
    static const long long powers[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    if (!isfinite(value)) {
        PyErr_SetString(PyExc_ValueError, "a coordinate that is not a number");
        return -1;
    }
    double scaled = nearbyint(value * (double)powers[digits]);
    if (!(fabs(scaled) < 1e15)) {
        char *text = PyOS_double_to_string(scaled / (double)powers[digits], 'r', 0,
                                           Py_DTSF_ADD_DOT_0, NULL);
        if (!text) return -1;
        int rc = put(out, text, strlen(text));
        PyMem_Free(text);
        return rc;
    }
    long long n = (long long)scaled;
    unsigned long long magnitude = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    unsigned long long whole = magnitude / powers[digits], part = magnitude % powers[digits];
    /* Right to left into one buffer, one put: ten of these go into every place. */
    char text[48], *end = text + sizeof text, *at = end;
    int width = digits;
    while (width > 1 && part % 10 == 0) { /* no trailing zeros, as repr prints it */
        part /= 10;
        width--;
    }
    for (int i = 0; i < width; i++, part /= 10) *--at = (char)('0' + part % 10);
    *--at = '.';
    do { *--at = (char)('0' + whole % 10); } while (whole /= 10);
    if (n < 0) *--at = '-';
    return put(out, at, end - at);
}

/* Initial bearing, degrees clockwise from north, on the plane of approx_distance: within a
 * few hundredths of a degree of the great-circle bearing at 5 km. */
static double bearing_of(double lat, double lon, double plat, double plon) {
    double y = plat - lat;
    double x = (plon - lon) * cos((plat + lat) * 0.5 * M_PI / 180.0);
    double deg = fmod(atan2(x, y) * 180.0 / M_PI, 360.0);
    deg = deg < 0 ? deg + 360.0 : deg;
    return deg >= 360.0 ? 0.0 : deg; /* -1e-300 + 360 */
}

PyDoc_STRVAR(bearing_doc, "bearing(lat, lon, plat, plon) -> float\n\nFrom a point to a place.");

static PyObject *bearing(PyObject *self, PyObject *args) {
    double lat, lon, plat, plon;
    if (!PyArg_ParseTuple(args, "dddd", &lat, &lon, &plat, &plon)) return NULL;
    return PyFloat_FromDouble(bearing_of(lat, lon, plat, plon));
}

static int out_of_china(double lat, double lon) {
    return !(72.004 <= lon && lon <= 137.8347 && 0.8293 <= lat && lat <= 55.8271);
}

/* org.geo.gcj02_to_bd09 */
static void gcj02_to_bd09(double lat, double lon, double *bd_lat, double *bd_lon) {
    if (out_of_china(lat, lon)) { *bd_lat = lat; *bd_lon = lon; return; }
    double z = hypot(lon, lat) + 0.00002 * sin(lat * X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * X_PI);
    *bd_lat = z * sin(theta) + 0.006;
    *bd_lon = z * cos(theta) + 0.0065;
}

/* Where row ``p``'s record starts and ends, checked against the buffers (records, bounds,
 * cuts in b[0..2]); -1 with an error set if it does not fit. */
static int record_at(Buf *b, Py_ssize_t n, int wide, int64_t p, uint64_t *start, uint64_t *end) {
    if (p < 0 || p >= n) {
        PyErr_SetString(PyExc_IndexError, "row outside the segment");
        return -1;
    }
    if (wide) {
        *start = ((const uint64_t *)b[1].view.buf)[2 * p];
        *end = ((const uint64_t *)b[1].view.buf)[2 * p + 1];
    } else {
        *start = ((const uint32_t *)b[1].view.buf)[2 * p];
        *end = ((const uint32_t *)b[1].view.buf)[2 * p + 1];
    }
    const uint16_t *cut = (const uint16_t *)b[2].view.buf + 3 * p;
    if (*end > (uint64_t)b[0].view.len || *start > *end || cut[0] > cut[1] ||
        cut[1] > cut[2] || cut[2] > *end - *start) {
        PyErr_SetString(PyExc_ValueError, "a record outside the records");
        return -1;
    }
    return 0;
}

/* Takes records, bounds and cuts into b[0..2]; the segment's row count, or -1. */
static Py_ssize_t take_records(PyObject *records, PyObject *bounds, PyObject *cuts, Buf *b,
                               int *wide) {
    if (take(records, &b[0], 'u', 1, "records") || take(cuts, &b[2], 'u', 2, "cuts"))
        return -1;
    /* bounds are (n, 2) uint32, or uint64 past 4 GiB of records */
    *wide = 1;
    if (take(bounds, &b[1], 'u', 8, "bounds") < 0) {
        if (!b[1].held) return -1; /* not a buffer at all */
        PyErr_Clear();
        PyBuffer_Release(&b[1].view);
        b[1].held = 0;
        *wide = 0;
        if (take(bounds, &b[1], 'u', 4, "bounds") < 0) return -1;
    }
    Py_ssize_t n = b[2].view.len / 6;
    if (b[2].view.len != n * 6 || b[1].view.len / (*wide ? 16 : 8) != n ||
        b[1].view.len % (*wide ? 16 : 8)) {
        PyErr_SetString(PyExc_ValueError, "bounds and cuts of different lengths");
        return -1;
    }
    return n;
}

/* A place's name, given as its JSON string, percent-encoded as urllib.parse.quote(name,
 * safe="") encodes it. A name JSON had to escape (a quote, a backslash, a control character)
 * is handed to ``fallback`` (Python), which returns the encoding as bytes. */
static int put_quoted(Out *out, const char *json, Py_ssize_t len, PyObject *fallback) {
    static const char hex[] = "0123456789ABCDEF";
    if (len < 2 || json[0] != '"' || json[len - 1] != '"') {
        PyErr_SetString(PyExc_ValueError, "a name that is not a JSON string");
        return -1;
    }
    if (memchr(json, '\\', len)) {
        PyObject *quoted = PyObject_CallFunction(fallback, "y#", json, len);
        if (!quoted) return -1;
        if (!PyBytes_Check(quoted)) {
            Py_DECREF(quoted);
            PyErr_SetString(PyExc_TypeError, "the quoting fallback must return bytes");
            return -1;
        }
        int rc = put(out, PyBytes_AS_STRING(quoted), PyBytes_GET_SIZE(quoted));
        Py_DECREF(quoted);
        return rc;
    }
    if (out_grow(out, 3 * (len - 2)) < 0) return -1;
    char *at = out->data + out->len;
    for (Py_ssize_t i = 1; i < len - 1; i++) {
        unsigned char c = (unsigned char)json[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~') {
            *at++ = (char)c;
        } else {
            *at++ = '%';
            *at++ = hex[c >> 4];
            *at++ = hex[c & 15];
        }
    }
    out->len = at - out->data;
    return 0;
}

/* The NavLinks document (places.navigation) of a place at a GCJ-02 position. AMap, Tencent
 * and Apple (AutoNavi's data in China) take GCJ-02; Baidu takes BD-09. ``q`` is scratch
 * space, kept by the caller so a list of places allocates it once. */
static int put_links(Out *out, Out *q, double lat, double lon, const char *name,
                     Py_ssize_t name_len, PyObject *fallback, const char *src,
                     Py_ssize_t src_len) {
    double bd_lat, bd_lon;
    gcj02_to_bd09(lat, lon, &bd_lat, &bd_lon);
    /* The quoted name goes in four times: print it once, copy it thrice. */
    q->len = 0;
#define TRY(call) if ((call) < 0) return -1
    TRY(put_quoted(q, name, name_len, fallback));
    TRY(PUT(out, "{\"amap\":\"https://uri.amap.com/navigation?to="));
    TRY(put_decimal(out, lon, 6)); TRY(PUT(out, ",")); TRY(put_decimal(out, lat, 6));
    TRY(PUT(out, ",")); TRY(put(out, q->data, q->len));
    TRY(PUT(out, "&mode=walk&coordinate=gaode&callnative=1&src=")); TRY(put(out, src, src_len));
    TRY(PUT(out, "\",\"baidu\":\"https://api.map.baidu.com/direction?destination=latlng:"));
    TRY(put_decimal(out, bd_lat, 6)); TRY(PUT(out, ",")); TRY(put_decimal(out, bd_lon, 6));
    TRY(PUT(out, "|name:")); TRY(put(out, q->data, q->len));
    TRY(PUT(out, "&mode=walking&coord_type=bd09ll&output=html&src=")); TRY(put(out, src, src_len));
    TRY(PUT(out, "\",\"tencent\":\"https://apis.map.qq.com/uri/v1/routeplan?type=walk&to="));
    TRY(put(out, q->data, q->len)); TRY(PUT(out, "&tocoord="));
    TRY(put_decimal(out, lat, 6)); TRY(PUT(out, ",")); TRY(put_decimal(out, lon, 6));
    TRY(PUT(out, "&referer=")); TRY(put(out, src, src_len));
    TRY(PUT(out, "\",\"apple\":\"https://maps.apple.com/?daddr="));
    TRY(put_decimal(out, lat, 6)); TRY(PUT(out, ",")); TRY(put_decimal(out, lon, 6));
    TRY(PUT(out, "&dirflg=w&q=")); TRY(put(out, q->data, q->len));
    return PUT(out, "\"}");
#undef TRY
}

static PyObject *out_bytes(Out *out) {
    PyObject *bytes = PyBytes_FromStringAndSize(out->data ? out->data : "", out->len);
    PyMem_Free(out->data);
    return bytes;
}

PyDoc_STRVAR(links_doc,
"links(gcj_lat, gcj_lon, name_json: bytes, fallback, src: bytes) -> bytes\n\n"
"One place's NavLinks as JSON; ``fallback`` percent-encodes a name JSON had to escape.");

static PyObject *links(PyObject *self, PyObject *args) {
    double lat, lon;
    const char *name, *src;
    Py_ssize_t name_len, src_len;
    PyObject *fallback;
    if (!PyArg_ParseTuple(args, "ddy#Oy#", &lat, &lon, &name, &name_len, &fallback, &src,
                          &src_len))
        return NULL;
    Out out = {0}, q = {0};
    int rc = put_links(&out, &q, lat, lon, name, name_len, fallback, src, src_len);
    PyMem_Free(q.data);
    if (rc < 0) {
        PyMem_Free(out.data);
        return NULL;
    }
    return out_bytes(&out);
}

static const char *const COORD_SYS[] = {"wgs84", "gcj02", "bd09"};

PyDoc_STRVAR(items_doc,
"items(records, bounds, cuts, ids, kinds, lat, lon, d_lat, d_lon, pos, distance, open_now,\n"
"      kind_json, fallback, qlat, qlon, coord_sys, src) -> (documents: bytes, ends: bytes)\n\n"
"Rows ``pos`` (int64) of a segment (places.segment: its records, (n, 2) uint32 or uint64\n"
"bounds, (n, 3) uint16 cuts and columns: ids int64, kinds int16, lat/lon float64, GCJ-02\n"
"offsets float32) as the JSON objects api.citizen.place_views.NearbyPlaceOut describes, with\n"
"``distance`` (float64) and ``open_now`` (int8: 1, 0, -1) per row. ``kind_json`` holds each\n"
"kind number's code as JSON; (qlat, qlon) is the point searched around; ``coord_sys`` 0\n"
"wgs84, 1 gcj02, 2 bd09; ``src`` the percent-encoded referer. The documents come back joined\n"
"by commas, as a JSON array's body, with where each ends (int64): one buffer, not a bytes\n"
"object per place.");

static PyObject *items(PyObject *self, PyObject *args) {
    PyObject *o[12], *kind_json, *fallback;
    double qlat, qlon;
    int coord_sys;
    const char *src;
    Py_ssize_t src_len;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOO!Oddiy#", &o[0], &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &PyList_Type,
                          &kind_json, &fallback, &qlat, &qlon, &coord_sys, &src, &src_len))
        return NULL;
    if (coord_sys < 0 || coord_sys > 2) {
        PyErr_SetString(PyExc_ValueError, "coord_sys must be 0, 1 or 2");
        return NULL;
    }
    Buf b[12];
    memset(b, 0, sizeof b);
    Out out = {0}, q = {0};
    PyObject *result = NULL, *ends = NULL;
    /* records, bounds, cuts, then per place: ids, kinds, lat, lon, d_lat, d_lon; per row:
     * pos, distance, open_now. */
    const Py_ssize_t sizes[12] = {1, 0, 6, 8, 2, 8, 8, 4, 4, 8, 8, 1};
    const char kinds_of[12] = "uuuiiffffifi";
    const char *names[12] = {"records", "bounds", "cuts", "ids", "kinds", "lat", "lon",
                             "d_lat", "d_lon", "pos", "distance", "open_now"};
    int wide;
    Py_ssize_t n = take_records(o[0], o[1], o[2], b, &wide);
    if (n < 0) goto done;
    if (!isfinite(qlat) || !isfinite(qlon)) {
        PyErr_SetString(PyExc_ValueError, "a point out of range");
        goto done;
    }
    for (int i = 3; i < 12; i++)
        if (take(o[i], &b[i], kinds_of[i], sizes[i], names[i]) < 0) goto done;
    Py_ssize_t m = b[9].view.len / 8;
    for (int i = 3; i < 12; i++)
        if (b[i].view.len != (i < 9 ? n : m) * sizes[i]) {
            PyErr_SetString(PyExc_ValueError, "columns of different lengths");
            goto done;
        }
    const char *records = b[0].view.buf;
    const uint16_t *cuts = b[2].view.buf;
    const int64_t *ids = b[3].view.buf, *pos = b[9].view.buf;
    const int16_t *kinds = b[4].view.buf;
    const double *lat = b[5].view.buf, *lon = b[6].view.buf, *distance = b[10].view.buf;
    const float *d_lat = b[7].view.buf, *d_lon = b[8].view.buf;
    const int8_t *open_now = b[11].view.buf;
    ends = PyBytes_FromStringAndSize(NULL, m * 8);
    /* About 1 KiB a place: reserve for a page of them, grow past that. */
    if (!ends || out_grow(&out, (m < 64 ? m : 64) * 1536) < 0) goto done;
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t start, end;
        int64_t p = pos[i];
        if (record_at(b, n, wide, p, &start, &end) < 0) goto done;
        const uint16_t *cut = cuts + 3 * p;
        const char *record = records + start;
        if (kinds[p] < 0 || kinds[p] >= PyList_GET_SIZE(kind_json) ||
            !PyBytes_Check(PyList_GET_ITEM(kind_json, kinds[p]))) {
            PyErr_SetString(PyExc_ValueError, "a kind without its JSON");
            goto done;
        }
        PyObject *kind = PyList_GET_ITEM(kind_json, kinds[p]);
        double gcj_lat = lat[p] + (double)d_lat[p], gcj_lon = lon[p] + (double)d_lon[p];
        double loc_lat = lat[p], loc_lon = lon[p];
        if (coord_sys == 1) { loc_lat = gcj_lat; loc_lon = gcj_lon; }
        else if (coord_sys == 2) gcj02_to_bd09(gcj_lat, gcj_lon, &loc_lat, &loc_lon);
        if (!isfinite(lat[p]) || !isfinite(lon[p]) || !(fabs(distance[i]) < 1e15)) {
            PyErr_SetString(PyExc_ValueError, "a place or distance that is not a number");
            goto done;
        }
        long long bearing_deg = (long long)nearbyint(bearing_of(qlat, qlon, lat[p], lon[p])) % 360;
#define TRY(call) if ((call) < 0) goto done
        if (i > 0) TRY(PUT(&out, ","));
        TRY(PUT(&out, "{\"id\":")); TRY(put_int(&out, ids[p]));
        TRY(PUT(&out, ",\"kind\":")); TRY(put(&out, PyBytes_AS_STRING(kind), PyBytes_GET_SIZE(kind)));
        TRY(PUT(&out, ",\"name\":")); TRY(put(&out, record, cut[0]));
        TRY(PUT(&out, ",\"address\":")); TRY(put(&out, record + cut[0], cut[1] - cut[0]));
        TRY(PUT(&out, ",\"status\":")); TRY(put(&out, record + cut[1], cut[2] - cut[1]));
        TRY(PUT(&out, ",\"attributes\":"));
        TRY(put(&out, record + cut[2], (Py_ssize_t)(end - start) - cut[2]));
        TRY(PUT(&out, ",\"navigation\":"));
        TRY(put_links(&out, &q, gcj_lat, gcj_lon, record, cut[0], fallback, src, src_len));
        TRY(PUT(&out, ",\"location\":{\"lat\":")); TRY(put_decimal(&out, loc_lat, 7));
        TRY(PUT(&out, ",\"lon\":")); TRY(put_decimal(&out, loc_lon, 7));
        TRY(PUT(&out, ",\"coordSys\":\""));
        TRY(put(&out, COORD_SYS[coord_sys], strlen(COORD_SYS[coord_sys])));
        TRY(PUT(&out, "\"},\"distanceM\":")); TRY(put_int(&out, (long long)nearbyint(distance[i])));
        TRY(PUT(&out, ",\"bearingDeg\":")); TRY(put_int(&out, bearing_deg));
        TRY(PUT(&out, ",\"openNow\":"));
        TRY(open_now[i] > 0 ? PUT(&out, "true}") : open_now[i] == 0 ? PUT(&out, "false}")
                                                                    : PUT(&out, "null}"));
#undef TRY
        ((int64_t *)PyBytes_AS_STRING(ends))[i] = out.len;
    }
    PyObject *documents = PyBytes_FromStringAndSize(out.data ? out.data : "", out.len);
    if (documents) result = PyTuple_Pack(2, documents, ends);
    Py_XDECREF(documents);
done:
    Py_XDECREF(ends);
    PyMem_Free(out.data);
    PyMem_Free(q.data);
    release(b, 12);
    return result;
}

static PyMethodDef methods[] = {
    {"nearest", nearest, METH_VARARGS, nearest_doc},
    {"links", links, METH_VARARGS, links_doc},
    {"items", items, METH_VARARGS, items_doc},
    {"bearing", bearing, METH_VARARGS, bearing_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "places._kernel", "The nearby search's inner loops.", -1, methods,
};

/* The cell grid's constants go out with the module, so places.segment keys cells with the
 * numbers these loops search them by. */
PyMODINIT_FUNC PyInit__kernel(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyObject *cell = PyFloat_FromDouble(CELL);
    int rc = cell ? PyModule_AddObjectRef(m, "CELL", cell) : -1;
    Py_XDECREF(cell);
    if (rc < 0 || PyModule_AddIntConstant(m, "LAT_OFF", LAT_OFF) < 0 ||
        PyModule_AddIntConstant(m, "LON_OFF", LON_OFF) < 0 ||
        PyModule_AddIntConstant(m, "STATUS_OPEN", STATUS_OPEN) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
