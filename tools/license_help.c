/*
 * license_help.c - the help texts of secdec-license (kept in step with man/secdec-license.1)
 * and the lookup of a command's text.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "license_cmd.h"

/* The help texts are long single literals on purpose (easy to read and to keep in step with
 * the man pages); C11 only promises 4095-byte literals, every compiler we build with takes more. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
const char license_help_main[] =
    "NAME\n"
    "    secdec-license - issue, inspect, check and install secdec content licenses\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [GLOBAL OPTIONS] issue --certificate CERT {--key KID:KEY | --jwk FILE}...\n"
    "                   [--oaep sha512|sha256|sha1] --output FILE\n"
    "    secdec-license [GLOBAL OPTIONS] show FILE\n"
    "    secdec-license [GLOBAL OPTIONS] check FILE\n"
    "    secdec-license [GLOBAL OPTIONS] install FILE\n"
    "    secdec-license [GLOBAL OPTIONS] list\n"
    "    secdec-license help [COMMAND] | --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    A secdec license carries content keys to exactly one device. It holds a fresh AES-128\n"
    "    session key encrypted with RSAES-OAEP to the device certificate (the 256-byte blob of\n"
    "    Direct3D's NegotiateCryptoSessionKeyExchange), every content key AES-128-ECB-wrapped\n"
    "    with that session key and labelled with its key ID (KID), the SHA-256 fingerprint of\n"
    "    the certificate, and an HMAC-SHA256 keyed from the session key. Only the device holding\n"
    "    the certificate's private key can use or even authenticate it. The byte layout is\n"
    "    described in docs/license-format.md.\n"
    "\n"
    "    The usual flow: on the device, export its certificate chain with\n"
    "    'secdec-info --certificate device.der' and send it to the content owner; the owner runs\n"
    "    'secdec-license issue' and sends the license back; on the device, 'secdec-license check'\n"
    "    verifies it and 'secdec-license install' adds it to the license store.\n"
    "\n"
    "COMMANDS\n"
    "    issue     Issue a license for a device certificate (content owner's side; needs no\n"
    "              device). Options:\n"
    "              -c, --certificate CERT  the device certificate chain, DER or PEM, as\n"
    "                                      exported by 'secdec-info --certificate'\n"
    "              -k, --key KID:KEY       a content key: KID and KEY as 32 hex digits each; the\n"
    "                                      KID may be in UUID form with dashes. Repeatable.\n"
    "              -j, --jwk FILE          content keys from a W3C Clear Key JWK set\n"
    "                                      ({\"keys\":[{\"kty\":\"oct\",\"kid\":\"..\",\"k\":\"..\"}]},\n"
    "                                      base64url without padding); '-' reads standard\n"
    "                                      input. Repeatable; may be combined with --key.\n"
    "              --oaep HASH             OAEP hash and MGF1 hash of the key exchange: sha512\n"
    "                                      (default; the OPM parameters), sha256 or sha1\n"
    "              -o, --output FILE       where to write the license ('-': standard output,\n"
    "                                      not a terminal); replaced atomically, mode 0644\n"
    "              Between 1 and 1024 keys; KIDs must be unique.\n"
    "    show      Print a license without its secrets: format version, OAEP hash, the\n"
    "              fingerprint of the certificate it is bound to, the number of keys and each\n"
    "              KID (hex and UUID). Needs no device; checks the structure only.\n"
    "    check     Open this device, create a crypto session (AES128_CTR, H.264 VLD, RSAES-OAEP)\n"
    "              and load the license into it with secdec_license_load(), the same calls an\n"
    "              application makes; print the KIDs that were loaded. Fails when the license\n"
    "              is bound to another device, tampered with, or truncated.\n"
    "    install   Check the license like 'check' and add it to the device's license store\n"
    "              (HOME/licenses/<kid>.lic, one file per KID, mode 0600; directory mode 0700).\n"
    "              A later license for the same KID replaces the earlier one.\n"
    "    list      List the installed licenses by KID (structure only; no device needed).\n"
    "    help      Show this text, or a command's help.\n"
    "\n"
    "GLOBAL OPTIONS (also accepted after the command)\n"
    "    --home DIR               device home (identity and license store) instead of\n"
    "                             $SECDEC_HOME\n"
    "    --allow-unlocked-memory  continue when secret memory cannot be locked (mlock); the\n"
    "                             default is to fail with SECDEC_E_MEMLOCK\n"
    "    --no-provision           do not create a device identity when the home holds none\n"
    "    -v, --verbose            more library messages on standard error (repeat for debug)\n"
    "    -h, --help               show help and exit\n"
    "    -V, --version            show version and exit\n"
    "\n"
    "ENVIRONMENT\n"
    "    SECDEC_HOME     device home directory (identity device.key/device.crt and licenses/)\n"
    "    XDG_DATA_HOME   without SECDEC_HOME, the home is $XDG_DATA_HOME/secdec\n"
    "    HOME            without both, the home is $HOME/.local/share/secdec\n"
    "\n"
    "EXIT STATUS\n"
    "    0   success\n"
    "    1   the operation failed (the message names the secdec status and its HRESULT, e.g.\n"
    "        \"license bound to another device (SECDEC_E_LICENSE_FOREIGN, 0x80040205)\")\n"
    "    2   usage error (unknown command or option, missing or malformed argument)\n"
    "\n"
    "EXAMPLES\n"
    "    On the device:      secdec-info --certificate device.der\n"
    "    At the owner's:     secdec-license issue -c device.der \\\n"
    "                            -k 9eb4050d-e44b-4802-932e-27d75083e266:166634c675823c235a4a9446fad52e4d \\\n"
    "                            -o movie.lic\n"
    "                        secdec-license issue -c device.der --jwk keys.json -o movie.lic\n"
    "    On the device:      secdec-license show movie.lic\n"
    "                        secdec-license check movie.lic && secdec-license install movie.lic\n"
    "                        secdec-license list\n"
    "\n"
    "SECURITY\n"
    "    Keys given with --key are visible to other local users (ps, /proc); prefer --jwk with\n"
    "    a file readable only by you, or '--jwk -' from a pipe. Licenses hold no clear secrets.\n"
    "\n"
    "SEE ALSO\n"
    "    secdec-info(1), docs/license-format.md\n";

static const char help_issue[] =
    "NAME\n"
    "    secdec-license issue - issue a license for a device certificate\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license issue --certificate CERT {--key KID:KEY | --jwk FILE}...\n"
    "                         [--oaep sha512|sha256|sha1] --output FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Generates a fresh AES-128 session key, encrypts it with RSAES-OAEP to the public key of\n"
    "    the first certificate in CERT, wraps each content key with it and writes the license\n"
    "    (secdec_license_issue()). Needs no device and does not touch SECDEC_HOME.\n"
    "\n"
    "OPTIONS\n"
    "    -c, --certificate CERT  device certificate chain, DER or PEM\n"
    "    -k, --key KID:KEY       content key; 32 hex digits each, KID may be a UUID. Repeatable.\n"
    "    -j, --jwk FILE          W3C Clear Key JWK set ('-': standard input). Repeatable.\n"
    "    --oaep HASH             sha512 (default), sha256 or sha1\n"
    "    -o, --output FILE       output file ('-': standard output); mode 0644\n"
    "    -h, --help              show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 failure (unreadable certificate, bad key file, ...), 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license issue -c device.der -k 00112233445566778899aabbccddeeff:"
    "000102030405060708090a0b0c0d0e0f -o a.lic\n"
    "    secdec-license issue -c device.pem --jwk keys.json --oaep sha256 -o b.lic\n";

static const char help_show[] =
    "NAME\n"
    "    secdec-license show - print a license without its secrets\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license show FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Parses FILE (secdec_license_read_file()) and prints its format version, OAEP hash,\n"
    "    the SHA-256 fingerprint of the certificate it is bound to, and the number of keys and\n"
    "    each KID in hex and UUID form. The integrity (HMAC) can only be verified on the device\n"
    "    the license is for: use 'secdec-license check'.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 unreadable or malformed license, 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license show movie.lic\n";

static const char help_check[] =
    "NAME\n"
    "    secdec-license check - load a license on this device\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] check FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Opens the device at the home directory (secdec_device_open()), creates a crypto\n"
    "    session (D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_DECODER_PROFILE_H264_VLD_NOFGT,\n"
    "    D3D11_KEY_EXCHANGE_RSAES_OAEP) and loads FILE into it with secdec_license_load():\n"
    "    certificate binding, key exchange, HMAC, content keys. Prints each KID loaded.\n"
    "\n"
    "OPTIONS\n"
    "    --home DIR, --allow-unlocked-memory, --no-provision, -v: see secdec-license --help.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the license loads on this device; 1 it does not (for example\n"
    "    SECDEC_E_LICENSE_FOREIGN: issued for another device; SECDEC_E_LICENSE_INVALID:\n"
    "    malformed, truncated or tampered with; SECDEC_E_KEY_EXCHANGE); 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    SECDEC_HOME=/var/lib/secdec secdec-license check movie.lic\n";

static const char help_install[] =
    "NAME\n"
    "    secdec-license install - add a license to this device's license store\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] install FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Checks FILE fully on this device (as 'check') and stores it with\n"
    "    secdec_license_store_install() as HOME/licenses/<kid-hex>.lic for each of its KIDs\n"
    "    (files mode 0600, directory mode 0700). Applications find stored licenses by KID with\n"
    "    secdec_license_store_find().\n"
    "\n"
    "EXIT STATUS\n"
    "    0 installed, 1 failed (see check; SECDEC_E_IO for file-system errors), 2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license install movie.lic && secdec-license list\n";

static const char help_list[] =
    "NAME\n"
    "    secdec-license list - list installed licenses\n"
    "\n"
    "SYNOPSIS\n"
    "    secdec-license [--home DIR] list\n"
    "\n"
    "DESCRIPTION\n"
    "    Lists HOME/licenses/*.lic: for each file the KID it is stored under (hex and UUID),\n"
    "    the number of keys in the license and the file name. Only the structure is checked;\n"
    "    the store holds only licenses that passed a full check at install time.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success (also when nothing is installed), 1 a stored file is unreadable or corrupt,\n"
    "    2 usage error.\n"
    "\n"
    "EXAMPLES\n"
    "    secdec-license --home /var/lib/secdec list\n";

#pragma GCC diagnostic pop

const char *license_command_help(const char *cmd)
{
    if (!strcmp(cmd, "issue"))
        return help_issue;
    if (!strcmp(cmd, "show"))
        return help_show;
    if (!strcmp(cmd, "check"))
        return help_check;
    if (!strcmp(cmd, "install"))
        return help_install;
    if (!strcmp(cmd, "list"))
        return help_list;
    if (!strcmp(cmd, "help"))
        return license_help_main;
    return NULL;
}
