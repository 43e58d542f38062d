/*
 * drv_decode_h264.c - real H.264 decoding for the test VA driver, so that the pixels a VA client
 * reads back can be compared with a software decode of the clear file.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * VA hands the driver parsed parameter sets (VAPictureParameterBufferH264, VAIQMatrixBufferH264,
 * VASliceParameterBufferH264) and the slice NAL units as stored (NAL header included, emulation
 * prevention kept). This file writes an SPS and a PPS back from those buffers (Annex B, with
 * emulation prevention), and feeds [SPS][PPS][slices] to a private libavcodec H.264 decoder.
 *
 * What VA does not carry, and how it is filled in:
 *  - profile_idc: the config's profile (High when the PPS needs High features), level_idc: 31 or
 *    30 after MinLumaBiPredSize8x8 — only used by libavcodec to size its output delay;
 *  - seq_parameter_set_id: 0; pic_parameter_set_id: parsed from the slice headers;
 *  - num_ref_idx_l0/l1_default_active_minus1: learnt per PPS id from the slices that do not set
 *    num_ref_idx_active_override_flag (the slice header is parsed up to that flag), kept while
 *    no slice tells (I pictures, overriding slices);
 *  - scaling lists: VA gives the lists in effect (SPS/PPS fall-back rules applied), written as
 *    explicit PPS lists (the SPS has none), in zig-zag order; none when all are flat;
 *  - frame cropping and VUI: none. The decoded picture is the whole macroblock area, which is
 *    also what a hardware surface holds: the client crops (right/bottom) itself;
 *  - qpprime_y_zero_transform_bypass_flag: 0 (no VA profile has it).
 * Not supported (the picture fails): pic_order_cnt_type 1 (its offsets are not in VA), chroma
 * other than 4:2:0, bit depth > 8, partial slice buffers, MVC/SVC NAL units. Slice groups
 * (FMO) are written as none: VA's fields for them are deprecated, and libavcodec has no FMO.
 *
 * Pixels at vaEndPicture: libavcodec returns frames in display order, after a reorder delay. But
 * with one thread and whole pictures per packet, avcodec_send_packet() decodes the packet
 * completely (deblocking and error concealment included) before it returns, into a frame it
 * allocated with get_buffer2. Our get_buffer2 keeps references to the planes of the frame it
 * allocates last (the current picture: "frame num gap" frames are allocated before it; film
 * grain is exported, not applied, so no second buffer is allocated), and the planes are copied
 * into the NV12 surface right after avcodec_send_packet(); the frames libavcodec then outputs
 * are discarded. The second field of a field pair decodes into the first field's frame (no new
 * buffer): only its own rows are copied.
 */
#include "drv_decode_h264.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#define N_PPS_IDS 256
#define MAX_NAL_BYTES 1536

typedef struct SliceRef {
    size_t data_index; /* which slice data buffer */
    uint32_t offset, size, flag;
    uint8_t l0, l1; /* num_ref_idx_lX_active_minus1 */
} SliceRef;

typedef struct Nal {
    uint8_t b[MAX_NAL_BYTES]; /* start code + NAL unit */
    size_t size;
} Nal;

struct DrvH264 {
    VAProfile profile;
    /* the current picture's buffers */
    bool has_pic, has_iq;
    VAPictureParameterBufferH264 pic;
    VAIQMatrixBufferH264 iq;
    SliceRef *sl;
    size_t n_sl, cap_sl;
    const char *bad; /* why a buffer of this picture is unusable */
    /* the decoder */
    AVCodecContext *avctx;
    AVPacket *pkt;
    AVFrame *out;
    Nal sps, pps; /* last sent; size 0: none */
    uint8_t def_l0[N_PPS_IDS], def_l1[N_PPS_IDS];
    /* the frame libavcodec allocated last (get_buffer2) */
    AVBufferRef *held[AV_NUM_DATA_POINTERS];
    const AVFrame *held_frame; /* libavcodec's; valid while the decoder is open */
    uint8_t *held_data[3];
    int held_linesize[3];
    int held_w, held_h, held_fmt;
    bool held_ok;   /* the references above were taken */
    bool allocated; /* get_buffer2 ran during the current avcodec_send_packet() */
};

