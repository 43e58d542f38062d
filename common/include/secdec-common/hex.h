/*
 * secdec-common/hex.h - hexadecimal KIDs and keys as users type them: "KID:KEY" pairs on
 * command lines and element properties, KIDs in UUID form, KIDs in license-server requests.
 *
 * Part of libsecdec-common, the small static library below every front-end and tool (see
 * common/README.md). Thread-safety: every function is reentrant (no global state). Nothing
 * here allocates.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_COMMON_HEX_H
#define SECDEC_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Lower-case hex of n bytes into out, which must hold 2n+1 bytes (NUL-terminated). */
void sdc_hex_encode(const uint8_t *in, size_t n, char *out);

/**
 * Parses exactly n bytes from the first len characters of s (upper or lower case hex).
 * With allow_dashes, single dashes between two bytes are skipped and one pair of surrounding
 * braces is accepted (the UUID forms "01234567-89ab-..." and "{...}").
 *
 * Returns 0 when s holds exactly n bytes, -1 otherwise (bad digit, odd digit count, too few
 * or too many bytes, misplaced dash). out may be partly written on failure.
 */
int sdc_hex_decode(const char *s, size_t len, uint8_t *out, size_t n, bool allow_dashes);

/**
 * Parses a 16-byte KID given as 32 hex digits (UUID dashes/braces allowed) or as 22 characters
 * of base64url without padding (the W3C Clear Key form). Returns 0, or -1 when s is neither.
 */
int sdc_kid_parse(const char *s, uint8_t kid[16]);

/**
 * Parses "KID:KEY", each 32 hex digits (the KID may carry UUID dashes), from the first len
 * characters of s. Returns 0, or -1 when the text is not of that form; on failure neither
 * output holds key material (key is wiped).
 */
int sdc_parse_kid_key(const char *s, size_t len, uint8_t kid[16], uint8_t key[16]);

#endif /* SECDEC_COMMON_HEX_H */
