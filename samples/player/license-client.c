/*
 * license-client.c - secdec-player's license acquisition over HTTP (libsoup 3): on the
 * decryptor's "secdec-key-needed" message it takes the device certificate through the
 * element's "get-certificate" action signal, POSTs it with the KID to the license server,
 * retries connection failures and 5xx answers with bounded exponential backoff, and loads the
 * license it gets through "negotiate-key-exchange" and "add-content-key".
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * samples/README.md documents the protocol and the exit statuses.
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include <secdec/license.h>
#include <secdec/secdec.h>
#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

#include "player.h"

#define MAX_BACKOFF_S 8.0

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

static void
key_request_free(gpointer data)
{
    KeyRequest *r = data;

    g_clear_handle_id(&r->retry_source, g_source_remove);
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
        player_fatal(p, EXIT_UNREACHABLE,
                     "license server %s unreachable for KID %s: %s (gave up after %u attempt%s)",
                     p->server_url, r->kidhex, why, r->attempt, r->attempt == 1 ? "" : "s");
        return;
    }
    delay = MIN(0.25 * (gdouble)(1u << MIN(r->attempt - 1, 8u)), MAX_BACKOFF_S);
    player_note(p, "license request for KID %s failed: %s; retrying in %.2f s (attempt %u of %u)",
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
        player_fatal(p, EXIT_BAD_LICENSE, "license server answer for KID %s has no \"license\"",
                     r->kidhex);
        goto out;
    }
    st = secdec_license_parse(bytes, size, &lic);
    if (st != SECDEC_OK) {
        player_fatal(p, EXIT_BAD_LICENSE, "license for KID %s does not parse: %s (%s)", r->kidhex,
                     secdec_status_to_string(st), secdec_status_name(st));
        goto out;
    }
    if (!secdec_license_has_kid(lic, r->kid)) {
        player_fatal(p, EXIT_BAD_LICENSE, "license for KID %s carries no key for it", r->kidhex);
        goto out;
    }
    secdec_license_get_certificate_fingerprint(lic, fp);
    theirs = g_malloc(65);
    sdc_hex_encode(fp, 32, theirs);
    mine = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, r->cert);
    if (strcmp(mine, theirs) != 0) {
        player_fatal(p, EXIT_BAD_LICENSE,
                     "license for KID %s is bound to another device (certificate %s, ours %s)",
                     r->kidhex, theirs, mine);
        goto out;
    }
    secdec_license_get_key_exchange_blob(lic, &blob);
    gblob = g_bytes_new(blob, SECDEC_KEY_EXCHANGE_OAEP_SIZE);
    g_signal_emit_by_name(r->decryptor, "negotiate-key-exchange", gblob, &ret);
    g_bytes_unref(gblob);
    if (ret != SECDEC_OK) {
        player_fatal(p, EXIT_BAD_LICENSE, "key exchange of the license for KID %s failed: %s (%s)",
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
            player_fatal(p, EXIT_BAD_LICENSE,
                         "content key %zu of the license for KID %s refused: %s (%s)", i, r->kidhex,
                         secdec_status_to_string((SecdecStatus)ret),
                         secdec_status_name((SecdecStatus)ret));
            goto out;
        }
        p->n_keys++;
    }
    player_note(p, "KID %s: license installed (%zu content key%s, attempt %u)", r->kidhex, n,
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

        player_fatal(p, EXIT_REFUSED, "license server refused KID %s: HTTP %u %s%s%s%s%s%s",
                     r->kidhex, status, soup_message_get_reason_phrase(r->msg), code ? " (" : "",
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
        player_note(p, "KID %s: POST %s (attempt %u)", r->kidhex, p->server_url, r->attempt);
    soup_session_send_and_read_async(p->http, r->msg, G_PRIORITY_DEFAULT, p->cancel, on_response,
                                     r);
}

/* The decryptor asked for a key (bus message "secdec-key-needed", main thread). */
void
license_client_key_needed(Player *p, GstElement *decryptor, const char *kidhex)
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
        player_fatal(p, EXIT_REFUSED, "the content needs a key for KID %s and no license server "
                     "was given (--license-server URL)", kidhex);
        return;
    }
    /* GetCertificate through the element */
    g_signal_emit_by_name(decryptor, "get-certificate", &cert);
    if (!cert) {
        key_request_free(r);
        player_fatal(p, EXIT_PLAYBACK, "the decryptor gave no device certificate (KID %s)",
                     kidhex);
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
    player_note(p, "KID %s: requesting a license from %s", kidhex, p->server_url);
    send_request(r);
}

void
license_client_init(Player *p)
{
    p->cancel = g_cancellable_new();
    p->requests = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, key_request_free);
    p->http = soup_session_new_with_options("timeout", (guint)ceil(p->http_timeout),
                                            "user-agent", "secdec-player/" SECDEC_PROJECT_VERSION,
                                            NULL);
}

void
license_client_cancel(Player *p)
{
    g_cancellable_cancel(p->cancel);         /* no callback touches a request after this */
    g_hash_table_remove_all(p->requests);
}

void
license_client_free(Player *p)
{
    g_object_unref(p->http);
    g_object_unref(p->cancel);
    g_hash_table_unref(p->requests);
}
