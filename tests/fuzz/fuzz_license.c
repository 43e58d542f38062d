/*
 * fuzz_license.c - libFuzzer target for the license parser and loader.
 *
 * Every input is parsed (secdec_license_parse() must accept any bytes safely); a license that
 * parses has all its getters exercised and is loaded into a crypto session of a fixed device
 * twice: as it is (usually LICENSE_FOREIGN), and with its fingerprint set to the device's, so
 * that the key exchange, the MAC check and the content-key installation run on fuzzed data.
 * The device identity is the test-only one in tests/fuzz/identity/ (copied to a temporary
 * home), for which the seed corpus (tests/fuzz/corpus/license/) was issued, so seeds load
 * completely.
 *
 * Environment: SECDEC_FUZZ_IDENTITY = directory with device.key and device.crt (set by the
 * meson test); without it a fresh identity is provisioned in the temporary home.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secdec/license.h"
#include "secdec/secdec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SecdecDevice *g_dev;
static uint8_t g_fp[32];
static char g_home[4096];

static void quiet(void *cookie, SecdecLogLevel level, const char *msg)
{
    (void)cookie;
    (void)level;
    (void)msg;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name, mode_t mode)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/%s", from_dir, name);
    snprintf(b, sizeof b, "%s/%s", to_dir, name);
    FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
    int ok = in && out;
    char buf[8192];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = 0;
    return ok && chmod(b, mode) == 0 ? 0 : -1;
}

static void cleanup(void)
{
    secdec_device_close(&g_dev);
    static const char *const files[] = {"device.key", "device.crt", ".lock"};
    char p[4200];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", g_home, files[i]);
        unlink(p);
    }
    rmdir(g_home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_home, sizeof g_home, "%s/secdec-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_home)) {
        perror("mkdtemp");
        abort();
    }
    const char *id = getenv("SECDEC_FUZZ_IDENTITY");
    if (id && *id &&
        (copy_file(id, g_home, "device.key", 0600) != 0 ||
         copy_file(id, g_home, "device.crt", 0644) != 0)) {
        fprintf(stderr, "fuzz_license: cannot copy the identity from %s\n", id);
        abort();
    }
    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.backend = SECDEC_BACKEND_SOFTWARE;
    st.home_dir = g_home;
    st.allow_unlocked_memory = 1;
    st.logger = quiet;
    if (secdec_device_open(&g_dev, &st) != SECDEC_OK ||
        secdec_device_get_certificate_fingerprint(g_dev, g_fp) != SECDEC_OK) {
        fprintf(stderr, "fuzz_license: cannot open the device in %s\n", g_home);
        abort();
    }
    atexit(cleanup);
    return 0;
}

static void load(const SecdecLicense *lic)
{
    SecdecCryptoSession *s = NULL;
    if (secdec_create_crypto_session(g_dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                     &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s) != SECDEC_OK)
        abort();
    SecdecStatus st = secdec_license_load(g_dev, s, lic);
    size_t n = secdec_license_get_key_count(lic);
    /* A license either loads completely or installs none of its keys... */
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK)
            abort();
        SecdecStatus has = secdec_crypto_session_has_content_key(g_dev, s, kid);
        if ((st == SECDEC_OK) != (has == SECDEC_OK))
            abort();
    }
    /* ... and fails only with the documented codes. */
    if (st != SECDEC_OK && st != SECDEC_E_LICENSE_FOREIGN && st != SECDEC_E_KEY_EXCHANGE &&
        st != SECDEC_E_LICENSE_INVALID)
        abort();
    secdec_crypto_session_destroy(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SecdecLicense *lic = NULL;
    SecdecStatus st = secdec_license_parse(data, size, &lic);
    if (st != SECDEC_OK) {
        if (st != SECDEC_E_LICENSE_INVALID || lic != NULL)
            abort();
        return 0;
    }
    /* getters */
    size_t n = secdec_license_get_key_count(lic);
    if (n == 0 || n > SECDEC_LICENSE_MAX_KEYS)
        abort();
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK || !secdec_license_has_kid(lic, kid))
            abort();
    }
    uint8_t kid[SECDEC_KID_SIZE];
    if (secdec_license_get_kid(lic, n, kid) != SECDEC_E_INVALIDARG)
        abort();
    uint8_t fp[32];
    SecdecOaepHash h;
    const uint8_t *bytes;
    size_t bsize;
    if (secdec_license_get_certificate_fingerprint(lic, fp) != SECDEC_OK ||
        secdec_license_get_oaep_hash(lic, &h) != SECDEC_OK ||
        secdec_license_get_bytes(lic, &bytes, &bsize) != SECDEC_OK || bsize != size ||
        memcmp(bytes, data, size) != 0)
        abort();

    load(lic);
    secdec_license_free(&lic);

    /* the same bytes bound to this device: exercises key exchange, MAC and key install */
    if (memcmp(fp, g_fp, 32) != 0) {
        uint8_t *copy = malloc(size);
        if (!copy)
            abort();
        memcpy(copy, data, size);
        memcpy(copy + 12, g_fp, 32); /* fingerprint field, docs/license-format.md */
        if (secdec_license_parse(copy, size, &lic) != SECDEC_OK)
            abort();
        load(lic);
        secdec_license_free(&lic);
        free(copy);
    }
    return 0;
}
