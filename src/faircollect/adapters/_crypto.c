/* Batch digests and AES-GCM seals for the tape import: many short values in one call.
 *
 * Why: the import fingerprints, indexes and seals every borrower's personal fields and hashes
 * every loan and payment record: a million-loan tape makes about ten million calls, and
 * CPython's per-call overhead (hashlib, hmac, cryptography's AESGCM) costs more than the
 * hashing. Here the values come as one Arrow-style buffer (data + int64 offsets), the work runs
 * over OpenSSL's libcrypto with the GIL released and split over two threads, and the result is
 * one bytes object. Output is byte-identical to hashlib / hmac / cryptography's AESGCM given the
 * same nonces (property tests check); faircollect.adapters.batch_crypto falls back to those
 * when this extension is not built.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#define HASH 32
#define NONCE 12
#define TAG 16
#define THREADS 2
#define MIN_PARALLEL 4096
#define BLOCK 64

typedef struct {
    const unsigned char *data;
    const int64_t *offsets;
    const unsigned char *prefix;
    Py_ssize_t prefix_len;
    /* HMAC: the key's inner and outer pads (key already hashed to a block when longer). */
    const unsigned char *ipad, *opad;
    int keyed;
    int chars;
    unsigned char *out;
    Py_ssize_t start, end;
} digest_job;

static const char HEX[] = "0123456789abcdef";

static void *digest_run(void *arg) {
    digest_job *job = (digest_job *)arg;
    unsigned char digest[HASH];
    for (Py_ssize_t i = job->start; i < job->end; i++) {
        const unsigned char *value = job->data + job->offsets[i];
        size_t length = (size_t)(job->offsets[i + 1] - job->offsets[i]);
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        if (job->keyed) {
            SHA256_Update(&ctx, job->ipad, BLOCK);
        }
        SHA256_Update(&ctx, job->prefix, (size_t)job->prefix_len);
        SHA256_Update(&ctx, value, length);
        SHA256_Final(digest, &ctx);
        if (job->keyed) {
            SHA256_Init(&ctx);
            SHA256_Update(&ctx, job->opad, BLOCK);
            SHA256_Update(&ctx, digest, HASH);
            SHA256_Final(digest, &ctx);
        }
        unsigned char *out = job->out + i * job->chars;
        for (int c = 0; c < job->chars; c++) {
            unsigned char byte = digest[c / 2];
            out[c] = (unsigned char)HEX[(c % 2) ? (byte & 0x0f) : (byte >> 4)];
        }
    }
    return NULL;
}

typedef struct {
    const unsigned char *key;
    const unsigned char *nonces;
    const unsigned char *aad_prefix;
    Py_ssize_t aad_prefix_len;
    const unsigned char *aad;
    const int64_t *aad_offsets;
    const unsigned char *data;
    const int64_t *offsets;
    unsigned char *out;
    Py_ssize_t start, end;
    int failed;
} seal_job;

static void *seal_run(void *arg) {
    seal_job *job = (seal_job *)arg;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, job->key, NULL) != 1) {
        job->failed = 1;
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    for (Py_ssize_t i = job->start; i < job->end; i++) {
        const unsigned char *nonce = job->nonces + i * NONCE;
        /* Each output is nonce || ciphertext || tag, as PiiCipher.seal writes it. */
        unsigned char *out = job->out + job->offsets[i] + i * (NONCE + TAG);
        int length = (int)(job->offsets[i + 1] - job->offsets[i]);
        int aad_length = (int)(job->aad_offsets[i + 1] - job->aad_offsets[i]);
        int done = 0, last = 0;
        memcpy(out, nonce, NONCE);
        /* The key stays set: only the nonce changes between values. */
        if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
            EVP_EncryptUpdate(ctx, NULL, &done, job->aad_prefix, (int)job->aad_prefix_len) != 1 ||
            (aad_length &&
             EVP_EncryptUpdate(ctx, NULL, &done, job->aad + job->aad_offsets[i], aad_length) != 1) ||
            EVP_EncryptUpdate(ctx, out + NONCE, &done, job->data + job->offsets[i], length) != 1 ||
            EVP_EncryptFinal_ex(ctx, out + NONCE + done, &last) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, out + NONCE + length) != 1) {
            job->failed = 1;
            break;
        }
    }
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}

/* Runs fn over [0, n) in THREADS slices (one slice below MIN_PARALLEL); `jobs` holds THREADS
 * copies of the job, `size` bytes each, whose start/end fields this sets through `set`. */
static void run(void *(*fn)(void *), void *jobs, size_t size, Py_ssize_t n,
                void (*set)(void *, Py_ssize_t, Py_ssize_t)) {
    if (n < MIN_PARALLEL) {
        set(jobs, 0, n);
        fn(jobs);
        return;
    }
    pthread_t threads[THREADS];
    int started[THREADS] = {0};
    for (int t = 0; t < THREADS; t++) {
        void *job = (char *)jobs + (size_t)t * size;
        set(job, n * t / THREADS, n * (t + 1) / THREADS);
        started[t] = pthread_create(&threads[t], NULL, fn, job) == 0;
        if (!started[t]) {
            fn(job);
        }
    }
    for (int t = 0; t < THREADS; t++) {
        if (started[t]) {
            pthread_join(threads[t], NULL);
        }
    }
}

static void set_digest(void *job, Py_ssize_t start, Py_ssize_t end) {
    ((digest_job *)job)->start = start;
    ((digest_job *)job)->end = end;
}

static void set_seal(void *job, Py_ssize_t start, Py_ssize_t end) {
    ((seal_job *)job)->start = start;
    ((seal_job *)job)->end = end;
}

