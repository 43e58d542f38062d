/*
 * gstsecdeckeys.c - key sources: clear-key specifications, in-process license issuing.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstsecdeckeys.h"

#include <stdlib.h>
#include <string.h>

#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

static void
wipe (void *p, gsize n)
{
  volatile guint8 *v = p;

  while (n--)
    *v++ = 0;
}

gchar *
gst_secdec_kid_to_string (const guint8 kid[SECDEC_KID_SIZE], gchar out[33])
{
  sdc_hex_encode (kid, SECDEC_KID_SIZE, out);
  return out;
}

/* W3C Clear Key JWK set file: the reader shared with the tools (common/src/jwk.c). */
static gboolean
parse_jwk (const gchar * path, GArray * keys, GError ** err)
{
  gchar *text = NULL;
  gsize len = 0;
  SecdecContentKey *parsed = NULL;
  size_t n = 0;
  char why[256];

  if (!g_file_get_contents (path, &text, &len, err))
    return FALSE;
  if (sdc_jwk_parse_keys ((const uint8_t *) text, len, &parsed, &n, why, sizeof why) != 0) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, why);
    wipe (text, len);
    g_free (text);
    return FALSE;
  }
  g_array_append_vals (keys, parsed, n);
  wipe (parsed, n * sizeof (*parsed));
  free (parsed);
  wipe (text, len);
  g_free (text);
  return TRUE;
}

GArray *
gst_secdec_keys_parse (const gchar * spec, GError ** err)
{
  GArray *keys;

  if (spec == NULL || *spec == '\0') {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "empty key specification");
    return NULL;
  }
  keys = g_array_new (FALSE, TRUE, sizeof (SecdecContentKey));
  if (g_file_test (spec, G_FILE_TEST_IS_REGULAR)) {
    if (!parse_jwk (spec, keys, err))
      goto fail;
  } else {
    gchar **pairs = g_strsplit (spec, ",", -1);
    gchar **p;

    for (p = pairs; *p; p++) {
      gchar *item = g_strstrip (*p);
      SecdecContentKey ck;

      if (*item == '\0')
        continue;
      if (sdc_parse_kid_key (item, strlen (item), ck.kid, ck.key) != 0) {
        g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
            "keys: expected KID:KEY (32 hex digits each) or an existing JWK file, "
            "entry %u is malformed", (guint) (p - pairs));
        wipe (&ck, sizeof ck);
        for (p = pairs; *p; p++)
          wipe (*p, strlen (*p));
        g_strfreev (pairs);
        goto fail;
      }
      g_array_append_val (keys, ck);
      wipe (&ck, sizeof ck);
    }
    for (p = pairs; *p; p++)
      wipe (*p, strlen (*p));
    g_strfreev (pairs);
    if (keys->len == 0) {
      g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "keys: no key given");
      goto fail;
    }
  }
  return keys;
fail:
  gst_secdec_keys_free (keys);
  return NULL;
}

void
gst_secdec_keys_free (GArray * keys)
{
  if (keys == NULL)
    return;
  wipe (keys->data, (gsize) keys->len * sizeof (SecdecContentKey));
  g_array_free (keys, TRUE);
}

GBytes *
gst_secdec_get_certificate (SecdecDevice * device, SecdecCryptoSession * session,
    SecdecStatus * st)
{
  uint32_t size = 0;
  guint8 *buf;

  *st = secdec_crypto_session_get_certificate_size (device, session, &size);
  if (*st != SECDEC_OK)
    return NULL;
  buf = g_malloc (size);
  *st = secdec_crypto_session_get_certificate (device, session, size, buf);
  if (*st != SECDEC_OK) {
    g_free (buf);
    return NULL;
  }
  return g_bytes_new_take (buf, size);
}

SecdecStatus
gst_secdec_keys_issue_license (SecdecDevice * device, SecdecCryptoSession * session,
    const SecdecContentKey * keys, gsize n_keys, SecdecLicense ** out)
{
  SecdecStatus st;
  GBytes *cert = gst_secdec_get_certificate (device, session, &st);
  uint8_t *lic = NULL;
  size_t lic_size = 0;
  gsize cert_size;
  gconstpointer cert_data;

  if (cert == NULL)
    return st;
  cert_data = g_bytes_get_data (cert, &cert_size);
  st = secdec_license_issue (cert_data, cert_size, SECDEC_OAEP_SHA512, keys, n_keys,
      &lic, &lic_size);
  g_bytes_unref (cert);
  if (st != SECDEC_OK)
    return st;
  st = secdec_license_parse (lic, lic_size, out);
  secdec_free (lic);
  return st;
}

gchar *
gst_secdec_status_describe (SecdecStatus st)
{
  return g_strdup_printf ("%s (%s, HRESULT 0x%08X)", secdec_status_to_string (st),
      secdec_status_name (st), secdec_status_to_hresult (st));
}