/* ---- parameter buffers -------------------------------------------------------------------- */

bool drv_h264_profile(VAProfile profile)
{
    return profile == VAProfileH264High || profile == VAProfileH264Main ||
           profile == VAProfileH264ConstrainedBaseline;
}

DrvH264 *drv_h264_new(VAProfile profile)
{
    if (!drv_h264_profile(profile))
        return NULL;
    DrvH264 *h = calloc(1, sizeof(*h));
    if (h)
        h->profile = profile;
    return h;
}

static void held_release(DrvH264 *h)
{
    for (int i = 0; i < AV_NUM_DATA_POINTERS; i++)
        av_buffer_unref(&h->held[i]);
    h->held_ok = false;
}

void drv_h264_free(DrvH264 *h)
{
    if (!h)
        return;
    held_release(h);
    avcodec_free_context(&h->avctx);
    av_packet_free(&h->pkt);
    av_frame_free(&h->out);
    free(h->sl);
    free(h);
}

void drv_h264_picture_reset(DrvH264 *h)
{
    if (!h)
        return;
    h->has_pic = h->has_iq = false;
    h->n_sl = 0;
    h->bad = NULL;
}

/* A buffer VA sends once per picture (picture parameters, IQ matrix): copied into dst when it
 * has dst's size, else the picture is marked bad with `why`. */
static void keep_once(DrvH264 *h, void *dst, size_t dst_size, bool *has, const void *data,
                      unsigned size, unsigned num_elements, const char *why)
{
    if (size != dst_size || num_elements != 1) {
        h->bad = why;
        return;
    }
    memcpy(dst, data, dst_size);
    *has = true;
}

VAStatus drv_h264_render(DrvH264 *h, VABufferType type, const void *data, unsigned size,
                         unsigned num_elements, size_t data_index)
{
    switch (type) {
    case VAPictureParameterBufferType:
        keep_once(h, &h->pic, sizeof(h->pic), &h->has_pic, data, size, num_elements,
                  "picture-parameter-buffer-size");
        break;
    case VAIQMatrixBufferType:
        keep_once(h, &h->iq, sizeof(h->iq), &h->has_iq, data, size, num_elements,
                  "iq-matrix-buffer-size");
        break;
    case VASliceParameterBufferType:
        if (size != sizeof(VASliceParameterBufferH264)) {
            h->bad = "slice-parameter-buffer-size";
            break;
        }
        if (h->n_sl + num_elements > h->cap_sl) {
            size_t cap = (h->n_sl + num_elements) * 2;
            SliceRef *p = realloc(h->sl, cap * sizeof(*p));
            if (!p)
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            h->sl = p;
            h->cap_sl = cap;
        }
        for (unsigned i = 0; i < num_elements; i++) {
            VASliceParameterBufferH264 s;
            memcpy(&s, (const uint8_t *)data + (size_t)i * size, sizeof(s));
            h->sl[h->n_sl++] = (SliceRef){data_index, s.slice_data_offset, s.slice_data_size,
                                          s.slice_data_flag, s.num_ref_idx_l0_active_minus1,
                                          s.num_ref_idx_l1_active_minus1};
        }
        break;
    default:
        break;
    }
    return VA_STATUS_SUCCESS;
}

/* ---- bit writer and NAL units --------------------------------------------------------------- */

typedef struct Bw {
    uint8_t b[MAX_NAL_BYTES - 16];
    size_t bits;
    bool overflow;
} Bw;

static void bw_bit(Bw *w, unsigned v)
{
    size_t i = w->bits >> 3;
    if (i >= sizeof(w->b)) {
        w->overflow = true;
        return;
    }
    if (!(w->bits & 7))
        w->b[i] = 0;
    w->b[i] |= (uint8_t)((v & 1) << (7 - (w->bits & 7)));
    w->bits++;
}

