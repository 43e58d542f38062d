/*
 * fuzz_decrypt.c - libFuzzer target for the decrypt entry points (secdec_decrypt_sample and
 * secdec_decrypt_d3d11): any encryption info and any sample must give a status or a buffer,
 * never a crash, an out-of-bounds access or a leak.
 *
 * Input layout (all choices are taken from the fuzz data):
 *   byte 0   bits 0-1 scheme, bit 2 IV size 8/16 (bit 3: a bad IV size 0-31 from byte 3),
 *            bits 4-5 key kind (content key, session key, clear KID, unknown KID),
 *            bit 6 Direct3D form, bit 7 D3D block-info form instead of mapping blocks
 *   byte 1   crypt:skip pattern (4 bits each)
 *   byte 2   number of subsamples (0-63)
 *   byte 3   bad IV size when bit 3 is set
 *   then     n x { u16 BE clear, u16 BE encrypted }, 16 IV bytes, and the sample itself.
 * A clear-KID sample must come out unchanged: that is checked.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secdec/decrypt.h"
#include "secdec/license.h"
#include "secdec/secdec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SecdecDevice *g_dev;
static SecdecCryptoSession *g_sess[2]; /* AES128_CTR, AES128_CBC */
static char g_home[4096];
static const uint8_t KID_CONTENT[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t KID_SESSION[16] = {0x55};
static const uint8_t KID_CLEAR[16] = {0xcc};
static const uint8_t KID_UNKNOWN[16] = {0xee};

static void quiet(void *cookie, SecdecLogLevel level, const char *msg)
{
    (void)cookie;
    (void)level;
    (void)msg;
}

static void cleanup(void)
{
    for (int i = 0; i < 2; i++)
        secdec_crypto_session_destroy(&g_sess[i]);
    secdec_device_close(&g_dev);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_home);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_decrypt: could not remove %s\n", g_home);
}

