/*
 * secdec-license - issue, inspect, check and install secdec licenses.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This is the content owner's side of the Direct3D-style key exchange for people without an
 * application of their own: it encrypts a fresh session key to a device certificate
 * (RSAES-OAEP) and wraps content keys with it (secdec_license_issue()), and on the device it
 * drives exactly the public API an application would (secdec_license_load(),
 * secdec_license_store_install()).
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <secdec-common/jwk.h>
#include "tool_common.h"

#include <secdec/license.h>
#include <secdec/secdec.h>

/* ------------------------------------------------------------------------------------------ */
/* Help texts                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* The help texts are long single literals on purpose (easy to read and to keep in step with
 * the man pages); C11 only promises 4095-byte literals, every compiler we build with takes more. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
static const char help_main[] =
    "NAME\n"
    "    secdec-license - issue, inspect, check and install secdec content licenses\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [GLOBAL OPTIONS] issue --certificate CERT {--key KID:KEY | --jwk FILE}...\n"
    "                   [--oaep sha512|sha256|sha1] --output FILE\n"
    "    secdec-license [GLOBAL OPTIONS] show FILE\n"
    "    secdec-license [GLOBAL OPTIONS] check FILE\n"
    "    secdec-license [GLOBAL OPTIONS] install FILE\n"
    "    secdec-license [GLOBAL OPTIONS] list\n"
    "    secdec-license help [COMMAND] | --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    A secdec license carries content keys to exactly one device. It holds a fresh AES-128\n"
    "    session key encrypted with RSAES-OAEP to the device certificate (the 256-byte blob of\n"
    "    Direct3D's NegotiateCryptoSessionKeyExchange), every content key AES-128-ECB-wrapped\n"
    "    with that session key and labelled with its key ID (KID), the SHA-256 fingerprint of\n"
    "    the certificate, and an HMAC-SHA256 keyed from the session key. Only the device holding\n"
    "    the certificate's private key can use or even authenticate it. The byte layout is\n"
    "    described in docs/license-format.md.\n"
    "\n"
    "    The usual flow: on the device, export its certificate chain with\n"
    "    'secdec-info --certificate device.der' and send it to the content owner; the owner runs\n"
    "    'secdec-license issue' and sends the license back; on the device, 'secdec-license check'\n"
    "    verifies it and 'secdec-license install' adds it to the license store.\n"
    "\n"
    "COMMANDS\n"
    "    issue     Issue a license for a device certificate (content owner's side; needs no\n"
    "              device). Options:\n"
    "              -c, --certificate CERT  the device certificate chain, DER or PEM, as\n"
    "                                      exported by 'secdec-info --certificate'\n"
    "              -k, --key KID:KEY       a content key: KID and KEY as 32 hex digits each; the\n"
    "                                      KID may be in UUID form with dashes. Repeatable.\n"
    "              -j, --jwk FILE          content keys from a W3C Clear Key JWK set\n"
    "                                      ({\"keys\":[{\"kty\":\"oct\",\"kid\":\"..\",\"k\":\"..\"}]},\n"
    "                                      base64url without padding); '-' reads standard\n"
    "                                      input. Repeatable; may be combined with --key.\n"
    "              --oaep HASH             OAEP hash and MGF1 hash of the key exchange: sha512\n"
    "                                      (default; the OPM parameters), sha256 or sha1\n"
    "              -o, --output FILE       where to write the license ('-': standard output,\n"
    "                                      not a terminal); replaced atomically, mode 0644\n"
    "              Between 1 and 1024 keys; KIDs must be unique.\n"
    "    show      Print a license without its secrets: format version, OAEP hash, the\n"
    "              fingerprint of the certificate it is bound to, the number of keys and each\n"
    "              KID (hex and UUID). Needs no device; checks the structure only.\n"
    "    check     Open this device, create a crypto session (AES128_CTR, H.264 VLD, RSAES-OAEP)\n"
    "              and load the license into it with secdec_license_load(), the same calls an\n"
    "              application makes; print the KIDs that were loaded. Fails when the license\n"
    "              is bound to another device, tampered with, or truncated.\n"
    "    install   Check the license like 'check' and add it to the device's license store\n"
    "              (HOME/licenses/<kid>.lic, one file per KID, mode 0600; directory mode 0700).\n"
    "              A later license for the same KID replaces the earlier one.\n"
    "    list      List the installed licenses by KID (structure only; no device needed).\n"
    "    help      Show this text, or a command's help.\n"
    "\n"
    "GLOBAL OPTIONS (also accepted after the command)\n"
    "    --home DIR               device home (identity and license store) instead of\n"
    "                             $SECDEC_HOME\n"
    "    --allow-unlocked-memory  continue when secret memory cannot be locked (mlock); the\n"
    "                             default is to fail with SECDEC_E_MEMLOCK\n"
    "    --no-provision           do not create a device identity when the home holds none\n"
    "    -v, --verbose            more library messages on standard error (repeat for debug)\n"
    "    -h, --help               show help and exit\n"
    "    -V, --version            show version and exit\n"
    "\n"
    "ENVIRONMENT\n"
    "    SECDEC_HOME     device home directory (identity device.key/device.crt and licenses/)\n"
    "    XDG_DATA_HOME   without SECDEC_HOME, the home is $XDG_DATA_HOME/secdec\n"
    "    HOME            without both, the home is $HOME/.local/share/secdec\n"
    "\n"
    "EXIT STATUS\n"
    "    0   success\n"
    "    1   the operation failed (the message names the secdec status and its HRESULT, e.g.\n"
    "        \"license bound to another device (SECDEC_E_LICENSE_FOREIGN, 0x80040205)\")\n"
    "    2   usage error (unknown command or option, missing or malformed argument)\n"
    "\n"
    "EXAMPLES\n"
    "    On the device:      secdec-info --certificate device.der\n"
    "    At the owner's:     secdec-license issue -c device.der \\\n"
    "                            -k 9eb4050d-e44b-4802-932e-27d75083e266:166634c675823c235a4a9446fad52e4d \\\n"
    "                            -o movie.lic\n"
    "                        secdec-license issue -c device.der --jwk keys.json -o movie.lic\n"
    "    On the device:      secdec-license show movie.lic\n"
    "                        secdec-license check movie.lic && secdec-license install movie.lic\n"
    "                        secdec-license list\n"
    "\n"
    "SECURITY\n"
    "    Keys given with --key are visible to other local users (ps, /proc); prefer --jwk with\n"
    "    a file readable only by you, or '--jwk -' from a pipe. Licenses hold no clear secrets.\n"
    "\n"
    "SEE ALSO\n"
    "    secdec-info(1), docs/license-format.md\n";

static const char help_issue[] =
    "NAME\n"
    "    secdec-license issue - issue a license for a device certificate\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license issue --certificate CERT {--key KID:KEY | --jwk FILE}...\n"
    "                         [--oaep sha512|sha256|sha1] --output FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Generates a fresh AES-128 session key, encrypts it with RSAES-OAEP to the public key of\n"
    "    the first certificate in CERT, wraps each content key with it and writes the license\n"
    "    (secdec_license_issue()). Needs no device and does not touch SECDEC_HOME.\n"
    "\n"
    "OPTIONS\n"
    "    -c, --certificate CERT  device certificate chain, DER or PEM\n"
    "    -k, --key KID:KEY       content key; 32 hex digits each, KID may be a UUID. Repeatable.\n"
    "    -j, --jwk FILE          W3C Clear Key JWK set ('-': standard input). Repeatable.\n"
    "    --oaep HASH             sha512 (default), sha256 or sha1\n"
    "    -o, --output FILE       output file ('-': standard output); mode 0644\n"
    "    -h, --help              show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 failure (unreadable certificate, bad key file, ...), 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license issue -c device.der -k 00112233445566778899aabbccddeeff:"
    "000102030405060708090a0b0c0d0e0f -o a.lic\n"
    "    secdec-license issue -c device.pem --jwk keys.json --oaep sha256 -o b.lic\n";

static const char help_show[] =
    "NAME\n"
    "    secdec-license show - print a license without its secrets\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license show FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Parses FILE (secdec_license_read_file()) and prints its format version, OAEP hash,\n"
    "    the SHA-256 fingerprint of the certificate it is bound to, and the number of keys and\n"
    "    each KID in hex and UUID form. The integrity (HMAC) can only be verified on the device\n"
    "    the license is for: use 'secdec-license check'.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 unreadable or malformed license, 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license show movie.lic\n";

static const char help_check[] =
    "NAME\n"
    "    secdec-license check - load a license on this device\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] check FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Opens the device at the home directory (secdec_device_open()), creates a crypto\n"
    "    session (D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_DECODER_PROFILE_H264_VLD_NOFGT,\n"
    "    D3D11_KEY_EXCHANGE_RSAES_OAEP) and loads FILE into it with secdec_license_load():\n"
    "    certificate binding, key exchange, HMAC, content keys. Prints each KID loaded.\n"
    "\n"
    "OPTIONS\n"
    "    --home DIR, --allow-unlocked-memory, --no-provision, -v: see secdec-license --help.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the license loads on this device; 1 it does not (for example\n"
    "    SECDEC_E_LICENSE_FOREIGN: issued for another device; SECDEC_E_LICENSE_INVALID:\n"
    "    malformed, truncated or tampered with; SECDEC_E_KEY_EXCHANGE); 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    SECDEC_HOME=/var/lib/secdec secdec-license check movie.lic\n";

static const char help_install[] =
    "NAME\n"
    "    secdec-license install - add a license to this device's license store\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] install FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Checks FILE fully on this device (as 'check') and stores it with\n"
    "    secdec_license_store_install() as HOME/licenses/<kid-hex>.lic for each of its KIDs\n"
    "    (files mode 0600, directory mode 0700). Applications find stored licenses by KID with\n"
    "    secdec_license_store_find().\n"
    "\n"
    "EXIT STATUS\n"
    "    0 installed, 1 failed (see check; SECDEC_E_IO for file-system errors), 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license install movie.lic && secdec-license list\n";

static const char help_list[] =
    "NAME\n"
    "    secdec-license list - list installed licenses\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] list\n"
    "\n"
    "DESCRIPTION\n"
    "    Lists HOME/licenses/*.lic: for each file the KID it is stored under (hex and UUID),\n"
    "    the number of keys in the license and the file name. Only the structure is checked;\n"
    "    the store holds only licenses that passed a full check at install time.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success (also when nothing is installed), 1 a stored file is unreadable or corrupt,\n"
    "    2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license --home /var/lib/secdec list\n";

#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------------------------ */
/* Option parsing                                                                              */
/* ------------------------------------------------------------------------------------------ */

