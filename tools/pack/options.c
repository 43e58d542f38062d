/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* options.c - secdec-pack's command line: the --help text, option parsing, the keys from
 * --kid/--key or a --jwk Clear Key set, and the checks between options (scheme, IV size,
 * rotation). See README.md for the options. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>

#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

#include "pack.h"

static void usage(FILE *f) {
  fputs(
      "Usage: secdec-pack [OPTIONS] -i IN.mp4 -o OUT.mp4 --kid HEX32 --key HEX32\n"
      "\n"
      "Encrypts the H.264 or HEVC video track of a clear MP4 (fragmented or not) with\n"
      "ISO/IEC 23001-7 Common Encryption and writes a fragmented MP4 (ftyp, moov with an\n"
      "'encv' sample entry, sidx, moof/mdat pairs; every traf carries tfhd, tfdt, trun,\n"
      "saiz, saio and senc). Length prefixes, NAL headers, whole slice headers and\n"
      "non-VCL NAL units stay clear; only whole 16-byte blocks of slice data are\n"
      "encrypted.\n"
      "\n"
      "Options:\n"
      "  -i, --input FILE          clear input MP4 (first H.264/HEVC video track)\n"
      "  -o, --output FILE         output MP4 (must be seekable: a regular file)\n"
      "  -s, --scheme NAME         cenc | cbcs | cens | cbc1 (default cbcs)\n"
      "                            cbcs and cens use the 1:9 crypt:skip pattern\n"
      "      --kid HEX32           key ID (16 bytes in hex; dashes allowed)\n"
      "      --key HEX32           AES-128 content key\n"
      "      --jwk FILE            read kid/key (and kid2/key2) from a W3C Clear Key\n"
      "                            JWK set ({\"keys\":[{\"kty\":\"oct\",\"kid\":..,\"k\":..}]})\n"
      "      --iv-size 8|16        per-sample IV size (cenc/cens/cbc1; default 8;\n"
      "                            cbcs always uses 16)\n"
      "      --constant-iv HEX32   cbcs only: one constant IV stored in tenc, no\n"
      "                            per-sample IVs in senc\n"
      "      --fragment-duration S target fragment duration in seconds (default 2);\n"
      "                            fragments always start at keyframes\n"
      "      --clear-lead S        leave the first S seconds clear (rounded up to the\n"
      "                            next keyframe; whole fragments, marked with a 'seig'\n"
      "                            sample group with isProtected=0)\n"
      "      --kid2 HEX32 --key2 HEX32 --rotate-at S\n"
      "                            key rotation: fragments starting at or after S\n"
      "                            seconds use KID2/KEY2 ('seig' sample groups)\n"
      "      --pssh MODE           none | secdec | common | both (default both):\n"
      "                            version-1 pssh boxes at the end of moov\n"
      "      --seed N              derive IVs deterministically from N (for tests);\n"
      "                            default: random IVs from OpenSSL\n"
      "      --encrypt-slice-headers\n"
      "                            testing only: encrypt the slice headers too (only\n"
      "                            length prefixes and NAL headers stay clear, like\n"
      "                            FFmpeg's CENC muxer); hardware decoders cannot\n"
      "                            decode such content\n"
      "  -v, --verbose             print the fragment plan\n"
      "  -h, --help                show this help\n"
      "\n"
      "Exit status: 0 on success, 1 on any error (bad options, malformed input, I/O).\n",
      f);
}

static int parse_seconds(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e7)
    return -1;
  *out = v;
  return 0;
}

typedef struct name_value {
  const char *name;
  int value;
} name_value;

static const name_value schemes[] = {{"cenc", PACK_SCHEME_CENC}, {"cbcs", PACK_SCHEME_CBCS},
                                     {"cens", PACK_SCHEME_CENS}, {"cbc1", PACK_SCHEME_CBC1},
                                     {NULL, 0}};
static const name_value pssh_modes[] = {{"none", PSSH_NONE}, {"secdec", PSSH_SECDEC},
                                        {"common", PSSH_COMMON}, {"both", PSSH_BOTH},
                                        {NULL, 0}};

