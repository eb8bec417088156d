/**
 * The app's icons (public/icons/): the favicon's three bars (two of the voice's colour, one of the
 * accompaniment's) on a rounded square, as an SVG and as the PNGs an installable web app needs
 * (192 and 512 px; a maskable 512 px one with the bars inside the safe zone). Drawn here, with 4×4
 * supersampling, and written with node:zlib: no image tool needed.
 *
 *   npx tsx scripts/make-icons.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { repoRoot } from './layout.ts';

type Rect = { x: number; y: number; w: number; h: number; r: number; rgb: [number, number, number] };

const VOICE: [number, number, number] = [0xd9, 0x48, 0x2b];
const ACCOMP: [number, number, number] = [0x2f, 0x76, 0xa6];
const BG: [number, number, number] = [0xf4, 0xf2, 0xee];

/** The design on a 16-unit square (the favicon's bars), `inset` units of margin added around them. */
function shapes(inset: number, rounded: boolean): Rect[] {
  const s = (16 - 2 * inset) / 16, o = inset;
  const bar = (x: number, y: number, h: number, rgb: [number, number, number]): Rect => ({ x: o + x * s, y: o + y * s, w: 3 * s, h: h * s, r: 1.5 * s, rgb });
  return [
    { x: 0, y: 0, w: 16, h: 16, r: rounded ? 3.5 : 0, rgb: BG },
    bar(2, 5, 6, VOICE), bar(6.5, 2, 12, VOICE), bar(11, 4, 8, ACCOMP),
  ];
}

function inside(r: Rect, x: number, y: number): boolean {
  if (x < r.x || y < r.y || x > r.x + r.w || y > r.y + r.h) return false;
  const cx = Math.min(Math.max(x, r.x + r.r), r.x + r.w - r.r), cy = Math.min(Math.max(y, r.y + r.r), r.y + r.h - r.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r.r * r.r;
}

function render(size: number, rects: Rect[]): Buffer {
  const rgba = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((px + (sx + 0.5) / n) / size) * 16, y = ((py + (sy + 0.5) / n) / size) * 16;
          let top: Rect | null = null;
          for (const rect of rects) if (inside(rect, x, y)) top = rect;
          if (top) {
            r += top.rgb[0];
            g += top.rgb[1];
            b += top.rgb[2];
            a += 255;
          }
        }
      }
      const k = (py * size + px) * 4, cov = a / 255;
      rgba[k] = cov ? Math.round(r / cov) : 0;
      rgba[k + 1] = cov ? Math.round(g / cov) : 0;
      rgba[k + 2] = cov ? Math.round(b / cov) : 0;
      rgba[k + 3] = Math.round(a / (n * n));
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function png(size: number, rgba: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4), sum = Buffer.alloc(4), td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    len.writeUInt32BE(data.length);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function svg(rects: Rect[]): string {
  const hex = (c: [number, number, number]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const f = (v: number) => +v.toFixed(3);
  const body = rects.map((r) => `<rect x="${f(r.x)}" y="${f(r.y)}" width="${f(r.w)}" height="${f(r.h)}" rx="${f(r.r)}" fill="${hex(r.rgb)}"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">${body}</svg>\n`;
}

const dir = join(repoRoot, 'public/icons');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'icon.svg'), svg(shapes(0, true)));
for (const size of [192, 512]) writeFileSync(join(dir, `icon-${size}.png`), png(size, render(size, shapes(0, true))));
// Maskable: full-bleed background, the bars within the central 80 % circle's square.
writeFileSync(join(dir, 'icon-maskable-512.png'), png(512, render(512, shapes(2.4, false))));
console.log(`icons written to ${dir}`);
