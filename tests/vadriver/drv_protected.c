/*
 * drv_protected.c - the test VA driver's protected sessions: creation on a
 * ProtectedContent config, destruction, attaching to / detaching from decode contexts, and the
 * power-event knob ($SECDEC_TEST_DRV_LOSE_AFTER) that makes every session lose its keys.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drv_private.h"

/* SECDEC_TEST_DRV_LOSE_AFTER=N: a simulated power event. When the (N+1)th protected picture
 * ends, every protected session loses its keys (as a TEE reset does); it happens once per
 * process so that a recovered session keeps working. Caller holds d->lock. */
void lose_sessions_knob(Drv *d)
{
    const char *spec = getenv("SECDEC_TEST_DRV_LOSE_AFTER");
    if (!spec || !*spec || d->lost_once)
        return;
    if (d->enc_pictures++ != (unsigned)strtoul(spec, NULL, 10))
        return;
    d->lost_once = true;
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].type == OBJ_PSESSION) {
            PSession *ps = d->objs[i].p;
            ps->alive = false;
            ps->has_key = false;
        }
    drv_log("event power-loss: every protected session lost its keys\n");
}

VAStatus t_CreateProtectedSession(VADriverContextP ctx, VAConfigID config,
                                  VAProtectedSessionID *id)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaCreateProtectedSession");
    Config *cfg = obj_get(d, config, OBJ_CONFIG);
    VAStatus st = VA_STATUS_SUCCESS;
    PSession *ps = NULL;
    if (!cfg || cfg->entrypoint != VAEntrypointProtectedContent)
        st = VA_STATUS_ERROR_INVALID_CONFIG;
    else if (!(ps = calloc(1, sizeof(*ps))))
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    else {
        ps->alive = true;
        st = obj_add(d, OBJ_PSESSION, ps, id);
        if (st != VA_STATUS_SUCCESS)
            free(ps);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_DestroyProtectedSession(VADriverContextP ctx, VAProtectedSessionID id)
{
    Drv *d = drv_lock(ctx);
    PSession *ps = obj_remove(d, id, OBJ_PSESSION);
    if (ps)
        for (size_t i = 0; i < d->n; i++)
            if (d->objs[i].type == OBJ_CONTEXT && ((Context *)d->objs[i].p)->session == id)
                ((Context *)d->objs[i].p)->session = VA_INVALID_ID;
    pthread_mutex_unlock(&d->lock);
    if (ps)
        OPENSSL_cleanse(ps, sizeof(*ps));
    free(ps);
    return ps ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_PARAMETER;
}

VAStatus t_AttachProtectedSession(VADriverContextP ctx, VAContextID context,
                                  VAProtectedSessionID id)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaAttachProtectedSession");
    Context *c;
    VAStatus st = context_with(d, context, id, OBJ_PSESSION, VA_STATUS_ERROR_INVALID_PARAMETER, &c);
    if (st == VA_STATUS_SUCCESS)
        c->session = id;
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_DetachProtectedSession(VADriverContextP ctx, VAContextID context)
{
    Drv *d = drv_lock(ctx);
    Context *c = obj_get(d, context, OBJ_CONTEXT);
    if (c)
        c->session = VA_INVALID_ID;
    pthread_mutex_unlock(&d->lock);
    return c ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONTEXT;
}