static void bw_bits(Bw *w, uint64_t v, int n)
{
    while (n-- > 0)
        bw_bit(w, (unsigned)(v >> n) & 1);
}

static void bw_ue(Bw *w, uint32_t v)
{
    uint64_t x = (uint64_t)v + 1;
    int len = 0;
    while ((x >> (len + 1)) != 0)
        len++;
    bw_bits(w, 0, len);
    bw_bits(w, x, len + 1);
}

static void bw_se(Bw *w, int32_t v)
{
    bw_ue(w, v > 0 ? (uint32_t)v * 2 - 1 : (uint32_t)(-(int64_t)v) * 2);
}

/* rbsp_trailing_bits, then the NAL unit with a start code and emulation prevention. */
static bool nal_finish(Bw *w, unsigned nal_header, Nal *out)
{
    bw_bit(w, 1);
    while (w->bits & 7)
        bw_bit(w, 0);
    if (w->overflow)
        return false;
    size_t n = 0, zeros = 0;
    static const uint8_t start[4] = {0, 0, 0, 1};
    memcpy(out->b, start, 4);
    n = 4;
    out->b[n++] = (uint8_t)nal_header;
    for (size_t i = 0; i < w->bits / 8; i++) {
        if (n + 2 > sizeof(out->b))
            return false;
        if (zeros == 2 && w->b[i] <= 3) {
            out->b[n++] = 3;
            zeros = 0;
        }
        out->b[n++] = w->b[i];
        zeros = w->b[i] ? 0 : zeros + 1;
    }
    out->size = n;
    return true;
}

/* Raster index of the i-th coefficient in zig-zag order (frame scan) of an n x n block. */
static unsigned zigzag(unsigned n, unsigned i)
{
    for (unsigned s = 0, k = 0; s < 2 * n - 1; s++) {
        unsigned lo = s < n ? 0 : s - n + 1, hi = s < n ? s : n - 1;
        for (unsigned j = 0; j <= hi - lo; j++, k++) {
            unsigned row = s & 1 ? lo + j : hi - j; /* odd diagonals go down, even ones up */
            if (k == i)
                return row * n + (s - row);
        }
    }
    return 0;
}

static void write_scaling_list(Bw *w, const uint8_t *list, unsigned n)
{
    int last = 8;
    for (unsigned i = 0; i < n * n; i++) {
        int next = list[zigzag(n, i)];
        int delta = ((next - last + 128) & 255) - 128;
        bw_se(w, delta);
        last = next;
    }
}

static bool lists_flat(const VAIQMatrixBufferH264 *iq)
{
    for (size_t i = 0; i < sizeof(iq->ScalingList4x4); i++)
        if (((const uint8_t *)iq->ScalingList4x4)[i] != 16)
            return false;
    for (size_t i = 0; i < sizeof(iq->ScalingList8x8); i++)
        if (((const uint8_t *)iq->ScalingList8x8)[i] != 16)
            return false;
    return true;
}

static bool needs_high(const VAPictureParameterBufferH264 *p, bool scaling)
{
    return p->pic_fields.bits.transform_8x8_mode_flag || scaling ||
           p->second_chroma_qp_index_offset != p->chroma_qp_index_offset;
}

static unsigned profile_idc(const DrvH264 *h, bool high)
{
    if (high || h->profile == VAProfileH264High)
        return 100;
    return h->profile == VAProfileH264Main ? 77 : 66;
}

