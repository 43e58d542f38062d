/*
 * test_hw_main.c - the "hw" suite: libsecdec's VA-API backend (hw/, libsecdec-vaapi.so) against
 * the VA test driver: backend selection, caps, TEE key exchange (test_hw_device.c),
 * VAEncryptionParameters decrypted bit-exactly by the driver, key rotation, session loss and
 * recovery, refresh (test_hw_decrypt.c), the encryption builder and slice-header check
 * (test_hw_builder.c), every fault-knob failure (test_hw_faults.c).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test_hw.h"
#include "test_util.h"

int main(void)
{
    Suite *su = suite_create("hw");
    TCase *tc = tcase_create("vaapi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    hw_add_device_tests(tc);
    hw_add_decrypt_tests(tc);
    hw_add_builder_tests(tc);
    hw_add_fault_tests(tc);
    suite_add_tcase(su, tc);
    return tu_run_suite(su) ? 1 : 0;
}
