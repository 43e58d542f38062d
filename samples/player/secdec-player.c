/*
 * secdec-player.c - a video player that embeds secdec: playbin plays the content with the
 * secdec elements, and keys are acquired the way a real application does it: on the
 * decryptor's "secdec-key-needed" message the player takes the device certificate through
 * the element's "get-certificate" action signal, asks a license server over HTTP (libsoup 3),
 * and feeds the key exchange and the wrapped content keys back through the element's
 * "negotiate-key-exchange" and "add-content-key" action signals.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * samples/README.md documents the options, the protocol and the exit statuses.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <secdec/license.h>
#include <secdec/secdec.h>
#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

/* Exit statuses (documented in --help and samples/README.md). */
enum {
    EXIT_PLAYED = 0,       /* played to the end, or the user quit */
    EXIT_PLAYBACK = 1,     /* cannot play: missing file, pipeline or decode error, output I/O */
    EXIT_USAGE = 2,        /* bad command line */
    EXIT_UNREACHABLE = 3,  /* license server unreachable or failing (5xx) after the retries */
    EXIT_REFUSED = 4,      /* license server refused the request (4xx), or no server given */
    EXIT_BAD_LICENSE = 5,  /* the license did not parse or load (key exchange, content key) */
    EXIT_INTERRUPTED = 130 /* SIGINT / SIGTERM / SIGHUP */
};

#define GST_PLAY_FLAG_VIDEO (1 << 0)
#define GST_PLAY_FLAG_NATIVE_VIDEO (1 << 6)
#define MAX_BACKOFF_S 8.0

typedef struct Player Player;

typedef struct {
    Player *p;
    GstElement *decryptor;
    gchar *kidhex;
    guint8 kid[SECDEC_KID_SIZE];
    GBytes *cert;
    GBytes *body;
    guint attempt;
    guint retry_source;
    SoupMessage *msg;
} KeyRequest;

struct Player {
    /* options */
    gchar *uri;
    gchar *server_url;
    gchar *home;
    gchar *backend;          /* secdecrypt's backend: auto, software, vaapi (NULL: default) */
    gchar *video_sink;
    gchar *y4m_path;
    gchar *snapshot_dir;
    GArray *snap_times;      /* gdouble, ascending */
    gdouble refresh_interval;
    gdouble start;
    gdouble http_timeout;
    guint retries;
    guint key_timeout_ms;
    gboolean start_paused;
    gboolean headless;
    gboolean no_sync;
    gboolean verbose;

    GMainLoop *loop;
    GstElement *playbin;
    SoupSession *http;
    GCancellable *cancel;
    GHashTable *requests;    /* kidhex -> KeyRequest*: in flight */
    int exit_code;
    gboolean failed;
    guint n_requests, n_keys, n_refresh;
    guint refresh_source, progress_source;
    gint phase;              /* 0 prerolling, 1 seeking to --start, 2 running */
    gboolean user_paused;
    gboolean eos;

    GMutex lock;             /* guards what the streaming thread touches */
    GstElement *decryptor;   /* the secdecrypt instance (ref) */
    FILE *y4m;
    gboolean y4m_header;
    gboolean output_error;
    guint snap_next;
    GstSample *prev_sample;
    gdouble prev_time;
    guint n_frames;

    gboolean tty_in, tty_out;
    struct termios saved_termios;
    gboolean termios_saved;
    gchar keybuf[8];
    gsize keylen;
};

static struct termios *atexit_termios;

