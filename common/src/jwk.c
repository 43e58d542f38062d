/*
 * jwk.c - W3C Clear Key JSON Web Key sets (content keys) and base64url (RFC 4648 section 5).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <secdec-common/jwk.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

static int b64url_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long sdc_base64url_decode(const char *s, uint8_t *out, size_t max)
{
    size_t len = strlen(s);
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= max)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Canonical encoding: the leftover (2 or 4) bits must be zero. */
    if (acc != 0)
        return -1;
    return (long)o;
}

void sdc_base64url_encode(const uint8_t *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

static void set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

/* Reads a 16-byte base64url member; returns 0 or -1 with err set. */
static int get_b64_16(JsonObject *obj, const char *member, guint index, uint8_t out[16],
                      char *err, size_t err_size)
{
    JsonNode *node = json_object_get_member(obj, member);
    const char *s;
    uint8_t buf[64];
    long n;

    if (!node) {
        set_err(err, err_size, "keys[%u]: missing \"%s\"", index, member);
        return -1;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        set_err(err, err_size, "keys[%u]: \"%s\" is not a string", index, member);
        return -1;
    }
    s = json_node_get_string(node);
    if (strchr(s, '=')) {
        set_err(err, err_size,
                "keys[%u]: \"%s\" has '=' padding (JWK uses base64url without padding)", index,
                member);
        return -1;
    }
    n = sdc_base64url_decode(s, buf, sizeof buf);
    if (n < 0) {
        set_err(err, err_size, "keys[%u]: \"%s\" is not valid base64url (RFC 4648 section 5)",
                index, member);
        OPENSSL_cleanse(buf, sizeof buf);
        return -1;
    }
    if (n != 16) {
        set_err(err, err_size, "keys[%u]: \"%s\" decodes to %ld bytes, expected 16", index,
                member, n);
        OPENSSL_cleanse(buf, sizeof buf);
        return -1;
    }
    memcpy(out, buf, 16);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

int sdc_jwk_parse_keys(const uint8_t *json, size_t size, SecdecContentKey **keys, size_t *n_keys,
                   char *err, size_t err_size)
{
    JsonParser *parser = NULL;
    GError *gerr = NULL;
    JsonNode *root;
    JsonObject *top;
    JsonNode *keys_node;
    JsonArray *arr;
    guint n = 0;
    SecdecContentKey *out = NULL;
    int ret = -1;

    if (size > G_MAXSSIZE) {
        set_err(err, err_size, "JWK set too large");
        return -1;
    }
    if (memchr(json, '\0', size)) {
        set_err(err, err_size, "not a JSON text (contains NUL bytes)");
        return -1;
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, (const gchar *)json, (gssize)size, &gerr)) {
        set_err(err, err_size, "invalid JSON: %s", gerr ? gerr->message : "parse error");
        g_clear_error(&gerr);
        goto out;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        set_err(err, err_size, "not a JWK set: the top level must be a JSON object");
        goto out;
    }
    top = json_node_get_object(root);
    keys_node = json_object_get_member(top, "keys");
    if (!keys_node) {
        set_err(err, err_size, "not a JWK set: no \"keys\" member");
        goto out;
    }
    if (!JSON_NODE_HOLDS_ARRAY(keys_node)) {
        set_err(err, err_size, "not a JWK set: \"keys\" is not an array");
        goto out;
    }
    arr = json_node_get_array(keys_node);
    n = json_array_get_length(arr);
    if (n == 0) {
        set_err(err, err_size, "the JWK set has no keys");
        goto out;
    }
    if (n > SECDEC_LICENSE_MAX_KEYS || *n_keys + n > SECDEC_LICENSE_MAX_KEYS) {
        set_err(err, err_size, "too many keys (a license holds at most %d)",
                SECDEC_LICENSE_MAX_KEYS);
        goto out;
    }
    out = calloc(*n_keys + n, sizeof *out);
    if (!out) {
        set_err(err, err_size, "out of memory");
        goto out;
    }
    if (*n_keys)
        memcpy(out, *keys, *n_keys * sizeof *out);

    for (guint i = 0; i < n; i++) {
        JsonNode *kn = json_array_get_element(arr, i);
        JsonObject *ko;
        JsonNode *kty;
        SecdecContentKey *k = &out[*n_keys + i];

        if (!JSON_NODE_HOLDS_OBJECT(kn)) {
            set_err(err, err_size, "keys[%u] is not a JSON object", i);
            goto out;
        }
        ko = json_node_get_object(kn);
        kty = json_object_get_member(ko, "kty");
        if (!kty) {
            set_err(err, err_size, "keys[%u]: missing \"kty\" (must be \"oct\")", i);
            goto out;
        }
        if (!JSON_NODE_HOLDS_VALUE(kty) || json_node_get_value_type(kty) != G_TYPE_STRING ||
            strcmp(json_node_get_string(kty), "oct") != 0) {
            set_err(err, err_size, "keys[%u]: \"kty\" must be \"oct\" (a symmetric key)", i);
            goto out;
        }
        if (get_b64_16(ko, "kid", i, k->kid, err, err_size) != 0 ||
            get_b64_16(ko, "k", i, k->key, err, err_size) != 0)
            goto out;
        for (size_t j = 0; j < *n_keys + i; j++) {
            if (memcmp(out[j].kid, k->kid, SECDEC_KID_SIZE) == 0) {
                set_err(err, err_size, "keys[%u]: duplicate \"kid\"", i);
                goto out;
            }
        }
    }

    if (*keys) {
        OPENSSL_cleanse(*keys, *n_keys * sizeof **keys);
        free(*keys);
    }
    *keys = out;
    *n_keys += n;
    out = NULL;
    ret = 0;

out:
    if (out) {
        OPENSSL_cleanse(out, (*n_keys + n) * sizeof *out);
        free(out);
    }
    if (parser)
        g_object_unref(parser);
    return ret;
}
