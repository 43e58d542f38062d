/*
 * tool_common.h - helpers shared by the secdec command-line tools.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TOOL_COMMON_H
#define SECDEC_TOOL_COMMON_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <secdec/license.h>
#include <secdec/secdec.h>

/* Hex and JWK parsing come from common/ (sdc_hex_encode(), sdc_hex_decode(), sdc_jwk_parse_keys()). */
#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

/* Exit codes shared by every tool (documented in --help and the man pages). */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAILURE 1
#define TOOL_EXIT_USAGE 2

/* Largest file the tools read (certificate chains, licenses, JWK sets). */
#define TOOL_MAX_FILE_SIZE (4u * 1024u * 1024u)

/** Sets the program name used as the prefix of every message. */
void tool_set_progname(const char *name);
const char *tool_progname(void);

/** "prog: message\n" on stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** "prog: what: <description> (<NAME>, 0x<HRESULT>)\n" on stderr. */
void tool_status_error(const char *what, SecdecStatus status);

/** Formats "<description> (<NAME>, 0x<HRESULT>)" into buf. Returns buf. */
char *tool_status_format(SecdecStatus status, char *buf, size_t size);

/** A usage error: "prog: message" plus a hint to --help, on stderr. Returns TOOL_EXIT_USAGE. */
int tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints "prog (secdec) <version>" and the library version. */
void tool_print_version(void);

/** Formats 16 bytes as a UUID string "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (37 bytes). */
void tool_uuid(const uint8_t in[16], char out[37]);

/** Formats 32 bytes as colon-separated upper-case hex (96 bytes). */
void tool_fingerprint(const uint8_t fp[32], char out[96]);

/**
 * Reads a whole file ("-" reads standard input), at most TOOL_MAX_FILE_SIZE bytes.
 * On failure prints an error naming the file and returns -1.
 */
int tool_read_file(const char *path, uint8_t **data, size_t *size);

/**
 * Writes a file atomically (temporary file in the same directory, then rename) with the given
 * mode; "-" writes to standard output. On failure prints an error and returns -1.
 */
int tool_write_file(const char *path, const uint8_t *data, size_t size, unsigned mode);

/** Common device options. */
typedef struct ToolDeviceOptions {
    const char *home;          /* --home, or NULL */
    bool allow_unlocked;       /* --allow-unlocked-memory */
    bool no_provision;         /* --no-provision */
    int verbose;               /* -v count */
} ToolDeviceOptions;

/** getopt_long values of the device options; a tool's own long-only options start at
 *  TOOL_OPT_TOOL. */
enum {
    TOOL_OPT_HOME = 0x100,
    TOOL_OPT_ALLOW_UNLOCKED,
    TOOL_OPT_NO_PROVISION,
    TOOL_OPT_TOOL,
};

/** The struct option entries every tool takes: --help (-h), --version (-V), --verbose (-v),
 *  --home DIR, --allow-unlocked-memory, --no-provision. */
#define TOOL_COMMON_LONGOPTS                                                                  \
    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},                    \
        {"verbose", no_argument, NULL, 'v'}, {"home", required_argument, NULL, TOOL_OPT_HOME}, \
        {"allow-unlocked-memory", no_argument, NULL, TOOL_OPT_ALLOW_UNLOCKED},                \
        {"no-provision", no_argument, NULL, TOOL_OPT_NO_PROVISION}

/** tool_common_option(): the option was taken, go on parsing. */
#define TOOL_OPTION_NEXT (-1)

/**
 * The cases every tool's getopt_long() loop (optstring starting with ':' or "+:") shares: call
 * it for each option the tool does not handle itself. Takes -h (prints help), -V, -v and the
 * device options into dev, and reports a missing argument (':') or an unknown option.
 * Returns TOOL_OPTION_NEXT, or the exit code to stop with: TOOL_EXIT_OK after --help or
 * --version, TOOL_EXIT_USAGE after a usage error (message printed).
 */
int tool_common_option(int c, char **argv, const char *help, ToolDeviceOptions *dev);

/** Opens the device; on failure prints "prog: cannot open device: ..." and returns the status. */
SecdecStatus tool_open_device(const ToolDeviceOptions *opts, SecdecDevice **out);

/** "dir/name", malloc'ed (NULL when out of memory). */
char *tool_path_join(const char *dir, const char *name);

/** The home directory the library would use ($SECDEC_HOME, $XDG_DATA_HOME/secdec,
 *  $HOME/.local/share/secdec), or `override` if not NULL. Caller frees. NULL if unknown. */
char *tool_resolve_home(const char *override);

/**
 * Loads a certificate chain file, DER or PEM (one or more "CERTIFICATE" blocks), and returns
 * the DER chain (certificates concatenated, in file order). Prints an error and returns -1
 * when the file is unreadable or holds no certificate. Free *der with free().
 */
int tool_load_certificate_chain(const char *path, uint8_t **der, size_t *size);

/** Callback for tool_foreach_certificate(): one parsed certificate of a DER chain. */
typedef void (*ToolCertFn)(void *cookie, unsigned index, const uint8_t *der, size_t size,
                           const char *subject, const char *issuer, const uint8_t fp[32]);

/** Parses a DER chain with d2i_X509, calling fn for each certificate. Returns the number of
 *  certificates, or -1 when the chain does not parse completely. */
int tool_foreach_certificate(const uint8_t *der, size_t size, ToolCertFn fn, void *cookie);

/** Name of an OAEP hash ("sha512", ...). */
const char *tool_oaep_name(SecdecOaepHash hash);

/** Parses "sha512" / "sha256" / "sha1" (also "sha-512" etc.). Returns 0 or -1. */
int tool_parse_oaep(const char *s, SecdecOaepHash *hash);

/** Is standard output a terminal (for refusing to dump binary data there)? */
bool tool_stdout_is_tty(void);

#endif /* SECDEC_TOOL_COMMON_H */
