/* The server's certificate and key: read and checked, or made at start. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* A PEM certificate chain or key is a few KB; anything near this is not one. */
#define PEM_MAX (1024 * 1024)
/* The self-signed certificate's life: it is made anew at every start. */
#define SELF_SIGNED_DAYS 30

static const char *opt_name(const char *key, enum ds_opt_naming naming, char *buf,
                            size_t len)
{
    return ds_server_opt_name(ds_server_opt_key(key), naming, buf, len);
}

/* The whole file as a C string (malloc'd), or NULL with the reason in why. */
static char *read_pem(const char *path, char *why, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "cannot read '%.200s': %s", path, strerror(errno));
        return NULL;
    }
    char *p = malloc(PEM_MAX + 1);
    size_t n = p ? fread(p, 1, PEM_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!p || bad || n > PEM_MAX) {
        snprintf(why, len, "cannot read '%.200s': %s", path,
                 !p ? "out of memory" : bad ? "read error" : "larger than 1 MB");
        free(p);
        return NULL;
    }
    p[n] = '\0';
    return p;
}

static gnutls_datum_t datum(const char *s)
{
    return (gnutls_datum_t){(unsigned char *)(void *)(uintptr_t)s, (unsigned)strlen(s)};
}

/* Whether pem holds at least one PEM certificate. */
static int has_certificate(const char *pem, char *why, size_t len)
{
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    gnutls_datum_t d = datum(pem);
    int rc = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    if (rc >= 0 && n > 0)
        return 1;
    snprintf(why, len, "no PEM certificate in it (%s)",
             rc < 0 ? gnutls_strerror(rc) : "empty");
    return 0;
}

static int has_key(const char *pem, char *why, size_t len)
{
    gnutls_x509_privkey_t key;
    if (gnutls_x509_privkey_init(&key) < 0) {
        snprintf(why, len, "out of memory");
        return 0;
    }
    gnutls_datum_t d = datum(pem);
    int rc = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_x509_privkey_deinit(key);
    if (rc >= 0)
        return 1;
    snprintf(why, len, "no unencrypted PEM private key in it (%s)", gnutls_strerror(rc));
    return 0;
}

/* Both files read and parsed, and the key the certificate's; -1 with err. */
static int check_pair(const struct ds_server_opts *o, enum ds_opt_naming naming,
                      struct ds_tls *t, char *err, size_t errlen)
{
    char why[300], nm[64], nm2[64];
    const char *bad = "tls_cert";
    const char *path = o->tls_cert;
    t->cert_pem = read_pem(o->tls_cert, why, sizeof why);
    if (t->cert_pem && has_certificate(t->cert_pem, why, sizeof why)) {
        bad = "tls_key";
        path = o->tls_key;
        t->key_pem = read_pem(o->tls_key, why, sizeof why);
        if (t->key_pem && has_key(t->key_pem, why, sizeof why))
            bad = NULL;
    }
    if (bad) {
        /* why names the file when it could not be read */
        if (strncmp(why, "cannot read", 11) == 0)
            snprintf(err, errlen, "%s: %s", opt_name(bad, naming, nm, sizeof nm), why);
        else
            snprintf(err, errlen, "%s: '%.200s': %s", opt_name(bad, naming, nm, sizeof nm),
                     path, why);
        return -1;
    }
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    gnutls_datum_t c = datum(t->cert_pem), k = datum(t->key_pem);
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc >= 0)
        return 0;
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        snprintf(err, errlen, "%s: '%.200s' is not the key of %s '%.200s'",
                 opt_name("tls_key", naming, nm, sizeof nm), o->tls_key,
                 opt_name("tls_cert", naming, nm2, sizeof nm2), o->tls_cert);
    else
        snprintf(err, errlen, "%s, %s: %s", opt_name("tls_cert", naming, nm, sizeof nm),
                 opt_name("tls_key", naming, nm2, sizeof nm2), gnutls_strerror(rc));
    return -1;
}

void ds_tls_free(struct ds_tls *t)
{
    free(t->cert_pem);
    free(t->key_pem);
    t->cert_pem = t->key_pem = NULL;
}