static void die(const char *what, SecdecStatus st)
{
    fprintf(stderr, "fuzz_decrypt: %s: %s\n", what, secdec_status_name(st));
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_home, sizeof g_home, "%s/fuzz-decrypt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_home))
        abort();
    atexit(cleanup);
    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.home_dir = g_home;
    st.logger = quiet;
    st.allow_unlocked_memory = 1;
    SecdecStatus s = secdec_device_open(&g_dev, &st);
    if (s != SECDEC_OK)
        die("device", s);
    const SecdecGuid *types[2] = {&SECDEC_CRYPTO_TYPE_AES128_CTR, &SECDEC_CRYPTO_TYPE_AES128_CBC};
    /* keys arrive the real way: a license issued to this device's certificate */
    SecdecContentKey key;
    memcpy(key.kid, KID_CONTENT, 16);
    memset(key.key, 0x3c, 16);
    uint32_t cert_size = 0;
    uint8_t cert[8192], *lic_bytes = NULL;
    size_t lic_size = 0;
    SecdecLicense *lic = NULL;
    for (int i = 0; i < 2; i++) {
        s = secdec_create_crypto_session(g_dev, types[i], NULL, &SECDEC_KEY_EXCHANGE_RSAES_OAEP,
                                         &g_sess[i]);
        if (s != SECDEC_OK)
            die("session", s);
    }
    s = secdec_crypto_session_get_certificate_size(g_dev, g_sess[0], &cert_size);
    if (s == SECDEC_OK && cert_size > sizeof cert)
        s = SECDEC_E_INVALIDARG;
    if (s == SECDEC_OK)
        s = secdec_crypto_session_get_certificate(g_dev, g_sess[0], cert_size, cert);
    if (s == SECDEC_OK)
        s = secdec_license_issue(cert, cert_size, SECDEC_OAEP_SHA512, &key, 1, &lic_bytes,
                                 &lic_size);
    if (s == SECDEC_OK)
        s = secdec_license_parse(lic_bytes, lic_size, &lic);
    for (int i = 0; s == SECDEC_OK && i < 2; i++) {
        static const uint8_t zero[16] = {0};
        s = secdec_license_load(g_dev, g_sess[i], lic);
        if (s == SECDEC_OK)
            s = secdec_crypto_session_set_content_key(g_dev, g_sess[i], KID_SESSION, 16, zero);
        if (s == SECDEC_OK)
            s = secdec_crypto_session_set_content_key(g_dev, g_sess[i], KID_CLEAR, 0, NULL);
    }
    secdec_license_free(&lic);
    secdec_free(lic_bytes);
    if (s != SECDEC_OK)
        die("keys", s);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint8_t flags = data[0], pattern = data[1];
    unsigned n = data[2] & 63;
    size_t hdr = 4 + 4 * (size_t)n + 16;
    if (size < hdr)
        return 0;
    SecdecSubsample ss[64];
    SecdecD3DSubSampleMappingBlock mb[64];
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = data + 4 + 4 * i;
        ss[i].clear_bytes = (uint32_t)(p[0] << 8 | p[1]);
        ss[i].encrypted_bytes = (uint32_t)(p[2] << 8 | p[3]);
        mb[i].clear_size = ss[i].clear_bytes;
        mb[i].encrypted_size = ss[i].encrypted_bytes;
    }
    const uint8_t *iv = data + 4 + 4 * n;
    const uint8_t *sample = data + hdr;
    size_t sample_size = size - hdr;
    static const uint8_t *const kids[4] = {KID_CONTENT, KID_SESSION, KID_CLEAR, KID_UNKNOWN};
    const uint8_t *kid = kids[(flags >> 4) & 3];

    SecdecProtectedBuffer *pb = NULL;
    SecdecStatus st;
    if (flags & 0x40) {
        SecdecD3DAesCtrIv d3div;
        memcpy(&d3div.iv, iv, 8);
        memcpy(&d3div.count, iv + 8, 8);
        SecdecD3DEncryptedBlockInfo bi = {ss[0].clear_bytes, pattern >> 4, pattern & 15};
        SecdecD3DBufferDesc desc = {.iv = &d3div};
        if (flags & 0x80) {
            desc.block_info = n ? &bi : NULL;
        } else {
            desc.mapping = n ? mb : NULL;
            desc.mapping_count = n;
            desc.stripe_encrypted = (flags & 3) == 1 ? pattern >> 4 : 0;
            desc.stripe_clear = (flags & 3) == 1 ? pattern & 15 : 0;
        }
        st = secdec_decrypt_d3d11(g_dev, g_sess[0], kid, &desc, sample, sample_size, &pb);
    } else {
        SecdecSampleInfo info;
        secdec_sample_info_default(&info);
        info.scheme = (SecdecScheme)(flags & 3);
        memcpy(info.kid, kid, 16);
        memcpy(info.iv, iv, 16);
        info.iv_size = (flags & 8) ? data[3] & 31 : (flags & 4) ? 16 : 8;
        info.subsamples = n ? ss : NULL;
        info.n_subsamples = n;
        info.crypt_byte_block = pattern >> 4;
        info.skip_byte_block = pattern & 15;
        int cbc = info.scheme == SECDEC_SCHEME_CBC1 || info.scheme == SECDEC_SCHEME_CBCS;
        st = secdec_decrypt_sample(g_dev, g_sess[cbc], &info, sample, sample_size, &pb);
    }
    if (st == SECDEC_OK) {
        const uint8_t *out;
        size_t out_size;
        if (secdec_protected_buffer_map_for_decode(pb, &out, &out_size) != SECDEC_OK ||
            out_size != sample_size)
            abort();
        if (kid == KID_CLEAR && memcmp(out, sample, sample_size) != 0)
            abort(); /* clear KIDs pass through unchanged */
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < out_size + SECDEC_PROTECTED_BUFFER_PADDING; i++)
            sink ^= out[i]; /* the padding must be readable */
        (void)sink;
        secdec_protected_buffer_release(&pb);
    } else if (pb) {
        abort(); /* no buffer on failure */
    }
    return 0;
}