static void
restore_terminal(void)
{
    if (atexit_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, atexit_termios);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void
end_progress_line(Player *p)
{
    if (p->tty_out) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
}

/* Fatal error: message once, exit code, stop. */
static void fatal(Player *p, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
fatal(Player *p, int code, const char *fmt, ...)
{
    va_list ap;
    gchar *text;

    if (p->failed)
        return;
    p->failed = TRUE;
    p->exit_code = code;
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    end_progress_line(p);
    fprintf(stderr, "secdec-player: error: %s\n", text);
    g_free(text);
    g_main_loop_quit(p->loop);
}

static void note(Player *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
note(Player *p, const char *fmt, ...)
{
    va_list ap;
    gchar *text;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    end_progress_line(p);
    fprintf(stderr, "secdec-player: %s\n", text);
    g_free(text);
}

/* ---- license acquisition -------------------------------------------------------------------- */

static void key_request_free(gpointer data)
{
    KeyRequest *r = data;

    if (r->retry_source)
        g_source_remove(r->retry_source);
    g_clear_object(&r->msg);
    gst_object_unref(r->decryptor);
    g_bytes_unref(r->cert);
    g_bytes_unref(r->body);
    g_free(r->kidhex);
    g_free(r);
}

static void send_request(KeyRequest *r);

static gboolean
retry_cb(gpointer data)
{
    KeyRequest *r = data;

    r->retry_source = 0;
    send_request(r);
    return G_SOURCE_REMOVE;
}

/* A failure worth retrying (connection, timeout, 5xx): back off exponentially, bounded. */
static void
retry_or_fail(KeyRequest *r, const char *why)
{
    Player *p = r->p;
    gdouble delay;

    if (r->attempt >= p->retries) {
        fatal(p, EXIT_UNREACHABLE,
              "license server %s unreachable for KID %s: %s (gave up after %u attempt%s)",
              p->server_url, r->kidhex, why, r->attempt, r->attempt == 1 ? "" : "s");
        return;
    }
    delay = MIN(0.25 * (gdouble)(1u << MIN(r->attempt - 1, 8u)), MAX_BACKOFF_S);
    note(p, "license request for KID %s failed: %s; retrying in %.2f s (attempt %u of %u)",
         r->kidhex, why, delay, r->attempt + 1, p->retries);
    r->retry_source = g_timeout_add((guint)(delay * 1000), retry_cb, r);
}

/* JSON member as string, or NULL */
static const char *
json_string_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static JsonObject *
parse_json_object(JsonParser *parser, GBytes *body)
{
    gsize len = 0;
    const char *data = body ? g_bytes_get_data(body, &len) : NULL;
    JsonNode *root;

    if (!data || len == 0 || !json_parser_load_from_data(parser, data, (gssize)len, NULL))
        return NULL;
    root = json_parser_get_root(parser);
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

/* The license: parse it, check it names our KID and our certificate, then drive the element:
 * NegotiateCryptoSessionKeyExchange with its blob, then each wrapped content key. */
static void
install_license(KeyRequest *r, GBytes *body)
{
    Player *p = r->p;
    JsonParser *parser = json_parser_new();
    JsonObject *o = parse_json_object(parser, body);
    const char *b64 = json_string_member(o, "license");
    guchar *bytes = NULL;
    gsize size = 0;
    SecdecLicense *lic = NULL;
    SecdecStatus st;
    const uint8_t *blob;
    uint8_t fp[32];
    gchar *mine = NULL, *theirs = NULL;
    gint ret = -1;
    GBytes *gblob;
    size_t i, n;

    if (b64)
        bytes = g_base64_decode(b64, &size);
    if (!bytes || size == 0) {
        fatal(p, EXIT_BAD_LICENSE, "license server answer for KID %s has no \"license\"",
              r->kidhex);
        goto out;
    }
    st = secdec_license_parse(bytes, size, &lic);
    if (st != SECDEC_OK) {
        fatal(p, EXIT_BAD_LICENSE, "license for KID %s does not parse: %s (%s)", r->kidhex,
              secdec_status_to_string(st), secdec_status_name(st));
        goto out;
    }
    if (!secdec_license_has_kid(lic, r->kid)) {
        fatal(p, EXIT_BAD_LICENSE, "license for KID %s carries no key for it", r->kidhex);
        goto out;
    }
    secdec_license_get_certificate_fingerprint(lic, fp);
    theirs = g_malloc(65);
    sdc_hex_encode(fp, 32, theirs);
    mine = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, r->cert);
    if (strcmp(mine, theirs) != 0) {
        fatal(p, EXIT_BAD_LICENSE,
              "license for KID %s is bound to another device (certificate %s, ours %s)",
              r->kidhex, theirs, mine);
        goto out;
    }
    secdec_license_get_key_exchange_blob(lic, &blob);
    gblob = g_bytes_new(blob, SECDEC_KEY_EXCHANGE_OAEP_SIZE);
    g_signal_emit_by_name(r->decryptor, "negotiate-key-exchange", gblob, &ret);
    g_bytes_unref(gblob);
    if (ret != SECDEC_OK) {
        fatal(p, EXIT_BAD_LICENSE, "key exchange of the license for KID %s failed: %s (%s)",
              r->kidhex, secdec_status_to_string((SecdecStatus)ret),
              secdec_status_name((SecdecStatus)ret));
        goto out;
    }
    n = secdec_license_get_key_count(lic);
    for (i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE], wrapped[SECDEC_KEY_SIZE];
        GBytes *kb, *wb;

        secdec_license_get_wrapped_key(lic, i, kid, wrapped);
        kb = g_bytes_new(kid, sizeof kid);
        wb = g_bytes_new(wrapped, sizeof wrapped);
        ret = -1;
        g_signal_emit_by_name(r->decryptor, "add-content-key", kb, wb, &ret);
        g_bytes_unref(kb);
        g_bytes_unref(wb);
        if (ret != SECDEC_OK) {
            fatal(p, EXIT_BAD_LICENSE, "content key %zu of the license for KID %s refused: %s (%s)",
                  i, r->kidhex, secdec_status_to_string((SecdecStatus)ret),
                  secdec_status_name((SecdecStatus)ret));
            goto out;
        }
        p->n_keys++;
    }
    note(p, "KID %s: license installed (%zu content key%s, attempt %u)", r->kidhex, n,
         n == 1 ? "" : "s", r->attempt);
out:
    g_free(mine);
    g_free(theirs);
    secdec_license_free(&lic);
    if (bytes) {
        memset(bytes, 0, size);
        g_free(bytes);
    }
    g_object_unref(parser);
}

static void
on_response(GObject *source, GAsyncResult *res, gpointer data)
{
    KeyRequest *r = data;
    Player *p = r->p;
    GError *err = NULL;
    GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
    guint status;

    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(err);
        return;   /* the player is stopping; r is already freed */
    }
    if (!body) {
        retry_or_fail(r, err->message);
        g_error_free(err);
        return;
    }
    status = soup_message_get_status(r->msg);
    if (status == SOUP_STATUS_OK) {
        install_license(r, body);
        g_hash_table_remove(p->requests, r->kidhex);
    } else if (status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT ||
               status == 429) {   /* Too Many Requests */
        JsonParser *parser = json_parser_new();
        const char *reason = json_string_member(parse_json_object(parser, body), "reason");
        gchar *why = g_strdup_printf("HTTP %u %s%s%s", status,
                                     soup_message_get_reason_phrase(r->msg),
                                     reason ? ": " : "", reason ? reason : "");

        retry_or_fail(r, why);
        g_free(why);
        g_object_unref(parser);
    } else {
        JsonParser *parser = json_parser_new();
        JsonObject *o = parse_json_object(parser, body);
        const char *code = json_string_member(o, "error"), *reason = json_string_member(o, "reason");

        fatal(p, EXIT_REFUSED, "license server refused KID %s: HTTP %u %s%s%s%s%s%s", r->kidhex,
              status, soup_message_get_reason_phrase(r->msg), code ? " (" : "",
              code ? code : "", code ? ")" : "", reason ? ": " : "", reason ? reason : "");
        g_object_unref(parser);
    }
    g_bytes_unref(body);
}

static void
send_request(KeyRequest *r)
{
    Player *p = r->p;

    g_clear_object(&r->msg);
    r->msg = soup_message_new(SOUP_METHOD_POST, p->server_url);
    soup_message_set_request_body_from_bytes(r->msg, "application/json", r->body);
    r->attempt++;
    p->n_requests++;
    if (p->verbose)
        note(p, "KID %s: POST %s (attempt %u)", r->kidhex, p->server_url, r->attempt);
    soup_session_send_and_read_async(p->http, r->msg, G_PRIORITY_DEFAULT, p->cancel, on_response,
                                     r);
}

/* The decryptor asked for a key (bus message "secdec-key-needed", main thread). */
static void
on_key_needed(Player *p, GstElement *decryptor, const char *kidhex)
{
    KeyRequest *r;
    GBytes *cert = NULL;
    JsonBuilder *b;
    JsonGenerator *g;
    JsonNode *root;
    gchar *cert_b64, *kid_b64, *json;
    gsize cert_len, json_len;
    const guint8 *cert_data;

    if (p->failed || g_hash_table_contains(p->requests, kidhex))
        return;   /* asked again while the request is under way (e.g. after a seek) */
    r = g_new0(KeyRequest, 1);
    r->p = p;
    r->decryptor = gst_object_ref(decryptor);
    r->kidhex = g_strdup(kidhex);
    if (!kidhex || strlen(kidhex) != 32 || sdc_hex_decode(kidhex, 32, r->kid, SECDEC_KID_SIZE, false) != 0) {
        key_request_free(r);
        return;
    }
    if (!p->server_url) {
        key_request_free(r);
        fatal(p, EXIT_REFUSED, "the content needs a key for KID %s and no license server was "
              "given (--license-server URL)", kidhex);
        return;
    }
    /* GetCertificate through the element */
    g_signal_emit_by_name(decryptor, "get-certificate", &cert);
    if (!cert) {
        key_request_free(r);
        fatal(p, EXIT_PLAYBACK, "the decryptor gave no device certificate (KID %s)", kidhex);
        return;
    }
    r->cert = cert;
    cert_data = g_bytes_get_data(cert, &cert_len);
    cert_b64 = g_base64_encode(cert_data, cert_len);
    kid_b64 = g_malloc(4 * ((sizeof r->kid + 2) / 3) + 1);
    sdc_base64url_encode(r->kid, sizeof r->kid, kid_b64);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "certificate");
    json_builder_add_string_value(b, cert_b64);
    json_builder_set_member_name(b, "kids");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, kid_b64);
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g = json_generator_new();
    json_generator_set_root(g, root);
    json = json_generator_to_data(g, &json_len);
    r->body = g_bytes_new_take(json, json_len);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    g_free(cert_b64);
    g_free(kid_b64);
    g_hash_table_insert(p->requests, r->kidhex, r);
    note(p, "KID %s: requesting a license from %s", kidhex, p->server_url);
    send_request(r);
}

