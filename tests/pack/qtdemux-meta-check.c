/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qtdemux-meta-check: demuxes a secdec-pack output with GStreamer's qtdemux and
 * checks that every sample carries a GstProtectionMeta; with --clear and --key
 * it also decrypts every sample from the meta alone (cenc / cbcs) and compares
 * it with the same sample of the clear file.
 *
 * qtdemux refuses streams with pssh boxes unless a Decryptor for one of the
 * system IDs is registered, so this program registers a never-instantiated
 * placeholder Decryptor for the secdec and W3C common system IDs. */
#include <getopt.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/gstprotection.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYSID_SECDEC "8f8fcaac-0ce0-463e-8b43-b7abf7822a5d"
#define SYSID_COMMON "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"

/* ---- placeholder Decryptor factory ---------------------------------- */
typedef struct { GstBaseTransform parent; } PackDummyDecrypt;
typedef struct { GstBaseTransformClass parent_class; } PackDummyDecryptClass;
GType pack_dummy_decrypt_get_type(void);
G_DEFINE_TYPE(PackDummyDecrypt, pack_dummy_decrypt, GST_TYPE_BASE_TRANSFORM)

static GstStaticPadTemplate sink_tmpl = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("application/x-cenc, protection-system=(string)" SYSID_SECDEC "; "
                    "application/x-cenc, protection-system=(string)" SYSID_COMMON "; "
                    "application/x-cenc"));
static GstStaticPadTemplate src_tmpl =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void pack_dummy_decrypt_class_init(PackDummyDecryptClass *klass) {
  GstElementClass *ec = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(ec, "secdec-pack test placeholder", "Decryptor",
                                        "Lets qtdemux select a protection system in tests",
                                        "secdec");
  gst_element_class_add_static_pad_template(ec, &sink_tmpl);
  gst_element_class_add_static_pad_template(ec, &src_tmpl);
}
static void pack_dummy_decrypt_init(PackDummyDecrypt *self) { (void)self; }

/* ---- sample collection ------------------------------------------------ */
typedef struct sample {
  guint8 *data;
  gsize size;
  gboolean protected;
  gsize enc_bytes; /* bytes the meta marks as encrypted */
} sample;

typedef struct run {
  GArray *samples; /* of sample */
  guint protection_events;
  gchar *caps;
} run;

typedef struct cfg {
  const char *enc, *clear;
  guint8 key[16], key2[16];
  gboolean have_key, have_key2;
  long key2_from;
  long expect_events;
  const char *expect_mode;
  long clear_lead; /* samples [0,clear_lead) must have no encrypted bytes, later ones some */
} cfg;

static int hex16(const char *s, guint8 out[16]) {
  if (strlen(s) != 32)
    return -1;
  for (int i = 0; i < 16; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1)
      return -1;
    out[i] = (guint8)v;
  }
  return 0;
}

static GstPadProbeReturn on_event(GstPad *pad, GstPadProbeInfo *info, gpointer user) {
  run *r = user;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) == GST_EVENT_PROTECTION) {
    const gchar *sysid = NULL, *origin = NULL;
    GstBuffer *data = NULL;
    gst_event_parse_protection(ev, &sysid, &data, &origin);
    printf("protection event: system_id=%s origin=%s bytes=%zu\n", sysid, origin,
           data ? gst_buffer_get_size(data) : 0);
    r->protection_events++;
  } else if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS && !r->caps) {
    GstCaps *caps;
    gst_event_parse_caps(ev, &caps);
    r->caps = gst_caps_to_string(caps);
  }
  return GST_PAD_PROBE_OK;
}

