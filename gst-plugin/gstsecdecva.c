/*
 * gstsecdecva.c - the VA-API side of the secdec decoders (see gstsecdecva.h).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Surfaces flow like this (the design of gst-plugins-bad's va decoders, with libavcodec as the
 * decoder):
 *
 *   GstVaPool (GstVaAllocator on the GstVaDisplay that wraps the decode display)
 *     -> get_buffer2: gst_buffer_pool_acquire_buffer(); AVFrame.buf[0] = av_buffer_create()
 *        around the GstBuffer (its free callback unrefs it), AVFrame.data[3] = its VASurfaceID
 *     -> libavcodec's VA-API hwaccel renders the picture into that surface, keeps the frame as
 *        long as it is a reference, and outputs it
 *     -> the element pushes a reference to that same GstBuffer (memory:VAMemory) or reads the
 *        surface into a system-memory buffer (gst_secdec_va_download)
 *
 * A surface is therefore never handed to libavcodec while libavcodec or anything downstream
 * still holds it: the GstBuffer returns to the GstVaPool only when its last reference is gone
 * (when GstVideoDecoder had to copy the buffer's metadata because libavcodec still referenced
 * it, the memory is shared: the pool then drops that GstBuffer and the surface goes back to
 * the GstVaAllocator when the last holder releases the memory).
 *
 * The AVHWFramesContext's own AVBufferPool (AVHWFramesContext.pool, required by libavutil)
 * takes its surfaces from the same GstVaPool; libavutil only uses it for one test surface in
 * av_hwframe_ctx_init(), which it caches until the frames context is freed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecva.h"

#include <string.h>
#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vaapi.h>
#include <libavutil/pixdesc.h>
#include <va/va_backend.h>

GST_DEBUG_CATEGORY_STATIC (gst_secdec_va_debug);
#define GST_CAT_DEFAULT gst_secdec_va_debug

struct _GstSecdecVa
{
  GstVaDisplay *display;
  SecdecVaapiDecodeDisplay *dd; /* owned by display (qdata) */
  VADisplay dpy;
  AVBufferRef *device_ref;

  GstBufferPool *pool;
  GstVideoFormat pool_format;
  gint pool_width, pool_height;
  gint pool_coded_width, pool_coded_height;
  gboolean pool_changed;

  VAImageFormat *image_formats;
  gint n_image_formats;
};

static void
init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_secdec_va_debug, "secdecva", 0,
        "secdec decoders: VA surfaces");
    g_once_init_leave (&once, 1);
  }
}

static GQuark
decode_display_quark (void)
{
  static GQuark q;

  if (q == 0)
    q = g_quark_from_static_string ("secdec-vaapi-decode-display");
  return q;
}

static void
free_decode_display (gpointer data)
{
  SecdecVaapiDecodeDisplay *dd = data;

  GST_DEBUG ("freeing decode display %p", dd);
  secdec_vaapi_decode_display_free (&dd);
}

static void
device_free (AVHWDeviceContext * ctx)
{
  gst_object_unref (ctx->user_opaque);
}