/* Checks that `offsets` holds n + 1 non-decreasing int64 offsets within a `size`-byte buffer. */
static int check_offsets(Py_buffer *offsets, Py_ssize_t size, Py_ssize_t *n, const char *what) {
    if (offsets->len % 8 != 0 || offsets->len < 8) {
        PyErr_Format(PyExc_ValueError, "%s offsets must be int64 and at least one", what);
        return -1;
    }
    const int64_t *at = (const int64_t *)offsets->buf;
    *n = offsets->len / 8 - 1;
    for (Py_ssize_t i = 0; i <= *n; i++) {
        if (at[i] < 0 || at[i] > size || (i && at[i] < at[i - 1])) {
            PyErr_Format(PyExc_ValueError, "%s offset %zd is out of order or range", what, i);
            return -1;
        }
    }
    return 0;
}

/* hex_digests(key, prefix, data, offsets, chars) -> bytes: for each value
 * data[offsets[i]:offsets[i+1]], the first `chars` hex digits of SHA-256(prefix || value), or of
 * HMAC-SHA256(key, prefix || value) when key is not None; concatenated. */
static PyObject *hex_digests(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *key_obj;
    Py_buffer prefix, data, offsets;
    int chars;
    if (!PyArg_ParseTuple(args, "Oy*y*y*i", &key_obj, &prefix, &data, &offsets, &chars)) {
        return NULL;
    }
    PyObject *result = NULL;
    unsigned char ipad[BLOCK], opad[BLOCK];
    Py_ssize_t n = 0;
    int keyed = key_obj != Py_None;
    if (chars < 0 || chars > 2 * HASH) {
        PyErr_SetString(PyExc_ValueError, "chars must be between 0 and 64");
        goto done;
    }
    if (check_offsets(&offsets, data.len, &n, "value") < 0) {
        goto done;
    }
    if (keyed) {
        char *key;
        Py_ssize_t key_len;
        if (PyBytes_AsStringAndSize(key_obj, &key, &key_len) < 0) {
            goto done;
        }
        unsigned char block[BLOCK] = {0};
        if (key_len > BLOCK) {
            SHA256((const unsigned char *)key, (size_t)key_len, block);
        } else {
            memcpy(block, key, (size_t)key_len);
        }
        for (int k = 0; k < BLOCK; k++) {
            ipad[k] = block[k] ^ 0x36;
            opad[k] = block[k] ^ 0x5c;
        }
    }
    result = PyBytes_FromStringAndSize(NULL, n * chars);
    if (result != NULL) {
        digest_job base = {data.buf, offsets.buf, prefix.buf, prefix.len, ipad, opad, keyed,
                           chars, (unsigned char *)PyBytes_AS_STRING(result), 0, 0};
        digest_job jobs[THREADS] = {base, base};
        Py_BEGIN_ALLOW_THREADS
        run(digest_run, jobs, sizeof(digest_job), n, set_digest);
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return result;
}

/* gcm_seal(key, nonces, aad_prefix, aad, aad_offsets, data, offsets) -> bytes: for each value,
 * nonce || AES-256-GCM(key, nonce, value, aad_prefix || aad value) || tag, concatenated. */
static PyObject *gcm_seal(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer key, nonces, aad_prefix, aad, aad_offsets, data, offsets;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*", &key, &nonces, &aad_prefix, &aad, &aad_offsets,
                          &data, &offsets)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t n = 0, aad_n = 0;
    if (key.len != 32) {
        PyErr_SetString(PyExc_ValueError, "the key must be 32 bytes");
        goto done;
    }
    if (check_offsets(&offsets, data.len, &n, "value") < 0 ||
        check_offsets(&aad_offsets, aad.len, &aad_n, "associated data") < 0) {
        goto done;
    }
    if (aad_n != n || nonces.len != n * NONCE) {
        PyErr_SetString(PyExc_ValueError, "one nonce and one associated data per value");
        goto done;
    }
    const int64_t *ends = offsets.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ends[i + 1] - ends[i] > INT32_MAX / 2) {
            PyErr_SetString(PyExc_ValueError, "a value is too long to seal");
            goto done;
        }
    }
    Py_ssize_t size = (ends[n] - ends[0]) + n * (NONCE + TAG);
    if (ends[0] != 0) {
        PyErr_SetString(PyExc_ValueError, "value offsets must start at 0");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, size);
    if (result != NULL) {
        seal_job base = {key.buf, nonces.buf, aad_prefix.buf, aad_prefix.len, aad.buf,
                         aad_offsets.buf, data.buf, offsets.buf,
                         (unsigned char *)PyBytes_AS_STRING(result), 0, 0, 0};
        seal_job jobs[THREADS] = {base, base};
        Py_BEGIN_ALLOW_THREADS
        run(seal_run, jobs, sizeof(seal_job), n, set_seal);
        Py_END_ALLOW_THREADS
        if (jobs[0].failed || jobs[1].failed) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_RuntimeError, "AES-GCM sealing failed in libcrypto");
        }
    }
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&nonces);
    PyBuffer_Release(&aad_prefix);
    PyBuffer_Release(&aad);
    PyBuffer_Release(&aad_offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return result;
}

static PyMethodDef methods[] = {
    {"hex_digests", hex_digests, METH_VARARGS, "Hex SHA-256 or HMAC-SHA256 of many values."},
    {"gcm_seal", gcm_seal, METH_VARARGS, "AES-256-GCM seals of many values."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_crypto", NULL, -1, methods};

PyMODINIT_FUNC PyInit__crypto(void) { return PyModule_Create(&module); }