/* Decrypts in place from the meta. Returns 0, or -1 (message printed). */
static int decrypt(const GstStructure *st, const guint8 key[16], guint8 *data, gsize size,
                   guint index) {
  const GValue *v;
  guint iv_size = 0, nsub = 0, crypt = 0, skip = 0;
  guint8 iv[16] = {0};
  const gchar *mode = gst_structure_get_string(st, "cipher-mode");
  gst_structure_get_uint(st, "iv_size", &iv_size);
  gst_structure_get_uint(st, "subsample_count", &nsub);
  gst_structure_get_uint(st, "crypt_byte_block", &crypt);
  gst_structure_get_uint(st, "skip_byte_block", &skip);
  v = gst_structure_get_value(st, "iv");
  if (!v || !mode || (iv_size != 8 && iv_size != 16)) {
    fprintf(stderr, "sample %u: meta lacks iv/cipher-mode\n", index);
    return -1;
  }
  GstBuffer *ivb = gst_value_get_buffer(v);
  if (gst_buffer_get_size(ivb) != iv_size) {
    fprintf(stderr, "sample %u: iv buffer size mismatch\n", index);
    return -1;
  }
  gst_buffer_extract(ivb, 0, iv, iv_size);
  gboolean cbcs = !strcmp(mode, "cbcs");
  if (!cbcs && strcmp(mode, "cenc")) {
    fprintf(stderr, "sample %u: unexpected cipher-mode %s\n", index, mode);
    return -1;
  }
  guint8 *subs = NULL;
  if (nsub) {
    v = gst_structure_get_value(st, "subsamples");
    GstBuffer *sb = v ? gst_value_get_buffer(v) : NULL;
    if (!sb || gst_buffer_get_size(sb) != 6u * nsub) {
      fprintf(stderr, "sample %u: bad subsamples field\n", index);
      return -1;
    }
    subs = g_malloc(6u * nsub);
    gst_buffer_extract(sb, 0, subs, 6u * nsub);
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int rc = -1, outl;
  if (!ctx || !EVP_DecryptInit_ex(ctx, cbcs ? EVP_aes_128_cbc() : EVP_aes_128_ctr(), NULL, key, iv))
    goto out;
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  gsize off = 0;
  for (guint i = 0; i < (nsub ? nsub : 1); i++) {
    gsize clear = nsub ? (gsize)(subs[6 * i] << 8 | subs[6 * i + 1]) : 0;
    gsize enc = nsub ? ((gsize)subs[6 * i + 2] << 24 | (gsize)subs[6 * i + 3] << 16 |
                        (gsize)subs[6 * i + 4] << 8 | subs[6 * i + 5])
                     : size;
    if (clear + enc > size - off) {
      fprintf(stderr, "sample %u: subsamples exceed the sample\n", index);
      goto out;
    }
    off += clear;
    if (cbcs) {
      if (!EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv))
        goto out;
      gsize left = enc;
      guint8 *p = data + off;
      gsize cb = 16u * (crypt ? crypt : 1), sb = 16u * skip;
      if (!crypt && !skip)
        cb = enc - enc % 16, sb = 0;
      while (cb && left >= cb) {
        if (!EVP_DecryptUpdate(ctx, p, &outl, p, (int)cb))
          goto out;
        p += cb;
        left -= cb;
        gsize s = left < sb ? left : sb;
        p += s;
        left -= s;
      }
    } else if (enc && !EVP_DecryptUpdate(ctx, data + off, &outl, data + off, (int)enc)) {
      goto out;
    }
    off += enc;
  }
  if (nsub && off != size) {
    fprintf(stderr, "sample %u: subsamples cover %zu of %zu bytes\n", index, off, size);
    goto out;
  }
  rc = 0;
out:
  EVP_CIPHER_CTX_free(ctx);
  g_free(subs);
  return rc;
}

