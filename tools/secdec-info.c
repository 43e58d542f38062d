/*
 * secdec-info - show what libsecdec and this device offer (like vainfo), and export the
 * device certificate chain.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "tool_common.h"

#include <secdec/secdec.h>
#ifdef SECDEC_HAVE_VAAPI
#include <secdec/vaapi.h>
#endif

/* The help texts are long single literals on purpose (easy to read and to keep in step with
 * the man pages); C11 only promises 4095-byte literals, every compiler we build with takes more. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
static const char help_text[] =
    "NAME\n"
    "    secdec-info - show libsecdec's backends, device identity and content-protection caps\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-info [--home DIR] [--json] [-v] [--allow-unlocked-memory] [--no-provision]\n"
    "    secdec-info [--home DIR] --certificate FILE\n"
    "    secdec-info --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Opens the secdec device at the home directory (creating its RSA-2048 identity on\n"
    "    first use unless --no-provision is given) and prints, like vainfo does for VA-API:\n"
    "      - the library version and the backends (software; VA-API when built in);\n"
    "      - the device home, the identity files and whether secret memory is locked (mlock);\n"
    "      - the certificate chain returned by a crypto session's GetCertificate: subject,\n"
    "        issuer and SHA-256 fingerprint of each certificate, and the device fingerprint\n"
    "        that licenses are bound to;\n"
    "      - the GetContentProtectionCaps table: for every crypto type the library knows and\n"
    "        every decoder profile (and no profile), the caps flags, block alignment,\n"
    "        protected memory size and key-exchange types (CheckCryptoKeyExchange), or the\n"
    "        error (NOTAVAILABLE, UNSUPPORTEDCRYPTO).\n"
    "\n"
    "    With --certificate FILE it instead exports the certificate chain (DER certificates,\n"
    "    leaf first, concatenated) obtained the Direct3D way - CreateCryptoSession\n"
    "    (AES128_CTR, RSAES-OAEP), GetCertificateSize, GetCertificate - for the content owner,\n"
    "    who issues licenses for it with 'secdec-license issue'.\n"
    "\n"
    "OPTIONS\n"
    "    --home DIR               device home (identity and license store) instead of\n"
    "                             $SECDEC_HOME\n"
    "    -c, --certificate FILE   write the DER certificate chain to FILE ('-': standard\n"
    "                             output, not a terminal); FILE is replaced atomically, mode\n"
    "                             0644; 'openssl x509 -inform DER -in FILE' reads it\n"
    "    -j, --json               print the information as JSON\n"
    "    --allow-unlocked-memory  continue when secret memory cannot be locked; the default\n"
    "                             is to fail with SECDEC_E_MEMLOCK\n"
    "    --no-provision           fail with SECDEC_E_IDENTITY instead of creating an identity\n"
    "    -v, --verbose            more library messages on standard error (repeat for debug)\n"
    "    -h, --help               show this help and exit\n"
    "    -V, --version            show version and exit\n"
    "\n"
    "ENVIRONMENT\n"
    "    SECDEC_HOME     device home directory (device.key, device.crt, licenses/)\n"
    "    XDG_DATA_HOME   without SECDEC_HOME, the home is $XDG_DATA_HOME/secdec\n"
    "    HOME            without both, the home is $HOME/.local/share/secdec\n"
    "\n"
    "EXIT STATUS\n"
    "    0   success\n"
    "    1   the device cannot be opened or queried, or the certificate cannot be written (the\n"
    "        message names the secdec status and its HRESULT)\n"
    "    2   usage error\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-info\n"
    "    secdec-info --json | jq .caps\n"
    "    secdec-info --certificate device.der && openssl x509 -inform DER -in device.der -noout -text\n"
    "    SECDEC_HOME=/var/lib/secdec secdec-info --no-provision\n"
    "\n"
    "SEE ALSO\n"
    "    secdec-license(1), docs/license-format.md\n";

#pragma GCC diagnostic pop

static const struct {
    uint32_t flag;
    const char *name;
} cap_names[] = {
    {SECDEC_CAPS_SOFTWARE, "SOFTWARE"},
    {SECDEC_CAPS_HARDWARE, "HARDWARE"},
    {SECDEC_CAPS_PROTECTION_ALWAYS_ON, "PROTECTION_ALWAYS_ON"},
    {SECDEC_CAPS_PARTIAL_DECRYPTION, "PARTIAL_DECRYPTION"},
    {SECDEC_CAPS_CONTENT_KEY, "CONTENT_KEY"},
    {SECDEC_CAPS_FRESHEN_SESSION_KEY, "FRESHEN_SESSION_KEY"},
    {SECDEC_CAPS_ENCRYPTED_READ_BACK, "ENCRYPTED_READ_BACK"},
    {SECDEC_CAPS_ENCRYPTED_READ_BACK_KEY, "ENCRYPTED_READ_BACK_KEY"},
    {SECDEC_CAPS_SEQUENTIAL_CTR_IV, "SEQUENTIAL_CTR_IV"},
    {SECDEC_CAPS_ENCRYPT_SLICEDATA_ONLY, "ENCRYPT_SLICEDATA_ONLY"},
    {SECDEC_CAPS_DECRYPTION_BLT, "DECRYPTION_BLT"},
    {SECDEC_CAPS_HARDWARE_PROTECT_UNCOMPRESSED, "HARDWARE_PROTECT_UNCOMPRESSED"},
    {SECDEC_CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE, "HARDWARE_PROTECTED_MEMORY_PAGEABLE"},
    {SECDEC_CAPS_HARDWARE_TEARDOWN, "HARDWARE_TEARDOWN"},
    {SECDEC_CAPS_HARDWARE_DRM_COMMUNICATION, "HARDWARE_DRM_COMMUNICATION"},
};

/* Short display name of a GUID: the Direct3D name without its common prefix, else the GUID. */
static const char *guid_short(const SecdecGuid *g, char buf[37])
{
    static const char *const prefixes[] = {
        "D3D11_CRYPTO_TYPE_", "D3D11_DECODER_PROFILE_", "D3D11_KEY_EXCHANGE_",
        "D3D11_DECODER_BITSTREAM_ENCRYPTION_TYPE_",
    };
    const char *name;
    if (!g)
        return "(none)";
    name = secdec_guid_name(g);
    if (!name)
        return secdec_guid_to_string(g, buf);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) == 0)
            return name + n;
    }
    return name;
}

