/*
 * secdec-license-server.c - a small license server: holds content keys (a W3C Clear Key JWK
 * set) and answers license requests over HTTP with secdec licenses bound to the requesting
 * device's certificate.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Protocol (samples/README.md has the full description):
 *   POST /license   {"certificate": "<base64 DER>", "kids": ["<base64url or hex KID>", ...]}
 *   200             {"license": "<base64 license bytes>", "kids": ["<hex>", ...]}
 *   4xx/5xx         {"error": "<code>", "reason": "<text>"[, "kid": "<hex>"]}
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <secdec/license.h>
#include <secdec/secdec.h>

#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

#define DEFAULT_MAX_BODY (64 * 1024)
#define DEFAULT_REQUEST_TIMEOUT 10.0

typedef struct {
    SecdecContentKey *keys;
    size_t n_keys;
    gsize max_body;
    gdouble request_timeout;
    guint fail_first;   /* answer the first N license requests with 503 (testing) */
    guint n_requests;
    guint64 n_grants;
    GMainLoop *loop;
} Server;

static void
log_line(SoupServerMessage *msg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
log_line(SoupServerMessage *msg, const char *fmt, ...)
{
    GDateTime *now = g_date_time_new_now_utc();
    gchar *ts = g_date_time_format_iso8601(now);
    gchar *text;
    va_list ap;
    const char *host = msg ? soup_server_message_get_remote_host(msg) : NULL;
    GSocketAddress *ra = msg ? soup_server_message_get_remote_address(msg) : NULL;
    guint16 port = 0;

    if (ra && G_IS_INET_SOCKET_ADDRESS(ra))
        port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(ra));
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (msg)
        fprintf(stderr, "%s client=%s:%u %s\n", ts, host ? host : "?", port, text);
    else
        fprintf(stderr, "%s %s\n", ts, text);
    fflush(stderr);
    g_free(text);
    g_free(ts);
    g_date_time_unref(now);
}

/* Sends {"error": code, "reason": reason[, "kid": kid]} with the given status. */
static void
reply_error(SoupServerMessage *msg, guint status, const char *code, const char *kid,
            const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
reply_error(SoupServerMessage *msg, guint status, const char *code, const char *kid,
            const char *fmt, ...)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *g = json_generator_new();
    JsonNode *root;
    gchar *reason, *body;
    gsize len;
    va_list ap;

    va_start(ap, fmt);
    reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, code);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, reason);
    if (kid) {
        json_builder_set_member_name(b, "kid");
        json_builder_add_string_value(b, kid);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    body = json_generator_to_data(g, &len);
    soup_server_message_set_status(msg, status, NULL);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body, len);
    log_line(msg, "refused %u %s: %s", status, code, reason);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    g_free(reason);
}

static const SecdecContentKey *
find_key(Server *srv, const uint8_t kid[SECDEC_KID_SIZE])
{
    for (size_t i = 0; i < srv->n_keys; i++)
        if (memcmp(srv->keys[i].kid, kid, SECDEC_KID_SIZE) == 0)
            return &srv->keys[i];
    return NULL;
}

