/*
 * test_status.c - status codes (names, descriptions, HRESULTs) and GUID helpers.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define ENTRY(code, hr) {code, #code, hr}

/* The expected HRESULT of every status (secdec.h; Direct3D codes from d3d9.h / d3dumddi.h:
 * MAKE_D3DHRESULT(c) = 0x88760000 | c). */
static const struct {
    SecdecStatus status;
    const char *name;
    uint32_t hresult;
} expected[] = {
    ENTRY(SECDEC_OK, 0x00000000u),
    ENTRY(SECDEC_E_OUTOFMEMORY, 0x8007000Eu),
    ENTRY(SECDEC_E_INVALIDARG, 0x80070057u),
    ENTRY(SECDEC_E_NOTAVAILABLE, 0x8876086Au),      /* D3DDDIERR_NOTAVAILABLE, 2154 */
    ENTRY(SECDEC_E_UNSUPPORTEDCRYPTO, 0x8876087Eu), /* D3DDDIERR_UNSUPPORTEDCRYPTO, 2174 */
    ENTRY(SECDEC_E_WRONG_DEVICE, 0x80070006u),      /* E_HANDLE */
    ENTRY(SECDEC_E_DEVICE_REMOVED, 0x88760870u),    /* D3DDDIERR_DEVICEREMOVED, 2160 */
    ENTRY(SECDEC_E_INVALIDCALL, 0x8876086Cu),       /* D3DERR_INVALIDCALL, 2156 */
    ENTRY(SECDEC_E_KEY_EXCHANGE, 0x80040200u),
    ENTRY(SECDEC_E_IDENTITY, 0x80040201u),
    ENTRY(SECDEC_E_IO, 0x80040202u),
    ENTRY(SECDEC_E_NO_KEY, 0x80040203u),
    ENTRY(SECDEC_E_LICENSE_INVALID, 0x80040204u),
    ENTRY(SECDEC_E_LICENSE_FOREIGN, 0x80040205u),
    ENTRY(SECDEC_E_MEMLOCK, 0x88760887u), /* D3DDDIERR_OUTOFHWPROTECTEDMEMORY, 2183 */
    ENTRY(SECDEC_E_BAD_SUBSAMPLES, 0x80040206u),
    ENTRY(SECDEC_E_BAD_IV, 0x80040207u),
    ENTRY(SECDEC_E_BAD_PATTERN, 0x80040208u),
    ENTRY(SECDEC_E_BAD_SAMPLE, 0x80040209u),
    ENTRY(SECDEC_E_NOTIMPL, 0x80004001u),
    ENTRY(SECDEC_E_KEY_LOST, 0x8004020Au),
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

START_TEST(t_table_complete)
{
    /* Every code of the enum is in the table above, in order. */
    ck_assert_uint_eq(N_EXPECTED, SECDEC_STATUS_COUNT);
    for (size_t i = 0; i < N_EXPECTED; i++)
        ck_assert_int_eq(expected[i].status, (int)i);
}
END_TEST

START_TEST(t_hresult)
{
    size_t i = (size_t)_i;
    ck_assert_msg(secdec_status_to_hresult(expected[i].status) == expected[i].hresult,
                  "%s: hresult 0x%08x, expected 0x%08x", expected[i].name,
                  secdec_status_to_hresult(expected[i].status), expected[i].hresult);
}
END_TEST

START_TEST(t_name)
{
    size_t i = (size_t)_i;
    ck_assert_str_eq(secdec_status_name(expected[i].status), expected[i].name);
}
END_TEST

START_TEST(t_to_string)
{
    size_t i = (size_t)_i;
    const char *s = secdec_status_to_string(expected[i].status);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_gt(strlen(s), 3);
    ck_assert_str_ne(s, "unknown status");
    /* Descriptions are distinct, so a message identifies the code. */
    for (size_t j = 0; j < N_EXPECTED; j++)
        if (j != i)
            ck_assert_str_ne(s, secdec_status_to_string(expected[j].status));
}
END_TEST

START_TEST(t_error_hresults_have_failure_bit)
{
    for (size_t i = 1; i < N_EXPECTED; i++) {
        ck_assert_msg(expected[i].hresult & 0x80000000u, "%s", expected[i].name);
        for (size_t j = 1; j < i; j++)
            ck_assert_msg(secdec_status_to_hresult(expected[i].status) !=
                              secdec_status_to_hresult(expected[j].status),
                          "%s and %s share an HRESULT", expected[i].name, expected[j].name);
    }
}
END_TEST

START_TEST(t_unknown_status)
{
    const SecdecStatus unknown[] = {SECDEC_STATUS_COUNT, (SecdecStatus)(SECDEC_STATUS_COUNT + 1),
                                    (SecdecStatus)-1, (SecdecStatus)12345};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ck_assert_uint_eq(secdec_status_to_hresult(unknown[i]), 0x80004005u); /* E_FAIL */
        ck_assert_str_eq(secdec_status_to_string(unknown[i]), "unknown status");
        const char *name = secdec_status_name(unknown[i]);
        ck_assert_ptr_nonnull(name);
        for (size_t j = 0; j < N_EXPECTED; j++)
            ck_assert_str_ne(name, expected[j].name);
    }
}
END_TEST

