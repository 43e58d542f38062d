/*
 * negotiate.c - test helper: NegotiateCryptoSessionKeyExchange with a blob made elsewhere
 * (the openssl command line), through the public API only.
 *
 *   negotiate [--oaep sha512|sha256|sha1] [--kid HEX --wrapped FILE] [--zero-kid HEX]
 *             [--decrypt KID IV ENCFILE CLEARFILE]... BLOBFILE
 *
 * Opens the device at $SECDEC_HOME, creates a crypto session (AES128_CTR, H.264 VLD,
 * RSAES-OAEP), optionally selects the OAEP hash, and negotiates the bytes of BLOBFILE (any
 * size: the library must reject anything but 256 bytes). With --kid/--wrapped it then installs
 * the 16-byte content key in FILE (AES-128-ECB-wrapped with the session key) and checks that
 * it is present; --zero-kid installs an all-zero key for a KID (samples with that KID use the
 * session key itself). Each --decrypt then decrypts ENCFILE as one whole-sample 'cenc'
 * (AES-128-CTR) sample with the key installed for KID and the 16-byte IV, and compares the
 * protected buffer with CLEARFILE: that proves the right session key (and content key)
 * arrived. Prints "OK" or the failing call and its status name (or "MISMATCH"); exits 0 on
 * success, 1 on a secdec error or mismatch, 2 on usage errors.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secdec/decrypt.h>
#include <secdec/secdec.h>

#define MAX_DECRYPTS 8

typedef struct Decrypt {
    const char *kid, *iv, *enc, *clear;
} Decrypt;

static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    size_t n;
    if (!f)
        return -1;
    buf = malloc(65536);
    if (!buf) {
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, 65536, f);
    fclose(f);
    *data = buf;
    *size = n;
    return 0;
}

static int parse_hex16(const char *s, uint8_t kid[16])
{
    size_t n = 0;
    for (; *s && n < 32; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            return -1;
        if (n % 2 == 0)
            kid[n / 2] = (uint8_t)(v << 4);
        else
            kid[n / 2] |= (uint8_t)v;
        n++;
    }
    return (n == 32 && *s == '\0') ? 0 : -1;
}

static int fail(const char *what, SecdecStatus st)
{
    printf("%s: %s (0x%08X)\n", what, secdec_status_name(st),
           (unsigned)secdec_status_to_hresult(st));
    return 1;
}

int main(int argc, char **argv)
{
    const char *oaep = NULL, *kid_hex = NULL, *wrapped_path = NULL, *blob_path = NULL;
    const char *zero_kid_hex = NULL;
    Decrypt dec[MAX_DECRYPTS];
    unsigned n_dec = 0;
    uint8_t zero_kid[16];
    SecdecDevice *dev = NULL;
    SecdecCryptoSession *s = NULL;
    SecdecStatus st;
    unsigned char *blob = NULL, *wrapped = NULL;
    size_t blob_size = 0, wrapped_size = 0;
    uint8_t kid[16];
    int ret = 1;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--oaep") && i + 1 < argc)
            oaep = argv[++i];
        else if (!strcmp(argv[i], "--kid") && i + 1 < argc)
            kid_hex = argv[++i];
        else if (!strcmp(argv[i], "--wrapped") && i + 1 < argc)
            wrapped_path = argv[++i];
        else if (!strcmp(argv[i], "--zero-kid") && i + 1 < argc)
            zero_kid_hex = argv[++i];
        else if (!strcmp(argv[i], "--decrypt") && i + 4 < argc && n_dec < MAX_DECRYPTS) {
            dec[n_dec].kid = argv[++i];
            dec[n_dec].iv = argv[++i];
            dec[n_dec].enc = argv[++i];
            dec[n_dec].clear = argv[++i];
            n_dec++;
        }
        else if (!blob_path && argv[i][0] != '-')
            blob_path = argv[i];
        else {
            fprintf(stderr, "usage: negotiate [--oaep H] [--kid HEX --wrapped FILE] [--zero-kid HEX] "
                            "[--decrypt KID IV ENC CLEAR]... BLOBFILE\n");
            return 2;
        }
    }
    if (!blob_path || (!kid_hex) != (!wrapped_path) || (kid_hex && parse_hex16(kid_hex, kid)) ||
        (zero_kid_hex && parse_hex16(zero_kid_hex, zero_kid))) {
        fprintf(stderr, "usage: negotiate [--oaep H] [--kid HEX --wrapped FILE] [--zero-kid HEX] "
                            "[--decrypt KID IV ENC CLEAR]... BLOBFILE\n");
        return 2;
    }
    if (read_file(blob_path, &blob, &blob_size) != 0 ||
        (wrapped_path && read_file(wrapped_path, &wrapped, &wrapped_size) != 0)) {
        fprintf(stderr, "negotiate: cannot read input files\n");
        return 2;
    }

    st = secdec_device_open(&dev, NULL);
    if (st != SECDEC_OK) {
        ret = fail("secdec_device_open", st);
        goto out;
    }
    st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                      &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                      &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    if (st != SECDEC_OK) {
        ret = fail("secdec_create_crypto_session", st);
        goto out;
    }
    if (oaep) {
        SecdecOaepHash h;
        if (!strcmp(oaep, "sha512"))
            h = SECDEC_OAEP_SHA512;
        else if (!strcmp(oaep, "sha256"))
            h = SECDEC_OAEP_SHA256;
        else if (!strcmp(oaep, "sha1"))
            h = SECDEC_OAEP_SHA1;
        else {
            fprintf(stderr, "negotiate: unknown --oaep %s\n", oaep);
            ret = 2;
            goto out;
        }
        st = secdec_crypto_session_set_oaep_hash(dev, s, h);
        if (st != SECDEC_OK) {
            ret = fail("secdec_crypto_session_set_oaep_hash", st);
            goto out;
        }
    }
    /* Before negotiation, installing a content key must be refused. */
    if (wrapped) {
        st = secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped);
        if (st != SECDEC_E_INVALIDCALL) {
            ret = fail("set_content_key before negotiation (expected SECDEC_E_INVALIDCALL)", st);
            goto out;
        }
    }
    st = secdec_negotiate_crypto_session_key_exchange(dev, s, (uint32_t)blob_size, blob);
    if (st != SECDEC_OK) {
        ret = fail("secdec_negotiate_crypto_session_key_exchange", st);
        goto out;
    }
    if (wrapped) {
        st = secdec_crypto_session_set_content_key(dev, s, kid, (uint32_t)wrapped_size, wrapped);
        if (st != SECDEC_OK) {
            ret = fail("secdec_crypto_session_set_content_key", st);
            goto out;
        }
        st = secdec_crypto_session_has_content_key(dev, s, kid);
        if (st != SECDEC_OK) {
            ret = fail("secdec_crypto_session_has_content_key", st);
            goto out;
        }
    }
    if (zero_kid_hex) {
        static const uint8_t zero[16];
        st = secdec_crypto_session_set_content_key(dev, s, zero_kid, 16, zero);
        if (st != SECDEC_OK) {
            ret = fail("secdec_crypto_session_set_content_key (zero key)", st);
            goto out;
        }
    }
    for (unsigned d = 0; d < n_dec; d++) {
        SecdecSampleInfo info;
        SecdecProtectedBuffer *buf = NULL;
        unsigned char *enc = NULL, *clear = NULL;
        size_t enc_size = 0, clear_size = 0;
        const uint8_t *out_data;
        size_t out_size;
        int same;

        secdec_sample_info_default(&info);
        info.scheme = SECDEC_SCHEME_CENC;
        info.iv_size = 16;
        if (parse_hex16(dec[d].kid, info.kid) || parse_hex16(dec[d].iv, info.iv) ||
            read_file(dec[d].enc, &enc, &enc_size) || read_file(dec[d].clear, &clear, &clear_size)) {
            free(enc);
            fprintf(stderr, "negotiate: bad --decrypt arguments\n");
            ret = 2;
            goto out;
        }
        st = secdec_decrypt_sample(dev, s, &info, enc, enc_size, &buf);
        if (st != SECDEC_OK) {
            free(enc);
            free(clear);
            ret = fail("secdec_decrypt_sample", st);
            goto out;
        }
        st = secdec_protected_buffer_map_for_decode(buf, &out_data, &out_size);
        same = st == SECDEC_OK && out_size == clear_size && memcmp(out_data, clear, clear_size) == 0;
        secdec_protected_buffer_release(&buf);
        free(enc);
        free(clear);
        if (st != SECDEC_OK) {
            ret = fail("secdec_protected_buffer_map_for_decode", st);
            goto out;
        }
        if (!same) {
            printf("decrypt %u: MISMATCH\n", d);
            ret = 1;
            goto out;
        }
    }
    printf("OK\n");
    ret = 0;
out:
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
    free(blob);
    free(wrapped);
    return ret;
}