enum {
    OPT_HOME = 0x100,
    OPT_ALLOW_UNLOCKED,
    OPT_NO_PROVISION,
    OPT_OAEP,
};

typedef struct IssueArgs {
    const char *cert;
    const char *output;
    SecdecOaepHash oaep;
    SecdecContentKey *keys;
    size_t n_keys;
    bool failed;    /* a --key/--jwk could not be used (message printed) */
    int usage;      /* a usage error (message printed) */
} IssueArgs;

static int add_key_arg(IssueArgs *ia, const char *arg)
{
    const char *colon = strchr(arg, ':');
    SecdecContentKey k;
    char kidbuf[64];
    size_t kidlen;
    SecdecContentKey *nk;

    if (!colon)
        return tool_usage_error("--key '%s': expected KID:KEY", arg);
    kidlen = (size_t)(colon - arg);
    if (kidlen >= sizeof kidbuf)
        return tool_usage_error("--key: KID is not 32 hex digits (or a UUID)");
    memcpy(kidbuf, arg, kidlen);
    kidbuf[kidlen] = '\0';
    if (sdc_hex_decode(kidbuf, kidlen, k.kid, SECDEC_KID_SIZE, true) != 0)
        return tool_usage_error("--key: KID '%s' is not 32 hex digits (or a UUID)", kidbuf);
    if (sdc_hex_decode(colon + 1, strlen(colon + 1), k.key, SECDEC_KEY_SIZE, false) != 0) {
        OPENSSL_cleanse(&k, sizeof k);
        return tool_usage_error("--key: KEY for KID %s is not 32 hex digits", kidbuf);
    }
    for (size_t i = 0; i < ia->n_keys; i++) {
        if (memcmp(ia->keys[i].kid, k.kid, SECDEC_KID_SIZE) == 0) {
            OPENSSL_cleanse(&k, sizeof k);
            return tool_usage_error("--key: duplicate KID %s", kidbuf);
        }
    }
    if (ia->n_keys >= SECDEC_LICENSE_MAX_KEYS) {
        OPENSSL_cleanse(&k, sizeof k);
        return tool_usage_error("too many keys (a license holds at most %d)",
                                SECDEC_LICENSE_MAX_KEYS);
    }
    nk = calloc(ia->n_keys + 1, sizeof *nk);
    if (!nk) {
        OPENSSL_cleanse(&k, sizeof k);
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    if (ia->n_keys)
        memcpy(nk, ia->keys, ia->n_keys * sizeof *nk);
    nk[ia->n_keys] = k;
    OPENSSL_cleanse(&k, sizeof k);
    if (ia->keys) {
        OPENSSL_cleanse(ia->keys, ia->n_keys * sizeof *ia->keys);
        free(ia->keys);
    }
    ia->keys = nk;
    ia->n_keys++;
    return 0;
}

static int add_jwk_arg(IssueArgs *ia, const char *path)
{
    uint8_t *data;
    size_t size;
    char err[512];
    int r;

    if (tool_read_file(path, &data, &size) != 0)
        return TOOL_EXIT_FAILURE;
    r = sdc_jwk_parse_keys(data, size, &ia->keys, &ia->n_keys, err, sizeof err);
    OPENSSL_cleanse(data, size);
    free(data);
    if (r != 0) {
        tool_error("%s: %s", strcmp(path, "-") == 0 ? "standard input" : path, err);
        return TOOL_EXIT_FAILURE;
    }
    return 0;
}

/*
 * Parses the options of one command (and the global ones) from argv[0..argc-1], argv[0]
 * being the command name. Returns -1 to go on, or an exit code (help printed, usage error).
 * Positional arguments are left in argv[optind..].
 */
static int parse_options(int argc, char **argv, const char *help, ToolDeviceOptions *dev,
                         IssueArgs *ia)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"home", required_argument, NULL, OPT_HOME},
        {"allow-unlocked-memory", no_argument, NULL, OPT_ALLOW_UNLOCKED},
        {"no-provision", no_argument, NULL, OPT_NO_PROVISION},
        {"certificate", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"jwk", required_argument, NULL, 'j'},
        {"oaep", required_argument, NULL, OPT_OAEP},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *shortopts = ia ? "+:hVvc:k:j:o:" : "+:hVv";
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int r;
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return TOOL_EXIT_OK;
        case 'V':
            tool_print_version();
            return TOOL_EXIT_OK;
        case 'v':
            dev->verbose++;
            break;
        case OPT_HOME:
            if (!*optarg)
                return tool_usage_error("--home: empty directory name");
            dev->home = optarg;
            break;
        case OPT_ALLOW_UNLOCKED:
            dev->allow_unlocked = true;
            break;
        case OPT_NO_PROVISION:
            dev->no_provision = true;
            break;
        case 'c':
        case 'k':
        case 'j':
        case 'o':
        case OPT_OAEP:
            if (!ia)
                return tool_usage_error("option '%s' is only valid for 'issue'",
                                        argv[optind - 1]);
            if (c == 'c') {
                ia->cert = optarg;
            } else if (c == 'o') {
                ia->output = optarg;
            } else if (c == OPT_OAEP) {
                if (tool_parse_oaep(optarg, &ia->oaep) != 0)
                    return tool_usage_error("--oaep '%s': expected sha512, sha256 or sha1",
                                            optarg);
            } else if (c == 'k') {
                if ((r = add_key_arg(ia, optarg)) != 0)
                    return r;
            } else {
                if ((r = add_jwk_arg(ia, optarg)) != 0)
                    return r;
            }
            break;
        case ':':
            return tool_usage_error("option '%s' requires an argument", argv[optind - 1]);
        case '?':
        default:
            if (optopt && optopt < 0x100)
                return tool_usage_error("unknown option '-%c'", optopt);
            return tool_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int cmd_issue(IssueArgs *ia)
{
    uint8_t *cert = NULL;
    size_t cert_size = 0;
    uint8_t *lic = NULL;
    size_t lic_size = 0;
    SecdecStatus st;
    int ret = TOOL_EXIT_FAILURE;

    if (!ia->cert)
        return tool_usage_error("issue: --certificate CERT is required");
    if (!ia->output)
        return tool_usage_error("issue: --output FILE is required");
    if (ia->n_keys == 0)
        return tool_usage_error("issue: give at least one --key KID:KEY or --jwk FILE");

    if (tool_load_certificate_chain(ia->cert, &cert, &cert_size) != 0)
        return TOOL_EXIT_FAILURE;

    st = secdec_license_issue(cert, cert_size, ia->oaep, ia->keys, ia->n_keys, &lic, &lic_size);
    if (st != SECDEC_OK) {
        char what[512];
        if (st == SECDEC_E_IDENTITY)
            snprintf(what, sizeof what,
                     "issue failed: '%s' is not a usable RSA-2048 device certificate", ia->cert);
        else
            snprintf(what, sizeof what, "issue failed");
        tool_status_error(what, st);
        goto out;
    }
    if (tool_write_file(ia->output, lic, lic_size, 0644) != 0)
        goto out;
    if (strcmp(ia->output, "-") != 0) {
        SecdecLicense *parsed = NULL;
        uint8_t fp[32];
        char fps[96];
        if (secdec_license_parse(lic, lic_size, &parsed) == SECDEC_OK &&
            secdec_license_get_certificate_fingerprint(parsed, fp) == SECDEC_OK) {
            tool_fingerprint(fp, fps);
            printf("Wrote %s: %zu key(s), OAEP %s, %zu bytes, bound to certificate SHA-256 %s\n",
                   ia->output, ia->n_keys, tool_oaep_name(ia->oaep), lic_size, fps);
        } else {
            printf("Wrote %s: %zu key(s), %zu bytes\n", ia->output, ia->n_keys, lic_size);
        }
        secdec_license_free(&parsed);
    }
    ret = TOOL_EXIT_OK;
out:
    secdec_free(lic);
    free(cert);
    return ret;
}