static void
handle_license(Server *srv, SoupServerMessage *msg)
{
    SoupMessageBody *req = soup_server_message_get_request_body(msg);
    GBytes *body = soup_message_body_flatten(req);
    JsonParser *parser = json_parser_new();
    GError *err = NULL;
    JsonObject *obj;
    JsonNode *root, *n;
    JsonArray *kids;
    const char *cert_b64;
    guchar *cert = NULL;
    gsize cert_len = 0, body_len = 0;
    const char *body_data = g_bytes_get_data(body, &body_len);
    SecdecContentKey *grant = NULL;
    guint n_kids, i;
    uint8_t *lic = NULL;
    size_t lic_size = 0;
    SecdecStatus st;
    GString *kidlist = g_string_new(NULL);

    srv->n_requests++;
    if (srv->n_requests <= srv->fail_first) {
        reply_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable", NULL,
                    "simulated overload (--fail-first %u, request %u)", srv->fail_first,
                    srv->n_requests);
        goto out;
    }
    if (body_len > srv->max_body) {   /* chunked bodies are refused early; belt and braces */
        reply_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large", NULL,
                    "request body of %" G_GSIZE_FORMAT " bytes exceeds %" G_GSIZE_FORMAT,
                    body_len, srv->max_body);
        goto out;
    }
    if (body_len == 0 || !json_parser_load_from_data(parser, body_data, (gssize)body_len, &err)) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL, "body is not JSON: %s",
                    err ? err->message : "empty body");
        goto out;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL,
                    "body must be a JSON object");
        goto out;
    }
    obj = json_node_get_object(root);
    n = json_object_get_member(obj, "certificate");
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL,
                    "\"certificate\" must be a base64 string");
        goto out;
    }
    cert_b64 = json_node_get_string(n);
    n = json_object_get_member(obj, "kids");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n) || json_array_get_length(json_node_get_array(n)) == 0) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL,
                    "\"kids\" must be a non-empty array of KIDs");
        goto out;
    }
    kids = json_node_get_array(n);
    n_kids = json_array_get_length(kids);
    if (n_kids > SECDEC_LICENSE_MAX_KEYS) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL,
                    "%u KIDs requested, at most %d per license", n_kids,
                    SECDEC_LICENSE_MAX_KEYS);
        goto out;
    }
    /* strict base64: g_base64_decode() skips invalid characters, so check the alphabet */
    {
        size_t len = strlen(cert_b64);
        gboolean ok = len > 0 && len % 4 == 0 &&
                      strspn(cert_b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/=") == len;
        if (ok)
            cert = g_base64_decode(cert_b64, &cert_len);
        if (!ok || cert_len == 0) {
            reply_error(msg, SOUP_STATUS_BAD_REQUEST, "bad-certificate", NULL,
                        "\"certificate\" is not valid base64");
            goto out;
        }
    }
    grant = g_new0(SecdecContentKey, n_kids);
    for (i = 0; i < n_kids; i++) {
        JsonNode *kn = json_array_get_element(kids, i);
        uint8_t kid[SECDEC_KID_SIZE];
        char hex[33];
        const SecdecContentKey *k;

        if (!JSON_NODE_HOLDS_VALUE(kn) || json_node_get_value_type(kn) != G_TYPE_STRING ||
            sdc_kid_parse(json_node_get_string(kn), kid) != 0) {
            reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", NULL,
                        "kids[%u] is not a KID (base64url without padding, or 32 hex digits)",
                        i);
            goto out;
        }
        sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
        for (guint j = 0; j < i; j++) {
            if (memcmp(grant[j].kid, kid, SECDEC_KID_SIZE) == 0) {
                reply_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed", hex,
                            "KID %s requested twice", hex);
                goto out;
            }
        }
        k = find_key(srv, kid);
        if (!k) {
            reply_error(msg, SOUP_STATUS_FORBIDDEN, "unknown-kid", hex,
                        "no content key for KID %s on this server", hex);
            goto out;
        }
        grant[i] = *k;
        g_string_append_printf(kidlist, "%s%s", i ? "," : "", hex);
    }
    /* A fresh session key per license: the device's key exchange replaces whatever session
     * key (refreshed or not) it had, so the wrapped keys below always match. */
    st = secdec_license_issue(cert, cert_len, SECDEC_OAEP_SHA512, grant, n_kids, &lic, &lic_size);
    if (st == SECDEC_E_IDENTITY) {
        reply_error(msg, SOUP_STATUS_BAD_REQUEST, "bad-certificate", NULL,
                    "the certificate does not parse as X.509 with an RSA-2048 key");
        goto out;
    }
    if (st != SECDEC_OK) {
        reply_error(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", NULL,
                    "issuing the license failed: %s (%s)", secdec_status_to_string(st),
                    secdec_status_name(st));
        goto out;
    }
    {
        JsonBuilder *b = json_builder_new();
        JsonGenerator *g = json_generator_new();
        JsonNode *r;
        gchar *lic_b64 = g_base64_encode(lic, lic_size), *out, *fp;
        gsize len;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "license");
        json_builder_add_string_value(b, lic_b64);
        json_builder_set_member_name(b, "kids");
        json_builder_begin_array(b);
        for (i = 0; i < n_kids; i++) {
            char hex[33];

            sdc_hex_encode(grant[i].kid, SECDEC_KID_SIZE, hex);
            json_builder_add_string_value(b, hex);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        r = json_builder_get_root(b);
        json_generator_set_root(g, r);
        out = json_generator_to_data(g, &len);
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, out, len);
        fp = g_compute_checksum_for_data(G_CHECKSUM_SHA256, cert, cert_len);
        srv->n_grants++;
        log_line(msg, "grant cert-sha256=%s kids=%s license=%zu bytes", fp, kidlist->str,
                 lic_size);
        g_free(fp);
        g_free(lic_b64);
        json_node_unref(r);
        g_object_unref(g);
        g_object_unref(b);
    }
