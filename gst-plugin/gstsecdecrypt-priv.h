/*
 * gstsecdecrypt-priv.h - owns what the files of the secdecrypt element share: the instance
 * struct, the cipher families, and the functions one file of the element calls in another
 * (gstsecdecrypt.c: the element; gstsecdecmeta.c: sample encryption metadata and protection
 * events; gstsecdeckeysource.c: where keys come from; gstsecdecsession.c: device and session
 * lifecycle, VA-API mode and fallback, session loss; gstsecdecsignals.c: the signals and the
 * application's Direct3D flow).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_SECDECRYPT_PRIV_H
#define GST_SECDECRYPT_PRIV_H

#include "gstsecdecrypt.h"
#include "gstsecdeccontext.h"
#include "gstsecdecsamplecache.h"

#include <secdec/decrypt.h>
#include <secdec/license.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_secdecrypt_debug);

/* The protection systems secdecrypt serves (one caps structure each, gstsecdecrypt.c). The
 * key comes by KID (keys property, license store, license file, the application), never from
 * a system's pssh payload, so every system a real stream may carry is listed: qtdemux picks
 * its decryptor by the pssh system IDs it finds (gst_protection_select_system()), and most
 * commercial CENC content carries only Widevine and PlayReady (often FairPlay, DASH-IF Clear
 * Key) boxes. The protection events of every system stay visible ("protection-events"). */
#define SECDEC_SYSTEM_ID "8f8fcaac-0ce0-463e-8b43-b7abf7822a5d"
#define COMMON_SYSTEM_ID "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
#define WIDEVINE_SYSTEM_ID "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
#define PLAYREADY_SYSTEM_ID "9a04f079-9840-4286-ab92-e65be0885f95"
#define FAIRPLAY_SYSTEM_ID "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
#define CLEARKEY_DASHIF_SYSTEM_ID "e2719d58-a985-b3c9-781a-b030af78d30e"

enum
{
  FAMILY_CTR = 0,               /* cenc, cens, WebM: SECDEC_CRYPTO_TYPE_AES128_CTR */
  FAMILY_CBC = 1,               /* cbcs, cbc1: SECDEC_CRYPTO_TYPE_AES128_CBC */
  N_FAMILIES
};

struct _GstSecdecrypt
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *license_path;
  gchar *keys_spec;
  guint key_timeout;
  GstSecdecBackend backend;
  gchar *home;

  /* key state, under lock; cond signals "a key may have arrived / stop waiting" */
  GMutex lock;
  GCond cond;
  gboolean flushing;
  GstContext *context;          /* application's secdec.session context, if any */
  SecdecDevice *device;
  gboolean device_shared;
  SecdecCryptoSession *sessions[N_FAMILIES];
  gboolean session_shared[N_FAMILIES];
  GPtrArray *licenses;          /* SecdecLicense*: loaded, replayed into new sessions */
  SecdecLicense *prop_license;  /* parsed "license" property */
  gchar *prop_license_loaded;   /* path prop_license was read from */
  gboolean keys_issued;         /* "keys" turned into a license already */
  GBytes *app_blob;             /* application's key-exchange blob (ciphertext) */
  GArray *app_keys;             /* AppKey (gstsecdecsignals.c): application's wrapped keys */
  /* TRUE while a session's key is the application's (app_blob, possibly refreshed through
   * start/finish-key-refresh); a license loaded into the session replaces it */
  gboolean app_key_current[N_FAMILIES];
  gint refresh_family;          /* session with a refresh started, or -1 */
  SecdecStatus last_key_error;  /* why the last key source failed */
  gchar *last_key_source;

  /* VA-API mode (hw/): the device's backend is VA-API, samples go out still encrypted with a
   * GstSecdecSampleMeta. force_software: a fallback happened, the next device is software
   * (until stop). va_checked: the first encrypted sample passed the slice-header check. */
  gboolean va;
  gboolean force_software;
  gboolean va_checked;
  guint nal_length_size;        /* from avcC/hvcC codec_data, 0 unknown */
  /* VA-API sessions the TEE lost (KEY_LOST, reported by the decoder with an upstream
   * "secdec-session-lost" event): replaced by new ones, kept until stop because samples in
   * flight still name them in their GstSecdecSampleMeta */
  GPtrArray *retired;
  guint n_recoveries;

  /* stream state (streaming thread) */
  gboolean is_webm;
  gint caps_family;
  const SecdecGuid *profile;

  /* protection events, under object lock */
  GstStructure *events;
  guint64 n_decrypted, n_clear;

  /* Key rotation (under object lock). qtdemux 1.22 ignores 'seig' sample groups and gives
   * every sample the default KID, but forwards the pssh boxes of each moof as protection
   * events (origin "isobmff/moof"), one sample ahead of the fragment. A moof pssh of ours or
   * of the common system naming exactly one KID names the KID of that fragment's samples: it
   * takes effect at the next keyframe (fragments start with one). */
  guint8 pending_kid[SECDEC_KID_SIZE];
  gboolean pending_kid_valid;
  guint8 fragment_kid[SECDEC_KID_SIZE];
  gboolean fragment_kid_valid;

  /* Truncation check at EOS (streaming thread): the latest sample end seen, whether the
   * segment asks for the whole stream, and where the segment says it stops. */
  GstClockTime max_end;
  gboolean whole_stream;
  GstSegment segment;

  /* Samples re-sent without meta after a seek (streaming thread): the info of every sample
   * passed so far (gstsecdecsamplecache.h). A sample of an encrypted MP4 track that is in
   * neither its meta nor the cache is dropped, and so is everything up to the next keyframe
   * whose info is known: never decoded as clear. n_dropped under the object lock. */
  GstSecdecSampleCache *seen;
  gboolean dropping;
  guint64 drop_run;
  guint64 n_dropped;
};