int ds_tls_check(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                 size_t errlen)
{
    char a[64], b[64];
    if (o->tls_self_signed && (o->tls_cert || o->tls_key)) {
        snprintf(err, errlen, "%s and %s: give one or the other",
                 opt_name("tls_self_signed", naming, a, sizeof a),
                 opt_name(o->tls_cert ? "tls_cert" : "tls_key", naming, b, sizeof b));
        return -1;
    }
    if (!o->tls_cert != !o->tls_key) {
        snprintf(err, errlen, "%s needs %s",
                 opt_name(o->tls_cert ? "tls_cert" : "tls_key", naming, a, sizeof a),
                 opt_name(o->tls_cert ? "tls_key" : "tls_cert", naming, b, sizeof b));
        return -1;
    }
    if (o->tls_self_signed) {
        struct stat st;
        const char *d = o->tls_self_signed;
        const char *why = stat(d, &st) != 0 ? strerror(errno)
                        : !S_ISDIR(st.st_mode) ? "not a directory"
                        : access(d, W_OK | X_OK) != 0 ? strerror(errno) : NULL;
        if (!why)
            return 0;
        snprintf(err, errlen, "%s: cannot write to directory '%.200s': %s",
                 opt_name("tls_self_signed", naming, a, sizeof a), d, why);
        return -1;
    }
    if (!o->tls_cert)
        return 0;
    struct ds_tls t = {0};
    int rc = check_pair(o, naming, &t, err, errlen);
    ds_tls_free(&t);
    return rc;
}

/* ---- the self-signed certificate ---- */

static int add_ip(gnutls_x509_crt_t crt, const char *text)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 4,
                                                    GNUTLS_FSAN_APPEND);
    if (inet_pton(AF_INET6, text, a) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 16,
                                                    GNUTLS_FSAN_APPEND);
    return 1; /* not an address */
}

/* The names a client may reach it by: the loopback ones and the host. */
static int add_names(gnutls_x509_crt_t crt, const char *host)
{
    int rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_APPEND);
    if (rc >= 0)
        rc = add_ip(crt, "127.0.0.1");
    if (rc >= 0)
        rc = add_ip(crt, "::1");
    int loopback = !strcmp(host, "127.0.0.1") || !strcmp(host, "::1")
                || !strcmp(host, "localhost");
    if (rc >= 0 && !loopback && add_ip(crt, host) == 1)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
                                                  (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
    return rc;
}

/* Version 3, a random serial, valid from an hour ago (clock skew) for
 * SELF_SIGNED_DAYS, a server's certificate for add_names. */
static int describe(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *host)
{
    unsigned char serial[16];
    time_t now = time(NULL);
    const char *cn = "dockscript serve";
    int rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f; /* positive */
    if (rc >= 0) rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0) rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (rc >= 0) rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
    if (rc >= 0) rc = gnutls_x509_crt_set_expiration_time(crt, now + SELF_SIGNED_DAYS * 86400L);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                           (unsigned)strlen(cn));
    if (rc >= 0) rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0) rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (rc >= 0) rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (rc >= 0) rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0) rc = add_names(crt, host);
    return rc;
}

static int sign(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    gnutls_privkey_t pk;
    int rc = gnutls_privkey_init(&pk);
    if (rc < 0)
        return rc;
    rc = gnutls_privkey_import_x509(pk, key, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_privkey_sign(crt, crt, pk, GNUTLS_DIG_SHA256, 0);
    gnutls_privkey_deinit(pk);
    return rc;
}

/* The PEM text of d as a malloc'd C string; frees d. */
static char *pem_string(gnutls_datum_t *d)
{
    char *s = malloc(d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
    }
    gnutls_free(d->data);
    return s;
}

/* An ECDSA P-256 key and its certificate, as PEM into t. */
static int make(const char *host, struct ds_tls *t)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t kd = {0}, cd = {0};
    int rc = gnutls_x509_privkey_init(&key);
    if (rc >= 0) rc = gnutls_x509_crt_init(&crt);
    if (rc >= 0)
        rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0) rc = describe(crt, key, host);
    if (rc >= 0) rc = sign(crt, key);
    if (rc >= 0) rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd);
    if (rc >= 0 && (t->key_pem = pem_string(&kd)) == NULL) rc = GNUTLS_E_MEMORY_ERROR;
    if (rc >= 0) rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd);
    if (rc >= 0 && (t->cert_pem = pem_string(&cd)) == NULL) rc = GNUTLS_E_MEMORY_ERROR;
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

/* DIR/cert.pem, whole or not at all: written beside it, then renamed. */
static int write_cert(const char *dir, const char *pem, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fputs(pem, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 0;
    snprintf(err, errlen, "cannot write '%.200s': %s", f ? path : tmp, strerror(errno));
    unlink(tmp);
    return -1;
}

int ds_tls_load(const struct ds_server_opts *o, struct ds_tls *t, char *err, size_t errlen)
{
    *t = (struct ds_tls){0};
    if (o->tls_cert) {
        if (check_pair(o, DS_NAME_KEY, t, err, errlen) == 0)
            return 0;
        ds_tls_free(t);
        return -1;
    }
    if (!o->tls_self_signed)
        return 0;
    int rc = make(o->host, t);
    if (rc < 0) {
        snprintf(err, errlen, "cannot make a self-signed certificate: %s", gnutls_strerror(rc));
        ds_tls_free(t);
        return -1;
    }
    if (write_cert(o->tls_self_signed, t->cert_pem, err, errlen) != 0) {
        ds_tls_free(t);
        return -1;
    }
    return 0;
}