START_TEST(t_version)
{
    ck_assert_str_eq(secdec_version(), "0.1.0");
}
END_TEST

/* ---- GUIDs -------------------------------------------------------------------------------- */

/* Values from the reference notes (d3d-crypto-session.md §1.3), as strings and DEFINE_GUID. */
static const struct {
    const SecdecGuid *guid;
    const char *str;
    SecdecGuid bytes;
    const char *name;
} known[] = {
    {&SECDEC_CRYPTO_TYPE_AES128_CTR, "9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f",
     {0x9b6bd711, 0x4f74, 0x41c9, {0x9e, 0x7b, 0x0b, 0xe2, 0xd7, 0xd9, 0x3b, 0x4f}},
     "D3D11_CRYPTO_TYPE_AES128_CTR"},
    {&SECDEC_CRYPTO_TYPE_AES128_CBC, "422d9319-9d21-4bb7-9371-faf5a82c3e04",
     {0x422d9319, 0x9d21, 0x4bb7, {0x93, 0x71, 0xfa, 0xf5, 0xa8, 0x2c, 0x3e, 0x04}},
     "D3D11_DECODER_BITSTREAM_ENCRYPTION_TYPE_CBCS"},
    {&SECDEC_KEY_EXCHANGE_RSAES_OAEP, "c1949895-d72a-4a1d-8e5d-ed857d171520",
     {0xc1949895, 0xd72a, 0x4a1d, {0x8e, 0x5d, 0xed, 0x85, 0x7d, 0x17, 0x15, 0x20}},
     "D3D11_KEY_EXCHANGE_RSAES_OAEP"},
    {&SECDEC_KEY_EXCHANGE_HW_PROTECTION, "b1170d8a-628d-4da3-ad3b-82ddb08b4970",
     {0xb1170d8a, 0x628d, 0x4da3, {0xad, 0x3b, 0x82, 0xdd, 0xb0, 0x8b, 0x49, 0x70}},
     "D3D11_KEY_EXCHANGE_HW_PROTECTION"},
    {&SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, "1b81be68-a0c7-11d3-b984-00c04f2e73c5",
     {0x1b81be68, 0xa0c7, 0x11d3, {0xb9, 0x84, 0x00, 0xc0, 0x4f, 0x2e, 0x73, 0xc5}},
     "D3D11_DECODER_PROFILE_H264_VLD_NOFGT"},
    {&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, "5b11d51b-2f4c-4452-bcc3-09f2a1160cc0",
     {0x5b11d51b, 0x2f4c, 0x4452, {0xbc, 0xc3, 0x09, 0xf2, 0xa1, 0x16, 0x0c, 0xc0}},
     "D3D11_DECODER_PROFILE_HEVC_VLD_MAIN"},
    {&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10, "107af0e0-ef1a-4d19-aba8-67a163073d13",
     {0x107af0e0, 0xef1a, 0x4d19, {0xab, 0xa8, 0x67, 0xa1, 0x63, 0x07, 0x3d, 0x13}},
     "D3D11_DECODER_PROFILE_HEVC_VLD_MAIN10"},
    {&SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, "463707f8-a1d0-4585-876d-83aa6d60b89e",
     {0x463707f8, 0xa1d0, 0x4585, {0x87, 0x6d, 0x83, 0xaa, 0x6d, 0x60, 0xb8, 0x9e}},
     "D3D11_DECODER_PROFILE_VP9_VLD_PROFILE0"},
    {&SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0, "b8be4ccb-cf53-46ba-8d59-d6b8a6da5d2a",
     {0xb8be4ccb, 0xcf53, 0x46ba, {0x8d, 0x59, 0xd6, 0xb8, 0xa6, 0xda, 0x5d, 0x2a}},
     "D3D11_DECODER_PROFILE_AV1_VLD_PROFILE0"},
    {&SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT, "fd44a2b4-d67f-424a-a561-d31576be1b02",
     {0xfd44a2b4, 0xd67f, 0x424a, {0xa5, 0x61, 0xd3, 0x15, 0x76, 0xbe, 0x1b, 0x02}},
     "SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT"},
};
#define N_KNOWN (sizeof known / sizeof known[0])