static bool build_sps(const DrvH264 *h, bool high, Nal *out)
{
    const VAPictureParameterBufferH264 *p = &h->pic;
    Bw w = {.bits = 0};
    unsigned prof = profile_idc(h, high);
    bw_bits(&w, prof, 8);
    bw_bits(&w, prof == 66 ? 0x40 : 0, 8); /* constraint_set1_flag: Constrained Baseline */
    bw_bits(&w, p->seq_fields.bits.MinLumaBiPredSize8x8 ? 31 : 30, 8);
    bw_ue(&w, 0); /* seq_parameter_set_id */
    if (prof == 100) {
        bw_ue(&w, p->seq_fields.bits.chroma_format_idc);
        bw_ue(&w, p->bit_depth_luma_minus8);
        bw_ue(&w, p->bit_depth_chroma_minus8);
        bw_bit(&w, 0); /* qpprime_y_zero_transform_bypass_flag */
        bw_bit(&w, 0); /* seq_scaling_matrix_present_flag: the lists go into the PPS */
    }
    bw_ue(&w, p->seq_fields.bits.log2_max_frame_num_minus4);
    bw_ue(&w, p->seq_fields.bits.pic_order_cnt_type);
    if (p->seq_fields.bits.pic_order_cnt_type == 0)
        bw_ue(&w, p->seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4);
    bw_ue(&w, p->num_ref_frames);
    bw_bit(&w, p->seq_fields.bits.gaps_in_frame_num_value_allowed_flag);
    bw_ue(&w, p->picture_width_in_mbs_minus1);
    unsigned frame_mbs_only = p->seq_fields.bits.frame_mbs_only_flag;
    bw_ue(&w, (p->picture_height_in_mbs_minus1 + 1u) / (2 - frame_mbs_only) - 1);
    bw_bit(&w, frame_mbs_only);
    if (!frame_mbs_only)
        bw_bit(&w, p->seq_fields.bits.mb_adaptive_frame_field_flag);
    bw_bit(&w, p->seq_fields.bits.direct_8x8_inference_flag);
    bw_bit(&w, 0); /* frame_cropping_flag */
    bw_bit(&w, 0); /* vui_parameters_present_flag */
    return nal_finish(&w, 0x67, out);
}

static bool build_pps(const DrvH264 *h, unsigned pps_id, bool high, bool scaling, Nal *out)
{
    const VAPictureParameterBufferH264 *p = &h->pic;
    Bw w = {.bits = 0};
    bw_ue(&w, pps_id);
    bw_ue(&w, 0); /* seq_parameter_set_id */
    bw_bit(&w, p->pic_fields.bits.entropy_coding_mode_flag);
    bw_bit(&w, p->pic_fields.bits.pic_order_present_flag);
    bw_ue(&w, 0); /* num_slice_groups_minus1 */
    bw_ue(&w, h->def_l0[pps_id]);
    bw_ue(&w, h->def_l1[pps_id]);
    bw_bit(&w, p->pic_fields.bits.weighted_pred_flag);
    bw_bits(&w, p->pic_fields.bits.weighted_bipred_idc, 2);
    bw_se(&w, p->pic_init_qp_minus26);
    bw_se(&w, p->pic_init_qs_minus26);
    bw_se(&w, p->chroma_qp_index_offset);
    bw_bit(&w, p->pic_fields.bits.deblocking_filter_control_present_flag);
    bw_bit(&w, p->pic_fields.bits.constrained_intra_pred_flag);
    bw_bit(&w, p->pic_fields.bits.redundant_pic_cnt_present_flag);
    if (high) {
        unsigned t8x8 = p->pic_fields.bits.transform_8x8_mode_flag;
        bw_bit(&w, t8x8);
        bw_bit(&w, scaling);
        if (scaling)
            for (unsigned i = 0; i < 6 + 2 * t8x8; i++) {
                bw_bit(&w, 1); /* pic_scaling_list_present_flag */
                if (i < 6)
                    write_scaling_list(&w, h->iq.ScalingList4x4[i], 4);
                else
                    write_scaling_list(&w, h->iq.ScalingList8x8[i - 6], 8);
            }
        bw_se(&w, p->second_chroma_qp_index_offset);
    }
    return nal_finish(&w, 0x68, out);
}

/* ---- slice header (up to num_ref_idx_active_override_flag) ---------------------------------- */

typedef struct Br {
    const uint8_t *p;
    size_t n, pos;
    unsigned zeros, cur, left;
    bool err;
} Br;