/* ---- session-key refresh -------------------------------------------------------------------- */

/* StartSessionKeyRefresh / FinishSessionKeyRefresh through the element. Keys installed stay
 * valid; the next license's key exchange replaces the refreshed key anyway (the license server
 * makes a fresh session key per license), so the random is not needed by anyone else. */
static gboolean
refresh_cb(gpointer data)
{
    Player *p = data;
    GstElement *dec;
    GBytes *random = NULL;
    gint st = -1;
    GstState state = GST_STATE_NULL;

    gst_element_get_state(p->playbin, &state, NULL, 0);
    g_mutex_lock(&p->lock);
    dec = p->decryptor ? gst_object_ref(p->decryptor) : NULL;
    g_mutex_unlock(&p->lock);
    if (!dec || state != GST_STATE_PLAYING) {
        if (dec)
            gst_object_unref(dec);
        return G_SOURCE_CONTINUE;
    }
    g_signal_emit_by_name(dec, "start-key-refresh", &random);
    if (random) {
        g_signal_emit_by_name(dec, "finish-key-refresh", &st);
        if (st == SECDEC_OK) {
            p->n_refresh++;
            if (p->verbose)
                note(p, "session key refreshed (%u)", p->n_refresh);
        } else {
            note(p, "finish-key-refresh failed: %s", secdec_status_to_string((SecdecStatus)st));
        }
        g_bytes_unref(random);
    }
    gst_object_unref(dec);
    return G_SOURCE_CONTINUE;
}

/* ---- headless output: Y4M and PNG snapshots (streaming thread) ------------------------------ */