GstSecdecVa *
gst_secdec_va_new (SecdecDevice * device, SecdecCryptoSession * session, gchar ** error)
{
  SecdecVaapiDecodeDisplay *dd = NULL;
  GstVaDisplay *display;
  AVBufferRef *ref;
  AVHWDeviceContext *dctx;
  VADisplay dpy = NULL;
  GstSecdecVa *va;
  SecdecStatus st;
  int r;

  init_debug ();
  st = secdec_vaapi_decode_display_create (device, session, &dd, &dpy);
  if (st != SECDEC_OK) {
    *error = g_strdup_printf ("secdec_vaapi_decode_display_create: %s (%s)",
        secdec_status_to_string (st), secdec_status_name (st));
    return NULL;
  }
  /* foreign display: GstVaDisplay neither initializes nor terminates it */
  display = gst_va_display_wrapped_new (dpy);
  if (display == NULL) {
    secdec_vaapi_decode_display_free (&dd);
    *error = g_strdup ("gst_va_display_wrapped_new refused the decode display");
    return NULL;
  }
  g_object_set_qdata_full (G_OBJECT (display), decode_display_quark (), dd,
      free_decode_display);

  ref = av_hwdevice_ctx_alloc (AV_HWDEVICE_TYPE_VAAPI);
  if (ref == NULL) {
    gst_object_unref (display);
    *error = g_strdup ("av_hwdevice_ctx_alloc: out of memory");
    return NULL;
  }
  dctx = (AVHWDeviceContext *) ref->data;
  dctx->user_opaque = gst_object_ref (display);
  dctx->free = device_free;
  ((AVVAAPIDeviceContext *) dctx->hwctx)->display = dpy;
  r = av_hwdevice_ctx_init (ref);
  if (r < 0) {
    av_buffer_unref (&ref);
    gst_object_unref (display);
    *error = g_strdup_printf ("av_hwdevice_ctx_init: %s", av_err2str (r));
    return NULL;
  }

  va = g_new0 (GstSecdecVa, 1);
  va->display = display;
  va->dd = dd;
  va->dpy = dpy;
  va->device_ref = ref;
  va->pool_format = GST_VIDEO_FORMAT_UNKNOWN;
  GST_INFO ("VA display %" GST_PTR_FORMAT " (%s) wraps decode display %p",
      display, vaQueryVendorString (dpy), dd);
  return va;
}

static void
drop_pool (GstSecdecVa * va)
{
  if (va->pool == NULL)
    return;
  /* buffers still held (libavcodec's frames, downstream) are freed when they come back */
  gst_buffer_pool_set_active (va->pool, FALSE);
  gst_clear_object (&va->pool);
}

void
gst_secdec_va_free (GstSecdecVa * va)
{
  if (va == NULL)
    return;
  drop_pool (va);
  av_buffer_unref (&va->device_ref);
  g_free (va->image_formats);
  /* the decode display goes with the GstVaDisplay's last reference */
  gst_object_unref (va->display);
  g_free (va);
}

void
gst_secdec_va_retire (GstSecdecVa * va)
{
  VADisplayContextP dctx;
  gint held;

  if (va == NULL)
    return;
  dctx = va->dpy;
  drop_pool (va);
  av_buffer_unref (&va->device_ref);
  /* what is still alive now lives longer than the device: the pool's surfaces (its buffers
   * downstream), contexts holding the display */
  held = GST_OBJECT_REFCOUNT_VALUE (va->display) - 1;
  GST_INFO ("retiring VA display %" GST_PTR_FORMAT " (%d other references)", va->display,
      held);
  /* libva checks this magic first in every call (CHECK_DISPLAY) */
  dctx->vadpy_magic = 0;
  va->dpy = NULL;
  gst_secdec_va_free (va);
}

GstVaDisplay *
gst_secdec_va_get_display (GstSecdecVa * va)
{
  return va->display;
}

SecdecVaapiDecodeDisplay *
gst_secdec_va_get_decode_display (GstSecdecVa * va)
{
  return va->dd;
}

AVBufferRef *
gst_secdec_va_ref_device (GstSecdecVa * va)
{
  return av_buffer_ref (va->device_ref);
}

GstBufferPool *
gst_secdec_va_get_pool (GstSecdecVa * va)
{
  return va->pool;
}

gboolean
gst_secdec_va_take_pool_changed (GstSecdecVa * va)
{
  gboolean changed = va->pool_changed;

  va->pool_changed = FALSE;
  return changed;
}

/* ---- libavcodec's frames: surfaces of GstVaPool buffers ------------------------------------ */

static GstVideoFormat
sw_format_to_gst (enum AVPixelFormat f)
{
  switch (f) {
    case AV_PIX_FMT_NV12:
      return GST_VIDEO_FORMAT_NV12;
    case AV_PIX_FMT_P010LE:
      return GST_VIDEO_FORMAT_P010_10LE;
    default:
      return GST_VIDEO_FORMAT_UNKNOWN;
  }
}

