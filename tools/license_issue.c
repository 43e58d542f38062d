/*
 * license_issue.c - secdec-license issue, the content owner's side of the key exchange: the
 * content keys from --key KID:KEY and --jwk FILE (kept cleansed), the device certificate, and
 * secdec_license_issue(), which encrypts a fresh session key to the certificate (RSAES-OAEP)
 * and wraps the content keys with it.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "license_cmd.h"

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

int issue_option(IssueArgs *ia, int c, const char *arg)
{
    switch (c) {
    case 'c':
        ia->cert = arg;
        return 0;
    case 'o':
        ia->output = arg;
        return 0;
    case OPT_OAEP:
        if (tool_parse_oaep(arg, &ia->oaep) != 0)
            return tool_usage_error("--oaep '%s': expected sha512, sha256 or sha1", arg);
        return 0;
    case 'k':
        return add_key_arg(ia, arg);
    default:
        return add_jwk_arg(ia, arg);
    }
}

int cmd_issue(IssueArgs *ia)
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

void issue_args_clear(IssueArgs *ia)
{
    if (ia->keys) {
        OPENSSL_cleanse(ia->keys, ia->n_keys * sizeof *ia->keys);
        free(ia->keys);
    }
    ia->keys = NULL;
    ia->n_keys = 0;
}
