#!/usr/bin/env node
/**
 * Draws Retain's app icons (a ring around a dot on a green tile: a memory that keeps what it holds) and encodes
 * them as PNG with a minimal encoder on node:zlib. Writes public/icons/icon-192.png, icon-512.png and
 * icon-maskable-512.png (full-bleed, the logo inside the 80 % safe zone). Run: node scripts/make-icons.mjs
 */
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public/icons');

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** RGBA pixels -> PNG bytes (8-bit RGBA, filter 0 on every row). */
function encodePng(width, height, rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const BG = [15, 23, 42]; // slate-900, the manifest's background_color
const TILE = [20, 83, 45]; // green-900, the theme colour
const RING = [134, 239, 172]; // green-300
const DOT = [255, 255, 255];

/** Coverage of a pixel by a shape, 4x4 supersampled for smooth edges. */
function coverage(inside, x, y) {
  let n = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (inside(x + (i + 0.5) / 4, y + (j + 0.5) / 4)) n++;
  return n / 16;
}

/** Draws the icon; `maskable` fills the whole square and shrinks the logo into the safe zone. */
function drawIcon(size, maskable) {
  const px = Buffer.alloc(size * size * 4);
  const c = size / 2;
  const logo = maskable ? 0.8 : 1; // the safe zone is a centred circle of 80 % of the size
  const tileHalf = (size / 2) * (maskable ? 1 : 0.92);
  const radius = size * (maskable ? 0 : 0.2);
  const inTile = (x, y) => {
    const dx = Math.max(Math.abs(x - c) - (tileHalf - radius), 0);
    const dy = Math.max(Math.abs(y - c) - (tileHalf - radius), 0);
    return dx * dx + dy * dy <= radius * radius;
  };
  const ringOuter = size * 0.3 * logo, ringInner = size * 0.21 * logo, dotR = size * 0.1 * logo;
  const inRing = (x, y) => { const d = Math.hypot(x - c, y - c); return d <= ringOuter && d >= ringInner; };
  const inDot = (x, y) => Math.hypot(x - c, y - c) <= dotR;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const tile = maskable ? 1 : coverage(inTile, x, y);
      let col = TILE;
      const ring = coverage(inRing, x, y), dot = coverage(inDot, x, y);
      col = col.map((v, k) => v * (1 - ring) + RING[k] * ring);
      col = col.map((v, k) => v * (1 - dot) + DOT[k] * dot);
      if (maskable) {
        px[i] = col[0]; px[i + 1] = col[1]; px[i + 2] = col[2]; px[i + 3] = 255;
      } else {
        // Transparent outside the rounded tile.
        px[i] = col[0]; px[i + 1] = col[1]; px[i + 2] = col[2]; px[i + 3] = Math.round(255 * tile);
      }
    }
  }
  void BG;
  return encodePng(size, size, px);
}

mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'icon-192.png'), drawIcon(192, false));
writeFileSync(path.join(outDir, 'icon-512.png'), drawIcon(512, false));
writeFileSync(path.join(outDir, 'icon-maskable-512.png'), drawIcon(512, true));
writeFileSync(path.join(outDir, 'apple-touch-icon-180.png'), drawIcon(180, true));
console.log(`make-icons: wrote ${outDir}`);
