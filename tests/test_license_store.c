/*
 * test_license_store.c - the license store: one file per KID in licenses/, find and
 * load, a later license replacing an earlier one, tampered and corrupt files, reading license
 * files, and a closed device.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_license.h"
#include "test_util.h"

/* ============================================================================== store == */

START_TEST(t_store)
{
    /* A private copy of the identity, so the store starts empty. */
    char *home = tu_clone_home(g_home);
    Fixture fx;
    fx_open(&fx, home);
    SecdecContentKey keys[3];
    make_keys(keys, 3);
    size_t size;
    uint8_t *bytes = issue(&fx, SECDEC_OAEP_SHA256, keys, 3, &size);
    SecdecLicense *lic = NULL, *found = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));

    ck_assert_status(secdec_license_store_find(fx.dev, keys[0].kid, &found), SECDEC_E_NO_KEY);
    ck_assert_ok(secdec_license_store_install(fx.dev, lic));

    /* one file per KID, mode 0600, in licenses/ */
    char *dir = tu_path(home, "licenses");
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 077, 0);
    for (int i = 0; i < 3; i++) {
        char name[64];
        for (int j = 0; j < 16; j++)
            snprintf(name + 2 * j, 3, "%02x", keys[i].kid[j]);
        strcat(name, ".lic");
        char *p = tu_path(dir, name);
        ck_assert_msg(stat(p, &sb) == 0, "%s missing", p);
        ck_assert_uint_eq(sb.st_mode & 07777, 0600);
        ck_assert_uint_eq((size_t)sb.st_size, size);
        free(p);
    }

    /* find by each KID, then load into a new session */
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(secdec_license_store_find(fx.dev, keys[i].kid, &found));
        const uint8_t *b;
        size_t bs;
        ck_assert_ok(secdec_license_get_bytes(found, &b, &bs));
        ck_assert_uint_eq(bs, size);
        ck_assert_mem_eq(b, bytes, size);
        SecdecCryptoSession *s = tu_create_session(fx.dev);
        ck_assert_ok(secdec_license_load(fx.dev, s, found));
        assert_keys_loaded(s, keys, 3);
        secdec_crypto_session_destroy(&s);
        secdec_license_free(&found);
    }
    uint8_t absent[16];
    tu_kid(absent, 0xab);
    ck_assert_status(secdec_license_store_find(fx.dev, absent, &found), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_license_store_find(fx.dev, NULL, &found), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_store_find(fx.dev, absent, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_store_install(fx.dev, NULL), SECDEC_E_INVALIDARG);

    /* a later license for the same KID replaces the earlier one */
    SecdecContentKey newer[1];
    memcpy(newer[0].kid, keys[1].kid, 16);
    tu_random(newer[0].key, 16);
    size_t size2;
    uint8_t *bytes2 = issue(&fx, SECDEC_OAEP_SHA512, newer, 1, &size2);
    SecdecLicense *lic2 = NULL;
    ck_assert_ok(secdec_license_parse(bytes2, size2, &lic2));
    ck_assert_ok(secdec_license_store_install(fx.dev, lic2));
    ck_assert_ok(secdec_license_store_find(fx.dev, keys[1].kid, &found));
    SecdecCryptoSession *s = tu_create_session(fx.dev);
    ck_assert_ok(secdec_license_load(fx.dev, s, found));
    assert_keys_loaded(s, newer, 1);
    secdec_crypto_session_destroy(&s);
    secdec_license_free(&found);

    /* a tampered license is not installed */
    bytes2[size2 - 5] ^= 1;
    SecdecLicense *bad = NULL;
    ck_assert_ok(secdec_license_parse(bytes2, size2, &bad));
    ck_assert_status(secdec_license_store_install(fx.dev, bad), SECDEC_E_LICENSE_INVALID);
    secdec_license_free(&bad);
    ck_assert_ok(secdec_license_store_find(fx.dev, keys[1].kid, &found)); /* still the good one */
    secdec_license_free(&found);

    /* a corrupt stored file: LICENSE_INVALID */
    char name[64];
    for (int j = 0; j < 16; j++)
        snprintf(name + 2 * j, 3, "%02x", keys[2].kid[j]);
    strcat(name, ".lic");
    char *p = tu_path(dir, name);
    int fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "garbage", 7), 7);
    close(fd);
    ck_assert_status(secdec_license_store_find(fx.dev, keys[2].kid, &found),
                     SECDEC_E_LICENSE_INVALID);
    /* a valid license filed under a KID it does not carry: LICENSE_INVALID */
    fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, bytes2, size2), (ssize_t)size2);
    close(fd);
    ck_assert_status(secdec_license_store_find(fx.dev, keys[2].kid, &found),
                     SECDEC_E_LICENSE_INVALID);
    ck_assert_ptr_null(found);

    /* read_file */
    ck_assert_ok(secdec_license_read_file(p, &found));
    secdec_license_free(&found);
    char *missing = tu_path(dir, "missing.lic");
    ck_assert_status(secdec_license_read_file(missing, &found), SECDEC_E_IO);
    ck_assert_status(secdec_license_read_file(NULL, &found), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_read_file(p, NULL), SECDEC_E_INVALIDARG);
    /* a huge file is refused without reading it all */
    fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(ftruncate(fd, 10 * 1024 * 1024), 0);
    close(fd);
    ck_assert_status(secdec_license_read_file(p, &found), SECDEC_E_LICENSE_INVALID);

    free(missing);
    free(p);
    free(dir);
    secdec_license_free(&lic2);
    secdec_free(bytes2);
    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&fx);
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_store_device_removed)
{
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecDevice *stale = fx.dev;
    SecdecContentKey k;
    make_keys(&k, 1);
    size_t size;
    uint8_t *bytes = issue(&fx, SECDEC_OAEP_SHA512, &k, 1, &size);
    SecdecLicense *lic = NULL, *found = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    secdec_device_close(&fx.dev); /* fx.s keeps the device memory alive */
    ck_assert_status(secdec_license_store_install(stale, lic), SECDEC_E_DEVICE_REMOVED);
    ck_assert_status(secdec_license_store_find(stale, k.kid, &found), SECDEC_E_DEVICE_REMOVED);
    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&fx);
}
END_TEST

TCase *license_store_tcase(void)
{
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_store);
    tcase_add_test(tc, t_store_device_removed);
    return tc;
}