static void
release_buffer (void *opaque, uint8_t * data)
{
  GST_TRACE ("libavcodec released surface %#x", (guint) (uintptr_t) data);
  gst_buffer_unref (GST_BUFFER_CAST (opaque));
}

/* An AVBufferRef owning @buf whose data is @buf's VASurfaceID (AVVAAPIFramesContext layout). */
static AVBufferRef *
wrap_buffer (GstBuffer * buf)
{
  VASurfaceID surface = gst_va_buffer_get_surface (buf);
  AVBufferRef *ref;

  if (surface == VA_INVALID_ID) {
    gst_buffer_unref (buf);
    return NULL;
  }
  ref = av_buffer_create ((uint8_t *) (uintptr_t) surface, sizeof (VASurfaceID),
      release_buffer, buf, 0);
  if (ref == NULL)
    gst_buffer_unref (buf);
  return ref;
}

static AVBufferRef *
pool_alloc (void *opaque, size_t size)
{
  GstBuffer *buf = NULL;

  if (gst_buffer_pool_acquire_buffer (GST_BUFFER_POOL (opaque), &buf, NULL) != GST_FLOW_OK)
    return NULL;
  return wrap_buffer (buf);
}

static void
pool_free (void *opaque)
{
  gst_object_unref (opaque);
}

static void
frames_free (AVHWFramesContext * fc)
{
  /* hands the cached GstBuffers back, then pool_free() drops the pool */
  av_buffer_pool_uninit (&fc->pool);
}

/* A GstVaPool of @format surfaces of @coded_width x @coded_height, whose buffers' caps and
 * video meta say @width x @height (the visible part). */
static gboolean
make_pool (GstSecdecVa * va, GstVideoFormat format, gint width, gint height,
    gint coded_width, gint coded_height, gchar ** error)
{
  GstCaps *caps;
  GstVideoInfo info;
  GArray *formats;
  GstAllocator *allocator;
  GstBufferPool *pool;
  GstStructure *config;
  GstVideoAlignment align;
  gboolean ok;

  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      gst_video_format_to_string (format), "width", G_TYPE_INT, width,
      "height", G_TYPE_INT, height, NULL);
  gst_caps_set_features_simple (caps,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_VA, NULL));
  if (!gst_video_info_from_caps (&info, caps)) {
    gst_caps_unref (caps);
    *error = g_strdup ("invalid surface caps");
    return FALSE;
  }
  formats = g_array_sized_new (FALSE, FALSE, sizeof (GstVideoFormat), 1);
  g_array_append_val (formats, format);
  allocator = gst_va_allocator_new (va->display, formats);
  pool = gst_va_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  /* no preallocation, no limit: libavcodec takes what its references need, downstream
   * holds what it holds */
  gst_buffer_pool_config_set_params (config, caps, GST_VIDEO_INFO_SIZE (&info), 0, 0);
  gst_buffer_pool_config_set_allocator (config, allocator, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_video_alignment_reset (&align);
  align.padding_right = (guint) (coded_width - width);
  align.padding_bottom = (guint) (coded_height - height);
  gst_buffer_pool_config_set_va_alignment (config, &align);
  gst_buffer_pool_config_set_va_allocation_params (config,
      VA_SURFACE_ATTRIB_USAGE_HINT_DECODER, GST_VA_FEATURE_AUTO);
  ok = gst_buffer_pool_set_config (pool, config);
  if (ok)
    ok = gst_buffer_pool_set_active (pool, TRUE);
  gst_object_unref (allocator);
  gst_caps_unref (caps);
  if (!ok) {
    gst_object_unref (pool);
    *error = g_strdup_printf ("cannot set up a GstVaPool of %s %dx%d surfaces (coded %dx%d)",
        gst_video_format_to_string (format), width, height, coded_width, coded_height);
    return FALSE;
  }
  drop_pool (va);
  va->pool = pool;
  va->pool_format = format;
  va->pool_width = width;
  va->pool_height = height;
  va->pool_coded_width = coded_width;
  va->pool_coded_height = coded_height;
  va->pool_changed = TRUE;
  GST_INFO ("new GstVaPool %" GST_PTR_FORMAT ": %s %dx%d, surfaces %dx%d", pool,
      gst_video_format_to_string (format), width, height, coded_width, coded_height);
  return TRUE;
}

