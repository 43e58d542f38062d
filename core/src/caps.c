/*
 * caps.c - which crypto types, decoder profiles and key exchanges a backend offers
 * (GetContentProtectionCaps / CheckCryptoKeyExchange), and the CreateCryptoSession checks.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <sys/resource.h>
#include <unistd.h>

#include "backend.h"
#include "internal.h"

static const SecdecGuid *const known_crypto_types[] = {
    &SECDEC_CRYPTO_TYPE_AES128_CTR,
    &SECDEC_CRYPTO_TYPE_AES128_CBC,
};

static const SecdecGuid *const known_profiles[] = {
    &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,  &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN,
    &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0,
    &SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0, &SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT,
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const SecdecGuid *secdec_known_crypto_type(unsigned index)
{
    return index < N_ELEMS(known_crypto_types) ? known_crypto_types[index] : NULL;
}

const SecdecGuid *secdec_known_decoder_profile(unsigned index)
{
    return index < N_ELEMS(known_profiles) ? known_profiles[index] : NULL;
}

static bool is_null_guid(const SecdecGuid *g)
{
    return !g || secdec_guid_equal(g, &SECDEC_GUID_NULL);
}

/* The software backend's table. AES-CTR (cenc, cens) goes with every profile. AES-CBC (cbcs,
 * cbc1) goes with every profile except VP9: WebM's ContentEncryption defines AES-CTR only, so
 * a VP9 decoder fed by secdec never sees CBC content. */
static bool software_pair_ok(const SecdecGuid *crypto, const SecdecGuid *profile)
{
    if (secdec_guid_equal(crypto, &SECDEC_CRYPTO_TYPE_AES128_CBC) &&
        secdec_guid_equal(profile, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0))
        return false;
    return true;
}

static bool known_crypto(const SecdecGuid *g)
{
    for (size_t i = 0; i < N_ELEMS(known_crypto_types); i++)
        if (secdec_guid_equal(g, known_crypto_types[i]))
            return true;
    return false;
}

static bool known_profile(const SecdecGuid *g)
{
    for (size_t i = 0; i < N_ELEMS(known_profiles); i++)
        if (secdec_guid_equal(g, known_profiles[i]))
            return true;
    return false;
}

SecdecStatus sd_caps_check(SecdecBackend backend, const SecdecGuid *crypto_type,
                           const SecdecGuid *decoder_profile, const SecdecGuid *key_exchange)
{
    if (backend != SECDEC_BACKEND_SOFTWARE)
        return SECDEC_E_NOTAVAILABLE;
    if (is_null_guid(crypto_type) || !known_crypto(crypto_type))
        return SECDEC_E_NOTAVAILABLE;
    if (!is_null_guid(decoder_profile) &&
        (!known_profile(decoder_profile) || !software_pair_ok(crypto_type, decoder_profile)))
        return SECDEC_E_UNSUPPORTEDCRYPTO;
    /* One key-exchange mechanism per encryption type: RSAES-OAEP on software. HW_PROTECTION
     * needs a TEE (the VA-API backend). */
    if (key_exchange && !secdec_guid_equal(key_exchange, &SECDEC_KEY_EXCHANGE_RSAES_OAEP))
        return SECDEC_E_NOTAVAILABLE;
    return SECDEC_OK;
}

static uint64_t lockable_memory(void)
{
    struct rlimit rl;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return phys;
    return phys && (uint64_t)rl.rlim_cur > phys ? phys : (uint64_t)rl.rlim_cur;
}

SecdecStatus secdec_device_get_content_protection_caps(SecdecDevice *device,
                                                       const SecdecGuid *crypto_type,
                                                       const SecdecGuid *decoder_profile,
                                                       SecdecContentProtectionCaps *caps)
{
    if (!device || !caps)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;
    if (device->hw) {
        SecdecGuid kx[SD_BACKEND_MAX_KX];
        return device->hw->caps(device->hw_dev, crypto_type, decoder_profile, caps, kx);
    }
    SecdecStatus st = sd_caps_check(device->backend, crypto_type, decoder_profile, NULL);
    /* secdec.h: for GetContentProtectionCaps an unknown profile is NOTAVAILABLE (only
     * CreateCryptoSession reports it as UNSUPPORTEDCRYPTO). */
    if (st == SECDEC_E_UNSUPPORTEDCRYPTO && !known_profile(decoder_profile))
        st = SECDEC_E_NOTAVAILABLE;
    if (st != SECDEC_OK)
        return st;
    caps->caps = SECDEC_CAPS_SOFTWARE | SECDEC_CAPS_CONTENT_KEY | SECDEC_CAPS_FRESHEN_SESSION_KEY |
                 SECDEC_CAPS_PARTIAL_DECRYPTION;
    if (secdec_guid_equal(crypto_type, &SECDEC_CRYPTO_TYPE_AES128_CTR))
        caps->caps |= SECDEC_CAPS_SEQUENTIAL_CTR_IV;
    caps->key_exchange_type_count = 1;
    caps->block_alignment_size = 16;
    caps->protected_memory_size = lockable_memory();
    return SECDEC_OK;
}

SecdecStatus secdec_device_check_crypto_key_exchange(SecdecDevice *device,
                                                     const SecdecGuid *crypto_type,
                                                     const SecdecGuid *decoder_profile,
                                                     uint32_t index,
                                                     SecdecGuid *key_exchange_type)
{
    SecdecContentProtectionCaps caps;
    if (!key_exchange_type)
        return SECDEC_E_INVALIDARG;
    if (device && device->hw && !atomic_load(&device->closed)) {
        SecdecGuid kx[SD_BACKEND_MAX_KX];
        SecdecStatus hst =
            device->hw->caps(device->hw_dev, crypto_type, decoder_profile, &caps, kx);
        if (hst != SECDEC_OK)
            return hst;
        if (index >= caps.key_exchange_type_count || index >= SD_BACKEND_MAX_KX)
            return SECDEC_E_INVALIDARG;
        *key_exchange_type = kx[index];
        return SECDEC_OK;
    }
    SecdecStatus st =
        secdec_device_get_content_protection_caps(device, crypto_type, decoder_profile, &caps);
    if (st != SECDEC_OK)
        return st;
    if (index >= caps.key_exchange_type_count)
        return SECDEC_E_INVALIDARG;
    *key_exchange_type = SECDEC_KEY_EXCHANGE_RSAES_OAEP;
    return SECDEC_OK;
}