START_TEST(t_guid_values)
{
    size_t i = (size_t)_i;
    const SecdecGuid *g = known[i].guid;
    ck_assert_uint_eq(g->data1, known[i].bytes.data1);
    ck_assert_uint_eq(g->data2, known[i].bytes.data2);
    ck_assert_uint_eq(g->data3, known[i].bytes.data3);
    ck_assert_mem_eq(g->data4, known[i].bytes.data4, 8);
    ck_assert(secdec_guid_equal(g, &known[i].bytes));

    char buf[37];
    ck_assert_ptr_eq(secdec_guid_to_string(g, buf), buf);
    ck_assert_str_eq(buf, known[i].str);

    SecdecGuid parsed;
    ck_assert_ok(secdec_guid_from_string(known[i].str, &parsed));
    ck_assert(secdec_guid_equal(&parsed, g));

    ck_assert_ptr_nonnull(secdec_guid_name(g));
    ck_assert_str_eq(secdec_guid_name(g), known[i].name);
    ck_assert_str_eq(secdec_guid_name(&known[i].bytes), known[i].name); /* by value */
}
END_TEST

START_TEST(t_guid_struct_layout)
{
    /* Same layout as the Windows GUID: 16 bytes, Data1 first, native endianness. */
    ck_assert_uint_eq(sizeof(SecdecGuid), 16);
    ck_assert_uint_eq(offsetof(SecdecGuid, data1), 0);
    ck_assert_uint_eq(offsetof(SecdecGuid, data2), 4);
    ck_assert_uint_eq(offsetof(SecdecGuid, data3), 6);
    ck_assert_uint_eq(offsetof(SecdecGuid, data4), 8);
}
END_TEST

START_TEST(t_guid_null)
{
    static const uint8_t zero[16];
    ck_assert_mem_eq(&SECDEC_GUID_NULL, zero, 16);
    char buf[37];
    ck_assert_str_eq(secdec_guid_to_string(&SECDEC_GUID_NULL, buf),
                     "00000000-0000-0000-0000-000000000000");
    ck_assert(secdec_guid_equal(NULL, NULL));
    ck_assert(!secdec_guid_equal(NULL, &SECDEC_GUID_NULL));
    ck_assert(!secdec_guid_equal(&SECDEC_GUID_NULL, NULL));
    ck_assert(secdec_guid_equal(&SECDEC_GUID_NULL, &SECDEC_GUID_NULL));
    ck_assert(!secdec_guid_equal(&SECDEC_CRYPTO_TYPE_AES128_CTR, &SECDEC_CRYPTO_TYPE_AES128_CBC));
}
END_TEST