gboolean
gst_secdec_va_setup_frames (GstSecdecVa * va, AVCodecContext * ctx, gchar ** error)
{
  AVBufferRef *ref = NULL;
  AVHWFramesContext *fc;
  GstVideoFormat format;
  gint width, height;
  int r;

  av_buffer_unref (&ctx->hw_frames_ctx);
  r = avcodec_get_hw_frames_parameters (ctx, va->device_ref, AV_PIX_FMT_VAAPI, &ref);
  if (r < 0) {
    *error = g_strdup_printf ("avcodec_get_hw_frames_parameters: %s", av_err2str (r));
    return FALSE;
  }
  fc = (AVHWFramesContext *) ref->data;
  format = sw_format_to_gst (fc->sw_format);
  if (format == GST_VIDEO_FORMAT_UNKNOWN) {
    *error = g_strdup_printf ("the VA-API hwaccel decodes this stream into %s surfaces; "
        "only NV12 and P010 are supported", av_get_pix_fmt_name (fc->sw_format));
    av_buffer_unref (&ref);
    return FALSE;
  }
  width = ctx->width > 0 && ctx->width <= fc->width ? ctx->width : fc->width;
  height = ctx->height > 0 && ctx->height <= fc->height ? ctx->height : fc->height;
  if (va->pool == NULL || va->pool_format != format || va->pool_width != width
      || va->pool_height != height || va->pool_coded_width != fc->width
      || va->pool_coded_height != fc->height) {
    if (!make_pool (va, format, width, height, fc->width, fc->height, error)) {
      av_buffer_unref (&ref);
      return FALSE;
    }
  }

  fc->initial_pool_size = 0;    /* surfaces come and go: vaCreateContext gets no targets */
  fc->user_opaque = va->pool;   /* borrowed: the AVBufferPool below holds a reference */
  fc->free = frames_free;
  fc->pool = av_buffer_pool_init2 (sizeof (VASurfaceID), gst_object_ref (va->pool),
      pool_alloc, pool_free);
  if (fc->pool == NULL) {
    gst_object_unref (va->pool);
    av_buffer_unref (&ref);
    *error = g_strdup ("av_buffer_pool_init2: out of memory");
    return FALSE;
  }
  r = av_hwframe_ctx_init (ref);
  if (r < 0) {
    av_buffer_unref (&ref);
    *error = g_strdup_printf ("av_hwframe_ctx_init: %s", av_err2str (r));
    return FALSE;
  }
  GST_DEBUG ("frames context %dx%d %s on pool %" GST_PTR_FORMAT, fc->width, fc->height,
      av_get_pix_fmt_name (fc->sw_format), va->pool);
  ctx->hw_frames_ctx = ref;
  return TRUE;
}

int
gst_secdec_va_get_buffer2 (AVCodecContext * ctx, AVFrame * frame, int flags)
{
  AVHWFramesContext *fc;
  GstBuffer *buf = NULL;
  GstFlowReturn fr;

  if (frame->format != AV_PIX_FMT_VAAPI || ctx->hw_frames_ctx == NULL)
    return avcodec_default_get_buffer2 (ctx, frame, flags);
  fc = (AVHWFramesContext *) ctx->hw_frames_ctx->data;
  if (fc->free != frames_free)
    return avcodec_default_get_buffer2 (ctx, frame, flags);

  fr = gst_buffer_pool_acquire_buffer (GST_BUFFER_POOL (fc->user_opaque), &buf, NULL);
  if (fr != GST_FLOW_OK) {
    GST_WARNING ("cannot acquire a surface: %s", gst_flow_get_name (fr));
    return AVERROR (ENOMEM);
  }
  frame->buf[0] = wrap_buffer (buf);
  if (frame->buf[0] == NULL)
    return AVERROR (ENOMEM);
  frame->data[3] = frame->buf[0]->data;
  frame->hw_frames_ctx = av_buffer_ref (ctx->hw_frames_ctx);
  if (frame->hw_frames_ctx == NULL) {
    av_buffer_unref (&frame->buf[0]);
    frame->data[3] = NULL;
    return AVERROR (ENOMEM);
  }
  /* what avcodec_default_get_buffer2() does for hardware frames */
  frame->width = ctx->coded_width;
  frame->height = ctx->coded_height;
  GST_TRACE ("libavcodec decodes into surface %#x (buffer %p)",
      (guint) (uintptr_t) frame->data[3], buf);
  return 0;
}

