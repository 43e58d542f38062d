/*
 * gen_license_corpus.c - writes the seed corpus of fuzz_license: real licenses issued for the
 * fixed fuzzing identity in tests/fuzz/identity/ (so that they load completely in the
 * fuzzer), for every OAEP hash and several key counts.
 *
 *   gen-license-corpus IDENTITY_DIR OUT_DIR
 *
 * IDENTITY_DIR holds device.crt (a new identity is provisioned there if it holds none).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "secdec/license.h"
#include "secdec/secdec.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IDENTITY_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.backend = SECDEC_BACKEND_SOFTWARE;
    st.home_dir = argv[1];
    st.allow_unlocked_memory = 1;
    SecdecDevice *dev = NULL;
    SecdecCryptoSession *s = NULL;
    SecdecStatus rc = secdec_device_open(&dev, &st);
    if (rc == SECDEC_OK)
        rc = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                          &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    uint32_t cert_size = 0;
    if (rc == SECDEC_OK)
        rc = secdec_crypto_session_get_certificate_size(dev, s, &cert_size);
    uint8_t *cert = malloc(cert_size ? cert_size : 1);
    if (rc == SECDEC_OK)
        rc = secdec_crypto_session_get_certificate(dev, s, cert_size, cert);
    if (rc != SECDEC_OK) {
        fprintf(stderr, "device: %s\n", secdec_status_name(rc));
        return 1;
    }
    static const struct {
        SecdecOaepHash hash;
        size_t n;
        const char *name;
    } seeds[] = {
        {SECDEC_OAEP_SHA512, 1, "sha512-1key"},
        {SECDEC_OAEP_SHA512, 3, "sha512-3keys"},
        {SECDEC_OAEP_SHA256, 2, "sha256-2keys"},
        {SECDEC_OAEP_SHA1, 1, "sha1-1key"},
        {SECDEC_OAEP_SHA512, 16, "sha512-16keys"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        SecdecContentKey keys[16];
        for (size_t k = 0; k < seeds[i].n; k++) {
            memset(keys[k].kid, 0, 16);
            keys[k].kid[0] = 0x10 + (uint8_t)i;
            keys[k].kid[15] = (uint8_t)k;
            RAND_bytes(keys[k].key, 16);
        }
        uint8_t *lic = NULL;
        size_t size = 0;
        rc = secdec_license_issue(cert, cert_size, seeds[i].hash, keys, seeds[i].n, &lic, &size);
        if (rc != SECDEC_OK) {
            fprintf(stderr, "issue: %s\n", secdec_status_name(rc));
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.lic", argv[2], seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(lic, 1, size, f) != size || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        secdec_free(lic);
    }
    free(cert);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
    return 0;
}