static gboolean
write_y4m_frame(Player *p, GstSample *sample)
{
    GstVideoInfo info;
    GstVideoFrame frame;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    gboolean ok = TRUE;

    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420)
        return FALSE;
    if (!p->y4m_header) {
        gint fn = GST_VIDEO_INFO_FPS_N(&info), fd = GST_VIDEO_INFO_FPS_D(&info);
        gint pn = GST_VIDEO_INFO_PAR_N(&info), pd = GST_VIDEO_INFO_PAR_D(&info);

        if (fn <= 0 || fd <= 0) {
            fn = 25;
            fd = 1;
        }
        GstVideoChromaSite site = GST_VIDEO_INFO_CHROMA_SITE(&info);
        const char *chroma = site == GST_VIDEO_CHROMA_SITE_MPEG2 ? "420mpeg2 XYSCSS=420MPEG2" :
                             site == GST_VIDEO_CHROMA_SITE_DV ? "420paldv XYSCSS=420PALDV" :
                             "420jpeg XYSCSS=420JPEG";

        /* the header FFmpeg's yuv4mpegpipe muxer writes for yuv420p */
        fprintf(p->y4m, "YUV4MPEG2 W%d H%d F%d:%d Ip A%d:%d C%s\n",
                GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info), fn, fd, pn, pd, chroma);
        p->y4m_header = TRUE;
    }
    if (!gst_video_frame_map(&frame, &info, buf, GST_MAP_READ))
        return FALSE;
    fputs("FRAME\n", p->y4m);
    for (guint c = 0; c < 3; c++) {
        const guint8 *d = GST_VIDEO_FRAME_COMP_DATA(&frame, c);
        gint stride = GST_VIDEO_FRAME_COMP_STRIDE(&frame, c);
        gint w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, c), h = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, c);

        for (gint y = 0; y < h; y++)
            if (fwrite(d + (gsize)y * stride, 1, (gsize)w, p->y4m) != (gsize)w)
                ok = FALSE;
    }
    gst_video_frame_unmap(&frame);
    return ok;
}

static gboolean
write_snapshot(Player *p, GstSample *sample, gdouble t, gdouble frame_time)
{
    GstCaps *png_caps = gst_caps_new_empty_simple("image/png");
    GError *err = NULL;
    GstSample *png = gst_video_convert_sample(sample, png_caps, 10 * GST_SECOND, &err);
    gchar name[64], *path;
    gboolean ok = FALSE;

    gst_caps_unref(png_caps);
    g_snprintf(name, sizeof name, "snapshot-%.3f.png", t);
    path = g_build_filename(p->snapshot_dir, name, NULL);
    if (png) {
        GstMapInfo map;
        GstBuffer *b = gst_sample_get_buffer(png);

        if (gst_buffer_map(b, &map, GST_MAP_READ)) {
            ok = g_file_set_contents(path, (const gchar *)map.data, (gssize)map.size, &err);
            gst_buffer_unmap(b, &map);
        }
        gst_sample_unref(png);
    }
    if (ok)
        printf("snapshot %.3f s: %s (frame at %.3f s)\n", t, path, frame_time);
    else
        fprintf(stderr, "secdec-player: snapshot at %.3f s failed: %s\n", t,
                err ? err->message : "cannot map the PNG");
    fflush(stdout);
    g_clear_error(&err);
    g_free(path);
    return ok;
}

/* Snapshot at T = the frame on screen at T: the last frame whose time is <= T. Called with
 * each new frame (lock held); `sample` NULL means end of stream. */
static void
take_snapshots_locked(Player *p, GstSample *sample, gdouble t_new)
{
    while (p->snap_times && p->snap_next < p->snap_times->len) {
        gdouble t = g_array_index(p->snap_times, gdouble, p->snap_next);

        if (sample && t >= t_new)
            break;   /* the new frame (or a later one) is the one shown at t */
        if (p->prev_sample) {
            if (!write_snapshot(p, p->prev_sample, t, p->prev_time))
                p->output_error = TRUE;
        } else if (sample) {
            if (!write_snapshot(p, sample, t, t_new))   /* t before the first frame */
                p->output_error = TRUE;
        } else {
            fprintf(stderr, "secdec-player: snapshot at %.3f s: no frame\n", t);
            p->output_error = TRUE;
        }
        p->snap_next++;
    }
}

static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
    Player *p = data;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    GstBuffer *buf;
    const GstSegment *seg;
    guint64 st;
    gdouble t;

    if (!sample)
        return GST_FLOW_EOS;
    buf = gst_sample_get_buffer(sample);
    seg = gst_sample_get_segment(sample);
    st = GST_BUFFER_PTS_IS_VALID(buf) && seg ?
             gst_segment_to_stream_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf)) :
             GST_CLOCK_TIME_NONE;
    t = GST_CLOCK_TIME_IS_VALID(st) ? (gdouble)st / GST_SECOND : 0.0;
    g_mutex_lock(&p->lock);
    p->n_frames++;
    if (p->y4m && !p->output_error && !write_y4m_frame(p, sample)) {
        fprintf(stderr, "secdec-player: writing %s failed\n", p->y4m_path);
        p->output_error = TRUE;
    }
    take_snapshots_locked(p, sample, t);
    if (p->prev_sample)
        gst_sample_unref(p->prev_sample);
    p->prev_sample = sample;
    p->prev_time = t;
    g_mutex_unlock(&p->lock);
    return GST_FLOW_OK;
}

static GstElement *
make_headless_sink(Player *p)
{
    GError *err = NULL;
    GstElement *bin = gst_parse_bin_from_description(
        "videoconvert ! video/x-raw,format=I420 ! appsink name=sink", TRUE, &err);
    GstElement *sink;
    GstAppSinkCallbacks cb = { 0 };

    if (!bin) {
        fprintf(stderr, "secdec-player: %s\n", err->message);
        g_error_free(err);
        return NULL;
    }
    sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
    cb.new_sample = on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, p, NULL);
    g_object_set(sink, "sync", !p->no_sync, "max-buffers", 4u, "drop", FALSE, NULL);
    gst_object_unref(sink);
    return bin;
}

