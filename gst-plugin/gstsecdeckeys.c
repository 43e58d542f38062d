/*
 * gstsecdeckeys.c - key sources: clear-key specifications, in-process license issuing.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstsecdeckeys.h"

#include <string.h>
#include <json-glib/json-glib.h>

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
  static const char hex[] = "0123456789abcdef";
  int i;

  for (i = 0; i < SECDEC_KID_SIZE; i++) {
    out[2 * i] = hex[kid[i] >> 4];
    out[2 * i + 1] = hex[kid[i] & 15];
  }
  out[32] = '\0';
  return out;
}

gboolean
gst_secdec_parse_hex16 (const gchar * str, gsize len, guint8 out[16])
{
  guint n = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    int v;

    if (str[i] == '-')
      continue;
    v = g_ascii_xdigit_value (str[i]);
    if (v < 0 || n >= 32)
      return FALSE;
    if (n % 2 == 0)
      out[n / 2] = (guint8) (v << 4);
    else
      out[n / 2] |= (guint8) v;
    n++;
  }
  return n == 32;
}

static gboolean
b64url16 (const gchar * s, guint8 out[16])
{
  gsize len = strlen (s), n = 0, i;
  gchar *tmp;
  guchar *dec;
  gboolean ok;

  if (len == 0 || len > 32)
    return FALSE;
  tmp = g_malloc0 (len + 4);
  for (i = 0; i < len; i++) {
    gchar c = s[i];

    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!g_ascii_isalnum (c) && c != '+' && c != '/' && c != '=')
      c = '!';
    tmp[i] = c;
  }
  while (i % 4)
    tmp[i++] = '=';
  ok = strchr (tmp, '!') == NULL;
  dec = ok ? g_base64_decode (tmp, &n) : NULL;
  ok = dec != NULL && n == 16;
  if (ok)
    memcpy (out, dec, 16);
  if (dec) {
    wipe (dec, n);
    g_free (dec);
  }
  wipe (tmp, len);
  g_free (tmp);
  return ok;
}

static gboolean
parse_jwk (const gchar * path, GArray * keys, GError ** err)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  JsonArray *arr = NULL;
  gboolean ok = FALSE;
  guint i;

  if (!json_parser_load_from_file (parser, path, err))
    goto out;
  root = json_parser_get_root (parser);
  if (root && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *o = json_node_get_object (root);

    if (json_object_has_member (o, "keys")
        && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "keys")))
      arr = json_object_get_array_member (o, "keys");
  }
  if (arr == NULL || json_array_get_length (arr) == 0) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: not a JWK set (no \"keys\" array)", path);
    goto out;
  }
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    JsonObject *k;
    const gchar *kty, *kid, *kv;
    SecdecContentKey ck;

    if (!JSON_NODE_HOLDS_OBJECT (n))
      goto bad;
    k = json_node_get_object (n);
    kty = json_object_get_string_member_with_default (k, "kty", NULL);
    kid = json_object_get_string_member_with_default (k, "kid", NULL);
    kv = json_object_get_string_member_with_default (k, "k", NULL);
    if (g_strcmp0 (kty, "oct") != 0 || kid == NULL || kv == NULL
        || !b64url16 (kid, ck.kid) || !b64url16 (kv, ck.key))
      goto bad;
    g_array_append_val (keys, ck);
    wipe (&ck, sizeof ck);
    continue;
  bad:
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: key %u is not an AES-128 \"oct\" key with base64url kid and k", path, i);
    goto out;
  }
  ok = TRUE;
out:
  g_object_unref (parser);
  return ok;
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
      const gchar *colon = strchr (item, ':');
      SecdecContentKey ck;

      if (*item == '\0')
        continue;
      if (colon == NULL || !gst_secdec_parse_hex16 (item, colon - item, ck.kid)
          || !gst_secdec_parse_hex16 (colon + 1, strlen (colon + 1), ck.key)) {
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