GstBuffer *
gst_secdec_va_frame_buffer (const AVFrame * f)
{
  AVHWFramesContext *fc;
  GstBuffer *buf;

  if (f->format != AV_PIX_FMT_VAAPI || f->buf[0] == NULL || f->hw_frames_ctx == NULL)
    return NULL;
  fc = (AVHWFramesContext *) f->hw_frames_ctx->data;
  if (fc->free != frames_free)
    return NULL;
  buf = av_buffer_get_opaque (f->buf[0]);
  if (buf == NULL
      || gst_va_buffer_get_surface (buf) != (VASurfaceID) (uintptr_t) f->data[3])
    return NULL;
  return buf;
}

GstVideoFormat
gst_secdec_va_frame_format (const AVFrame * f)
{
  if (f->format != AV_PIX_FMT_VAAPI || f->hw_frames_ctx == NULL)
    return GST_VIDEO_FORMAT_UNKNOWN;
  return sw_format_to_gst (((AVHWFramesContext *) f->hw_frames_ctx->data)->sw_format);
}

/* ---- reading surfaces back -------------------------------------------------------------- */

static const VAImageFormat *
find_image_format (GstSecdecVa * va, guint32 fourcc)
{
  gint i;

  if (va->image_formats == NULL) {
    gint max = vaMaxNumImageFormats (va->dpy), n = 0;

    if (max <= 0)
      return NULL;
    va->image_formats = g_new0 (VAImageFormat, max);
    if (vaQueryImageFormats (va->dpy, va->image_formats, &n) != VA_STATUS_SUCCESS)
      n = 0;
    va->n_image_formats = MIN (n, max);
  }
  for (i = 0; i < va->n_image_formats; i++)
    if (va->image_formats[i].fourcc == fourcc)
      return &va->image_formats[i];
  return NULL;
}

/* Copies the visible rows of each plane; FALSE when the image does not describe them. */
static gboolean
copy_image (const VAImage * image, const guint8 * data, GstVideoFrame * dst)
{
  guint p, y;

  if (image->num_planes < GST_VIDEO_FRAME_N_PLANES (dst)
      || image->width < GST_VIDEO_FRAME_WIDTH (dst)
      || image->height < GST_VIDEO_FRAME_HEIGHT (dst))
    return FALSE;
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (dst); p++) {
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (dst, p);
    gint dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE (dst, p);
    /* NV12 and P010: plane p starts with component p */
    gsize row = (gsize) GST_VIDEO_FRAME_COMP_WIDTH (dst, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (dst, p);
    guint rows = GST_VIDEO_FRAME_COMP_HEIGHT (dst, p);
    gsize pitch = image->pitches[p], offset = image->offsets[p];

    if (rows == 0)
      continue;
    if (row > pitch || offset > image->data_size
        || (rows - 1) * pitch + row > image->data_size - offset)
      return FALSE;
    for (y = 0; y < rows; y++)
      memcpy (d + (gsize) y * dst_stride, data + offset + y * pitch, row);
  }
  return TRUE;
}

static const gchar LAYOUT_STEP[] = "the image layout";

/* One way of reading @surface: vaDeriveImage (@derive) or vaCreateImage + vaGetImage. Returns
 * the status of the call that failed (*step names it), VA_STATUS_SUCCESS when @dst is filled. */
