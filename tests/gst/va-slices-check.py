#!/usr/bin/env python3
"""Compares the test VA driver's slice log (SECDEC_TEST_DRV_LOG: 'slice <enc|clear> <sha256> <size>')
with the clear stream's slice NALs, for the GStreamer VA-API path (tests/gst/vaapi.sh).

Usage: va-slices-check.py h264|hevc clear.annexb enc.annexb drv.log [--power-loss]

clear.annexb / enc.annexb: `ffmpeg -c copy -bsf:v <codec>_mp4toannexb` of the clear file and of
its secdec-pack encryption (CENC keeps every size, so the clear stream's NAL boundaries locate
each encrypted NAL). Every slice must reach the driver whole and decrypt to the clear slice, in
order. The GStreamer plugin uses the system libavcodec, whose ff_h2645_extract_rbsp() ends even a
length-prefixed NAL unit at the first 00 00 01 / 00 00 02 (FFmpeg's patch 0008 is not in it);
libsecdec-vaapi's decode display passes such slices whole (hw/README.md), so the slices whose
ciphertext holds those bytes are counted and must be whole too. Exit 0 with a summary; 1 with
the first differences.

--power-loss: the log has one 'event power-loss' (SECDEC_TEST_DRV_LOSE_AFTER) and the pictures
that failed on the dead session ('error session-lost'); the slices the driver decrypted must be
the clear slices up to the loss, then — after the front-end's recovery — the clear slices again
from a keyframe (IDR/IRAP) on to the end, nothing else."""
import hashlib
import re
import sys

codec, clear_path, enc_path, log_path = sys.argv[1:5]
power_loss = sys.argv[5:6] == ['--power-loss']
clear = open(clear_path, 'rb').read()
enc = open(enc_path, 'rb').read()
if len(clear) != len(enc):
    sys.exit('annexb streams differ in size (%d, %d)' % (len(clear), len(enc)))
starts = [m.end() for m in re.finditer(b'\x00\x00\x01', clear)]
expected = []  # (sha, size, cut)
for i, s in enumerate(starts):
    end = starts[i + 1] - 3 if i + 1 < len(starts) else len(clear)
    nal = clear[s:end].rstrip(b'\x00')
    if not nal:
        continue
    vcl = (nal[0] & 0x1f) in (1, 2, 3, 4, 5) if codec == 'h264' else (nal[0] >> 1) & 0x3f < 32
    if not vcl:
        continue
    key = (nal[0] & 0x1f) == 5 if codec == 'h264' else 16 <= (nal[0] >> 1) & 0x3f <= 21
    cut = re.search(b'\x00\x00[\x01\x02]', enc[s:s + len(nal)]) is not None
    ntype = nal[0] & 0x1f if codec == 'h264' else (nal[0] >> 1) & 0x3f
    expected.append((hashlib.sha256(nal).hexdigest(), len(nal), cut, key, ntype))

got = []
events = errors = 0
for line in open(log_path):
    f = line.split()
    if power_loss and f[:1] == ['event'] and f[1:2] and f[1].startswith('power-loss'):
        events += 1
        continue
    if power_loss and f[:2] == ['error', 'session-lost'] and events == 1:
        errors += 1
        continue
    if f and f[0] in ('error', 'event'):
        sys.exit('driver: ' + line.strip())
    if len(f) == 4 and f[0] == 'slice':
        got.append((f[2], int(f[3])))
if power_loss:
    if events != 1 or errors < 1:
        sys.exit('expected one power-loss event and failed pictures, got %d and %d' % (events, errors))
    # the longest prefix in order, then the rest must be the clear slices from a keyframe
    # (IDR / IRAP picture start) to the end; an HEVC decoder starting at a CRA skips its RASL
    # pictures (NAL types 8, 9) as the standard says
    a = 0
    while a < len(got) and a < len(expected) and got[a] == expected[a][:2]:
        a += 1
    b = None
    for k in range(a, len(expected)):
        if not expected[k][3] or (k > 0 and expected[k - 1][3]):
            continue
        rest = expected[k:]
        if codec == 'hevc':
            i = 0
            while i < len(rest) and rest[i][3]:
                i += 1
            j = i
            while j < len(rest) and rest[j][4] in (8, 9):
                j += 1
            rest = rest[:i] + rest[j:]
        if [e[:2] for e in rest] == got[a:]:
            b = k
            expected = expected[:a] + rest
            break
    if b is None:
        sys.exit('after the loss the driver got %d slices: not the clear slices from a keyframe '
                 'to the end (%d before the loss)' % (len(got) - a, a))
    lost = b - a
bad = []
if len(got) != len(expected):
    bad.append('driver logged %d slices, expected %d' % (len(got), len(expected)))
for n, (e, g) in enumerate(zip(expected, got)):
    sha, size, cut = e[:3]
    if g[1] != size or g[0] != sha:
        bad.append('slice %d: got %s %d, expected %s %d%s' % (n + 1, g[0][:16], g[1], sha[:16], size,
                   ' (its ciphertext holds 00 00 01/02: the system libavcodec cuts it there)'
                   if cut else ''))
if bad:
    print('\n'.join(bad[:6]), file=sys.stderr)
    sys.exit(1)
n_cut = sum(1 for e in expected if e[2])
if power_loss:
    print('%d slices bit-exact in the TEE before the power loss, %d after the recovery from a '
          'keyframe; %d slices not decoded in between' % (a, len(expected) - a, lost))
    sys.exit(0)
print('%d slices bit-exact in the TEE, %d of them with 00 00 01/02 in the ciphertext (cut by the '
      'system libavcodec, passed whole by the decode display)' % (len(expected), n_cut))
