#!/usr/bin/env python3
"""Prints 'slice <sha256> <size>' for every slice NAL of an Annex B H.264 / HEVC stream read from
stdin (e.g. `ffmpeg -i clear.mp4 -c copy -bsf:v h264_mp4toannexb -f h264 -`), in stream order:
the bytes libavcodec's VA-API hwaccel puts into a slice data buffer (NAL header included, start
code excluded, emulation prevention bytes kept).

Usage: clear-slices.py h264|hevc [--pictures] [FIRST [END]]
  FIRST, END  only pictures FIRST..END-1 (decode order, from 0), as a decoder that starts at
              picture FIRST (a keyframe) renders them: the RASL pictures of an HEVC CRA at FIRST
              are left out, they reference pictures before it and are skipped.
  --pictures  one line 'picture <index>' per picture instead of the slices."""
import hashlib
import re
import sys

args = sys.argv[1:]
codec = args.pop(0)
pictures = '--pictures' in args
args = [a for a in args if a != '--pictures']
first = int(args[0]) if args else 0
end = int(args[1]) if len(args) > 1 else None

data = sys.stdin.buffer.read()
starts = [m.end() for m in re.finditer(b'\x00\x00\x01', data)]
slices = []  # (picture index, nal type, nal)
pic = -1
for i, s in enumerate(starts):
    stop = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
    nal = data[s:stop].rstrip(b'\x00')  # a 4-byte start code's leading zero; NALs never end in 0
    if not nal:
        continue
    if codec == 'h264':
        typ = nal[0] & 0x1f
        if typ not in (1, 2, 3, 4, 5):
            continue
        first_in_pic = len(nal) > 1 and nal[1] & 0x80  # first_mb_in_slice == 0
    else:
        typ = (nal[0] >> 1) & 0x3f
        if typ >= 32:
            continue
        first_in_pic = len(nal) > 2 and nal[2] & 0x80  # first_slice_segment_in_pic_flag
    if first_in_pic or pic < 0:
        pic += 1
    slices.append((pic, typ, nal))

# HEVC: RASL pictures (types 8, 9) following a CRA (21) at FIRST in decode order
skipped = set()
types = {}
for p, t, _ in slices:
    types.setdefault(p, t)
if codec == 'hevc' and types.get(first) == 21:
    p = first + 1
    while types.get(p) in (6, 7, 8, 9):  # the CRA's leading pictures (RADL are decodable)
        if types[p] in (8, 9):
            skipped.add(p)
        p += 1

done = set()
for p, t, nal in slices:
    if p < first or (end is not None and p >= end) or p in skipped:
        continue
    if pictures:
        if p not in done:
            print('picture %d' % p)
            done.add(p)
    else:
        print('slice %s %d' % (hashlib.sha256(nal).hexdigest(), len(nal)))