static void caps_to_string(uint32_t caps, char *buf, size_t size)
{
    size_t o = 0;
    uint32_t known = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
        known |= cap_names[i].flag;
        if (caps & cap_names[i].flag) {
            int n = snprintf(buf + o, size - o, "%s%s", o ? "|" : "", cap_names[i].name);
            if (n < 0 || (size_t)n >= size - o)
                return;
            o += (size_t)n;
        }
    }
    if (caps & ~known)
        snprintf(buf + o, size - o, "%s0x%x", o ? "|" : "", (unsigned)(caps & ~known));
    else if (o == 0)
        snprintf(buf, size, "none");
}

/* ---- certificate chain --------------------------------------------------------------------- */

static SecdecStatus get_certificate_chain(SecdecDevice *dev, uint8_t **der, uint32_t *size)
{
    SecdecCryptoSession *s = NULL;
    SecdecStatus st;
    uint32_t n = 0;
    uint8_t *buf;

    st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                      &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    if (st != SECDEC_OK) {
        tool_status_error("CreateCryptoSession failed", st);
        return st;
    }
    st = secdec_crypto_session_get_certificate_size(dev, s, &n);
    if (st != SECDEC_OK) {
        tool_status_error("GetCertificateSize failed", st);
        goto out;
    }
    buf = malloc(n ? n : 1);
    if (!buf) {
        st = SECDEC_E_OUTOFMEMORY;
        tool_status_error("GetCertificate failed", st);
        goto out;
    }
    st = secdec_crypto_session_get_certificate(dev, s, n, buf);
    if (st != SECDEC_OK) {
        free(buf);
        tool_status_error("GetCertificate failed", st);
        goto out;
    }
    *der = buf;
    *size = n;
out:
    secdec_crypto_session_destroy(&s);
    return st;
}

typedef struct CertPrint {
    bool json;
    JsonBuilder *b;
} CertPrint;

