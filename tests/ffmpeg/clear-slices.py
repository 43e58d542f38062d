#!/usr/bin/env python3
"""Prints 'slice <sha256> <size>' for every slice NAL of an Annex B H.264 / HEVC stream read from
stdin (e.g. `ffmpeg -i clear.mp4 -c copy -bsf:v h264_mp4toannexb -f h264 -`), in stream order:
the bytes libavcodec's VA-API hwaccel puts into a slice data buffer (NAL header included, start
code excluded, emulation prevention bytes kept). Usage: clear-slices.py h264|hevc"""
import hashlib
import re
import sys

codec = sys.argv[1]
data = sys.stdin.buffer.read()
starts = [m.end() for m in re.finditer(b'\x00\x00\x01', data)]
for i, s in enumerate(starts):
    end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
    nal = data[s:end].rstrip(b'\x00')  # a 4-byte start code's leading zero; NALs never end in 0
    if not nal:
        continue
    vcl = (nal[0] & 0x1f) in (1, 2, 3, 4, 5) if codec == 'h264' else (nal[0] >> 1) & 0x3f < 32
    if vcl:
        print('slice %s %d' % (hashlib.sha256(nal).hexdigest(), len(nal)))