static SecdecStatus read_license(const char *path, SecdecLicense **lic)
{
    SecdecStatus st = secdec_license_read_file(path, lic);
    if (st != SECDEC_OK) {
        char what[1024];
        if (st == SECDEC_E_IO) {
            snprintf(what, sizeof what, "cannot read '%s'", path);
        } else {
            snprintf(what, sizeof what, "'%s' is not a valid license", path);
        }
        tool_status_error(what, st);
    }
    return st;
}

static void print_kid(const char *prefix, const uint8_t kid[SECDEC_KID_SIZE])
{
    char hex[33], uuid[37];
    sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
    tool_uuid(kid, uuid);
    printf("%s%s  %s\n", prefix, hex, uuid);
}

static const char *oaep_long(SecdecOaepHash hash)
{
    switch (hash) {
    case SECDEC_OAEP_SHA512:
        return "SHA-512";
    case SECDEC_OAEP_SHA256:
        return "SHA-256";
    case SECDEC_OAEP_SHA1:
        return "SHA-1";
    }
    return "?";
}

static int cmd_show(const char *path)
{
    SecdecLicense *lic = NULL;
    const uint8_t *bytes;
    size_t size;
    SecdecOaepHash hash;
    uint8_t fp[32];
    char fps[96];
    size_t n;

    if (read_license(path, &lic) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;
    if (secdec_license_get_bytes(lic, &bytes, &size) != SECDEC_OK ||
        secdec_license_get_oaep_hash(lic, &hash) != SECDEC_OK ||
        secdec_license_get_certificate_fingerprint(lic, fp) != SECDEC_OK || size < 10) {
        tool_error("%s: cannot read the license's fields", path);
        secdec_license_free(&lic);
        return TOOL_EXIT_FAILURE;
    }
    n = secdec_license_get_key_count(lic);
    tool_fingerprint(fp, fps);
    printf("License:      %s (%zu bytes)\n", path, size);
    /* The version is the big-endian u16 after the 8-byte magic (docs/license-format.md). */
    printf("Version:      %u\n", (unsigned)bytes[8] << 8 | bytes[9]);
    printf("OAEP hash:    %s (RSAES-OAEP with %s, MGF1 with %s, empty label)\n",
           tool_oaep_name(hash), oaep_long(hash), oaep_long(hash));
    printf("Bound to:     certificate SHA-256 %s\n", fps);
    printf("Keys:         %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        char prefix[32];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK) {
            tool_error("%s: cannot read KID %zu", path, i);
            secdec_license_free(&lic);
            return TOOL_EXIT_FAILURE;
        }
        snprintf(prefix, sizeof prefix, "  KID %zu: ", i);
        print_kid(prefix, kid);
    }
    printf("Integrity:    HMAC-SHA256, verifiable only on the bound device "
           "('secdec-license check')\n");
    secdec_license_free(&lic);
    return TOOL_EXIT_OK;
}

