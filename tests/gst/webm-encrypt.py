#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""webm-encrypt: makes an encrypted WebM (test fixture) from a clear VP8/VP9 WebM, following the
WebM encryption specification (webmproject.org/docs/webm-encryption): the video TrackEntry gets
ContentEncodings/ContentEncoding{Order 0, Scope 1, Type 1 (encryption), ContentEncryption{
ContentEncAlgo 5 (AES), ContentEncKeyID, ContentEncAESSettings{AESSettingsCipherMode 1 (CTR)}}},
and every block of that track starts with a signal byte: 0x01 + an 8-byte IV + the frame
encrypted with AES-128-CTR (counter block IV || 0^64), or 0x00 + the clear frame.

No Debian tool writes encrypted WebM (FFmpeg, mkvmerge and matroskamux cannot), so the tests
make their own. The Segment is rewritten with an unknown size, Clusters with exact sizes; SeekHead
and Cues are dropped (their offsets would be stale).

usage: webm-encrypt.py --kid HEX32 --key HEX32 [--clear-every N] [--seed S] IN.webm OUT.webm
  --clear-every N   leave every N-th frame of the track clear (signal byte 0x00), to exercise
                    demuxers' handling of unencrypted blocks in an encrypted track
"""
import argparse
import random
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SEGMENT, TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE = 0x18538067, 0x1654AE6B, 0xAE, 0xD7, 0x83
CLUSTER, BLOCK_GROUP, SIMPLE_BLOCK, BLOCK = 0x1F43B675, 0xA0, 0xA3, 0xA1
SEEK_HEAD, CUES, VOID = 0x114D9B74, 0x1C53BB6B, 0xEC


def read_vint(buf, pos, keep_marker):
    first = buf[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML vint at %d" % pos)
    value = first if keep_marker else first & (mask - 1)
    for i in range(1, length):
        value = value << 8 | buf[pos + i]
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def elements(buf, start, end):
    pos = start
    while pos < end:
        eid, p, _ = read_vint(buf, pos, True)
        size, p, unknown = read_vint(buf, p, False)
        stop = end if unknown else p + size
        yield eid, p, stop
        pos = stop


def enc_id(eid):
    n = (eid.bit_length() + 7) // 8
    return eid.to_bytes(n, "big")


def enc_size(size):
    return (size | (1 << 56)).to_bytes(8, "big")  # 8-byte vint


def element(eid, payload):
    return enc_id(eid) + enc_size(len(payload)) + payload


def uint_el(eid, value):
    return element(eid, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


class Encryptor:
    def __init__(self, args):
        self.key = bytes.fromhex(args.key)
        self.kid = bytes.fromhex(args.kid)
        self.clear_every = args.clear_every
        self.rng = random.Random(args.seed)
        self.video_track = None
        self.frames = 0

    def encrypt_frame(self, frame):
        self.frames += 1
        if self.clear_every and self.frames % self.clear_every == 0:
            return b"\x00" + frame
        iv = bytes(self.rng.getrandbits(8) for _ in range(8))
        enc = Cipher(algorithms.AES(self.key), modes.CTR(iv + bytes(8))).encryptor()
        return b"\x01" + iv + enc.update(frame) + enc.finalize()

    def track_entry(self, buf, start, end):
        number, is_video = None, False
        out = b""
        for eid, p, stop in elements(buf, start, end):
            if eid == TRACK_NUMBER:
                number = int.from_bytes(buf[p:stop], "big")
            if eid == TRACK_TYPE:
                is_video = int.from_bytes(buf[p:stop], "big") == 1
            out += element(eid, bytes(buf[p:stop]))
        if is_video and self.video_track is None:
            self.video_track = number
            aes = element(0x47E7, uint_el(0x47E8, 1))
            encryption = element(0x5035, uint_el(0x47E1, 5) + element(0x47E2, self.kid) + aes)
            encoding = element(0x6240, uint_el(0x5031, 0) + uint_el(0x5032, 1) +
                               uint_el(0x5033, 1) + encryption)
            out += element(0x6D80, encoding)
        return element(TRACK_ENTRY, out)

    def block(self, eid, buf, start, end):
        track, p, _ = read_vint(buf, start, False)
        flags = buf[p + 2]
        if track != self.video_track:
            return element(eid, bytes(buf[start:end]))
        if flags & 0x06:
            raise ValueError("laced video blocks are not supported")
        header = bytes(buf[start:p + 3])
        return element(eid, header + self.encrypt_frame(bytes(buf[p + 3:end])))

    def master(self, eid, buf, start, end):
        out = b""
        for cid, p, stop in elements(buf, start, end):
            if cid in (SIMPLE_BLOCK, BLOCK):
                out += self.block(cid, buf, p, stop)
            elif cid == BLOCK_GROUP:
                out += self.master(cid, buf, p, stop)
            else:
                out += element(cid, bytes(buf[p:stop]))
        return element(eid, out)

    def run(self, data):
        buf = memoryview(data)
        out = b""
        for eid, p, stop in elements(buf, 0, len(buf)):
            if eid != SEGMENT:
                out += element(eid, bytes(buf[p:stop]))
                continue
            seg = b""
            for cid, cp, cstop in elements(buf, p, stop):
                if cid in (SEEK_HEAD, CUES, VOID):
                    continue
                if cid == TRACKS:
                    seg += element(TRACKS, b"".join(
                        self.track_entry(buf, tp, tstop) if tid == TRACK_ENTRY
                        else element(tid, bytes(buf[tp:tstop]))
                        for tid, tp, tstop in elements(buf, cp, cstop)))
                elif cid == CLUSTER:
                    seg += self.master(CLUSTER, buf, cp, cstop)
                else:
                    seg += element(cid, bytes(buf[cp:cstop]))
            out += enc_id(SEGMENT) + b"\x01\xff\xff\xff\xff\xff\xff\xff" + seg
        if self.video_track is None:
            raise ValueError("no video track")
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kid", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--clear-every", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("input")
    ap.add_argument("output")
    args = ap.parse_args()
    with open(args.input, "rb") as f:
        data = f.read()
    enc = Encryptor(args)
    out = enc.run(data)
    with open(args.output, "wb") as f:
        f.write(out)
    print("webm-encrypt: %d frames of track %d, every %s-th clear" %
          (enc.frames, enc.video_track, args.clear_every or "no"), file=sys.stderr)


if __name__ == "__main__":
    main()
