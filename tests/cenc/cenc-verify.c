/*
 * cenc-verify - proves libsecdec decrypts real CENC files sample for sample.
 *
 * Reads an encrypted MP4 with libavformat (no key given to FFmpeg, so every packet carries
 * AV_PKT_DATA_ENCRYPTION_INFO side data), decrypts each packet with libsecdec using keys
 * loaded through a license issued to this device, and compares the result byte for byte with
 * the same packet of the clear file. Exit 0 only if every packet matches and at least one was
 * encrypted.
 *
 * Usage: cenc-verify --key KIDHEX:KEYHEX [--key ...] [--min-encrypted N] ENC.mp4 CLEAR.mp4
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/encryption_info.h>

#include <secdec/decrypt.h>
#include <secdec/license.h>
#include <secdec/secdec.h>

#define MAX_KEYS 8

static int hex2bin(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return s[2 * n] == '\0' || s[2 * n] == ':' ? 0 : -1;
}

static int open_video(const char *path, AVFormatContext **fmt, int *stream)
{
    if (avformat_open_input(fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(*fmt, NULL) < 0) {
        fprintf(stderr, "cenc-verify: cannot open %s\n", path);
        return -1;
    }
    *stream = av_find_best_stream(*fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (*stream < 0) {
        fprintf(stderr, "cenc-verify: no video stream in %s\n", path);
        return -1;
    }
    return 0;
}

static int next_packet(AVFormatContext *fmt, int stream, AVPacket *pkt)
{
    for (;;) {
        av_packet_unref(pkt);
        int r = av_read_frame(fmt, pkt);
        if (r < 0)
            return r;
        if (pkt->stream_index == stream)
            return 0;
    }
}

static SecdecStatus session_for(SecdecDevice *dev, SecdecScheme scheme, const SecdecLicense *lic,
                                SecdecCryptoSession **out)
{
    bool ctr = scheme == SECDEC_SCHEME_CENC || scheme == SECDEC_SCHEME_CENS;
    SecdecStatus st = secdec_create_crypto_session(
        dev, ctr ? &SECDEC_CRYPTO_TYPE_AES128_CTR : &SECDEC_CRYPTO_TYPE_AES128_CBC, NULL,
        &SECDEC_KEY_EXCHANGE_RSAES_OAEP, out);
    if (st == SECDEC_OK)
        st = secdec_license_load(dev, *out, lic);
    return st;
}

int main(int argc, char **argv)
{
    SecdecContentKey keys[MAX_KEYS];
    size_t n_keys = 0;
    long min_encrypted = 1;
    const char *files[2];
    int n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--key") && i + 1 < argc && n_keys < MAX_KEYS) {
            const char *a = argv[++i];
            if (strlen(a) != 65 || hex2bin(a, keys[n_keys].kid, 16) || hex2bin(a + 33, keys[n_keys].key, 16)) {
                fprintf(stderr, "cenc-verify: bad --key %s (want KIDHEX:KEYHEX)\n", a);
                return 2;
            }
            n_keys++;
        } else if (!strcmp(argv[i], "--min-encrypted") && i + 1 < argc) {
            min_encrypted = strtol(argv[++i], NULL, 10);
        } else if (n_files < 2 && argv[i][0] != '-') {
            files[n_files++] = argv[i];
        } else {
            fprintf(stderr, "usage: cenc-verify --key KID:KEY [--key ...] [--min-encrypted N] ENC CLEAR\n");
            return 2;
        }
    }
    if (n_files != 2 || n_keys == 0) {
        fprintf(stderr, "usage: cenc-verify --key KID:KEY [--key ...] [--min-encrypted N] ENC CLEAR\n");
        return 2;
    }

    /* The device (identity in $SECDEC_HOME) and a license for it, as a content owner issues. */
    SecdecDevice *dev = NULL;
    SecdecStatus st = secdec_device_open(&dev, NULL);
    if (st != SECDEC_OK) {
        fprintf(stderr, "cenc-verify: device: %s\n", secdec_status_to_string(st));
        return 1;
    }
    SecdecCryptoSession *probe = NULL;
    uint32_t cert_size = 0;
    uint8_t *cert = NULL, *lic_bytes = NULL;
    size_t lic_size = 0;
    SecdecLicense *lic = NULL;
    st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                      &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &probe);
    if (st == SECDEC_OK)
        st = secdec_crypto_session_get_certificate_size(dev, probe, &cert_size);
    if (st == SECDEC_OK && !(cert = malloc(cert_size)))
        st = SECDEC_E_OUTOFMEMORY;
    if (st == SECDEC_OK)
        st = secdec_crypto_session_get_certificate(dev, probe, cert_size, cert);
    if (st == SECDEC_OK)
        st = secdec_license_issue(cert, cert_size, SECDEC_OAEP_SHA512, keys, n_keys, &lic_bytes,
                                  &lic_size);
    if (st == SECDEC_OK)
        st = secdec_license_parse(lic_bytes, lic_size, &lic);
    secdec_crypto_session_destroy(&probe);
    free(cert);
    secdec_free(lic_bytes);
    if (st != SECDEC_OK) {
        fprintf(stderr, "cenc-verify: license: %s\n", secdec_status_to_string(st));
        return 1;
    }

    /* Stream probing runs FFmpeg's native decoder over still-encrypted slices: that noise is
     * expected (see docs), our own messages go to stderr directly. */
    av_log_set_level(AV_LOG_FATAL);
    AVFormatContext *fe = NULL, *fc = NULL;
    int se, sc;
    if (open_video(files[0], &fe, &se) || open_video(files[1], &fc, &sc))
        return 1;
    AVPacket *pe = av_packet_alloc(), *pc = av_packet_alloc();
    SecdecCryptoSession *sessions[4] = {NULL}, *clear_sess = NULL;
    if (secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                     &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &clear_sess) != SECDEC_OK)
        return 1;
    long total = 0, encrypted = 0, mismatched = 0, failed = 0;
    int rc = 0;
    while (next_packet(fe, se, pe) == 0) {
        if (next_packet(fc, sc, pc) != 0) {
            fprintf(stderr, "cenc-verify: clear file has fewer packets\n");
            rc = 1;
            break;
        }
        total++;
        size_t sd_size = 0;
        const uint8_t *sd = av_packet_get_side_data(pe, AV_PKT_DATA_ENCRYPTION_INFO, &sd_size);
        SecdecProtectedBuffer *pb = NULL;
        AVEncryptionInfo *ei = sd ? av_encryption_info_get_side_data(sd, sd_size) : NULL;
        if (ei) {
            encrypted++;
            char fourcc[5] = {(char)(ei->scheme >> 24), (char)(ei->scheme >> 16),
                              (char)(ei->scheme >> 8), (char)ei->scheme, 0};
            SecdecSampleInfo info;
            secdec_sample_info_default(&info);
            SecdecSubsample *ss = calloc(ei->subsample_count ? ei->subsample_count : 1, sizeof(*ss));
            for (uint32_t i = 0; i < ei->subsample_count; i++)
                ss[i] = (SecdecSubsample){ei->subsamples[i].bytes_of_clear_data,
                                          ei->subsamples[i].bytes_of_protected_data};
            st = secdec_scheme_from_fourcc(fourcc, &info.scheme);
            if (st == SECDEC_OK && ei->key_id_size == 16 && ei->iv_size <= 16) {
                memcpy(info.kid, ei->key_id, 16);
                memcpy(info.iv, ei->iv, ei->iv_size);
                info.iv_size = ei->iv_size;
                info.subsamples = ei->subsample_count ? ss : NULL;
                info.n_subsamples = ei->subsample_count;
                info.crypt_byte_block = ei->crypt_byte_block;
                info.skip_byte_block = ei->skip_byte_block;
                SecdecCryptoSession **s = &sessions[info.scheme];
                if (!*s)
                    st = session_for(dev, info.scheme, lic, s);
                if (st == SECDEC_OK)
                    st = secdec_decrypt_sample(dev, *s, &info, pe->data, (size_t)pe->size, &pb);
            } else if (st == SECDEC_OK) {
                st = SECDEC_E_BAD_IV;
            }
            free(ss);
            av_encryption_info_free(ei);
            if (st != SECDEC_OK) {
                fprintf(stderr, "cenc-verify: packet %ld (%s): %s (%s)\n", total - 1, fourcc,
                        secdec_status_to_string(st), secdec_status_name(st));
                failed++;
                continue;
            }
        } else {
            /* A clear sample (clear lead): it still goes through protected memory. */
            st = secdec_decrypt_sample(dev, clear_sess, NULL, pe->data, (size_t)pe->size, &pb);
            if (st != SECDEC_OK) {
                fprintf(stderr, "cenc-verify: packet %ld (clear): %s\n", total - 1,
                        secdec_status_to_string(st));
                failed++;
                continue;
            }
        }
        const uint8_t *out;
        size_t out_size;
        secdec_protected_buffer_map_for_decode(pb, &out, &out_size);
        if (out_size != (size_t)pc->size || memcmp(out, pc->data, out_size)) {
            if (mismatched < 5)
                fprintf(stderr, "cenc-verify: packet %ld differs from the clear file\n", total - 1);
            mismatched++;
        }
        secdec_protected_buffer_release(&pb);
    }
    if (next_packet(fc, sc, pc) == 0) {
        fprintf(stderr, "cenc-verify: clear file has more packets\n");
        rc = 1;
    }
    printf("cenc-verify: %ld packets, %ld encrypted, %ld mismatched, %ld failed\n", total,
           encrypted, mismatched, failed);
    if (mismatched || failed || encrypted < min_encrypted || total == 0)
        rc = 1;
    for (int i = 0; i < 4; i++)
        secdec_crypto_session_destroy(&sessions[i]);
    secdec_crypto_session_destroy(&clear_sess);
    secdec_license_free(&lic);
    secdec_device_close(&dev);
    av_packet_free(&pe);
    av_packet_free(&pc);
    avformat_close_input(&fe);
    avformat_close_input(&fc);
    return rc;
}