/* ---- gstsecdecrypt.c ---- */
GstFlowReturn gst_secdecrypt_post_decrypt_error (GstSecdecrypt * self, SecdecStatus st,
    const guint8 * kid);

/* ---- gstsecdecmeta.c ---- */
gint gst_secdecrypt_family_from_cipher_mode (const gchar * mode, gint fallback);
gboolean gst_secdecrypt_parse_meta (GstSecdecrypt * self, const GstStructure * s, gsize size,
    SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear,
    const gchar ** reason);
void gst_secdecrypt_apply_rotation (GstSecdecrypt * self, GstBuffer * inbuf,
    gboolean encrypted, SecdecSampleInfo * info);
void gst_secdecrypt_record_protection_event (GstSecdecrypt * self, GstEvent * event);
GstFlowReturn gst_secdecrypt_resolve_from_cache (GstSecdecrypt * self, GstBuffer * inbuf,
    gboolean has_meta, gsize size, SecdecSampleInfo * info, GArray * subs, gint * family,
    gboolean * clear);
void gst_secdecrypt_report_drops (GstSecdecrypt * self, const gchar * until);

/* ---- gstsecdeckeysource.c ---- */
void gst_secdecrypt_replay_licenses_locked (GstSecdecrypt * self, SecdecCryptoSession * sess);
GstFlowReturn gst_secdecrypt_ensure_key (GstSecdecrypt * self, gint family, const guint8 * kid);

/* ---- gstsecdecsession.c ---- */
const gchar *gst_secdecrypt_family_name (gint family);
SecdecStatus gst_secdecrypt_open_device_locked (GstSecdecrypt * self);
void gst_secdecrypt_update_backend_locked (GstSecdecrypt * self);
SecdecStatus gst_secdecrypt_get_session_locked (GstSecdecrypt * self, gint family,
    SecdecCryptoSession ** out);
void gst_secdecrypt_close_all_locked (GstSecdecrypt * self);
GstFlowReturn gst_secdecrypt_va_check (GstSecdecrypt * self, const SecdecSampleInfo * info,
    gboolean clear, const guint8 * data, gsize size);
gboolean gst_secdecrypt_handle_session_lost (GstSecdecrypt * self, const GstStructure * s);

/* ---- gstsecdecsignals.c ---- */
void gst_secdecrypt_install_signals (GstSecdecryptClass * klass);
void gst_secdecrypt_emit_key_needed (GstSecdecrypt * self, const gchar * kidhex);
void gst_secdecrypt_emit_protection_event (GstSecdecrypt * self, const gchar * system_id,
    GstBuffer * data, const gchar * origin);
void gst_secdecrypt_replay_app_keys_locked (GstSecdecrypt * self, SecdecCryptoSession * sess);
void gst_secdecrypt_forget_app_keys_locked (GstSecdecrypt * self);

G_END_DECLS

#endif