static unsigned br_bit(Br *r)
{
    if (!r->left) {
        if (r->pos >= r->n) {
            r->err = true;
            return 0;
        }
        unsigned v = r->p[r->pos++];
        if (r->zeros >= 2 && v == 3) { /* emulation_prevention_three_byte */
            r->zeros = 0;
            if (r->pos >= r->n) {
                r->err = true;
                return 0;
            }
            v = r->p[r->pos++];
        }
        r->zeros = v ? 0 : r->zeros + 1;
        r->cur = v;
        r->left = 8;
    }
    return (r->cur >> --r->left) & 1;
}

static uint32_t br_bits(Br *r, unsigned n)
{
    uint32_t v = 0;
    while (n--)
        v = v << 1 | br_bit(r);
    return v;
}

static uint32_t br_ue(Br *r)
{
    unsigned lz = 0;
    while (!br_bit(r) && !r->err)
        if (++lz > 31) {
            r->err = true;
            return 0;
        }
    return (uint32_t)(((uint64_t)1 << lz) - 1 + br_bits(r, lz));
}

typedef struct SliceHdr {
    unsigned type;   /* slice_type % 5: 0 P, 1 B, 2 I, 3 SP, 4 SI */
    unsigned pps_id;
    bool field, override;
} SliceHdr;

static const char *parse_slice(const VAPictureParameterBufferH264 *p, const uint8_t *nal,
                               size_t n, SliceHdr *s)
{
    if (n < 2)
        return "slice-too-short";
    unsigned nal_type = nal[0] & 0x1f;
    if (nal_type != 1 && nal_type != 5)
        return "slice-nal-type";
    Br r = {.p = nal + 1, .n = n - 1};
    br_ue(&r); /* first_mb_in_slice */
    uint32_t type = br_ue(&r);
    s->pps_id = br_ue(&r);
    if (r.err || type > 9 || s->pps_id >= N_PPS_IDS)
        return "slice-header";
    s->type = type % 5;
    br_bits(&r, p->seq_fields.bits.log2_max_frame_num_minus4 + 4); /* frame_num */
    s->field = false;
    if (!p->seq_fields.bits.frame_mbs_only_flag && br_bit(&r)) { /* field_pic_flag */
        s->field = true;
        br_bit(&r); /* bottom_field_flag */
    }
    if (nal_type == 5)
        br_ue(&r); /* idr_pic_id */
    if (p->seq_fields.bits.pic_order_cnt_type == 0) {
        br_bits(&r, p->seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4 + 4);
        if (p->pic_fields.bits.pic_order_present_flag && !s->field)
            br_ue(&r); /* delta_pic_order_cnt_bottom (se: same length) */
    }
    if (p->pic_fields.bits.redundant_pic_cnt_present_flag)
        br_ue(&r);
    if (s->type == 1)
        br_bit(&r); /* direct_spatial_mv_pred_flag */
    s->override = false;
    if (s->type == 0 || s->type == 1 || s->type == 3)
        s->override = br_bit(&r);
    return r.err ? "slice-header" : NULL;
}

/* ---- libavcodec ----------------------------------------------------------------------------- */

static int get_buffer(AVCodecContext *avctx, AVFrame *f, int flags)
{
    DrvH264 *h = avctx->opaque;
    int ret = avcodec_default_get_buffer2(avctx, f, flags);
    if (ret < 0)
        return ret;
    held_release(h);
    h->allocated = true;
    h->held_frame = f;
    bool ok = true;
    for (int i = 0; i < AV_NUM_DATA_POINTERS; i++)
        if (f->buf[i] && !(h->held[i] = av_buffer_ref(f->buf[i])))
            ok = false;
    if (!ok) { /* reported as a failed picture, decoding goes on */
        held_release(h);
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        h->held_data[i] = f->data[i];
        h->held_linesize[i] = f->linesize[i];
    }
    h->held_w = f->width;
    h->held_h = f->height;
    h->held_fmt = f->format;
    h->held_ok = true;
    return 0;
}

