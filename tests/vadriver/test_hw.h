/*
 * test_hw.h - what the files of the hw executable share (test_hw_fixture.c): libsecdec's VA-API
 * backend (hw/, libsecdec-vaapi.so) against the VA test driver.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TEST_HW_H
#define SECDEC_TEST_HW_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include <secdec/decrypt.h>
#include <secdec/secdec.h>
#include <secdec/va-tee.h>
#include <secdec/vaapi.h>

/* The device home and the driver's log ($SECDEC_TEST_DRV_LOG) of the running test. */
extern char home[4096];
extern char log_path[4200];

/* The checked fixture: home, a fresh driver log, the test driver, no fault. */
void setup(void);
void teardown(void);

/* A device on the given backend with the test home. */
SecdecStatus open_dev(SecdecBackend backend, SecdecDevice **dev);
/* A negotiated session (certificate from the TEE, RSAES-OAEP SHA-512 by default). */
SecdecCryptoSession *new_session(SecdecDevice *dev, const SecdecGuid *crypto, uint8_t skey[16]);
/* The TEE loses the session's keys, as on a reset (test driver function). */
void tee_invalidate(SecdecDevice *dev, SecdecCryptoSession *s);
/* Installs content key ckey for kid, wrapped with the session key skey. */
void set_key(SecdecDevice *dev, SecdecCryptoSession *s, const uint8_t kid[16],
             const uint8_t skey[16], const uint8_t ckey[16]);
/* A CENC encryptor (independent of core's decrypt engine; cross-checked against it). */
void cenc_encrypt(const SecdecSampleInfo *in, const uint8_t key[16], const uint8_t *clear,
                  uint8_t *out, size_t size);

/* Decoding one sample through VA with the session attached. */
typedef struct Va {
    VADisplay dpy;
    VAConfigID cfg;
    VASurfaceID surf;
    VAContextID ctx;
} Va;

void va_open(SecdecDevice *dev, SecdecCryptoSession *s, Va *va);
void va_close(Va *va);
/* Renders data as slices of the given sizes with the sample's encryption; returns the VA status
 * of vaEndPicture (SECDEC status problems fail the test). */
VAStatus va_decode(SecdecDevice *dev, SecdecCryptoSession *s, Va *va,
                   const SecdecSampleInfo *info, const uint8_t *data, const size_t *sizes, int n);
/* The driver's log so far (static buffer), then removed. */
char *read_log(void);
/* The log lines the driver must have written for these clear slices. */
void expected_log(const uint8_t *clear, const size_t *sizes, int n, const char *kind,
                  char *out, size_t cap);

/* Each file adds its tests to the one "vaapi" test case, in the order of test_hw_main.c. */
void hw_add_device_tests(TCase *tc);  /* test_hw_device.c */
void hw_add_decrypt_tests(TCase *tc); /* test_hw_decrypt.c */
void hw_add_builder_tests(TCase *tc); /* test_hw_builder.c */
void hw_add_fault_tests(TCase *tc);   /* test_hw_faults.c */

#endif /* SECDEC_TEST_HW_H */
