/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cencrypt.h"

#include <openssl/evp.h>

const char *pack_scheme_fourcc(pack_scheme s) {
  switch (s) {
  case PACK_SCHEME_CENC: return "cenc";
  case PACK_SCHEME_CBCS: return "cbcs";
  case PACK_SCHEME_CENS: return "cens";
  case PACK_SCHEME_CBC1: return "cbc1";
  }
  return "????";
}

static int crypt_run(EVP_CIPHER_CTX *ctx, uint8_t *p, size_t n) {
  while (n) {
    int chunk = n > (1u << 30) ? (1 << 30) : (int)n, outl = 0;
    if (!EVP_EncryptUpdate(ctx, p, &outl, p, chunk) || outl != chunk)
      return -1;
    p += chunk;
    n -= (size_t)chunk;
  }
  return 0;
}

/* Encrypts one protected range, applying the crypt:skip pattern if any. The
 * cipher state (CTR keystream position or CBC chaining value) carries on. */
static int crypt_range(EVP_CIPHER_CTX *ctx, uint8_t *p, size_t n, unsigned crypt, unsigned skip) {
  if (!crypt && !skip)
    return crypt_run(ctx, p, n);
  size_t cb = 16u * crypt, sb = 16u * skip;
  while (n >= cb && cb) {
    if (crypt_run(ctx, p, cb) < 0)
      return -1;
    p += cb;
    n -= cb;
    size_t s = n < sb ? n : sb;
    p += s;
    n -= s;
  }
  return 0; /* a trailing partial pattern block stays clear */
}

int pack_encrypt_sample(pack_scheme scheme, const uint8_t key[16], const uint8_t iv[16],
                        unsigned crypt, unsigned skip, uint8_t *data, size_t size,
                        const pack_subsample *subs, size_t nsubs) {
  size_t total = 0;
  for (size_t i = 0; i < nsubs; i++)
    total += (size_t)subs[i].clear + subs[i].enc;
  if (total != size)
    return -1;
  int ctr = scheme == PACK_SCHEME_CENC || scheme == PACK_SCHEME_CENS;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx)
    return -1;
  int rc = -1;
  if (!EVP_EncryptInit_ex(ctx, ctr ? EVP_aes_128_ctr() : EVP_aes_128_cbc(), NULL, key, iv))
    goto out;
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  uint8_t *p = data;
  for (size_t i = 0; i < nsubs; i++) {
    p += subs[i].clear;
    if (subs[i].enc) {
      if (scheme == PACK_SCHEME_CBC1 && subs[i].enc % 16)
        goto out; /* cbcs: a trailing partial block stays clear */
      /* cbcs restarts the chain with the IV at every subsample */
      if (scheme == PACK_SCHEME_CBCS && !EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv))
        goto out;
      if (crypt_range(ctx, p, subs[i].enc, crypt, skip) < 0)
        goto out;
    }
    p += subs[i].enc;
  }
  rc = 0;
out:
  EVP_CIPHER_CTX_free(ctx);
  return rc;
}
