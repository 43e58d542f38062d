/*
 * tool_common.c - helpers shared by the secdec command-line tools.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tool_common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char *progname = "secdec";

void tool_set_progname(const char *name)
{
    const char *slash = name ? strrchr(name, '/') : NULL;
    if (name)
        progname = slash ? slash + 1 : name;
}

const char *tool_progname(void)
{
    return progname;
}

/* "prog: message" on stderr, without the newline. */
static void vmessage(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void vmessage(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
}

void tool_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

char *tool_status_format(SecdecStatus status, char *buf, size_t size)
{
    snprintf(buf, size, "%s (%s, 0x%08X)", secdec_status_to_string(status),
             secdec_status_name(status), (unsigned)secdec_status_to_hresult(status));
    return buf;
}

void tool_status_error(const char *what, SecdecStatus status)
{
    char buf[256];
    tool_error("%s: %s", what, tool_status_format(status, buf, sizeof buf));
}

int tool_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
    return TOOL_EXIT_USAGE;
}

void tool_print_version(void)
{
    printf("%s (secdec) %d.%d.%d\n", progname, SECDEC_VERSION_MAJOR, SECDEC_VERSION_MINOR,
           SECDEC_VERSION_PATCH);
    printf("libsecdec %s\n", secdec_version());
    printf("Copyright (C) 2026 secdec developers\n"
           "License LGPL-2.1-or-later <https://www.gnu.org/licenses/old-licenses/lgpl-2.1.html>.\n");
}

void tool_uuid(const uint8_t in[16], char out[37])
{
    char hex[33];
    sdc_hex_encode(in, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void tool_fingerprint(const uint8_t fp[32], char out[96])
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < 32; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = digits[fp[i] >> 4];
        out[o++] = digits[fp[i] & 15];
    }
    out[o] = '\0';
}

int tool_read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    bool is_stdin = strcmp(path, "-") == 0;

    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        tool_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nbuf;
            if (cap >= TOOL_MAX_FILE_SIZE + 1) {
                tool_error("'%s' is too large (more than %u bytes)", path, TOOL_MAX_FILE_SIZE);
                goto fail;
            }
            if (ncap > TOOL_MAX_FILE_SIZE + 1)
                ncap = TOOL_MAX_FILE_SIZE + 1;
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                tool_error("out of memory reading '%s'", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                tool_error("cannot read '%s': %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    if (len > TOOL_MAX_FILE_SIZE) {
        tool_error("'%s' is too large (more than %u bytes)", path, TOOL_MAX_FILE_SIZE);
        goto fail;
    }
    if (!is_stdin)
        fclose(f);
    if (!buf) {
        buf = malloc(1);
        if (!buf) {
            tool_error("out of memory");
            return -1;
        }
    }
    *data = buf;
    *size = len;
    return 0;

fail:
    if (!is_stdin)
        fclose(f);
    free(buf);
    return -1;
}