out:
    if (grant) {
        memset(grant, 0, sizeof *grant * n_kids);
        g_free(grant);
    }
    secdec_free(lic);
    g_free(cert);
    g_string_free(kidlist, TRUE);
    g_clear_error(&err);
    g_object_unref(parser);
    g_bytes_unref(body);
}

static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer user_data)
{
    Server *srv = user_data;
    const char *method = soup_server_message_get_method(msg);

    if (soup_server_message_get_status(msg) != 0)
        return;   /* answered by the early handler */
    if (strcmp(path, "/license") != 0) {
        reply_error(msg, SOUP_STATUS_NOT_FOUND, "not-found", NULL,
                    "no such resource %s (POST /license)", path);
        return;
    }
    if (strcmp(method, "POST") != 0) {
        reply_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method", NULL,
                    "%s not allowed, use POST", method);
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                     "POST");
        return;
    }
    handle_license(srv, msg);
}

/* Before the body is read: refuse bodies that are too large or of unknown length. */
static void
on_early(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer user_data)
{
    Server *srv = user_data;
    SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
    goffset len;

    if (strcmp(soup_server_message_get_method(msg), "POST") != 0)
        return;
    if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CHUNKED) {
        reply_error(msg, SOUP_STATUS_LENGTH_REQUIRED, "length-required", NULL,
                    "send a Content-Length (chunked bodies are not accepted)");
        return;
    }
    len = soup_message_headers_get_content_length(h);
    if (len > (goffset)srv->max_body)
        reply_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large", NULL,
                    "request body of %" G_GOFFSET_FORMAT " bytes exceeds %" G_GSIZE_FORMAT,
                    len, srv->max_body);
}

/* ---- bounded request time: a client that does not complete its request in time is cut off */

typedef struct {
    SoupServerMessage *msg;   /* not a reference: the deadline lives as object data of msg */
    guint source;
} Deadline;

static void
deadline_free(gpointer p)
{
    Deadline *d = p;

    if (d->source)
        g_source_remove(d->source);
    g_free(d);
}

static gboolean
on_deadline(gpointer p)
{
    Deadline *d = p;
    GSocket *sock = soup_server_message_get_socket(d->msg);

    d->source = 0;
    log_line(d->msg, "request not complete in time: connection closed");
    if (sock)
        g_socket_shutdown(sock, TRUE, TRUE, NULL);
    return G_SOURCE_REMOVE;
}

static void
on_got_request(SoupServerMessage *msg, gpointer user_data)
{
    /* the whole request is in: the handler answers right away */
    g_object_set_data(G_OBJECT(msg), "secdec-deadline", NULL);
}

static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
    Server *srv = user_data;
    Deadline *d = g_new0(Deadline, 1);

    d->msg = msg;
    d->source = g_timeout_add((guint)(srv->request_timeout * 1000), on_deadline, d);
    g_object_set_data_full(G_OBJECT(msg), "secdec-deadline", d, deadline_free);
    g_signal_connect(msg, "got-body", G_CALLBACK(on_got_request), NULL);
    g_signal_connect(msg, "finished", G_CALLBACK(on_got_request), NULL);
    g_signal_connect(msg, "disconnected", G_CALLBACK(on_got_request), NULL);
}

static gboolean
on_signal(gpointer p)
{
    Server *srv = p;

    log_line(NULL, "stopping (%" G_GUINT64_FORMAT " licenses granted)", srv->n_grants);
    g_main_loop_quit(srv->loop);
    return G_SOURCE_REMOVE;
}

static gboolean
read_keys(Server *srv, const char *path)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    char msg[256];

    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "secdec-license-server: %s\n", err->message);
        g_error_free(err);
        return FALSE;
    }
    if (sdc_jwk_parse_keys((const uint8_t *)data, len, &srv->keys, &srv->n_keys, msg, sizeof msg) != 0) {
        fprintf(stderr, "secdec-license-server: %s: %s\n", path, msg);
        memset(data, 0, len);
        g_free(data);
        return FALSE;
    }
    memset(data, 0, len);
    g_free(data);
    return TRUE;
}

