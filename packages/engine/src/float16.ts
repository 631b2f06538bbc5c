/** IEEE 754 half-precision conversion for fp16 logits. */

const table = new Float32Array(65536);
let built = false;

/** Converts raw float16 bits to float32 values. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!built) {
    for (let h = 0; h < 65536; h++) table[h] = decode(h);
    built = true;
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

function decode(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
