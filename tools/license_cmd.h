/*
 * license_cmd.h - secdec-license's private header: the options of 'issue' and the commands,
 * one file per group. Not installed.
 *
 *   secdec-license.c  main: global and command options, dispatch, reading a license file
 *   license_help.c    the help texts of the tool and of each command
 *   license_issue.c   'issue' (content owner's side): --key/--jwk keys, secdec_license_issue()
 *   license_show.c    'show': a license's fields, offline
 *   license_device.c  'check', 'install', 'list': on the device (load, license store)
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef SECDEC_LICENSE_CMD_H
#define SECDEC_LICENSE_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "tool_common.h"

/* getopt_long value of --oaep (the only long-only option of 'issue'). */
#define OPT_OAEP TOOL_OPT_TOOL

/* license_help.c */
extern const char license_help_main[];
/* The help text of a command ("help" gives the main text), or NULL for an unknown command. */
const char *license_command_help(const char *cmd);

/* secdec-license.c */
/* Reads and parses a license file; prints why on failure. */
SecdecStatus license_read(const char *path, SecdecLicense **lic);
/* "<prefix><32 hex digits>  <UUID>\n" on stdout. */
void license_print_kid(const char *prefix, const uint8_t kid[SECDEC_KID_SIZE]);

/* license_issue.c */
typedef struct IssueArgs {
    const char *cert;
    const char *output;
    SecdecOaepHash oaep;
    SecdecContentKey *keys;   /* cleansed and freed by issue_args_clear() */
    size_t n_keys;
} IssueArgs;

/* One of issue's options (-c, -k, -j, -o, --oaep) with its argument. Returns 0, or an exit
 * code after a message. */
int issue_option(IssueArgs *ia, int c, const char *arg);
int cmd_issue(IssueArgs *ia);
void issue_args_clear(IssueArgs *ia);

/* license_show.c */
int cmd_show(const char *path);

/* license_device.c */
int cmd_check(const ToolDeviceOptions *dopts, const char *path);
int cmd_install(const ToolDeviceOptions *dopts, const char *path);
int cmd_list(const ToolDeviceOptions *dopts);

#endif