static const char *open_decoder(DrvH264 *h)
{
    const AVCodec *codec = avcodec_find_decoder_by_name("h264");
    if (!codec)
        return "libavcodec-has-no-h264-decoder";
    h->avctx = avcodec_alloc_context3(codec);
    h->pkt = av_packet_alloc();
    h->out = av_frame_alloc();
    if (!h->avctx || !h->pkt || !h->out)
        return "out-of-memory";
    h->avctx->thread_count = 1; /* and no frame threading: whole pictures at send_packet */
    h->avctx->thread_type = 0;
    h->avctx->opaque = h;
    h->avctx->get_buffer2 = get_buffer;
    h->avctx->export_side_data |= AV_CODEC_EXPORT_DATA_FILM_GRAIN;
    if (avcodec_open2(h->avctx, codec, NULL) < 0) {
        avcodec_free_context(&h->avctx);
        return "avcodec-open";
    }
    return NULL;
}

/* Copies the held frame (rows of one field, or all) into the NV12 surface. */
static void copy_to_nv12(const DrvH264 *h, uint8_t *nv12, int width, int height, int field)
{
    int y0 = field < 0 ? 0 : field, step = field < 0 ? 1 : 2;
    for (int y = y0; y < h->held_h; y += step)
        memcpy(nv12 + (size_t)y * (size_t)width,
               h->held_data[0] + (ptrdiff_t)y * h->held_linesize[0], (size_t)h->held_w);
    uint8_t *uv = nv12 + (size_t)width * (size_t)height;
    for (int y = y0; y < h->held_h / 2; y += step) {
        const uint8_t *u = h->held_data[1] + (ptrdiff_t)y * h->held_linesize[1];
        const uint8_t *v = h->held_data[2] + (ptrdiff_t)y * h->held_linesize[2];
        uint8_t *d = uv + (size_t)y * (size_t)width;
        for (int x = 0; x < h->held_w / 2; x++) {
            d[2 * x] = u[x];
            d[2 * x + 1] = v[x];
        }
    }
}

#define FAIL(...)                                                                                \
    do {                                                                                         \
        snprintf(why, why_size, __VA_ARGS__);                                                    \
        return DRV_H264_FAILED;                                                                  \
    } while (0)

