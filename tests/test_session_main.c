/*
 * test_session_main.c - the "session" suite: devices, capabilities, crypto sessions, key
 * exchange, session-key refresh, content keys, session status and thread safety, each return
 * code on the path the Direct3D documents give for it. The tests are in test_session_*.c, one
 * file per test case; this file provisions the two identities they share and runs them.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "test_session.h"
#include "test_util.h"

const SecdecGuid CRYPTO_PROPRIETARY = {
    0xab4e9afd, 0x1d1c, 0x46e6, {0xa7, 0x2f, 0x08, 0x69, 0x91, 0x7b, 0x0d, 0xe8}};
const SecdecGuid KEY_EXCHANGE_DXVA = {
    0x43d3775c, 0x38e5, 0x4924, {0x8d, 0x86, 0xd3, 0xfc, 0xcf, 0x15, 0x3e, 0x9b}};
const SecdecGuid PROFILE_UNKNOWN = {
    0x12345678, 0x9abc, 0xdef0, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}};

char *g_home;
char *g_home2;

static Suite *session_suite(void)
{
    Suite *su = suite_create("session");
    suite_add_tcase(su, session_device_tcase());
    suite_add_tcase(su, session_caps_tcase());
    suite_add_tcase(su, session_create_tcase());
    suite_add_tcase(su, session_key_exchange_tcase());
    suite_add_tcase(su, session_content_keys_tcase());
    suite_add_tcase(su, session_threads_tcase());
    return su;
}

int main(void)
{
    /* Two identities, provisioned once for all tests of this executable. */
    char *tmp = NULL;
    if (tu_provision_two_homes(&tmp, &g_home, &g_home2) != 0)
        return EXIT_FAILURE;
    int failed = tu_run_suite(session_suite());
    free(g_home);
    free(g_home2);
    tu_rmtree_free(tmp);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