bool tool_stdout_is_tty(void)
{
    return isatty(STDOUT_FILENO) == 1;
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

int tool_write_file(const char *path, const uint8_t *data, size_t size, unsigned mode)
{
    char *tmp;
    int fd;
    size_t plen;

    if (strcmp(path, "-") == 0) {
        if (tool_stdout_is_tty()) {
            tool_error("refusing to write binary data to a terminal");
            return -1;
        }
        if (write_all(STDOUT_FILENO, data, size) != 0) {
            tool_error("cannot write to standard output: %s", strerror(errno));
            return -1;
        }
        return 0;
    }

    plen = strlen(path);
    tmp = malloc(plen + 16);
    if (!tmp) {
        tool_error("out of memory");
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        tool_error("cannot create '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, size) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        tool_error("cannot write '%s': %s", path, strerror(e));
        free(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        tool_error("cannot write '%s': %s", path, strerror(e));
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static void tool_logger(void *cookie, SecdecLogLevel level, const char *message)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)cookie;
    fprintf(stderr, "%s: libsecdec %s: %s\n", progname,
            (unsigned)level < 4 ? names[level] : "log", message);
}

SecdecStatus tool_open_device(const ToolDeviceOptions *opts, SecdecDevice **out)
{
    SecdecDeviceSettings settings;
    SecdecStatus st;

    secdec_device_default_settings(&settings);
    settings.home_dir = opts->home;
    settings.allow_unlocked_memory = opts->allow_unlocked ? 1 : 0;
    settings.provision = opts->no_provision ? 0 : 1;
    settings.logger = tool_logger;
    settings.logger_cookie = NULL;
    settings.log_level = opts->verbose >= 2   ? SECDEC_LOG_DEBUG
                         : opts->verbose == 1 ? SECDEC_LOG_INFO
                                              : SECDEC_LOG_WARNING;
    st = secdec_device_open(out, &settings);
    if (st != SECDEC_OK)
        tool_status_error("cannot open device", st);
    return st;
}

int tool_common_option(int c, char **argv, const char *help, ToolDeviceOptions *dev)
{
    switch (c) {
    case 'h':
        fputs(help, stdout);
        return TOOL_EXIT_OK;
    case 'V':
        tool_print_version();
        return TOOL_EXIT_OK;
    case 'v':
        dev->verbose++;
        return TOOL_OPTION_NEXT;
    case TOOL_OPT_HOME:
        if (!*optarg)
            return tool_usage_error("--home: empty directory name");
        dev->home = optarg;
        return TOOL_OPTION_NEXT;
    case TOOL_OPT_ALLOW_UNLOCKED:
        dev->allow_unlocked = true;
        return TOOL_OPTION_NEXT;
    case TOOL_OPT_NO_PROVISION:
        dev->no_provision = true;
        return TOOL_OPTION_NEXT;
    case ':':
        return tool_usage_error("option '%s' requires an argument", argv[optind - 1]);
    default:
        if (optopt && optopt < 0x100)
            return tool_usage_error("unknown option '-%c'", optopt);
        return tool_usage_error("unknown option '%s'", argv[optind - 1]);
    }
}

char *tool_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

char *tool_resolve_home(const char *override)
{
    const char *e;
    if (override)
        return strdup(override);
    e = getenv("SECDEC_HOME");
    if (e && *e)
        return strdup(e);
    /* Same rules as the library (core/src/device.c): a relative $XDG_DATA_HOME is ignored
     * (XDG Base Directory spec); without $HOME the passwd entry is used. */
    e = getenv("XDG_DATA_HOME");
    if (e && e[0] == '/')
        return tool_path_join(e, "secdec");
    e = getenv("HOME");
    if (!e || !*e) {
        struct passwd *pw = getpwuid(getuid());
        e = pw ? pw->pw_dir : NULL;
    }
    if (e && *e)
        return tool_path_join(e, ".local/share/secdec");
    return NULL;
}

static int append(uint8_t **buf, size_t *len, const uint8_t *data, size_t n)
{
    uint8_t *nb = realloc(*buf, *len + n);
    if (!nb)
        return -1;
    memcpy(nb + *len, data, n);
    *buf = nb;
    *len += n;
    return 0;
}

int tool_load_certificate_chain(const char *path, uint8_t **der, size_t *size)
{
    uint8_t *data;
    size_t len;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int count;

    if (tool_read_file(path, &data, &len) != 0)
        return -1;

    if (len > 0 && data[0] == 0x30) {
        /* DER: must parse completely as one or more certificates. */
        count = tool_foreach_certificate(data, len, NULL, NULL);
        if (count <= 0) {
            tool_error("'%s' is not a DER X.509 certificate (chain)", path);
            free(data);
            return -1;
        }
        *der = data;
        *size = len;
        return 0;
    }

    /* PEM: every CERTIFICATE block, in order. */
    {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        X509 *x;
        count = 0;
        if (!bio) {
            tool_error("out of memory");
            free(data);
            return -1;
        }
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            unsigned char *d = NULL;
            int n = i2d_X509(x, &d);
            X509_free(x);
            if (n <= 0 || append(&out, &out_len, d, (size_t)n) != 0) {
                OPENSSL_free(d);
                BIO_free(bio);
                free(out);
                free(data);
                tool_error("cannot convert '%s' to DER", path);
                return -1;
            }
            OPENSSL_free(d);
            count++;
        }
        BIO_free(bio);
    }
    free(data);
    if (count == 0) {
        tool_error("'%s' holds no certificate (expected DER or PEM \"CERTIFICATE\")", path);
        free(out);
        return -1;
    }
    *der = out;
    *size = out_len;
    return 0;
}

int tool_foreach_certificate(const uint8_t *der, size_t size, ToolCertFn fn, void *cookie)
{
    const unsigned char *p = der;
    const unsigned char *end = der + size;
    unsigned index = 0;

    if (size == 0 || size > LONG_MAX)
        return -1;
    while (p < end) {
        const unsigned char *start = p;
        X509 *x = d2i_X509(NULL, &p, (long)(end - p));
        if (!x || p <= start)
            return -1;
        if (fn) {
            char subject[512], issuer[512];
            uint8_t fp[32];
            unsigned int fplen = 0;
            X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
            X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof issuer);
            if (EVP_Digest(start, (size_t)(p - start), fp, &fplen, EVP_sha256(), NULL) != 1) {
                X509_free(x);
                return -1;
            }
            fn(cookie, index, start, (size_t)(p - start), subject, issuer, fp);
        }
        X509_free(x);
        index++;
    }
    return (int)index;
}

const char *tool_oaep_name(SecdecOaepHash hash)
{
    switch (hash) {
    case SECDEC_OAEP_SHA512:
        return "sha512";
    case SECDEC_OAEP_SHA256:
        return "sha256";
    case SECDEC_OAEP_SHA1:
        return "sha1";
    }
    return "unknown";
}

int tool_parse_oaep(const char *s, SecdecOaepHash *hash)
{
    if (!strcasecmp(s, "sha512") || !strcasecmp(s, "sha-512"))
        *hash = SECDEC_OAEP_SHA512;
    else if (!strcasecmp(s, "sha256") || !strcasecmp(s, "sha-256"))
        *hash = SECDEC_OAEP_SHA256;
    else if (!strcasecmp(s, "sha1") || !strcasecmp(s, "sha-1"))
        *hash = SECDEC_OAEP_SHA1;
    else
        return -1;
    return 0;
}