/* ---- playbin: the decryptor, the bus -------------------------------------------------------- */

static void
on_element_setup(GstElement *playbin, GstElement *element, gpointer data)
{
    Player *p = data;
    GstElementFactory *f = gst_element_get_factory(element);

    if (!f || strcmp(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), "secdecrypt") != 0)
        return;
    /* long enough for the license request, its retries and backoff */
    g_object_set(element, "key-timeout", p->key_timeout_ms, NULL);
    if (p->home)
        g_object_set(element, "home", p->home, NULL);
    if (p->backend)
        gst_util_set_object_arg(G_OBJECT(element), "backend", p->backend);
    g_mutex_lock(&p->lock);
    if (p->decryptor)
        gst_object_unref(p->decryptor);
    p->decryptor = gst_object_ref(element);
    g_mutex_unlock(&p->lock);
    if (p->verbose)
        note(p, "using decryptor %s", GST_ELEMENT_NAME(element));
}

static gchar *
format_time(gint64 t)
{
    if (t < 0)
        return g_strdup("--:--.--");
    return g_strdup_printf("%" G_GINT64_FORMAT ":%05.2f", t / (60 * GST_SECOND),
                           (gdouble)(t % (60 * GST_SECOND)) / GST_SECOND);
}

static void
print_position(Player *p, const char *state, gboolean event_line)
{
    gint64 pos = -1, dur = -1;
    gchar *ps, *ds;

    if (!gst_element_query_position(p->playbin, GST_FORMAT_TIME, &pos))
        pos = -1;
    if (!gst_element_query_duration(p->playbin, GST_FORMAT_TIME, &dur))
        dur = -1;
    if (p->tty_out) {
        ps = format_time(pos);
        ds = format_time(dur);
        printf("\r\033[K%s %s / %s   [space] pause  [<-/->] seek 5 s  [q] quit", state, ps, ds);
        fflush(stdout);
        g_free(ps);
        g_free(ds);
    } else if (event_line) {
        printf("%s at %.3f s of %.3f s\n", state, pos >= 0 ? (gdouble)pos / GST_SECOND : 0.0,
               dur >= 0 ? (gdouble)dur / GST_SECOND : 0.0);
        fflush(stdout);
    }
}

static gboolean
progress_cb(gpointer data)
{
    Player *p = data;
    GstState state = GST_STATE_NULL;

    gst_element_get_state(p->playbin, &state, NULL, 0);
    if (p->phase == 2)
        print_position(p, state == GST_STATE_PLAYING ? "Playing" : "Paused ", FALSE);
    return G_SOURCE_CONTINUE;
}

static void
seek_to(Player *p, gdouble seconds)
{
    gint64 dur = -1;

    if (gst_element_query_duration(p->playbin, GST_FORMAT_TIME, &dur) && dur > 0 &&
        seconds * GST_SECOND > dur)
        seconds = (gdouble)dur / GST_SECOND;
    if (seconds < 0)
        seconds = 0;
    gst_element_seek_simple(p->playbin, GST_FORMAT_TIME,
                            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                            (gint64)(seconds * GST_SECOND));
}

static void
seek_relative(Player *p, gdouble delta)
{
    gint64 pos = 0;

    if (!gst_element_query_position(p->playbin, GST_FORMAT_TIME, &pos))
        return;
    seek_to(p, (gdouble)pos / GST_SECOND + delta);
}

static void
toggle_pause(Player *p)
{
    p->user_paused = !p->user_paused;
    gst_element_set_state(p->playbin, p->user_paused ? GST_STATE_PAUSED : GST_STATE_PLAYING);
}

static gboolean
on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    Player *p = data;

    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        gchar *dbg = NULL;

        gst_message_parse_error(msg, &err, &dbg);
        if (!p->failed) {
            if (p->verbose && dbg)
                note(p, "debug: %s", dbg);
            fatal(p, EXIT_PLAYBACK, "%s (%s)", err->message, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)));
        }
        g_error_free(err);
        g_free(dbg);
        break;
    }
    case GST_MESSAGE_WARNING: {
        GError *err = NULL;

        gst_message_parse_warning(msg, &err, NULL);
        note(p, "warning: %s", err->message);
        g_error_free(err);
        break;
    }
    case GST_MESSAGE_EOS:
        p->eos = TRUE;
        g_main_loop_quit(p->loop);
        break;
    case GST_MESSAGE_ELEMENT: {
        const GstStructure *s = gst_message_get_structure(msg);

        if (s && gst_structure_has_name(s, "secdec-key-needed") &&
            GST_IS_ELEMENT(GST_MESSAGE_SRC(msg)))
            on_key_needed(p, GST_ELEMENT(GST_MESSAGE_SRC(msg)),
                          gst_structure_get_string(s, "kid"));
        break;
    }
    case GST_MESSAGE_ASYNC_DONE:
        if (p->phase == 0) {
            if (p->start > 0) {
                p->phase = 1;
                seek_to(p, p->start);
                break;
            }
            p->phase = 2;
        } else if (p->phase == 1) {
            p->phase = 2;
        } else {
            break;
        }
        if (p->start_paused) {
            p->user_paused = TRUE;
            print_position(p, "paused", TRUE);
        } else {
            gst_element_set_state(p->playbin, GST_STATE_PLAYING);
            print_position(p, "playing", TRUE);
        }
        break;
    case GST_MESSAGE_CLOCK_LOST:
        if (!p->user_paused) {
            gst_element_set_state(p->playbin, GST_STATE_PAUSED);
            gst_element_set_state(p->playbin, GST_STATE_PLAYING);
        }
        break;
    case GST_MESSAGE_BUFFERING: {
        gint percent = 0;

        gst_message_parse_buffering(msg, &percent);
        if (p->phase == 2 && !p->user_paused)
            gst_element_set_state(p->playbin, percent < 100 ? GST_STATE_PAUSED : GST_STATE_PLAYING);
        break;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

/* ---- terminal ------------------------------------------------------------------------------- */

static gboolean
on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    Player *p = data;
    gchar c;
    ssize_t n = read(fd, &c, 1);

    if (n <= 0)
        return G_SOURCE_REMOVE;
    if (p->keylen == 0 && c != 0x1b) {
        if (c == ' ')
            toggle_pause(p);
        else if (c == 'q' || c == 'Q')
            g_main_loop_quit(p->loop);
        return G_SOURCE_CONTINUE;
    }
    /* escape sequences: ESC [ C (right), ESC [ D (left) */
    p->keybuf[p->keylen++] = c;
    if (p->keylen == 2 && c != '[' && c != 'O') {
        p->keylen = 0;
    } else if (p->keylen == 3) {
        if (c == 'C')
            seek_relative(p, 5.0);
        else if (c == 'D')
            seek_relative(p, -5.0);
        p->keylen = 0;
    }
    return G_SOURCE_CONTINUE;
}