int drv_h264_end_picture(DrvH264 *h, const uint8_t *slices, const size_t *slice_ends,
                         size_t n_slices, uint8_t *nv12, int width, int height, char *why,
                         size_t why_size)
{
    if (!h->has_pic)
        return DRV_H264_SKIPPED;
    if (h->bad)
        FAIL("%s", h->bad);
    const VAPictureParameterBufferH264 *p = &h->pic;
    if (p->seq_fields.bits.chroma_format_idc != 1)
        FAIL("chroma-format-idc-%u", p->seq_fields.bits.chroma_format_idc);
    if (p->bit_depth_luma_minus8 || p->bit_depth_chroma_minus8)
        FAIL("bit-depth");
    if (p->seq_fields.bits.pic_order_cnt_type == 1)
        FAIL("pic-order-cnt-type-1");
    if (!p->seq_fields.bits.frame_mbs_only_flag && !(p->picture_height_in_mbs_minus1 & 1))
        FAIL("odd-height-in-map-units");
    int pic_w = 16 * (p->picture_width_in_mbs_minus1 + 1);
    int pic_h = 16 * (p->picture_height_in_mbs_minus1 + 1);
    if (pic_w > width || pic_h > height)
        FAIL("surface-too-small %dx%d for %dx%d", width, height, pic_w, pic_h);
    if (!h->n_sl)
        FAIL("no-slice-parameters");

    /* The slices, their PPS id and what they tell about the PPS's num_ref_idx defaults. */
    int pps_id = -1, l0 = -1, l1 = -1;
    size_t total = 0;
    for (size_t i = 0; i < h->n_sl; i++) {
        const SliceRef *s = &h->sl[i];
        if (s->data_index >= n_slices)
            FAIL("slice-parameters-without-data");
        if (s->flag != VA_SLICE_DATA_FLAG_ALL)
            FAIL("partial-slice");
        size_t start = s->data_index ? slice_ends[s->data_index - 1] : 0;
        if ((uint64_t)s->offset + s->size > slice_ends[s->data_index] - start)
            FAIL("slice-out-of-buffer");
        SliceHdr hdr;
        const char *err = parse_slice(p, slices + start + s->offset, s->size, &hdr);
        if (err)
            FAIL("%s", err);
        if (pps_id >= 0 && (unsigned)pps_id != hdr.pps_id)
            FAIL("pps-id-differs-between-slices");
        pps_id = (int)hdr.pps_id;
        if (hdr.type != 2 && hdr.type != 4 && !hdr.override) {
            if ((l0 >= 0 && l0 != s->l0) || (hdr.type == 1 && l1 >= 0 && l1 != s->l1))
                FAIL("num-ref-idx-default-differs-between-slices");
            l0 = s->l0;
            if (hdr.type == 1)
                l1 = s->l1;
        }
        total += 4 + s->size;
    }
    if (l0 >= 0)
        h->def_l0[pps_id] = (uint8_t)l0;
    if (l1 >= 0)
        h->def_l1[pps_id] = (uint8_t)l1;

    /* Parameter sets, sent when they change. */
    bool scaling = h->has_iq && !lists_flat(&h->iq);
    bool high = needs_high(p, scaling); /* no IQ matrix buffer: flat lists */
    Nal sps, pps;
    if (!build_sps(h, high, &sps) || !build_pps(h, (unsigned)pps_id, high, scaling, &pps))
        FAIL("parameter-set-too-large");
    bool send_sps = sps.size != h->sps.size || memcmp(sps.b, h->sps.b, sps.size) != 0;
    bool send_pps = send_sps || pps.size != h->pps.size || memcmp(pps.b, h->pps.b, pps.size) != 0;
    total += (send_sps ? sps.size : 0) + (send_pps ? pps.size : 0);

    if (!h->avctx) {
        const char *err = open_decoder(h);
        if (err)
            FAIL("%s", err);
    }
    if (total > INT32_MAX || av_new_packet(h->pkt, (int)total) < 0)
        FAIL("out-of-memory");
    uint8_t *o = h->pkt->data;
    if (send_sps) {
        memcpy(o, sps.b, sps.size);
        o += sps.size;
    }
    if (send_pps) {
        memcpy(o, pps.b, pps.size);
        o += pps.size;
    }
    for (size_t i = 0; i < h->n_sl; i++) {
        const SliceRef *s = &h->sl[i];
        size_t start = s->data_index ? slice_ends[s->data_index - 1] : 0;
        static const uint8_t start_code[4] = {0, 0, 0, 1};
        memcpy(o, start_code, 4);
        memcpy(o + 4, slices + start + s->offset, s->size);
        o += 4 + s->size;
    }

    h->allocated = false;
    int ret = avcodec_send_packet(h->avctx, h->pkt);
    av_packet_unref(h->pkt);
    while (avcodec_receive_frame(h->avctx, h->out) >= 0) /* display order: not ours */
        av_frame_unref(h->out);
    if (ret < 0) {
        h->sps.size = h->pps.size = 0; /* send them again */
        FAIL("avcodec-send-packet %s", av_err2str(ret));
    }
    h->sps = sps;
    h->pps = pps;

    bool field = p->pic_fields.bits.field_pic_flag;
    if (!h->allocated && !field)
        FAIL("libavcodec-skipped-the-picture");
    if (!h->held_ok || !h->held_frame->buf[0])
        FAIL("no-decoded-frame");
    if (h->held_frame->decode_error_flags)
        FAIL("libavcodec-concealed-errors");
    if (h->held_fmt != AV_PIX_FMT_YUV420P && h->held_fmt != AV_PIX_FMT_YUVJ420P)
        FAIL("pixel-format-%d", h->held_fmt);
    if (h->held_w > width || h->held_h > height)
        FAIL("surface-too-small %dx%d for %dx%d", width, height, h->held_w, h->held_h);
    copy_to_nv12(h, nv12, width, height,
                 field ? (p->CurrPic.flags & VA_PICTURE_H264_BOTTOM_FIELD ? 1 : 0) : -1);
    return DRV_H264_DECODED;
}
