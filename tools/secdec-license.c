/*
 * secdec-license - issue, inspect, check and install secdec licenses.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This is the content owner's side of the Direct3D-style key exchange for people without an
 * application of their own: it encrypts a fresh session key to a device certificate
 * (RSAES-OAEP) and wraps content keys with it (secdec_license_issue()), and on the device it
 * drives exactly the public API an application would (secdec_license_load(),
 * secdec_license_store_install()).
 *
 * This file owns main (global and command options, dispatch) and what several commands
 * share; license_cmd.h lists the command files.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "license_cmd.h"

/* ------------------------------------------------------------------------------------------ */
/* Option parsing                                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * Parses the options of one command (and the global ones) from argv[0..argc-1], argv[0]
 * being the command name. Returns -1 to go on, or an exit code (help printed, usage error).
 * Positional arguments are left in argv[optind..].
 */
static int parse_options(int argc, char **argv, const char *help, ToolDeviceOptions *dev,
                         IssueArgs *ia)
{
    static const struct option longopts[] = {
        TOOL_COMMON_LONGOPTS,
        {"certificate", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"jwk", required_argument, NULL, 'j'},
        {"oaep", required_argument, NULL, OPT_OAEP},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *shortopts = ia ? "+:hVvc:k:j:o:" : "+:hVv";
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int r;
        switch (c) {
        case 'c':
        case 'k':
        case 'j':
        case 'o':
        case OPT_OAEP:
            if (!ia)
                return tool_usage_error("option '%s' is only valid for 'issue'",
                                        argv[optind - 1]);
            if ((r = issue_option(ia, c, optarg)) != 0)
                return r;
            break;
        default:
            r = tool_common_option(c, argv, help, dev);
            if (r != TOOL_OPTION_NEXT)
                return r;
            break;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Shared by the commands                                                                      */
/* ------------------------------------------------------------------------------------------ */

SecdecStatus license_read(const char *path, SecdecLicense **lic)
{
    SecdecStatus st = secdec_license_read_file(path, lic);
    if (st != SECDEC_OK) {
        char what[1024];
        if (st == SECDEC_E_IO) {
            snprintf(what, sizeof what, "cannot read '%s'", path);
        } else {
            snprintf(what, sizeof what, "'%s' is not a valid license", path);
        }
        tool_status_error(what, st);
    }
    return st;
}

void license_print_kid(const char *prefix, const uint8_t kid[SECDEC_KID_SIZE])
{
    char hex[33], uuid[37];
    sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
    tool_uuid(kid, uuid);
    printf("%s%s  %s\n", prefix, hex, uuid);
}

/* ------------------------------------------------------------------------------------------ */
/* main                                                                                        */
/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    ToolDeviceOptions dopts = {0};
    IssueArgs ia = {0};
    const char *cmd;
    const char *help;
    int r, cargc;
    char **cargv;
    int ret;

    tool_set_progname(argc > 0 ? argv[0] : "secdec-license");
    ia.oaep = SECDEC_OAEP_SHA512;

    /* Global options before the command. */
    r = parse_options(argc, argv, license_help_main, &dopts, NULL);
    if (r >= 0)
        return r;
    if (optind >= argc)
        return tool_usage_error("no command given (issue, show, check, install, list)");
    cmd = argv[optind];
    help = license_command_help(cmd);
    if (!help)
        return tool_usage_error("unknown command '%s'", cmd);

    cargc = argc - optind;
    cargv = argv + optind;

    if (!strcmp(cmd, "help")) {
        if (cargc > 2)
            return tool_usage_error("help: too many arguments");
        if (cargc == 2) {
            help = license_command_help(cargv[1]);
            if (!help)
                return tool_usage_error("help: unknown command '%s'", cargv[1]);
        }
        fputs(help, stdout);
        return TOOL_EXIT_OK;
    }

    r = parse_options(cargc, cargv, help, &dopts, !strcmp(cmd, "issue") ? &ia : NULL);
    if (r >= 0) {
        ret = r;
        goto out;
    }

    /* issue, list: no FILE. */
    if (!strcmp(cmd, "issue") || !strcmp(cmd, "list")) {
        if (optind < cargc)
            ret = tool_usage_error("%s: unexpected argument '%s'", cmd, cargv[optind]);
        else
            ret = !strcmp(cmd, "issue") ? cmd_issue(&ia) : cmd_list(&dopts);
        goto out;
    }
    /* show, check, install: exactly one FILE. */
    if (optind >= cargc) {
        ret = tool_usage_error("%s: missing license FILE", cmd);
        goto out;
    }
    if (optind + 1 < cargc) {
        ret = tool_usage_error("%s: unexpected argument '%s'", cmd, cargv[optind + 1]);
        goto out;
    }
    if (!strcmp(cmd, "show"))
        ret = cmd_show(cargv[optind]);
    else if (!strcmp(cmd, "check"))
        ret = cmd_check(&dopts, cargv[optind]);
    else
        ret = cmd_install(&dopts, cargv[optind]);

out:
    issue_args_clear(&ia);
    return ret;
}