static void
terminal_raw(Player *p)
{
    struct termios t;

    if (!p->tty_in || tcgetattr(STDIN_FILENO, &p->saved_termios) != 0)
        return;
    p->termios_saved = TRUE;
    atexit_termios = &p->saved_termios;
    atexit(restore_terminal);
    t = p->saved_termios;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);   /* ISIG stays: Ctrl-C still interrupts */
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static gboolean
on_signal(gpointer data)
{
    Player *p = data;

    if (!p->failed)
        p->exit_code = EXIT_INTERRUPTED;
    p->failed = TRUE;
    g_main_loop_quit(p->loop);
    return G_SOURCE_CONTINUE;
}

/* ---- main ----------------------------------------------------------------------------------- */

static int
compare_double(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

    return x < y ? -1 : x > y;
}

static gboolean
parse_snapshots(Player *p, const char *spec)
{
    gchar **parts = g_strsplit(spec, ",", -1);
    gboolean ok = TRUE;

    p->snap_times = g_array_new(FALSE, FALSE, sizeof(gdouble));
    for (gchar **s = parts; *s; s++) {
        gchar *end = NULL;
        gdouble t = g_ascii_strtod(*s, &end);

        if (end == *s || *end || !(t >= 0) || !isfinite(t)) {
            ok = FALSE;
            break;
        }
        g_array_append_val(p->snap_times, t);
    }
    g_strfreev(parts);
    if (ok && p->snap_times->len == 0)
        ok = FALSE;
    g_array_sort(p->snap_times, compare_double);
    return ok;
}

static const char *description =
    "Keys: space play/pause, left/right arrow seek -/+5 s, q quit (when standard input is a\n"
    "terminal). With --snapshot or --y4m the player runs headless (no window, no audio).\n"
    "\n"
    "Keys come from the license server: on the decryptor's secdec-key-needed message the\n"
    "player POSTs {\"certificate\": <base64 DER>, \"kids\": [<base64url KID>]} to the\n"
    "--license-server URL (\"license\" is appended when it ends with '/') and loads the\n"
    "license it gets through the element's negotiate-key-exchange and add-content-key\n"
    "action signals. Connection failures and 5xx answers are retried with exponential\n"
    "backoff (0.25 s doubling, at most 8 s between attempts, --retries attempts in all);\n"
    "a 4xx answer stops playback with the server's reason.\n"
    "\n"
    "Exit status:\n"
    "  0    played to the end, or quit by the user\n"
    "  1    cannot play: missing file, pipeline or decode error, output I/O error\n"
    "  2    usage error\n"
    "  3    license server unreachable or failing (5xx) after all attempts\n"
    "  4    license request refused (4xx), or a key is needed and no server was given\n"
    "  5    the license is invalid (does not parse, other device, key exchange failed)\n"
    "  130  interrupted (SIGINT, SIGTERM, SIGHUP)\n"
    "\n"
    "Environment: SECDEC_HOME (device identity; the element still consults its license\n"
    "store first), GST_PLUGIN_PATH (where the secdec GStreamer plugin is).";