static gsize encrypted_bytes(const GstStructure *st, gsize size) {
  guint nsub = 0;
  gst_structure_get_uint(st, "subsample_count", &nsub);
  if (!nsub)
    return size;
  const GValue *v = gst_structure_get_value(st, "subsamples");
  GstBuffer *sb = v ? gst_value_get_buffer(v) : NULL;
  if (!sb || gst_buffer_get_size(sb) != 6u * nsub)
    return 0;
  GstMapInfo map;
  gsize total = 0;
  if (!gst_buffer_map(sb, &map, GST_MAP_READ))
    return 0;
  for (guint i = 0; i < nsub; i++)
    total += (gsize)map.data[6 * i + 2] << 24 | (gsize)map.data[6 * i + 3] << 16 |
             (gsize)map.data[6 * i + 4] << 8 | map.data[6 * i + 5];
  gst_buffer_unmap(sb, &map);
  return total;
}

static int demux(const char *path, run *r, const cfg *c, gboolean do_decrypt) {
  gchar *esc = g_strescape(path, NULL);
  gchar *desc = g_strdup_printf("filesrc location=\"%s\" ! qtdemux ! appsink name=s sync=false", esc);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch(desc, &err);
  g_free(desc);
  g_free(esc);
  if (!pipe) {
    fprintf(stderr, "pipeline: %s\n", err ? err->message : "?");
    g_clear_error(&err);
    return -1;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_event, r, NULL);
  gst_object_unref(pad);
  r->samples = g_array_new(FALSE, TRUE, sizeof(sample));
  int rc = 0;
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstSample *s;
  while ((s = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
    GstBuffer *buf = gst_sample_get_buffer(s);
    sample sm = {0};
    sm.size = gst_buffer_get_size(buf);
    sm.data = g_malloc(sm.size ? sm.size : 1);
    gst_buffer_extract(buf, 0, sm.data, sm.size);
    GstProtectionMeta *m = gst_buffer_get_protection_meta(buf);
    guint idx = r->samples->len;
    if (m) {
      sm.protected = TRUE;
      const guint8 *key = c->have_key2 && c->key2_from >= 0 && idx >= (guint)c->key2_from
                              ? c->key2 : c->key;
      if (do_decrypt && decrypt(m->info, key, sm.data, sm.size, idx) < 0)
        rc = -1;
      sm.enc_bytes = encrypted_bytes(m->info, sm.size);
      if (idx == 0) {
        gchar *str = gst_structure_to_string(m->info);
        printf("first meta: %s\n", str);
        g_free(str);
      }
    }
    g_array_append_val(r->samples, sm);
    gst_sample_unref(s);
  }
  GstBus *bus = gst_element_get_bus(pipe);
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *e = NULL;
    gst_message_parse_error(msg, &e, NULL);
    fprintf(stderr, "%s: GStreamer error: %s\n", path, e ? e->message : "?");
    g_clear_error(&e);
    gst_message_unref(msg);
    rc = -1;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  return rc;
}

static void run_clear(run *r) {
  if (r->samples) {
    for (guint i = 0; i < r->samples->len; i++)
      g_free(g_array_index(r->samples, sample, i).data);
    g_array_free(r->samples, TRUE);
  }
  g_free(r->caps);
}

static void usage(void) {
  puts("Usage: qtdemux-meta-check --enc ENC.mp4 [--clear CLEAR.mp4 --key HEX32]\n"
       "         [--key2 HEX32 --key2-from SAMPLE] [--expect-events N]\n"
       "         [--expect-mode cenc|cbcs] [--clear-samples N]\n"
       "Checks that qtdemux attaches a GstProtectionMeta to every sample of ENC; with\n"
       "--clear/--key, decrypts each sample from its meta and compares with CLEAR.\n"
       "--clear-samples N: the first N samples (clear lead) must have no encrypted\n"
       "bytes and every later sample some. Exit 0 when all checks pass.");
}

int main(int argc, char **argv) {
  static const struct option lo[] = {
      {"enc", required_argument, NULL, 'e'},         {"clear", required_argument, NULL, 'c'},
      {"key", required_argument, NULL, 'k'},         {"key2", required_argument, NULL, 'K'},
      {"key2-from", required_argument, NULL, 'f'},   {"expect-events", required_argument, NULL, 'p'},
      {"expect-mode", required_argument, NULL, 'm'}, {"clear-samples", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
  cfg c;
  memset(&c, 0, sizeof(c));
  c.key2_from = -1;
  c.expect_events = -1;
  int o;
  while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (o) {
    case 'e': c.enc = optarg; break;
    case 'c': c.clear = optarg; break;
    case 'k': if (hex16(optarg, c.key) < 0) { fputs("bad --key\n", stderr); return 2; } c.have_key = TRUE; break;
    case 'K': if (hex16(optarg, c.key2) < 0) { fputs("bad --key2\n", stderr); return 2; } c.have_key2 = TRUE; break;
    case 'f': c.key2_from = atol(optarg); break;
    case 'p': c.expect_events = atol(optarg); break;
    case 'm': c.expect_mode = optarg; break;
    case 'l': c.clear_lead = atol(optarg); break;
    case 'h': usage(); return 0;
    default: usage(); return 2;
    }
  }
  if (!c.enc || (c.clear && !c.have_key)) {
    usage();
    return 2;
  }
  gst_init(NULL, NULL);
  if (!gst_element_register(NULL, "secdecpackdummydecrypt", GST_RANK_MARGINAL,
                            pack_dummy_decrypt_get_type())) {
    fputs("cannot register the placeholder decryptor\n", stderr);
    return 2;
  }
  run enc = {0}, clr = {0};
  int fail = 0;
  if (demux(c.enc, &enc, &c, c.clear != NULL) < 0)
    fail = 1;
  guint n = enc.samples ? enc.samples->len : 0, prot = 0, ok = 0, mismatch = 0;
  for (guint i = 0; i < n; i++)
    prot += g_array_index(enc.samples, sample, i).protected;
  printf("caps: %s\n", enc.caps ? enc.caps : "(none)");
  printf("buffers=%u with_protection_meta=%u protection_events=%u\n", n, prot,
         enc.protection_events);
  if (n == 0 || prot != n) {
    fprintf(stderr, "FAIL: %u of %u buffers lack a GstProtectionMeta\n", n - prot, n);
    fail = 1;
  }
  if (c.clear_lead > 0) {
    guint bad = 0;
    for (guint i = 0; i < n; i++) {
      gsize e = g_array_index(enc.samples, sample, i).enc_bytes;
      if ((i < (guint)c.clear_lead) != (e == 0))
        bad++;
    }
    printf("clear lead: %ld samples expected clear, %u samples violate it\n", c.clear_lead, bad);
    if (bad)
      fail = 1;
  }
  if (c.expect_events >= 0 && enc.protection_events != (guint)c.expect_events) {
    fprintf(stderr, "FAIL: expected %ld protection events\n", c.expect_events);
    fail = 1;
  }
  if (c.expect_mode) {
    gchar *want = g_strdup_printf("cipher-mode=(string)%s", c.expect_mode);
    if (!enc.caps || !strstr(enc.caps, want)) {
      fprintf(stderr, "FAIL: caps lack %s\n", want);
      fail = 1;
    }
    g_free(want);
  }
  if (c.clear) {
    if (demux(c.clear, &clr, &c, FALSE) < 0)
      fail = 1;
    guint cn = clr.samples ? clr.samples->len : 0;
    if (cn != n) {
      fprintf(stderr, "FAIL: %u samples in the clear file, %u in the encrypted one\n", cn, n);
      fail = 1;
    }
    for (guint i = 0; i < n && i < cn; i++) {
      sample *a = &g_array_index(enc.samples, sample, i), *b = &g_array_index(clr.samples, sample, i);
      if (a->size == b->size && !memcmp(a->data, b->data, a->size))
        ok++;
      else
        mismatch++;
    }
    printf("decrypted_ok=%u mismatch=%u\n", ok, mismatch);
    if (mismatch || !ok)
      fail = 1;
  }
  run_clear(&enc);
  run_clear(&clr);
  puts(fail ? "RESULT: FAIL" : "RESULT: PASS");
  return fail;
}