static void print_cert(void *cookie, unsigned index, const uint8_t *der, size_t size,
                       const char *subject, const char *issuer, const uint8_t fp[32])
{
    CertPrint *cp = cookie;
    char fps[96];
    tool_fingerprint(fp, fps);
    if (cp->json) {
        json_builder_begin_object(cp->b);
        json_builder_set_member_name(cp->b, "index");
        json_builder_add_int_value(cp->b, index);
        json_builder_set_member_name(cp->b, "size");
        json_builder_add_int_value(cp->b, (gint64)size);
        json_builder_set_member_name(cp->b, "subject");
        json_builder_add_string_value(cp->b, subject);
        json_builder_set_member_name(cp->b, "issuer");
        json_builder_add_string_value(cp->b, issuer);
        json_builder_set_member_name(cp->b, "sha256");
        json_builder_add_string_value(cp->b, fps);
        json_builder_end_object(cp->b);
    } else {
        (void)der;
        printf("  [%u] subject : %s\n", index, subject);
        printf("      issuer  : %s\n", issuer);
        printf("      SHA-256 : %s\n", fps);
        printf("      size    : %zu bytes\n", size);
    }
}

/* ---- backends -------------------------------------------------------------------------------- */

static void silent_logger(void *cookie, SecdecLogLevel level, const char *message)
{
    (void)cookie;
    (void)level;
    (void)message;
}

/* Probes whether a backend can be opened (without provisioning an identity). */
static SecdecStatus probe_backend(SecdecBackend backend, const char *home)
{
    SecdecDeviceSettings set;
    SecdecDevice *d = NULL;
    SecdecStatus st;
    secdec_device_default_settings(&set);
    set.backend = backend;
    set.home_dir = home;
    set.provision = 0;
    set.allow_unlocked_memory = 1;
    set.logger = silent_logger;
    st = secdec_device_open(&d, &set);
    secdec_device_close(&d);
    return st;
}

#ifdef SECDEC_HAVE_VAAPI
/* One line per VA device, then what it offers for protected decode. */
static void print_va_device(void *cookie, const SecdecVaapiDeviceInfo *d)
{
    (void)cookie;
    printf("  %s: %s\n", d->path, d->vendor ? d->vendor : "cannot be initialised");
    if (!d->vendor)
        return;
    if (!d->protected_content) {
        printf("    protected content : no (no VAProfileProtected/VAEntrypointProtectedContent)\n");
        return;
    }
    printf("    protected content : AES-128%s%s, %s; secdec TEE protocol: %s\n",
           d->cipher_modes & VA_PC_CIPHER_MODE_CTR ? " CTR" : "",
           d->cipher_modes & VA_PC_CIPHER_MODE_CBC ? " CBC" : "",
           d->sample_types & VA_PC_SAMPLE_TYPE_SUBSAMPLE ? "subsample" : "full sample only",
           d->secdec_tee ? "yes" : "no");
    for (unsigned i = 0; secdec_known_decoder_profile(i) && i < 8; i++) {
        uint32_t e = d->encryption_types[i];
        if (!e)
            continue;
        printf("    %-40s: %s%s\n", secdec_guid_name(secdec_known_decoder_profile(i)),
               e & VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR ? "cenc/cens (CTR) " : "",
               e & VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC ? "cbcs/cbc1 (CBC)" : "");
    }
}
#endif

/* ---- main ------------------------------------------------------------------------------------ */

typedef struct CapsRow {
    const SecdecGuid *crypto;
    const SecdecGuid *profile;
    SecdecStatus status;
    SecdecContentProtectionCaps caps;
    SecdecGuid kx[8];
    SecdecStatus kx_status[8];
    uint32_t n_kx;
} CapsRow;

static void query_caps(SecdecDevice *dev, CapsRow *row)
{
    row->status = secdec_device_get_content_protection_caps(dev, row->crypto, row->profile,
                                                            &row->caps);
    row->n_kx = 0;
    if (row->status != SECDEC_OK)
        return;
    for (uint32_t i = 0; i < row->caps.key_exchange_type_count && i < 8; i++) {
        row->kx_status[i] =
            secdec_device_check_crypto_key_exchange(dev, row->crypto, row->profile, i, &row->kx[i]);
        row->n_kx++;
    }
}

