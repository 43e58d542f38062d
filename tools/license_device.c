/*
 * license_device.c - secdec-license's commands on the device: 'check' loads a license into a
 * crypto session (secdec_license_load(), as an application would) and confirms every key,
 * 'install' puts it into the device's license store, 'list' shows the store.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "license_cmd.h"

/* check, install: fn runs with the license at path and the device it is to go on; both are
 * closed afterwards. */
typedef int (*LicenseOnDevice)(SecdecDevice *dev, SecdecLicense *lic, const char *path);

static int run_on_device(const ToolDeviceOptions *dopts, const char *path, LicenseOnDevice fn)
{
    SecdecLicense *lic = NULL;
    SecdecDevice *dev = NULL;
    int ret = TOOL_EXIT_FAILURE;

    if (license_read(path, &lic) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;
    if (tool_open_device(dopts, &dev) == SECDEC_OK)
        ret = fn(dev, lic, path);
    secdec_device_close(&dev);
    secdec_license_free(&lic);
    return ret;
}

/* A crypto session as a player would make, secdec_license_load(), then every KID present. */
static int check_on(SecdecDevice *dev, SecdecLicense *lic, const char *path)
{
    SecdecCryptoSession *session = NULL;
    SecdecStatus st;
    int ret = TOOL_EXIT_FAILURE;
    size_t n;

    st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                      &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                      &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &session);
    if (st != SECDEC_OK) {
        tool_status_error("cannot create a crypto session", st);
        goto out;
    }
    st = secdec_license_load(dev, session, lic);
    if (st != SECDEC_OK) {
        tool_status_error("check failed", st);
        goto out;
    }
    n = secdec_license_get_key_count(lic);
    printf("%s: license OK for this device (%s); %zu key(s) loaded:\n", path,
           secdec_device_get_home(dev), n);
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK) {
            tool_error("cannot read KID %zu", i);
            goto out;
        }
        st = secdec_crypto_session_has_content_key(dev, session, kid);
        if (st != SECDEC_OK) {
            char hex[33], what[128];
            sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
            snprintf(what, sizeof what, "check failed: KID %s not installed after load", hex);
            tool_status_error(what, st);
            goto out;
        }
        license_print_kid("  loaded KID ", kid);
    }
    ret = TOOL_EXIT_OK;
out:
    secdec_crypto_session_destroy(&session);
    return ret;
}

/* secdec_license_store_install(): one file per KID in HOME/licenses. */
static int install_on(SecdecDevice *dev, SecdecLicense *lic, const char *path)
{
    SecdecStatus st = secdec_license_store_install(dev, lic);
    size_t n;

    if (st != SECDEC_OK) {
        tool_status_error("install failed", st);
        return TOOL_EXIT_FAILURE;
    }
    n = secdec_license_get_key_count(lic);
    printf("Installed %s into %s/licenses:\n", path, secdec_device_get_home(dev));
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        char hex[33];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK)
            continue;
        sdc_hex_encode(kid, SECDEC_KID_SIZE, hex);
        printf("  %s.lic\n", hex);
    }
    return TOOL_EXIT_OK;
}

int cmd_check(const ToolDeviceOptions *dopts, const char *path)
{
    return run_on_device(dopts, path, check_on);
}

int cmd_install(const ToolDeviceOptions *dopts, const char *path)
{
    return run_on_device(dopts, path, install_on);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_list(const ToolDeviceOptions *dopts)
{
    char *home = tool_resolve_home(dopts->home);
    char *dir = NULL;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n_names = 0;
    int ret = TOOL_EXIT_OK;

    if (!home) {
        tool_error("cannot determine the device home: set SECDEC_HOME or use --home");
        return TOOL_EXIT_FAILURE;
    }
    dir = tool_path_join(home, "licenses");
    if (!dir) {
        free(home);
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            printf("No licenses installed in %s\n", dir);
            free(dir);
            free(home);
            return TOOL_EXIT_OK;
        }
        tool_error("cannot read '%s': %s", dir, strerror(errno));
        free(dir);
        free(home);
        return TOOL_EXIT_FAILURE;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char **nn;
        if (len < 5 || strcmp(e->d_name + len - 4, ".lic") != 0 || e->d_name[0] == '.')
            continue;
        nn = realloc(names, (n_names + 1) * sizeof *names);
        if (!nn || !(nn[n_names] = strdup(e->d_name))) {
            if (nn)
                names = nn;
            tool_error("out of memory");
            ret = TOOL_EXIT_FAILURE;
            break;
        }
        names = nn;
        n_names++;
    }
    closedir(d);
    if (n_names)
        qsort(names, n_names, sizeof *names, name_cmp);

    if (n_names == 0 && ret == TOOL_EXIT_OK)
        printf("No licenses installed in %s\n", dir);
    else if (n_names)
        printf("%-32s  %-36s  %4s  %s\n", "KID", "UUID", "KEYS", "FILE");
    for (size_t i = 0; i < n_names; i++) {
        char *path = tool_path_join(dir, names[i]);
        SecdecLicense *lic = NULL;
        uint8_t kid[SECDEC_KID_SIZE];
        char uuid[37], what[1200];
        SecdecStatus st;

        if (!path) {
            tool_error("out of memory");
            ret = TOOL_EXIT_FAILURE;
            break;
        }
        st = secdec_license_read_file(path, &lic);
        if (st != SECDEC_OK) {
            snprintf(what, sizeof what, "%s", path);
            tool_status_error(what, st);
            ret = TOOL_EXIT_FAILURE;
        } else {
            char hexname[33];
            bool ok = strlen(names[i]) == 36;
            if (ok) {
                memcpy(hexname, names[i], 32);
                hexname[32] = '\0';
                ok = sdc_hex_decode(hexname, 32, kid, SECDEC_KID_SIZE, false) == 0 &&
                     secdec_license_has_kid(lic, kid);
            }
            if (!ok) {
                tool_error("%s: file name does not match a KID of the license", path);
                ret = TOOL_EXIT_FAILURE;
            } else {
                tool_uuid(kid, uuid);
                printf("%-32s  %-36s  %4zu  %s\n", hexname, uuid,
                       secdec_license_get_key_count(lic), names[i]);
            }
        }
        secdec_license_free(&lic);
        free(path);
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(dir);
    free(home);
    return ret;
}
