/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jwk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tiny recursive-descent JSON reader: just enough to walk a JWK set. */
typedef struct jr {
  const char *p, *end;
  int depth;
} jr;

static void ws(jr *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static int lit(jr *r, char c) {
  ws(r);
  if (r->p < r->end && *r->p == c) {
    r->p++;
    return 1;
  }
  return 0;
}

/* Reads a string; stores up to cap-1 bytes (escapes other than \" \\ \/ are
 * kept verbatim, enough for base64url and key names). -1 on syntax error. */
static int str(jr *r, char *out, size_t cap) {
  if (!lit(r, '"'))
    return -1;
  size_t n = 0;
  while (r->p < r->end && *r->p != '"') {
    char c = *r->p++;
    if ((unsigned char)c < 0x20)
      return -1;
    if (c == '\\') {
      if (r->p >= r->end)
        return -1;
      c = *r->p++;
      if (c != '"' && c != '\\' && c != '/')
        c = '?';
    }
    if (out && n + 1 < cap)
      out[n++] = c;
  }
  if (r->p >= r->end)
    return -1;
  r->p++;
  if (out && cap)
    out[n] = 0;
  return 0;
}

static int skip_value(jr *r) {
  ws(r);
  if (r->p >= r->end || ++r->depth > 32)
    return -1;
  int rc = 0;
  char c = *r->p;
  if (c == '"') {
    rc = str(r, NULL, 0);
  } else if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    r->p++;
    if (!lit(r, close)) {
      do {
        if (c == '{' && (str(r, NULL, 0) < 0 || !lit(r, ':'))) {
          rc = -1;
          break;
        }
        if (skip_value(r) < 0) {
          rc = -1;
          break;
        }
      } while (lit(r, ','));
      if (rc == 0 && !lit(r, close))
        rc = -1;
    }
  } else {
    const char *s = r->p;
    while (r->p < r->end && strchr("+-.0123456789eEtruefalsn", *r->p))
      r->p++;
    rc = r->p == s ? -1 : 0;
  }
  r->depth--;
  return rc;
}

static int b64url16(const char *s, uint8_t out[16]) {
  uint32_t acc = 0;
  int bits = 0, n = 0;
  for (; *s && *s != '='; s++) {
    int v;
    char c = *s;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-' || c == '+') v = 62;
    else if (c == '_' || c == '/') v = 63;
    else return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n >= 16)
        return -1;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return n == 16 ? 0 : -1;
}

static void seterr(char *err, size_t errlen, const char *msg) {
  if (err && errlen)
    snprintf(err, errlen, "%s", msg);
}

int pack_jwk_parse(const char *text, size_t len, pack_jwk_key *keys, int max, char *err,
                   size_t errlen) {
  jr r = {text, text + len, 0};
  int nkeys = 0, found = 0;
  char name[32], kid[64], k[64], kty[16];
  if (!lit(&r, '{'))
    goto syntax;
  if (!lit(&r, '}')) {
    do {
      if (str(&r, name, sizeof(name)) < 0 || !lit(&r, ':'))
        goto syntax;
      if (strcmp(name, "keys")) {
        if (skip_value(&r) < 0)
          goto syntax;
        continue;
      }
      found = 1;
      if (!lit(&r, '['))
        goto syntax;
      if (lit(&r, ']'))
        continue;
      do {
        kid[0] = k[0] = kty[0] = 0;
        if (!lit(&r, '{'))
          goto syntax;
        if (!lit(&r, '}')) {
          do {
            if (str(&r, name, sizeof(name)) < 0 || !lit(&r, ':'))
              goto syntax;
            char *dst = !strcmp(name, "kid") ? kid : !strcmp(name, "k") ? k
                        : !strcmp(name, "kty") ? kty : NULL;
            size_t cap = dst == kty ? sizeof(kty) : sizeof(kid);
            ws(&r);
            if (dst ? str(&r, dst, cap) < 0 : skip_value(&r) < 0)
              goto syntax;
          } while (lit(&r, ','));
          if (!lit(&r, '}'))
            goto syntax;
        }
        if (kty[0] && strcmp(kty, "oct")) {
          seterr(err, errlen, "key with kty other than \"oct\"");
          return -1;
        }
        if (nkeys < max) {
          if (b64url16(kid, keys[nkeys].kid) < 0 || b64url16(k, keys[nkeys].key) < 0) {
            seterr(err, errlen, "kid and k must be base64url encodings of 16 bytes");
            return -1;
          }
          nkeys++;
        }
      } while (lit(&r, ','));
      if (!lit(&r, ']'))
        goto syntax;
    } while (lit(&r, ','));
    if (!lit(&r, '}'))
      goto syntax;
  }
  ws(&r);
  if (r.p != r.end)
    goto syntax;
  if (!found || !nkeys) {
    seterr(err, errlen, "no keys in the JWK set");
    return -1;
  }
  return nkeys;
syntax:
  seterr(err, errlen, "malformed JSON in the JWK set");
  return -1;
}

int pack_jwk_load(const char *path, pack_jwk_key *keys, int max, char *err, size_t errlen) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    if (err && errlen)
      snprintf(err, errlen, "cannot open: %s", strerror(errno));
    return -1;
  }
  char buf[65536];
  size_t n = fread(buf, 1, sizeof(buf), fp);
  int toobig = n == sizeof(buf) && fgetc(fp) != EOF;
  int ioerr = ferror(fp);
  fclose(fp);
  if (ioerr || toobig) {
    seterr(err, errlen, toobig ? "file too large for a JWK set" : "read error");
    return -1;
  }
  if (memchr(buf, 0, n)) {
    seterr(err, errlen, "not a text file");
    return -1;
  }
  return pack_jwk_parse(buf, n, keys, max, err, errlen);
}
