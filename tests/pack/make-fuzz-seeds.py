#!/usr/bin/env python3
# Regenerates the seed corpus of fuzz-nalsplit from small clear MP4 files made
# by ffmpeg (libx264 / libx265): usage: make-fuzz-seeds.py OUTDIR h264.mp4 hevc.mp4
import struct, sys, os

def boxes(b, off, end):
    while off + 8 <= end:
        size, typ = struct.unpack('>I4s', b[off:off + 8])
        if size < 8 or off + size > end:
            return
        yield typ.decode('latin1'), off, size
        off += size

def find(b, path, off=0, end=None):
    end = len(b) if end is None else end
    for typ, o, s in boxes(b, off, end):
        if typ == path[0]:
            if len(path) == 1:
                return o, s
            start = o + 8
            if typ == 'stsd':
                start = o + 16
            elif typ in ('avc1', 'hvc1', 'hev1'):
                start = o + 86
            r = find(b, path[1:], start, o + s)
            if r:
                return r
    return None

def seed(path, codec_bit, nsamples):
    b = open(path, 'rb').read()
    entry = 'avc1' if codec_bit == 0 else 'hvc1'
    cfgname = 'avcC' if codec_bit == 0 else 'hvcC'
    stbl = ['moov', 'trak', 'mdia', 'minf', 'stbl']
    o, s = find(b, stbl + ['stsd', entry, cfgname])
    cfg = b[o + 8:o + s]
    o, s = find(b, stbl + ['stsz'])
    count = struct.unpack('>I', b[o + 16:o + 20])[0]
    sizes = struct.unpack('>%dI' % count, b[o + 20:o + 20 + 4 * count])
    o, s = find(b, stbl + ['stco'])
    off = struct.unpack('>I', b[o + 16:o + 20])[0]  # first chunk holds the first samples
    out = bytes([codec_bit]) + struct.pack('>H', len(cfg)) + cfg
    for sz in sizes[:nsamples]:
        smp = b[off:off + sz][:65535]
        out += struct.pack('>H', len(smp)) + smp
        off += sz
    return out

outdir = sys.argv[1]
os.makedirs(outdir, exist_ok=True)
for i, (path, bit) in enumerate(((sys.argv[2], 0), (sys.argv[3], 1))):
    name = 'h264' if bit == 0 else 'hevc'
    open(os.path.join(outdir, name + '-idr.bin'), 'wb').write(seed(path, bit, 1))
    open(os.path.join(outdir, name + '-3.bin'), 'wb').write(seed(path, bit, 3))
