/*
 * test_license_main.c - the "license" suite: licenses issued, parsed, loaded into a
 * session, kept in the license store, and tampered with (every region of the layout in
 * license.c / docs/license-format.md). The tests are in test_license_{issue,tamper,store}.c;
 * this file has the fixture they share, provisions the two identities and runs them.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include "test_license.h"
#include "test_util.h"

char *g_home, *g_home2;

void fx_open(Fixture *fx, const char *home)
{
    fx->dev = tu_open_device(home);
    fx->s = tu_create_session(fx->dev);
    fx->cert = tu_get_certificate(fx->dev, fx->s, &fx->cert_size);
}

void fx_close(Fixture *fx)
{
    free(fx->cert);
    secdec_crypto_session_destroy(&fx->s);
    secdec_device_close(&fx->dev);
}

void make_keys(SecdecContentKey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tu_random(keys[i].kid, 16);
        tu_random(keys[i].key, 16);
    }
}

uint8_t *issue(const Fixture *fx, SecdecOaepHash h, const SecdecContentKey *keys, size_t n,
               size_t *size)
{
    uint8_t *lic = NULL;
    ck_assert_ok(secdec_license_issue(fx->cert, fx->cert_size, h, keys, n, &lic, size));
    ck_assert_ptr_nonnull(lic);
    ck_assert_uint_eq(*size, LIC_SIZE(n));
    return lic;
}

void assert_keys_loaded(SecdecCryptoSession *s, const SecdecContentKey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t got[16];
        ck_assert_int_eq(tu_content_key(s, keys[i].kid, got), 1);
        ck_assert_mem_eq(got, keys[i].key, 16);
    }
}

void assert_no_keys(SecdecDevice *dev, SecdecCryptoSession *s, const SecdecContentKey *keys,
                    size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_status(secdec_crypto_session_has_content_key(dev, s, keys[i].kid),
                         SECDEC_E_NO_KEY);
}

static Suite *license_suite(void)
{
    Suite *su = suite_create("license");
    suite_add_tcase(su, license_issue_tcase());
    suite_add_tcase(su, license_tamper_tcase());
    suite_add_tcase(su, license_store_tcase());
    return su;
}

int main(void)
{
    char *tmp = NULL;
    if (tu_provision_two_homes(&tmp, &g_home, &g_home2) != 0)
        return EXIT_FAILURE;
    int failed = tu_run_suite(license_suite());
    free(g_home);
    free(g_home2);
    tu_rmtree_free(tmp);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
