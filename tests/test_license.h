/*
 * test_license.h - what the files of the test_license executable share: the license layout,
 * the two provisioned homes, the fixture (a device, a session and its certificate) with its
 * helpers (test_license_main.c), and the Check test case of each file.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TEST_LICENSE_H
#define SECDEC_TEST_LICENSE_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "secdec/license.h"
#include "secdec/secdec.h"

/* Layout (license.c): magic 0..7, version 8..9, hash 10, flags 11, fingerprint 12..43,
 * blob 44..299, count 300..301, entries 302.., MAC last 32 bytes. */
#define OFF_HASH 10
#define OFF_FLAGS 11
#define OFF_FP 12
#define OFF_BLOB 44
#define OFF_COUNT 300
#define OFF_ENTRIES 302
#define LIC_SIZE(n) (OFF_ENTRIES + 32 * (n) + 32)

/* Two provisioned identities, shared by all tests of the executable (main()). */
extern char *g_home, *g_home2;

typedef struct {
    SecdecDevice *dev;
    SecdecCryptoSession *s;
    uint8_t *cert;
    size_t cert_size;
} Fixture;

/* A device on home, a session and its certificate. */
void fx_open(Fixture *fx, const char *home);
void fx_close(Fixture *fx);
/* n random KIDs and keys. */
void make_keys(SecdecContentKey *keys, size_t n);
/* A license for fx's certificate (asserts success and its size). */
uint8_t *issue(const Fixture *fx, SecdecOaepHash h, const SecdecContentKey *keys, size_t n,
               size_t *size);
/* The session holds exactly these content keys / none of them. */
void assert_keys_loaded(SecdecCryptoSession *s, const SecdecContentKey *keys, size_t n);
void assert_no_keys(SecdecDevice *dev, SecdecCryptoSession *s, const SecdecContentKey *keys,
                    size_t n);

TCase *license_issue_tcase(void);  /* test_license_issue.c */
TCase *license_tamper_tcase(void); /* test_license_tamper.c */
TCase *license_store_tcase(void);  /* test_license_store.c */

#endif /* SECDEC_TEST_LICENSE_H */