int
main(int argc, char **argv)
{
    Server srv = { .max_body = DEFAULT_MAX_BODY, .request_timeout = DEFAULT_REQUEST_TIMEOUT };
    gchar *keys_path = NULL, *address = NULL;
    gint port = 8080;
    gint64 max_body = DEFAULT_MAX_BODY;
    gint fail_first = 0;
    gboolean version = FALSE;
    GOptionEntry entries[] = {
        { "keys", 'k', 0, G_OPTION_ARG_FILENAME, &keys_path,
          "W3C Clear Key JWK set with the content keys (required)", "FILE" },
        { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
          "address to listen on (default 127.0.0.1)", "ADDR" },
        { "port", 'p', 0, G_OPTION_ARG_INT, &port,
          "TCP port (default 8080; 0 picks a free port)", "PORT" },
        { "max-body", 0, 0, G_OPTION_ARG_INT64, &max_body,
          "largest request body accepted, bytes (default 65536); larger: 413", "BYTES" },
        { "request-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &srv.request_timeout,
          "seconds a client has to send its whole request (default 10)", "SECONDS" },
        { "fail-first", 0, 0, G_OPTION_ARG_INT, &fail_first,
          "answer the first N license requests with 503 (to test client retries)", "N" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    GOptionContext *ctx;
    GError *err = NULL;
    SoupServer *server;
    GInetAddress *ia;
    GSocketAddress *sa;
    GSList *uris;
    int rc = 0;

    setlocale(LC_ALL, "");
    ctx = g_option_context_new("--keys FILE - secdec license server");
    g_option_context_set_summary(ctx,
        "Answers POST /license {\"certificate\": \"<base64 DER>\", \"kids\": [\"<KID>\", ...]} with\n"
        "{\"license\": \"<base64 secdec license>\"} bound to that certificate, for the keys of\n"
        "a W3C Clear Key JWK set. Errors are JSON {\"error\", \"reason\"[, \"kid\"]}: 400 malformed\n"
        "request or certificate, 403 unknown KID, 404, 405, 411, 413 body too large, 503.\n"
        "Prints \"listening on http://ADDR:PORT/\" on standard output; logs to standard error.");
    g_option_context_set_description(ctx,
        "Exit status: 0 stopped by SIGINT/SIGTERM, 1 cannot start (keys, address), 2 usage.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "secdec-license-server: %s (try --help)\n", err->message);
        g_error_free(err);
        g_option_context_free(ctx);
        return 2;
    }
    g_option_context_free(ctx);
    if (version) {
        printf("secdec-license-server %s (libsecdec %s, libsoup %u.%u.%u)\n", SECDEC_PROJECT_VERSION,
               secdec_version(), soup_get_major_version(), soup_get_minor_version(),
               soup_get_micro_version());
        return 0;
    }
    if (!keys_path || argc != 1 || port < 0 || port > 65535 || max_body < 1 ||
        max_body > 64 * 1024 * 1024 || fail_first < 0 || !(srv.request_timeout > 0) ||
        srv.request_timeout > 3600) {
        fprintf(stderr, "secdec-license-server: %s (try --help)\n",
                !keys_path ? "--keys FILE is required" : "bad argument");
        return 2;
    }
    srv.max_body = (gsize)max_body;
    srv.fail_first = (guint)fail_first;
    if (!read_keys(&srv, keys_path))
        return 1;

    ia = g_inet_address_new_from_string(address ? address : "127.0.0.1");
    if (!ia) {
        fprintf(stderr, "secdec-license-server: not an IP address: %s\n", address);
        return 1;
    }
    server = soup_server_new("server-header", "secdec-license-server ", NULL);
    soup_server_add_early_handler(server, NULL, on_early, &srv, NULL);
    soup_server_add_handler(server, NULL, on_request, &srv, NULL);
    g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), &srv);
    sa = g_inet_socket_address_new(ia, (guint16)port);
    if (!soup_server_listen(server, sa, 0, &err)) {
        fprintf(stderr, "secdec-license-server: cannot listen on %s port %d: %s\n",
                address ? address : "127.0.0.1", port, err->message);
        g_error_free(err);
        rc = 1;
        goto done;
    }
    uris = soup_server_get_uris(server);
    for (GSList *l = uris; l; l = l->next) {
        gchar *s = g_uri_to_string(l->data);

        printf("listening on %s\n", s);
        g_free(s);
    }
    fflush(stdout);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    log_line(NULL, "serving %zu content key(s) from %s", srv.n_keys, keys_path);

    srv.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGINT, on_signal, &srv);
    g_unix_signal_add(SIGTERM, on_signal, &srv);
    g_main_loop_run(srv.loop);
    g_main_loop_unref(srv.loop);
done:
    g_object_unref(sa);
    g_object_unref(ia);
    soup_server_disconnect(server);
    g_object_unref(server);
    memset(srv.keys, 0, sizeof *srv.keys * srv.n_keys);
    free(srv.keys);
    g_free(keys_path);
    g_free(address);
    return rc;
}