static void json_add_status(JsonBuilder *b, SecdecStatus st)
{
    char hr[16];
    snprintf(hr, sizeof hr, "0x%08X", (unsigned)secdec_status_to_hresult(st));
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, secdec_status_name(st));
    json_builder_set_member_name(b, "hresult");
    json_builder_add_string_value(b, hr);
    if (st != SECDEC_OK) {
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, secdec_status_to_string(st));
    }
}

static void json_add_guid(JsonBuilder *b, const char *member, const SecdecGuid *g)
{
    char buf[37];
    const char *name;
    json_builder_set_member_name(b, member);
    if (!g) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "guid");
    json_builder_add_string_value(b, secdec_guid_to_string(g, buf));
    name = secdec_guid_name(g);
    json_builder_set_member_name(b, "name");
    if (name)
        json_builder_add_string_value(b, name);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

static const char *file_state(const char *path, char *buf, size_t size)
{
    struct stat stbuf;
    if (!path)
        return "?";
    if (stat(path, &stbuf) != 0)
        snprintf(buf, size, "%s (%s)", path, strerror(errno));
    else
        snprintf(buf, size, "%s (mode %04o, %lld bytes)", path, (unsigned)(stbuf.st_mode & 07777),
                 (long long)stbuf.st_size);
    return buf;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        TOOL_COMMON_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"certificate", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    ToolDeviceOptions dopts = {0};
    const char *cert_out = NULL;
    bool json = false;
    SecdecDevice *dev = NULL;
    SecdecBackend backend = SECDEC_BACKEND_AUTO;
    SecdecStatus st;
    uint8_t *chain = NULL;
    uint32_t chain_size = 0;
    uint8_t dev_fp[32];
    char fps[96];
    const char *home;
    char *key_path = NULL, *crt_path = NULL;
    int locked;
    int ret = 1;
    int c;
    CapsRow *rows = NULL;
    size_t n_rows = 0, n_crypto = 0, n_prof = 0;

    tool_set_progname(argc > 0 ? argv[0] : "secdec-info");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hVvjc:", longopts, NULL)) != -1) {
        int r;
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'c':
            cert_out = optarg;
            break;
        default:
            r = tool_common_option(c, argv, help_text, &dopts);
            if (r != TOOL_OPTION_NEXT)
                return r;
            break;
        }
    }
    if (optind < argc)
        return tool_usage_error("unexpected argument '%s'", argv[optind]);
    if (cert_out && json)
        return tool_usage_error("--certificate and --json cannot be combined");

    if (tool_open_device(&dopts, &dev) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;

    if (get_certificate_chain(dev, &chain, &chain_size) != SECDEC_OK)
        goto out;

    if (cert_out) {
        uint8_t fp[32];
        if (tool_write_file(cert_out, chain, chain_size, 0644) != 0)
            goto out;
        if (strcmp(cert_out, "-") != 0) {
            st = secdec_device_get_certificate_fingerprint(dev, fp);
            if (st == SECDEC_OK) {
                tool_fingerprint(fp, fps);
                printf("Wrote certificate chain of %s (%u bytes, SHA-256 %s) to %s\n",
                       secdec_device_get_home(dev), (unsigned)chain_size, fps, cert_out);
            } else {
                printf("Wrote certificate chain (%u bytes) to %s\n", (unsigned)chain_size,
                       cert_out);
            }
        }
        ret = TOOL_EXIT_OK;
        goto out;
    }

    st = secdec_device_get_backend(dev, &backend);
    if (st != SECDEC_OK) {
        tool_status_error("cannot query the backend", st);
        goto out;
    }
    st = secdec_device_get_certificate_fingerprint(dev, dev_fp);
    if (st != SECDEC_OK) {
        tool_status_error("cannot read the certificate fingerprint", st);
        goto out;
    }
    tool_fingerprint(dev_fp, fps);
    home = secdec_device_get_home(dev);
    locked = secdec_device_memory_locked(dev);
    key_path = tool_path_join(home ? home : "?", "device.key");
    crt_path = tool_path_join(home ? home : "?", "device.crt");

    while (secdec_known_crypto_type((unsigned)n_crypto))
        n_crypto++;
    while (secdec_known_decoder_profile((unsigned)n_prof))
        n_prof++;
    rows = calloc(n_crypto * (n_prof + 1) + 1, sizeof *rows);
    if (!rows) {
        tool_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_crypto; i++) {
        for (size_t j = 0; j <= n_prof; j++) {
            CapsRow *r = &rows[n_rows++];
            r->crypto = secdec_known_crypto_type((unsigned)i);
            r->profile = j == 0 ? NULL : secdec_known_decoder_profile((unsigned)(j - 1));
            query_caps(dev, r);
        }
    }

    if (json) {
        JsonBuilder *b = json_builder_new();
        JsonGenerator *gen;
        JsonNode *root;
        gchar *text;
        CertPrint cp = {true, b};
        char hex[65];

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "version");
        json_builder_add_string_value(b, secdec_version());
        json_builder_set_member_name(b, "backends");
        json_builder_begin_array(b);
        for (int be = SECDEC_BACKEND_SOFTWARE; be <= SECDEC_BACKEND_VAAPI; be++) {
            SecdecStatus pst = (SecdecBackend)be == backend
                                   ? SECDEC_OK
                                   : probe_backend((SecdecBackend)be, home);
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, secdec_backend_name((SecdecBackend)be));
            json_builder_set_member_name(b, "available");
            json_builder_add_boolean_value(b, pst == SECDEC_OK);
            json_builder_set_member_name(b, "in_use");
            json_builder_add_boolean_value(b, (SecdecBackend)be == backend);
            json_add_status(b, pst);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "device");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "backend");
        json_builder_add_string_value(b, secdec_backend_name(backend));
        json_builder_set_member_name(b, "home");
        json_builder_add_string_value(b, home ? home : "");
        json_builder_set_member_name(b, "identity_key");
        json_builder_add_string_value(b, key_path ? key_path : "");
        json_builder_set_member_name(b, "identity_certificate");
        json_builder_add_string_value(b, crt_path ? crt_path : "");
        json_builder_set_member_name(b, "memory_locked");
        json_builder_add_boolean_value(b, locked == 1);
        json_builder_set_member_name(b, "certificate_fingerprint_sha256");
        sdc_hex_encode(dev_fp, 32, hex);
        json_builder_add_string_value(b, hex);
        json_builder_set_member_name(b, "certificate_chain_size");
        json_builder_add_int_value(b, chain_size);
        json_builder_set_member_name(b, "certificates");
        json_builder_begin_array(b);
        tool_foreach_certificate(chain, chain_size, print_cert, &cp);
        json_builder_end_array(b);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "caps");
        json_builder_begin_array(b);
        for (size_t i = 0; i < n_rows; i++) {
            CapsRow *r = &rows[i];
            json_builder_begin_object(b);
            json_add_guid(b, "crypto_type", r->crypto);
            json_add_guid(b, "decoder_profile", r->profile);
            json_add_status(b, r->status);
            if (r->status == SECDEC_OK) {
                char flags[512];
                caps_to_string(r->caps.caps, flags, sizeof flags);
                json_builder_set_member_name(b, "caps");
                json_builder_add_int_value(b, r->caps.caps);
                json_builder_set_member_name(b, "caps_names");
                json_builder_add_string_value(b, flags);
                json_builder_set_member_name(b, "block_alignment_size");
                json_builder_add_int_value(b, r->caps.block_alignment_size);
                json_builder_set_member_name(b, "protected_memory_size");
                json_builder_add_int_value(b, (gint64)r->caps.protected_memory_size);
                json_builder_set_member_name(b, "key_exchange_types");
                json_builder_begin_array(b);
                for (uint32_t k = 0; k < r->n_kx; k++) {
                    if (r->kx_status[k] == SECDEC_OK) {
                        char gb[37];
                        const char *nm = secdec_guid_name(&r->kx[k]);
                        json_builder_add_string_value(b, nm ? nm : secdec_guid_to_string(&r->kx[k], gb));
                    } else {
                        json_builder_add_string_value(b, secdec_status_name(r->kx_status[k]));
                    }
                }
                json_builder_end_array(b);
            }
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);

        gen = json_generator_new();
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        puts(text);
        g_free(text);
        json_node_unref(root);
        g_object_unref(gen);
        g_object_unref(b);
        ret = TOOL_EXIT_OK;
        goto out;
    }

    /* Text output. */
    {
        CertPrint cp = {false, NULL};
        char buf[1200];
        char gbuf[37], gbuf2[37];
        int ncert;

        printf("%s: libsecdec version %s\n", tool_progname(), secdec_version());
        printf("Backends:\n");
        for (int be = SECDEC_BACKEND_SOFTWARE; be <= SECDEC_BACKEND_VAAPI; be++) {
            const char *name = secdec_backend_name((SecdecBackend)be);
            if ((SecdecBackend)be == backend) {
                printf("  %-10s: available (in use)\n", name);
            } else {
                SecdecStatus pst = probe_backend((SecdecBackend)be, home);
                if (pst == SECDEC_OK)
                    printf("  %-10s: available\n", name);
                else if (pst == SECDEC_E_NOTAVAILABLE || pst == SECDEC_E_NOTIMPL)
                    printf("  %-10s: not available\n", name);
                else
                    printf("  %-10s: %s\n", name, tool_status_format(pst, buf, sizeof buf));
            }
        }
#ifdef SECDEC_HAVE_VAAPI
        printf("VA-API devices:\n");
        if (secdec_vaapi_list_devices(print_va_device, NULL) == 0)
            printf("  (none: no /dev/dri/renderD* and no $SECDEC_VA_TEST_DRIVER)\n");
#else
        printf("VA-API devices: (not built with VA-API)\n");
#endif
        printf("Device:\n");
        printf("  backend       : %s\n", secdec_backend_name(backend));
        printf("  home          : %s\n", home ? home : "?");
        printf("  private key   : %s\n", file_state(key_path, buf, sizeof buf));
        printf("  certificate   : %s\n", file_state(crt_path, buf, sizeof buf));
        printf("  secret memory : %s\n",
               locked == 1 ? "locked (mlock, not dumpable, wiped on fork and free)"
                           : "NOT locked (allowed by --allow-unlocked-memory; still not "
                             "dumpable and wiped)");
        printf("Certificate chain (GetCertificate): %u bytes\n", (unsigned)chain_size);
        ncert = tool_foreach_certificate(chain, chain_size, print_cert, &cp);
        if (ncert < 0)
            printf("  (the chain does not parse as DER X.509 certificates)\n");
        printf("  device fingerprint (SHA-256, licenses are bound to it):\n    %s\n", fps);

        printf("Content protection caps (GetContentProtectionCaps / CheckCryptoKeyExchange):\n");
        for (size_t i = 0; i < n_rows; i++) {
            CapsRow *r = &rows[i];
            if (r->profile == NULL)
                printf("  %s {%s}\n", guid_short(r->crypto, gbuf),
                       secdec_guid_to_string(r->crypto, gbuf2));
            printf("    %-18s: ", guid_short(r->profile, gbuf));
            if (r->status != SECDEC_OK) {
                printf("%s (%s, 0x%08X)\n", secdec_status_to_string(r->status),
                       secdec_status_name(r->status),
                       (unsigned)secdec_status_to_hresult(r->status));
                continue;
            }
            caps_to_string(r->caps.caps, buf, sizeof buf);
            printf("caps 0x%04x %s\n", (unsigned)r->caps.caps, buf);
            printf("    %-18s  block alignment %u, protected memory %llu bytes\n", "",
                   (unsigned)r->caps.block_alignment_size,
                   (unsigned long long)r->caps.protected_memory_size);
            printf("    %-18s  key exchange:", "");
            if (r->n_kx == 0)
                printf(" none");
            for (uint32_t k = 0; k < r->n_kx; k++) {
                if (r->kx_status[k] == SECDEC_OK)
                    printf("%s %s", k ? "," : "", guid_short(&r->kx[k], gbuf));
                else
                    printf("%s %s", k ? "," : "", secdec_status_name(r->kx_status[k]));
            }
            printf("\n");
        }
    }
    ret = TOOL_EXIT_OK;

out:
    free(rows);
    free(key_path);
    free(crt_path);
    free(chain);
    secdec_device_close(&dev);
    return ret;
}
