/*
 * test_session_threads.c - thread safety: content keys, refreshes and MACs from several threads
 * on one session, key exchanges racing with installs, sessions created and destroyed from
 * several threads while the device is closed.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "test_session.h"
#include "test_util.h"

/* ===================================================================== thread safety == */

typedef struct {
    SecdecDevice *dev;
    SecdecCryptoSession *s;
    atomic_int stop;
    atomic_int errors;
    int iterations;
} Shared;

static void *writer_thread(void *arg)
{
    Shared *sh = arg;
    uint8_t kid[16], wrapped[16], rnd[16];
    for (int i = 0; i < sh->iterations; i++) {
        tu_kid(kid, (uint8_t)(i % 8));
        memset(wrapped, i & 0xff, 16);
        wrapped[0] |= 1;
        SecdecStatus st = SECDEC_OK;
        switch (i % 5) {
        case 0:
        case 1: st = secdec_crypto_session_set_content_key(sh->dev, sh->s, kid, 16, wrapped); break;
        case 2: st = secdec_crypto_session_set_content_key(sh->dev, sh->s, kid, 0, NULL); break;
        case 3:
            st = secdec_start_session_key_refresh(sh->dev, sh->s, 16, rnd);
            if (st == SECDEC_OK)
                st = secdec_finish_session_key_refresh(sh->dev, sh->s);
            break;
        case 4:
            st = secdec_crypto_session_remove_content_key(sh->dev, sh->s, kid);
            if (st == SECDEC_E_NO_KEY)
                st = SECDEC_OK;
            break;
        }
        if (st != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_store(&sh->stop, 1);
    return NULL;
}

static void *reader_thread(void *arg)
{
    Shared *sh = arg;
    uint8_t kid[16], mac[32];
    static const uint8_t msg[64];
    int i = 0;
    while (!atomic_load(&sh->stop)) {
        tu_kid(kid, (uint8_t)(i++ % 8));
        SecdecStatus st = secdec_crypto_session_has_content_key(sh->dev, sh->s, kid);
        if (st != SECDEC_OK && st != SECDEC_E_NO_KEY)
            atomic_fetch_add(&sh->errors, 1);
        if (sd_session_mac(sh->s, "thread test", msg, sizeof msg, NULL, mac) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
        SecdecCryptoSessionStatus cs;
        if (secdec_check_crypto_session_status(sh->dev, sh->s, &cs) != SECDEC_OK ||
            cs != SECDEC_SESSION_STATUS_OK)
            atomic_fetch_add(&sh->errors, 1);
        uint64_t h;
        if (secdec_crypto_session_get_handle(sh->dev, sh->s, &h) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    return NULL;
}

/* A device on g_home with one negotiated session, shared by the threads of a test. */
static void shared_open(Shared *sh, int iterations)
{
    memset(sh, 0, sizeof *sh);
    sh->dev = tu_open_device(g_home);
    sh->s = tu_create_session(sh->dev);
    sh->iterations = iterations;
    tu_negotiate(sh->dev, sh->s, NULL);
}

START_TEST(t_threads)
{
    Shared sh;
    shared_open(&sh, 20000);
    pthread_t w, r1, r2;
    ck_assert_int_eq(pthread_create(&r1, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&r2, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&w, NULL, writer_thread, &sh), 0);
    pthread_join(w, NULL);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);
    secdec_crypto_session_destroy(&sh.s);
    secdec_device_close(&sh.dev);
}
END_TEST

static void *negotiate_thread(void *arg)
{
    Shared *sh = arg;
    for (int i = 0; i < sh->iterations; i++) {
        uint8_t key[16], blob[256];
        tu_random(key, 16);
        tu_make_blob(sh->dev, sh->s, EVP_sha512(), key, 16, blob);
        if (secdec_negotiate_crypto_session_key_exchange(sh->dev, sh->s, 256, blob) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_store(&sh->stop, 1);
    return NULL;
}

START_TEST(t_threads_negotiate)
{
    /* Key exchanges racing with content-key installs and session creation on the device. */
    Shared sh;
    shared_open(&sh, 30);
    pthread_t n, r;
    ck_assert_int_eq(pthread_create(&r, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&n, NULL, negotiate_thread, &sh), 0);
    uint8_t kid[16], wrapped[16];
    tu_kid(kid, 3);
    memset(wrapped, 0x3c, 16);
    int i = 0;
    while (!atomic_load(&sh.stop)) {
        if (secdec_crypto_session_set_content_key(sh.dev, sh.s, kid, 16, wrapped) != SECDEC_OK)
            atomic_fetch_add(&sh.errors, 1);
        if (i++ % 16 == 0) {
            SecdecCryptoSession *t = tu_create_session(sh.dev);
            secdec_crypto_session_destroy(&t);
        }
    }
    pthread_join(n, NULL);
    pthread_join(r, NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);
    secdec_crypto_session_destroy(&sh.s);
    secdec_device_close(&sh.dev);
}
END_TEST

static void *session_churn_thread(void *arg)
{
    Shared *sh = arg;
    for (int i = 0; i < sh->iterations; i++) {
        SecdecCryptoSession *s = NULL;
        if (secdec_create_crypto_session(sh->dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                         &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s) != SECDEC_OK) {
            atomic_fetch_add(&sh->errors, 1);
            continue;
        }
        uint8_t kid[16];
        tu_kid(kid, (uint8_t)i);
        uint64_t h = 0;
        if (secdec_crypto_session_get_handle(sh->dev, s, &h) != SECDEC_OK || h == 0 ||
            secdec_crypto_session_has_content_key(sh->dev, s, kid) != SECDEC_E_NO_KEY)
            atomic_fetch_add(&sh->errors, 1);
        secdec_crypto_session_destroy(&s);
    }
    return NULL;
}

static void *destroy_half_thread(void *arg)
{
    SecdecCryptoSession **ss = arg;
    for (int i = 0; i < 32; i++)
        secdec_crypto_session_destroy(&ss[i]);
    return NULL;
}

START_TEST(t_threads_sessions)
{
    /* Sessions created and destroyed on one device from several threads (device refcount,
     * handle counter), and the device closed while sessions of other threads still live. */
    Shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dev = tu_open_device(g_home);
    sh.iterations = 2000;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, session_churn_thread, &sh), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);

    /* sessions destroyed concurrently after the device handle was closed */
    enum { NS = 64 }; /* destroy_half_thread takes the first 32 */
    SecdecCryptoSession *ss[NS];
    for (int i = 0; i < NS; i++)
        ss[i] = tu_create_session(sh.dev);
    secdec_device_close(&sh.dev);
    pthread_t d;
    ck_assert_int_eq(pthread_create(&d, NULL, destroy_half_thread, ss), 0);
    for (int i = NS / 2; i < NS; i++)
        secdec_crypto_session_destroy(&ss[i]); /* whichever is last frees the device */
    pthread_join(d, NULL);
}
END_TEST

TCase *session_threads_tcase(void)
{
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, t_threads);
    tcase_add_test(tc, t_threads_negotiate);
    tcase_add_test(tc, t_threads_sessions);
    return tc;
}