static VAStatus
read_surface (GstSecdecVa * va, VASurfaceID surface, gboolean derive, guint32 fourcc,
    GstVideoFrame * dst, const gchar ** step)
{
  guint w = GST_ROUND_UP_2 (GST_VIDEO_FRAME_WIDTH (dst));
  guint h = GST_ROUND_UP_2 (GST_VIDEO_FRAME_HEIGHT (dst));
  VAImage image;
  gboolean have_image = FALSE;
  void *data = NULL;
  VAStatus st;

  memset (&image, 0, sizeof image);
  image.image_id = VA_INVALID_ID;
  image.buf = VA_INVALID_ID;
  if (derive) {
    *step = "vaDeriveImage";
    st = vaDeriveImage (va->dpy, surface, &image);
    have_image = st == VA_STATUS_SUCCESS;
    if (have_image && image.format.fourcc != fourcc)
      st = VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
  } else {
    const VAImageFormat *fmt = find_image_format (va, fourcc);

    *step = "vaCreateImage";
    st = fmt ? vaCreateImage (va->dpy, (VAImageFormat *) fmt, (int) w, (int) h, &image) :
        VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    have_image = st == VA_STATUS_SUCCESS;
    if (have_image) {
      *step = "vaGetImage";
      st = vaGetImage (va->dpy, surface, 0, 0, w, h, image.image_id);
    }
  }
  if (st == VA_STATUS_SUCCESS) {
    *step = "vaMapBuffer";
    st = vaMapBuffer (va->dpy, image.buf, &data);
    if (st == VA_STATUS_SUCCESS) {
      if (!copy_image (&image, data, dst)) {
        *step = LAYOUT_STEP;
        st = VA_STATUS_ERROR_INVALID_IMAGE;
      }
      vaUnmapBuffer (va->dpy, image.buf);
    }
  }
  if (have_image)
    vaDestroyImage (va->dpy, image.image_id);
  return st;
}

GstSecdecVaReadResult
gst_secdec_va_download (GstSecdecVa * va, const AVFrame * f, GstVideoFrame * dst,
    gchar ** detail)
{
  VASurfaceID surface = (VASurfaceID) (uintptr_t) f->data[3];
  const gchar *derive_step = NULL, *get_step = NULL;
  VAStatus st, derive_st, get_st;
  guint32 fourcc;

  switch (GST_VIDEO_FRAME_FORMAT (dst)) {
    case GST_VIDEO_FORMAT_NV12:
      fourcc = VA_FOURCC_NV12;
      break;
    case GST_VIDEO_FORMAT_P010_10LE:
      fourcc = VA_FOURCC_P010;
      break;
    default:
      *detail = g_strdup_printf ("cannot read %s surfaces",
          gst_video_format_to_string (GST_VIDEO_FRAME_FORMAT (dst)));
      return GST_SECDEC_VA_READ_FAILED;
  }
  st = vaSyncSurface (va->dpy, surface);
  if (st != VA_STATUS_SUCCESS) {
    *detail = g_strdup_printf ("vaSyncSurface (surface %#x): %s", surface, vaErrorStr (st));
    return GST_SECDEC_VA_READ_FAILED;
  }
  derive_st = read_surface (va, surface, TRUE, fourcc, dst, &derive_step);
  if (derive_st == VA_STATUS_SUCCESS)
    return GST_SECDEC_VA_READ_OK;
  get_st = read_surface (va, surface, FALSE, fourcc, dst, &get_step);
  if (get_st == VA_STATUS_SUCCESS) {
    GST_LOG ("surface %#x read with vaGetImage (%s: %s)", surface, derive_step,
        vaErrorStr (derive_st));
    return GST_SECDEC_VA_READ_OK;
  }
  *detail = g_strdup_printf ("surface %#x: %s: %s; %s: %s", surface, derive_step,
      vaErrorStr (derive_st), get_step, vaErrorStr (get_st));
  /* both calls refused: the driver keeps the decoded (protected) picture in */
  if (derive_step == LAYOUT_STEP || get_step == LAYOUT_STEP)
    return GST_SECDEC_VA_READ_FAILED;
  return GST_SECDEC_VA_READ_FORBIDDEN;
}