static int cmd_check(const ToolDeviceOptions *dopts, const char *path)
{
    SecdecLicense *lic = NULL;
    SecdecDevice *dev = NULL;
    SecdecCryptoSession *session = NULL;
    SecdecStatus st;
    int ret = TOOL_EXIT_FAILURE;
    size_t n;

    if (read_license(path, &lic) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;
    if (tool_open_device(dopts, &dev) != SECDEC_OK)
        goto out;
    st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                      &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                      &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &session);
    if (st != SECDEC_OK) {
        tool_status_error("cannot create a crypto session", st);
        goto out;
    }
    st = secdec_license_load(dev, session, lic);
    if (st != SECDEC_OK) {
        tool_status_error("check failed", st);
        goto out;
    }
    n = secdec_license_get_key_count(lic);
    printf("%s: license OK for this device (%s); %zu key(s) loaded:\n", path,
           secdec_device_get_home(dev), n);
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK) {
            tool_error("cannot read KID %zu", i);
            goto out;
        }
        st = secdec_crypto_session_has_content_key(dev, session, kid);
        if (st != SECDEC_OK) {
            char hex[33], what[128];
            sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
            snprintf(what, sizeof what, "check failed: KID %s not installed after load", hex);
            tool_status_error(what, st);
            goto out;
        }
        print_kid("  loaded KID ", kid);
    }
    ret = TOOL_EXIT_OK;