START_TEST(t_guid_equal_each_field)
{
    /* A difference in any single byte makes GUIDs unequal. */
    for (size_t byte = 0; byte < 16; byte++) {
        SecdecGuid g = SECDEC_CRYPTO_TYPE_AES128_CTR;
        ((uint8_t *)&g)[byte] ^= 0x01;
        ck_assert_msg(!secdec_guid_equal(&g, &SECDEC_CRYPTO_TYPE_AES128_CTR), "byte %zu", byte);
    }
}
END_TEST

START_TEST(t_guid_parse_forms)
{
    SecdecGuid g;
    ck_assert_ok(secdec_guid_from_string("{9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f}", &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_CRYPTO_TYPE_AES128_CTR));
    memset(&g, 0, sizeof g);
    ck_assert_ok(secdec_guid_from_string("9B6BD711-4F74-41C9-9E7B-0BE2D7D93B4F", &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_CRYPTO_TYPE_AES128_CTR));
    /* D3DCRYPTOTYPE_PROPRIETARY (d3d9) parses, but has no name in secdec. */
    ck_assert_ok(secdec_guid_from_string("ab4e9afd-1d1c-46e6-a72f-0869917b0de8", &g));
    ck_assert_uint_eq(g.data1, 0xab4e9afdu);
    ck_assert_uint_eq(g.data2, 0x1d1c);
    ck_assert_uint_eq(g.data3, 0x46e6);
    static const uint8_t d4[8] = {0xa7, 0x2f, 0x08, 0x69, 0x91, 0x7b, 0x0d, 0xe8};
    ck_assert_mem_eq(g.data4, d4, 8);
    ck_assert_ptr_null(secdec_guid_name(&g));
    ck_assert_ptr_null(secdec_guid_name(NULL));
}
END_TEST

START_TEST(t_guid_parse_invalid)
{
    static const char *const bad[] = {
        "",
        "9b6bd711-4f74-41c9-9e7b-0be2d7d93b4",    /* short */
        "9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f0",  /* long */
        "9b6bd711-4f74-41c9-9e7b-0be2d7d93b4g",   /* bad hex */
        "9b6bd711x4f74-41c9-9e7b-0be2d7d93b4f",   /* bad dash */
        "9b6bd7114f7441c99e7b0be2d7d93b4f",       /* no dashes */
        "{9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f",  /* unbalanced */
        "9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f}",  /* unbalanced */
        "(9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f)", /* wrong brackets */
        " 9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f",  /* space */
        "9b6bd711-4f74-41c9-9e7b-0be2d7d9 b4f",
        "9b6bd711--4f74-41c9-9e7b-0be2d7d93b4",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SecdecGuid g = SECDEC_KEY_EXCHANGE_RSAES_OAEP;
        ck_assert_msg(secdec_guid_from_string(bad[i], &g) == SECDEC_E_INVALIDARG, "'%s'", bad[i]);
        /* Outputs are only written on success. */
        ck_assert_msg(secdec_guid_equal(&g, &SECDEC_KEY_EXCHANGE_RSAES_OAEP), "'%s'", bad[i]);
    }
    SecdecGuid g;
    ck_assert_status(secdec_guid_from_string(NULL, &g), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_guid_from_string("9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f", NULL),
                     SECDEC_E_INVALIDARG);
}
END_TEST

