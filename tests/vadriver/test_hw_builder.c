/*
 * test_hw_builder.c - the pure helpers of the VA-API module: secdec_vaapi_fill_encryption()
 * (CTR counters across subsamples, validation) and secdec_vaapi_check_slice_headers().
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "test_hw.h"
#include "test_util.h"

START_TEST(test_builder)
{
    /* CTR counter across subsamples: low 64 bits wrap, high bits untouched, partial blocks */
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memset(info.iv, 0xff, 16);
    info.iv[0] = 0x12;
    SecdecSubsample sub[3] = {{3, 21}, {0, 11}, {2, 40}};
    info.subsamples = sub;
    info.n_subsamples = 3;
    uint8_t wk[16] = {0x42};
    SecdecVaapiEncryption e;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 1000, &e), SECDEC_OK);
    ck_assert_uint_eq(e.n_segments, 3);
    ck_assert_uint_eq(e.params.encryption_type, VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR);
    ck_assert_uint_eq(e.params.key_blob_size, 16);
    ck_assert_int_eq(e.params.wrapped_decrypt_blob[0], 0x42);
    ck_assert_uint_eq(e.segments[1].segment_start_offset, 1024);
    ck_assert_uint_eq(e.segments[1].partial_aes_block_size, 5);   /* 21 % 16 */
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[15], 0x00); /* +1 block: wrapped */
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[8], 0x00);
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[7], 0xff);  /* no carry upwards */
    ck_assert_uint_eq(e.segments[2].partial_aes_block_size, 0);   /* 5 + 11 = 16 */
    ck_assert_int_eq(e.segments[2].aes_cbc_iv_or_ctr[15], 0x01);
    ck_assert_uint_eq(e.segments[2].init_byte_length, 2);
    secdec_vaapi_encryption_clear(&e);
    /* validation as secdec_decrypt_sample() */
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 78, 0, &e), SECDEC_E_BAD_SUBSAMPLES);
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 0, NULL, 77, 0, &e), SECDEC_E_UNSUPPORTEDCRYPTO);
    info.iv_size = 12;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 0, &e), SECDEC_E_BAD_IV);
    info.iv_size = 16;
    info.crypt_byte_block = 1;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 0, &e), SECDEC_E_BAD_PATTERN);
}
END_TEST

START_TEST(test_slice_headers)
{
    /* [len 4][IDR slice NAL 0x65 ...] [len 4][SPS 0x67 ...] */
    uint8_t s[4 + 40 + 4 + 8] = {0, 0, 0, 40, 0x65};
    s[44 + 3] = 8;
    s[48] = 0x67;
    SecdecSubsample ffmpeg_like[2] = {{5, 39}, {12, 0}};
    SecdecSubsample proper[2] = {{12, 32}, {12, 0}};
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.subsamples = ffmpeg_like;
    info.n_subsamples = 2;
    const char *why = NULL;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_NOTIMPL);
    ck_assert_ptr_nonnull(why);
    info.subsamples = proper;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_OK);
    info.n_subsamples = 0;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_NOTIMPL);
    s[3] = 99; /* lengths do not fit */
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_BAD_SAMPLE);
}
END_TEST

void hw_add_builder_tests(TCase *tc)
{
    tcase_add_test(tc, test_builder);
    tcase_add_test(tc, test_slice_headers);
}