out:
    secdec_crypto_session_destroy(&session);
    secdec_device_close(&dev);
    secdec_license_free(&lic);
    return ret;
}

static int cmd_install(const ToolDeviceOptions *dopts, const char *path)
{
    SecdecLicense *lic = NULL;
    SecdecDevice *dev = NULL;
    SecdecStatus st;
    int ret = TOOL_EXIT_FAILURE;
    size_t n;

    if (read_license(path, &lic) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;
    if (tool_open_device(dopts, &dev) != SECDEC_OK)
        goto out;
    st = secdec_license_store_install(dev, lic);
    if (st != SECDEC_OK) {
        tool_status_error("install failed", st);
        goto out;
    }
    n = secdec_license_get_key_count(lic);
    printf("Installed %s into %s/licenses:\n", path, secdec_device_get_home(dev));
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        char hex[33];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK)
            continue;
        sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
        printf("  %s.lic\n", hex);
    }
    ret = TOOL_EXIT_OK;
out:
    secdec_device_close(&dev);
    secdec_license_free(&lic);
    return ret;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_list(const ToolDeviceOptions *dopts)
{
    char *home = tool_resolve_home(dopts->home);
    char *dir = NULL;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n_names = 0;
    int ret = TOOL_EXIT_OK;
    size_t dlen;

    if (!home) {
        tool_error("cannot determine the device home: set SECDEC_HOME or use --home");
        return TOOL_EXIT_FAILURE;
    }
    dlen = strlen(home) + sizeof "/licenses";
    dir = malloc(dlen);
    if (!dir) {
        free(home);
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    snprintf(dir, dlen, "%s/licenses", home);
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            printf("No licenses installed in %s\n", dir);
            free(dir);
            free(home);
            return TOOL_EXIT_OK;
        }
        tool_error("cannot read '%s': %s", dir, strerror(errno));
        free(dir);
        free(home);
        return TOOL_EXIT_FAILURE;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char **nn;
        if (len < 5 || strcmp(e->d_name + len - 4, ".lic") != 0 || e->d_name[0] == '.')
            continue;
        nn = realloc(names, (n_names + 1) * sizeof *names);
        if (!nn || !(nn[n_names] = strdup(e->d_name))) {
            if (nn)
                names = nn;
            tool_error("out of memory");
            ret = TOOL_EXIT_FAILURE;
            break;
        }
        names = nn;
        n_names++;
    }
    closedir(d);
    if (n_names)
        qsort(names, n_names, sizeof *names, name_cmp);

    if (n_names == 0 && ret == TOOL_EXIT_OK)
        printf("No licenses installed in %s\n", dir);
    else if (n_names)
        printf("%-32s  %-36s  %4s  %s\n", "KID", "UUID", "KEYS", "FILE");
    for (size_t i = 0; i < n_names; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        SecdecLicense *lic = NULL;
        uint8_t kid[SECDEC_KID_SIZE];
        char uuid[37], what[1200];
        SecdecStatus st;

        if (!path) {
            tool_error("out of memory");
            ret = TOOL_EXIT_FAILURE;
            break;
        }
        snprintf(path, plen, "%s/%s", dir, names[i]);
        st = secdec_license_read_file(path, &lic);
        if (st != SECDEC_OK) {
            snprintf(what, sizeof what, "%s", path);
            tool_status_error(what, st);
            ret = TOOL_EXIT_FAILURE;
        } else {
            char hexname[33];
            bool ok = strlen(names[i]) == 36;
            if (ok) {
                memcpy(hexname, names[i], 32);
                hexname[32] = '\0';
                ok = sdc_hex_decode(hexname, 32, kid, SECDEC_KID_SIZE, false) == 0 &&
                     secdec_license_has_kid(lic, kid);
            }
            if (!ok) {
                tool_error("%s: file name does not match a KID of the license", path);
                ret = TOOL_EXIT_FAILURE;
            } else {
                tool_uuid(kid, uuid);
                printf("%-32s  %-36s  %4zu  %s\n", hexname, uuid,
                       secdec_license_get_key_count(lic), names[i]);
            }
        }
        secdec_license_free(&lic);
        free(path);
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(dir);
    free(home);
    return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* main                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static const char *command_help(const char *cmd)
{
    if (!strcmp(cmd, "issue"))
        return help_issue;
    if (!strcmp(cmd, "show"))
        return help_show;
    if (!strcmp(cmd, "check"))
        return help_check;
    if (!strcmp(cmd, "install"))
        return help_install;
    if (!strcmp(cmd, "list"))
        return help_list;
    if (!strcmp(cmd, "help"))
        return help_main;
    return NULL;
}

int main(int argc, char **argv)
{
    ToolDeviceOptions dopts = {0};
    IssueArgs ia = {0};
    const char *cmd;
    const char *help;
    int r, cargc;
    char **cargv;
    int ret;

    tool_set_progname(argc > 0 ? argv[0] : "secdec-license");
    ia.oaep = SECDEC_OAEP_SHA512;

    /* Global options before the command. */
    r = parse_options(argc, argv, help_main, &dopts, NULL);
    if (r >= 0)
        return r;
    if (optind >= argc)
        return tool_usage_error("no command given (issue, show, check, install, list)");
    cmd = argv[optind];
    help = command_help(cmd);
    if (!help)
        return tool_usage_error("unknown command '%s'", cmd);

    cargc = argc - optind;
    cargv = argv + optind;

    if (!strcmp(cmd, "help")) {
        if (cargc > 2)
            return tool_usage_error("help: too many arguments");
        if (cargc == 2) {
            help = command_help(cargv[1]);
            if (!help)
                return tool_usage_error("help: unknown command '%s'", cargv[1]);
        }
        fputs(help, stdout);
        return TOOL_EXIT_OK;
    }

    r = parse_options(cargc, cargv, help, &dopts, !strcmp(cmd, "issue") ? &ia : NULL);
    if (r >= 0) {
        ret = r;
        goto out;
    }

    if (!strcmp(cmd, "issue")) {
        if (optind < cargc) {
            ret = tool_usage_error("issue: unexpected argument '%s'", cargv[optind]);
            goto out;
        }
        ret = cmd_issue(&ia);
        goto out;
    }
    if (!strcmp(cmd, "list")) {
        if (optind < cargc) {
            ret = tool_usage_error("list: unexpected argument '%s'", cargv[optind]);
            goto out;
        }
        ret = cmd_list(&dopts);
        goto out;
    }
    /* show, check, install: exactly one FILE. */
    if (optind >= cargc) {
        ret = tool_usage_error("%s: missing license FILE", cmd);
        goto out;
    }
    if (optind + 1 < cargc) {
        ret = tool_usage_error("%s: unexpected argument '%s'", cmd, cargv[optind + 1]);
        goto out;
    }
    if (!strcmp(cmd, "show"))
        ret = cmd_show(cargv[optind]);
    else if (!strcmp(cmd, "check"))
        ret = cmd_check(&dopts, cargv[optind]);
    else
        ret = cmd_install(&dopts, cargv[optind]);

out:
    if (ia.keys) {
        OPENSSL_cleanse(ia.keys, ia.n_keys * sizeof *ia.keys);
        free(ia.keys);
    }
    return ret;
}