START_TEST(t_known_lists)
{
    /* secdec_known_crypto_type: CTR and CBC, no duplicates, NULL past the end. */
    int have_ctr = 0, have_cbc = 0;
    unsigned n = 0;
    for (; n < 64 && secdec_known_crypto_type(n); n++) {
        const SecdecGuid *g = secdec_known_crypto_type(n);
        have_ctr |= secdec_guid_equal(g, &SECDEC_CRYPTO_TYPE_AES128_CTR);
        have_cbc |= secdec_guid_equal(g, &SECDEC_CRYPTO_TYPE_AES128_CBC);
        ck_assert_ptr_nonnull(secdec_guid_name(g));
        for (unsigned j = 0; j < n; j++)
            ck_assert(!secdec_guid_equal(g, secdec_known_crypto_type(j)));
    }
    ck_assert_uint_lt(n, 64);
    ck_assert(have_ctr && have_cbc);
    ck_assert_ptr_null(secdec_known_crypto_type(n));
    ck_assert_ptr_null(secdec_known_crypto_type(1000));

    static const SecdecGuid *const profiles[] = {
        &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN,
        &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0,
        &SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0};
    int seen[5] = {0};
    for (n = 0; n < 64 && secdec_known_decoder_profile(n); n++) {
        const SecdecGuid *g = secdec_known_decoder_profile(n);
        ck_assert(!secdec_guid_equal(g, &SECDEC_GUID_NULL));
        for (size_t j = 0; j < 5; j++)
            seen[j] |= secdec_guid_equal(g, profiles[j]);
    }
    ck_assert_uint_lt(n, 64);
    for (size_t j = 0; j < 5; j++)
        ck_assert_msg(seen[j], "profile %s not listed", secdec_guid_name(profiles[j]));
    ck_assert_ptr_null(secdec_known_decoder_profile(n));
}
END_TEST

START_TEST(t_backend_names)
{
    ck_assert_str_eq(secdec_backend_name(SECDEC_BACKEND_SOFTWARE), "software");
    ck_assert_str_eq(secdec_backend_name(SECDEC_BACKEND_VAAPI), "vaapi");
    ck_assert_ptr_nonnull(secdec_backend_name(SECDEC_BACKEND_AUTO));
    ck_assert_ptr_nonnull(secdec_backend_name((SecdecBackend)99));
}
END_TEST

START_TEST(t_default_settings)
{
    SecdecDeviceSettings st;
    memset(&st, 0xa5, sizeof st);
    secdec_device_default_settings(&st);
    ck_assert_int_eq(st.backend, SECDEC_BACKEND_AUTO);
    ck_assert_ptr_null(st.home_dir);
    ck_assert_int_eq(st.provision, 1);
    ck_assert_int_eq(st.allow_unlocked_memory, 0);
    ck_assert(st.logger == NULL);
    ck_assert_int_eq(st.log_level, SECDEC_LOG_WARNING);
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, t_table_complete);
    tcase_add_loop_test(tc, t_hresult, 0, (int)N_EXPECTED);
    tcase_add_loop_test(tc, t_name, 0, (int)N_EXPECTED);
    tcase_add_loop_test(tc, t_to_string, 0, (int)N_EXPECTED);
    tcase_add_test(tc, t_error_hresults_have_failure_bit);
    tcase_add_test(tc, t_unknown_status);
    tcase_add_test(tc, t_version);
    suite_add_tcase(s, tc);

    tc = tcase_create("guid");
    tcase_add_loop_test(tc, t_guid_values, 0, (int)N_KNOWN);
    tcase_add_test(tc, t_guid_struct_layout);
    tcase_add_test(tc, t_guid_null);
    tcase_add_test(tc, t_guid_equal_each_field);
    tcase_add_test(tc, t_guid_parse_forms);
    tcase_add_test(tc, t_guid_parse_invalid);
    tcase_add_test(tc, t_known_lists);
    tcase_add_test(tc, t_backend_names);
    tcase_add_test(tc, t_default_settings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(status_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
