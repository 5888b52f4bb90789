#!/usr/bin/env python3
"""Writes data/scene.png, the README's detection example: a 320x240 synthetic street-like
scene (sky and road gradients, a few boxes and a disc) drawn with the standard library only.
Run: python3 scripts/make_scene.py data/scene.png"""
import math, struct, sys, zlib

W, H = 320, 240
pixels = [[(0, 0, 0)] * W for _ in range(H)]
for y in range(H):
    for x in range(W):
        if y < 140:
            t = y / 140
            pixels[y][x] = (int(90 + 80 * t), int(150 + 60 * t), int(230 - 20 * t))
        else:
            t = (y - 140) / 100
            n = (x * 7 + y * 13) % 11
            pixels[y][x] = (int(70 + 30 * t + n), int(70 + 30 * t + n), int(75 + 30 * t + n))

def box(x0, y0, x1, y1, color):
    for y in range(y0, y1):
        for x in range(x0, x1):
            pixels[y][x] = color

def disc(cx, cy, r, color):
    for y in range(cy - r, cy + r + 1):
        for x in range(cx - r, cx + r + 1):
            if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
                pixels[y][x] = color

box(20, 60, 110, 140, (160, 120, 90))     # a building
box(34, 74, 54, 94, (40, 60, 90))         # its windows
box(74, 74, 94, 94, (40, 60, 90))
box(150, 150, 250, 195, (200, 30, 40))    # a car body
box(170, 130, 230, 152, (180, 25, 35))
disc(172, 197, 12, (20, 20, 20))          # wheels
disc(228, 197, 12, (20, 20, 20))
box(272, 120, 284, 200, (230, 200, 150))  # a person
disc(278, 110, 9, (230, 190, 150))
disc(60, 30, 14, (255, 230, 120))         # the sun

raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in pixels)
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
with open(sys.argv[1] if len(sys.argv) > 1 else "data/scene.png", "wb") as f:
    f.write(png)
