/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the Clear Key JWK set reader. */
#include <stdint.h>

#include "jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pack_jwk_key keys[2];
  char err[128];
  pack_jwk_parse((const char *)data, size, keys, 2, err, sizeof(err));
  return 0;
}
