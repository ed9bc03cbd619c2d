import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { expect } from "vitest";

/** Checks a PNG's signature, header and that its image data inflates to height rows; returns [width, height]. */
export function checkPng(path: string): [number, number] {
  const png = readFileSync(path);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.toString("latin1", 12, 16)).toBe("IHDR");
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = { 2: 3, 6: 4 }[png[25]] ?? 0; // colour type: RGB or RGBA, 8 bits
  expect(png[24]).toBe(8);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    if (type === "IEND") expect(at + 12).toBe(png.length);
    at += 12 + length;
  }
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * channels));
  return [width, height];
}