/* The value of name in table t (ends with a NULL name); -1 when it is not there. */
static int parse_choice(const char *name, const name_value *t, int *out) {
  for (; t->name; t++)
    if (!strcmp(name, t->name)) {
      *out = t->value;
      return 0;
    }
  return -1;
}

/* --jwk: the first key is KID/KEY and a second one KID2/KEY2, unless given on the command
 * line. */
static int load_jwk(options *o) {
  SecdecContentKey *keys = NULL;
  size_t n = 0;
  char err[256];
  gchar *text = NULL;
  gsize len = 0;
  GError *gerr = NULL;
  if (!g_file_get_contents(o->jwk, &text, &len, &gerr)) {
    die_msg("%s: %s", o->jwk, gerr->message);
    g_error_free(gerr);
    return -1;
  }
  int r = sdc_jwk_parse_keys((const uint8_t *)text, len, &keys, &n, err, sizeof(err));
  g_free(text);
  if (r < 0) {
    die_msg("%s: %s", o->jwk, err);
    return -1;
  }
  if (!o->have_kid && !o->have_key) {
    memcpy(o->kid, keys[0].kid, 16);
    memcpy(o->key, keys[0].key, 16);
    o->have_kid = o->have_key = 1;
  }
  if (n > 1 && !o->have_kid2 && !o->have_key2) {
    memcpy(o->kid2, keys[1].kid, 16);
    memcpy(o->key2, keys[1].key, 16);
    o->have_kid2 = o->have_key2 = 1;
  }
  OPENSSL_cleanse(keys, n * sizeof(*keys));
  free(keys);
  return 0;
}

enum {
  OPT_KID = 256, OPT_KEY, OPT_KID2, OPT_KEY2, OPT_ROTATE, OPT_IVSIZE, OPT_CIV, OPT_FRAG,
  OPT_LEAD, OPT_PSSH, OPT_SEED, OPT_JWK, OPT_ENCHDR
};

