/*
 * gstsecdeckeys.h - key sources of the secdec elements.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Content keys only ever enter a crypto session through the key exchange: a license
 * (negotiated blob + wrapped keys) or the application driving the Direct3D flow. Clear keys
 * given to an element (the testing-only "keys" property) are turned into a license for the
 * device in-process with secdec_license_issue() and loaded like any other license.
 */
#ifndef GST_SECDEC_KEYS_H
#define GST_SECDEC_KEYS_H

#include <gst/gst.h>
#include <secdec/secdec.h>
#include <secdec/license.h>

G_BEGIN_DECLS

/** Lower-case hex of a 16-byte KID into out (33 bytes). Returns out. */
gchar *gst_secdec_kid_to_string (const guint8 kid[SECDEC_KID_SIZE], gchar out[33]);

/**
 * Parses a clear-key specification: either "KID:KEY[,KID:KEY...]" (32 hex digits each, KIDs
 * may have UUID dashes) or the path of a W3C Clear Key JWK set file
 * ({"keys":[{"kty":"oct","kid":"<base64url>","k":"<base64url>"}]}).
 * Returns a GArray of SecdecContentKey (free with gst_secdec_keys_free()), or NULL with err.
 */
GArray *gst_secdec_keys_parse (const gchar * spec, GError ** err);

/** Wipes and frees a key array from gst_secdec_keys_parse(). NULL is a no-op. */
void gst_secdec_keys_free (GArray * keys);

/** Issues a license for the session's device certificate carrying keys (in-process content
 *  owner, testing only) and parses it. */
SecdecStatus gst_secdec_keys_issue_license (SecdecDevice * device,
    SecdecCryptoSession * session, const SecdecContentKey * keys, gsize n_keys,
    SecdecLicense ** out);

/** The device certificate chain of a session, as GBytes (NULL on failure, status in *st). */
GBytes *gst_secdec_get_certificate (SecdecDevice * device, SecdecCryptoSession * session,
    SecdecStatus * st);

/** "SECDEC_E_NO_KEY (no content key for this KID)" style text for messages. */
gchar *gst_secdec_status_describe (SecdecStatus st);

G_END_DECLS

#endif
