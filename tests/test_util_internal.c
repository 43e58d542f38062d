/*
 * test_util_internal.c - test helpers that look into libsecdec's insides (session.h): which
 * session key and which content keys a session holds. Linked only by the unit tests, which
 * link libsecdec's internal library.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test_util.h"

#include <string.h>

#include "internal.h"
#include "session.h"

int tu_session_key_is(SecdecCryptoSession *s, const uint8_t key[16])
{
    static const uint8_t msg[] = "secdec test message for session-key comparison";
    uint8_t got[32], want[32];
    if (sd_session_mac(s, "secdec test label", msg, sizeof msg, NULL, got) != SECDEC_OK)
        return 0;
    ck_assert_ok(sd_mac_with_key(key, "secdec test label", msg, sizeof msg, want));
    return memcmp(got, want, 32) == 0;
}

int tu_content_key(SecdecCryptoSession *s, const uint8_t kid[16], uint8_t key[16])
{
    pthread_rwlock_rdlock(&s->lock);
    SdKeyEntry *e = sd_session_find_key(s, kid);
    int kind = e ? (int)e->kind : 0;
    if (e && key)
        memcpy(key, e->key, 16);
    pthread_rwlock_unlock(&s->lock);
    return kind;
}