int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"input", required_argument, NULL, 'i'},      {"output", required_argument, NULL, 'o'},
      {"scheme", required_argument, NULL, 's'},     {"kid", required_argument, NULL, OPT_KID},
      {"key", required_argument, NULL, OPT_KEY},    {"kid2", required_argument, NULL, OPT_KID2},
      {"key2", required_argument, NULL, OPT_KEY2},  {"rotate-at", required_argument, NULL, OPT_ROTATE},
      {"iv-size", required_argument, NULL, OPT_IVSIZE},
      {"constant-iv", required_argument, NULL, OPT_CIV},
      {"fragment-duration", required_argument, NULL, OPT_FRAG},
      {"clear-lead", required_argument, NULL, OPT_LEAD},
      {"pssh", required_argument, NULL, OPT_PSSH}, {"seed", required_argument, NULL, OPT_SEED},
      {"jwk", required_argument, NULL, OPT_JWK},   {"verbose", no_argument, NULL, 'v'},
      {"encrypt-slice-headers", no_argument, NULL, OPT_ENCHDR},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof(*o));
  o->scheme = PACK_SCHEME_CBCS;
  o->frag_dur = 2.0;
  o->rotate_at = -1;
  o->pssh = PSSH_BOTH;
  int c, choice;
  while ((c = getopt_long(argc, argv, "i:o:s:vh", longopts, NULL)) != -1) {
    switch (c) {
    case 'i': o->in = optarg; break;
    case 'o': o->out = optarg; break;
    case 's':
      if (parse_choice(optarg, schemes, &choice) < 0) {
        die_msg("unknown scheme '%s' (cenc, cbcs, cens, cbc1)", optarg);
        return -1;
      }
      o->scheme = (pack_scheme)choice;
      break;
    case OPT_KID: case OPT_KEY: case OPT_KID2: case OPT_KEY2: case OPT_CIV: {
      uint8_t *dst = c == OPT_KID ? o->kid : c == OPT_KEY ? o->key : c == OPT_KID2 ? o->kid2
                     : c == OPT_KEY2 ? o->key2 : o->const_iv;
      if (sdc_hex_decode(optarg, strlen(optarg), dst, 16, true) < 0) {
        die_msg("'%s' is not 16 bytes of hex", optarg);
        return -1;
      }
      *(c == OPT_KID ? &o->have_kid : c == OPT_KEY ? &o->have_key : c == OPT_KID2 ? &o->have_kid2
        : c == OPT_KEY2 ? &o->have_key2 : &o->have_const_iv) = 1;
      break;
    }
    case OPT_IVSIZE:
      if (strcmp(optarg, "8") && strcmp(optarg, "16")) {
        die_msg("--iv-size must be 8 or 16");
        return -1;
      }
      o->iv_size = atoi(optarg);
      o->iv_size_given = 1;
      break;
    case OPT_FRAG:
      if (parse_seconds(optarg, &o->frag_dur) < 0 || o->frag_dur <= 0) {
        die_msg("bad --fragment-duration '%s'", optarg);
        return -1;
      }
      break;
    case OPT_LEAD:
      if (parse_seconds(optarg, &o->clear_lead) < 0) {
        die_msg("bad --clear-lead '%s'", optarg);
        return -1;
      }
      break;
    case OPT_ROTATE:
      if (parse_seconds(optarg, &o->rotate_at) < 0) {
        die_msg("bad --rotate-at '%s'", optarg);
        return -1;
      }
      break;
    case OPT_PSSH:
      if (parse_choice(optarg, pssh_modes, &o->pssh) < 0) {
        die_msg("unknown --pssh '%s' (none, secdec, common, both)", optarg);
        return -1;
      }
      break;
    case OPT_SEED: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 0);
      if (errno || end == optarg || *end) {
        die_msg("bad --seed '%s'", optarg);
        return -1;
      }
      o->seed = v;
      o->have_seed = 1;
      break;
    }
    case OPT_JWK: o->jwk = optarg; break;
    case OPT_ENCHDR: o->encrypt_slice_headers = 1; break;
    case 'v': o->verbose = 1; break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); return -1;
    }
  }
  if (optind < argc) {
    die_msg("unexpected argument '%s'", argv[optind]);
    return -1;
  }
  if (o->jwk && load_jwk(o) < 0)
    return -1;
  if (!o->in || !o->out) {
    die_msg("both -i INPUT and -o OUTPUT are required (see --help)");
    return -1;
  }
  if (!o->have_kid || !o->have_key) {
    die_msg("--kid and --key (or --jwk) are required");
    return -1;
  }
  if (o->have_kid2 != o->have_key2 || (o->have_kid2 != (o->rotate_at >= 0))) {
    die_msg("key rotation needs all of --kid2, --key2 and --rotate-at");
    return -1;
  }
  if (o->have_kid2 && !memcmp(o->kid, o->kid2, 16)) {
    die_msg("--kid2 must differ from --kid");
    return -1;
  }
  switch (o->scheme) {
  case PACK_SCHEME_CBCS:
    if (o->iv_size_given && o->iv_size != 16) {
      die_msg("cbcs needs 16-byte IVs (or --constant-iv)");
      return -1;
    }
    if (o->have_const_iv && o->iv_size_given) {
      die_msg("--constant-iv and --iv-size are mutually exclusive");
      return -1;
    }
    o->iv_size = o->have_const_iv ? 0 : 16;
    o->crypt = 1;
    o->skip = 9;
    break;
  case PACK_SCHEME_CENS:
    o->crypt = 1;
    o->skip = 9;
    /* fall through */
  default:
    if (o->have_const_iv) {
      die_msg("--constant-iv is only valid with --scheme cbcs");
      return -1;
    }
    if (!o->iv_size_given)
      o->iv_size = 8;
  }
  if (o->encrypt_slice_headers && o->scheme == PACK_SCHEME_CBC1) {
    die_msg("--encrypt-slice-headers needs --scheme cenc, cens or cbcs (cbc1 encrypts whole "
            "blocks only)");
    return -1;
  }
  return 0;
}