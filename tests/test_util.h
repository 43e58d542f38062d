/*
 * test_util.h - shared helpers for the libsecdec tests (Check). Three files implement it:
 * test_util.c (public API, files, logging, devices, sessions, running a suite),
 * test_util_crypto.c (OpenSSL only: no libsecdec needed) and test_util_internal.c (looks into
 * libsecdec's session internals: only with the internal library).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TEST_UTIL_H
#define SECDEC_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>
#include <openssl/evp.h>

#include "secdec/license.h"
#include "secdec/secdec.h"

/* Asserts that a SecdecStatus expression equals the expected one, printing both names. */
#define ck_assert_status(expr, expected)                                                    \
    do {                                                                                     \
        SecdecStatus tu_got_ = (expr);                                                       \
        SecdecStatus tu_want_ = (expected);                                                  \
        ck_assert_msg(tu_got_ == tu_want_, "%s: got %s (%d), expected %s (%d)", #expr,       \
                      secdec_status_name(tu_got_), (int)tu_got_, secdec_status_name(tu_want_), \
                      (int)tu_want_);                                                        \
    } while (0)

#define ck_assert_ok(expr) ck_assert_status((expr), SECDEC_OK)

/* ---- temporary homes ---------------------------------------------------------------------- */

/** Creates a fresh directory "$SECDEC_TEST_TMP/secdec-test-XXXXXX" (mkdtemp, mode 0700) and
 *  returns its path (malloc'ed). SECDEC_TEST_TMP falls back to $TMPDIR, then /tmp.
 *  Usable outside tests too (aborts on failure instead of ck_assert). */
char *tu_make_tmpdir(void);

/** Removes a directory tree (best effort) and frees path. NULL is a no-op. */
void tu_rmtree_free(char *path);

/** Joins dir and name into a malloc'ed path (usable outside tests). */
char *tu_path(const char *dir, const char *name);

/* ---- files (ck_assert on failure) --------------------------------------------------------- */

/** The whole content of a file (malloc'ed), its size in *size. */
uint8_t *tu_read_file(const char *path, size_t *size);

/** Creates or truncates path with the given content and mode (fchmod: the umask does not
 *  apply). */
void tu_write_file(const char *path, const void *data, size_t size, mode_t mode);

/** Copies a file's content into another file of the given mode. */
void tu_copy_file(const char *from, const char *to, mode_t mode);

/** Copies the identity (device.key 0600, device.crt 0644) of home src into a new temporary
 *  home (tu_make_tmpdir) and returns its path: a fresh home without a key generation. */
char *tu_clone_home(const char *src);

/** 1 if the file holds exactly data (size bytes), else 0. */
int tu_file_equals(const char *path, const uint8_t *data, size_t size);

/** 1 if something (also a dangling symlink) is at path, else 0. */
int tu_file_exists(const char *path);

/* ---- logging ------------------------------------------------------------------------------ */

/** A logger that records messages (for tests that check details go to the logger) instead of
 *  printing them. Messages are appended, separated by '\n', up to a fixed size. */
typedef struct TuLog {
    char text[8192];
    size_t len;
    int count;
} TuLog;

void tu_log_cb(void *cookie, SecdecLogLevel level, const char *message);

/* ---- devices and sessions ----------------------------------------------------------------- */

/** Default test settings: software backend, home_dir = home, provisioning on, unlocked memory
 *  allowed (CI may have a low RLIMIT_MEMLOCK), messages captured in log (may be NULL:
 *  discarded). */
void tu_settings(SecdecDeviceSettings *st, const char *home, TuLog *log);

/** Opens a device with tu_settings() and asserts success. */
SecdecDevice *tu_open_device(const char *home);

/** Creates an AES128_CTR / no-profile / RSAES_OAEP session and asserts success. */
SecdecCryptoSession *tu_create_session(SecdecDevice *dev);

/** GetCertificateSize + GetCertificate; returns malloc'ed DER chain, asserts success. */
uint8_t *tu_get_certificate(SecdecDevice *dev, SecdecCryptoSession *s, size_t *size);

/** Builds a key-exchange blob for key with the session's certificate (asserts success). */
void tu_make_blob(SecdecDevice *dev, SecdecCryptoSession *s, const EVP_MD *md,
                  const uint8_t *key, size_t key_len, uint8_t blob[256]);

/** Random session key + blob + NegotiateCryptoSessionKeyExchange (SHA-512); asserts success
 *  and returns the clear key in key (may be NULL). */
void tu_negotiate(SecdecDevice *dev, SecdecCryptoSession *s, uint8_t key[16]);

/* ---- processes and suites ----------------------------------------------------------------- */

/** Runs fn(arg) in a fork()ed child and returns its exit status (or 128+signal). */
int tu_run_in_child(int (*fn)(void *), void *arg);

/** For main(), before the suite runs: provisions two different identities, *home1 and *home2
 *  (malloc'ed), below a new temporary directory *tmp (tu_rmtree_free it at the end). Each
 *  Check test runs in its own fork, so provisioning once saves an RSA key generation per
 *  test. Returns 0, or -1 with a message on stderr. */
int tu_provision_two_homes(char **tmp, char **home1, char **home2);

/** Runs all tests of the suite (CK_NORMAL), frees the runner and returns how many failed. */
int tu_run_suite(Suite *su);

/* ---- crypto (test_util_crypto.c: OpenSSL and Check only) ---------------------------------- */

/** The RSA public key of the first certificate of a DER chain (caller frees). */
EVP_PKEY *tu_cert_pubkey(const uint8_t *der, size_t size);

/** RSAES-OAEP-encrypts msg (msg_len bytes) to the RSA-2048 key pk with md as hash and MGF1 hash
 *  and an empty label; out must hold 256 bytes. Returns 0 on success, -1 on any failure
 *  (also pk NULL or a result that is not 256 bytes). */
int tu_oaep_encrypt_pkey(EVP_PKEY *pk, const EVP_MD *md, const uint8_t *msg, size_t msg_len,
                         uint8_t out[256]);

/** tu_oaep_encrypt_pkey() to the key of the first certificate of a DER chain. */
int tu_oaep_encrypt(const uint8_t *cert_der, size_t cert_size, const EVP_MD *md,
                    const uint8_t *msg, size_t msg_len, uint8_t out[256]);

/** AES-128-ECB-encrypts one 16-byte block: out = E_wrap_key(in) (a wrapped content key). */
void tu_aes_ecb_encrypt(const uint8_t wrap_key[16], const uint8_t in[16], uint8_t out[16]);

/** Fills buf with random bytes (asserts success). */
void tu_random(void *buf, size_t n);

/** A KID whose 16 bytes are all `b` (handy, readable test KIDs). */
void tu_kid(uint8_t kid[16], uint8_t b);

/* ---- session internals (test_util_internal.c: the internal library only) ------------------ */

/** Returns 1 if the session currently uses the clear key `key` as its session key: compares
 *  sd_session_mac() with sd_mac_with_key() on a fixed message. */
int tu_session_key_is(SecdecCryptoSession *s, const uint8_t key[16]);

/** The content key installed for kid, read from the session's key table (internal layout,
 *  session.h): returns the SdKeyKind (0 = none, 1 = content key copied to key, 2 = session
 *  key, 3 = clear). key may be NULL. */
int tu_content_key(SecdecCryptoSession *s, const uint8_t kid[16], uint8_t key[16]);

#endif /* SECDEC_TEST_UTIL_H */
