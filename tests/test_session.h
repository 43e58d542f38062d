/*
 * test_session.h - what the files of the test_session executable share: the two provisioned
 * homes, a few GUIDs secdec does not offer, and the Check test case of each file.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TEST_SESSION_H
#define SECDEC_TEST_SESSION_H

#include <check.h>

#include "secdec/secdec.h"

/* One provisioned home shared by the tests of this process (each Check test runs in its own
 * fork, so provisioning once in main() saves an RSA key generation per test), and a second,
 * different identity. */
extern char *g_home;
extern char *g_home2;

/* d3d9's D3DCRYPTOTYPE_PROPRIETARY and D3DKEYEXCHANGE_DXVA: valid GUIDs secdec does not offer. */
extern const SecdecGuid CRYPTO_PROPRIETARY;
extern const SecdecGuid KEY_EXCHANGE_DXVA;
/* A made-up decoder profile. */
extern const SecdecGuid PROFILE_UNKNOWN;

TCase *session_device_tcase(void);       /* test_session_device.c */
TCase *session_caps_tcase(void);         /* test_session_caps.c */
TCase *session_create_tcase(void);       /* test_session_create.c */
TCase *session_key_exchange_tcase(void); /* test_session_key_exchange.c */
TCase *session_content_keys_tcase(void); /* test_session_content_keys.c */
TCase *session_threads_tcase(void);      /* test_session_threads.c */

#endif /* SECDEC_TEST_SESSION_H */