int
main(int argc, char **argv)
{
    Player pl = { 0 }, *p = &pl;
    gchar *snapshots = NULL;
    gdouble key_timeout = 120.0;
    gint retries = 5;
    gboolean version = FALSE;
    gchar **args = NULL;
    GOptionEntry entries[] = {
        { "license-server", 's', 0, G_OPTION_ARG_STRING, &p->server_url,
          "license server URL, e.g. http://127.0.0.1:8080/license", "URL" },
        { "snapshot", 0, 0, G_OPTION_ARG_STRING, &snapshots,
          "headless: write the frames shown at these times (seconds) as PNG", "T1,T2,..." },
        { "snapshot-dir", 0, 0, G_OPTION_ARG_FILENAME, &p->snapshot_dir,
          "directory for snapshot-T.png files (default .)", "DIR" },
        { "y4m", 0, 0, G_OPTION_ARG_FILENAME, &p->y4m_path,
          "headless: write every frame (I420) to a YUV4MPEG2 file", "FILE" },
        { "headless", 0, 0, G_OPTION_ARG_NONE, &p->headless,
          "no window, no audio (implied by --snapshot and --y4m)", NULL },
        { "no-sync", 0, 0, G_OPTION_ARG_NONE, &p->no_sync,
          "headless: decode as fast as possible instead of in real time", NULL },
        { "refresh-interval", 0, 0, G_OPTION_ARG_DOUBLE, &p->refresh_interval,
          "refresh the crypto session key every SECONDS while playing (0: never)", "SECONDS" },
        { "start", 0, 0, G_OPTION_ARG_DOUBLE, &p->start, "start at this position", "SECONDS" },
        { "pause", 0, 0, G_OPTION_ARG_NONE, &p->start_paused,
          "start paused (on the first frame, or the --start frame)", NULL },
        { "video-sink", 0, 0, G_OPTION_ARG_STRING, &p->video_sink,
          "video sink description (default: autovideosink)", "DESC" },
        { "home", 0, 0, G_OPTION_ARG_FILENAME, &p->home,
          "secdec home of the device identity (default $SECDEC_HOME)", "DIR" },
        { "backend", 0, 0, G_OPTION_ARG_STRING, &p->backend,
          "decrypt/decode backend: auto (VA-API protected content when the device has it, "
          "else software; default), software, vaapi", "NAME" },
        { "retries", 0, 0, G_OPTION_ARG_INT, &retries,
          "license request attempts before giving up (default 5)", "N" },
        { "http-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &p->http_timeout,
          "seconds per license request attempt (default 10)", "SECONDS" },
        { "key-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &key_timeout,
          "seconds the decryptor waits for a key (default 120)", "SECONDS" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &p->verbose, "more messages", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, "FILE|URI" },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    GOptionContext *ctx;
    GError *err = NULL;
    GstBus *bus;
    GstStateChangeReturn ret;
    guint stdin_watch = 0;

    setlocale(LC_ALL, "");
    p->http_timeout = 10.0;
    ctx = g_option_context_new("FILE|URI - play secdec-protected video");
    g_option_context_set_summary(ctx, "Plays a file or URI through playbin and the secdec elements, "
                                      "acquiring keys from a license server.");
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, gst_init_get_option_group());
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "secdec-player: %s (try --help)\n", err->message);
        g_error_free(err);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (version) {
        printf("secdec-player %s (libsecdec %s, %s, libsoup %u.%u.%u)\n", SECDEC_PROJECT_VERSION,
               secdec_version(), gst_version_string(), soup_get_major_version(),
               soup_get_minor_version(), soup_get_micro_version());
        return EXIT_PLAYED;
    }
    if (!args || !args[0] || args[1]) {
        fprintf(stderr, "secdec-player: give exactly one FILE or URI (try --help)\n");
        return EXIT_USAGE;
    }
    if (retries < 1 || retries > 20 || !(p->http_timeout > 0) || !(key_timeout > 0) ||
        key_timeout > 86400 || !(p->refresh_interval >= 0) || !(p->start >= 0) ||
        (p->refresh_interval > 0 && p->refresh_interval < 0.01)) {
        fprintf(stderr, "secdec-player: option out of range (try --help)\n");
        return EXIT_USAGE;
    }
    if (p->backend && strcmp(p->backend, "auto") != 0 && strcmp(p->backend, "software") != 0 &&
        strcmp(p->backend, "vaapi") != 0) {
        fprintf(stderr, "secdec-player: --backend takes auto, software or vaapi\n");
        return EXIT_USAGE;
    }
    if (snapshots && !parse_snapshots(p, snapshots)) {
        fprintf(stderr, "secdec-player: --snapshot takes seconds, e.g. 0.5,1,2.25\n");
        return EXIT_USAGE;
    }
    p->retries = (guint)retries;
    p->key_timeout_ms = (guint)(key_timeout * 1000);
    if (snapshots || p->y4m_path)
        p->headless = TRUE;
    if (!p->snapshot_dir)
        p->snapshot_dir = g_strdup(".");
    if (p->server_url) {
        GUri *u = g_uri_parse(p->server_url, G_URI_FLAGS_NONE, NULL);

        if (!u || (g_strcmp0(g_uri_get_scheme(u), "http") != 0 &&
                   g_strcmp0(g_uri_get_scheme(u), "https") != 0)) {
            fprintf(stderr, "secdec-player: --license-server needs an http:// URL: %s\n",
                    p->server_url);
            if (u)
                g_uri_unref(u);
            return EXIT_USAGE;
        }
        g_uri_unref(u);
        if (g_str_has_suffix(p->server_url, "/")) {
            gchar *s = g_strconcat(p->server_url, "license", NULL);

            g_free(p->server_url);
            p->server_url = s;
        }
    }
    if (gst_uri_is_valid(args[0])) {
        p->uri = g_strdup(args[0]);
    } else {
        if (!g_file_test(args[0], G_FILE_TEST_IS_REGULAR)) {
            fprintf(stderr, "secdec-player: error: no such file: %s\n", args[0]);
            return EXIT_PLAYBACK;
        }
        p->uri = gst_filename_to_uri(args[0], NULL);
    }
    if (p->snap_times && g_mkdir_with_parents(p->snapshot_dir, 0755) != 0) {
        fprintf(stderr, "secdec-player: error: cannot create %s: %s\n", p->snapshot_dir,
                g_strerror(errno));
        return EXIT_PLAYBACK;
    }
    if (!p->headless && !p->video_sink && !g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, "secdec-player: error: no display (DISPLAY and WAYLAND_DISPLAY unset); "
                        "use --headless, --snapshot or --y4m, or --video-sink\n");
        return EXIT_PLAYBACK;
    }
    if (p->y4m_path) {
        p->y4m = g_fopen(p->y4m_path, "wb");
        if (!p->y4m) {
            fprintf(stderr, "secdec-player: error: cannot write %s: %s\n", p->y4m_path,
                    g_strerror(errno));
            return EXIT_PLAYBACK;
        }
    }

    g_mutex_init(&p->lock);
    p->loop = g_main_loop_new(NULL, FALSE);
    p->cancel = g_cancellable_new();
    p->requests = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, key_request_free);
    p->http = soup_session_new_with_options("timeout", (guint)ceil(p->http_timeout),
                                            "user-agent", "secdec-player/" SECDEC_PROJECT_VERSION,
                                            NULL);
    p->playbin = gst_element_factory_make("playbin", NULL);
    if (!p->playbin) {
        fprintf(stderr, "secdec-player: error: GStreamer has no playbin (gstreamer1.0-plugins-base)\n");
        return EXIT_PLAYBACK;
    }
    if (gst_element_factory_find("secdecrypt") == NULL)
        note(p, "warning: the secdec GStreamer plugin is not found (set GST_PLUGIN_PATH); "
                "protected content will not play");
    g_object_set(p->playbin, "uri", p->uri, NULL);
    g_signal_connect(p->playbin, "element-setup", G_CALLBACK(on_element_setup), p);
    if (p->headless) {
        GstElement *sink = make_headless_sink(p);

        if (!sink)
            return EXIT_PLAYBACK;
        g_object_set(p->playbin, "video-sink", sink, "flags",
                     GST_PLAY_FLAG_VIDEO | GST_PLAY_FLAG_NATIVE_VIDEO, NULL);
    } else if (p->video_sink) {
        GstElement *sink = gst_parse_bin_from_description(p->video_sink, TRUE, &err);

        if (!sink) {
            fprintf(stderr, "secdec-player: --video-sink: %s\n", err->message);
            return EXIT_USAGE;
        }
        g_object_set(p->playbin, "video-sink", sink, NULL);
    }
    bus = gst_element_get_bus(p->playbin);
    gst_bus_add_watch(bus, on_bus, p);
    gst_object_unref(bus);

    p->tty_in = isatty(STDIN_FILENO);
    p->tty_out = isatty(STDOUT_FILENO);
    terminal_raw(p);
    if (p->tty_in)
        stdin_watch = g_unix_fd_add(STDIN_FILENO, G_IO_IN, on_stdin, p);
    g_unix_signal_add(SIGINT, on_signal, p);
    g_unix_signal_add(SIGTERM, on_signal, p);
    g_unix_signal_add(SIGHUP, on_signal, p);
    if (p->refresh_interval > 0)
        p->refresh_source = g_timeout_add((guint)(p->refresh_interval * 1000), refresh_cb, p);
    if (p->tty_out)
        p->progress_source = g_timeout_add(250, progress_cb, p);

    ret = gst_element_set_state(p->playbin, GST_STATE_PAUSED);
    if (ret == GST_STATE_CHANGE_FAILURE) {
        /* the error message on the bus says why */
        GstMessage *m = gst_bus_pop_filtered(GST_ELEMENT_BUS(p->playbin), GST_MESSAGE_ERROR);

        if (m) {
            on_bus(NULL, m, p);
            gst_message_unref(m);
        } else {
            fatal(p, EXIT_PLAYBACK, "cannot play %s", p->uri);
        }
    } else {
        g_main_loop_run(p->loop);
    }

    end_progress_line(p);
    if (p->refresh_source)
        g_source_remove(p->refresh_source);
    if (p->progress_source)
        g_source_remove(p->progress_source);
    if (stdin_watch)
        g_source_remove(stdin_watch);
    if (p->termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &p->saved_termios);
    g_cancellable_cancel(p->cancel);         /* no callback touches a request after this */
    g_hash_table_remove_all(p->requests);
    gst_element_set_state(p->playbin, GST_STATE_NULL);

    g_mutex_lock(&p->lock);
    if (p->eos && !p->failed)
        take_snapshots_locked(p, NULL, 0);
    if (p->output_error && p->exit_code == EXIT_PLAYED)
        p->exit_code = EXIT_PLAYBACK;
    g_clear_pointer(&p->prev_sample, gst_sample_unref);
    if (p->decryptor)
        gst_object_unref(p->decryptor);
    g_mutex_unlock(&p->lock);
    if (p->y4m && fclose(p->y4m) != 0 && p->exit_code == EXIT_PLAYED) {
        fprintf(stderr, "secdec-player: writing %s failed: %s\n", p->y4m_path, g_strerror(errno));
        p->exit_code = EXIT_PLAYBACK;
    }
    if (p->headless || p->verbose || p->n_requests)
        fprintf(stderr, "secdec-player: %u license request%s, %u content key%s installed, "
                        "%u session-key refresh%s, %u frame%s output\n",
                p->n_requests, p->n_requests == 1 ? "" : "s", p->n_keys, p->n_keys == 1 ? "" : "s",
                p->n_refresh, p->n_refresh == 1 ? "" : "es", p->n_frames,
                p->n_frames == 1 ? "" : "s");
    gst_object_unref(p->playbin);
    g_object_unref(p->http);
    g_object_unref(p->cancel);
    g_hash_table_unref(p->requests);
    g_main_loop_unref(p->loop);
    if (p->snap_times)
        g_array_unref(p->snap_times);
    g_mutex_clear(&p->lock);
    g_free(p->uri);
    g_free(p->server_url);
    g_free(p->home);
    g_free(p->backend);
    g_free(p->video_sink);
    g_free(p->y4m_path);
    g_free(p->snapshot_dir);
    g_free(snapshots);
    g_strfreev(args);
    return p->exit_code;
}
