/**
 * CRC-32C (Castagnoli) as a test oracle: one bit at a time, no tables, so that it is
 * obviously the textbook algorithm (reflected input/output, polynomial 0x1EDC6F41 whose
 * bit-reversed form is 0x82F63B78, initial value and final XOR 0xFFFFFFFF). Slow on
 * purpose — about 8 shift/xor steps per byte — which is fine for test-sized files.
 *
 * Plus the TFRecord "masked" CRC: rotate right by 15 bits, then add the constant
 * 0xA282EAD8, modulo 2^32.
 */

/** Reflected CRC-32C polynomial. */
export const CRC32C_POLY_REFLECTED = 0x82f63b78;

/** Continue a CRC-32C over `bytes` from a previous (finalised) value; start with 0. */
export function crc32cUpdate(previous: number, bytes: Uint8Array): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = (crc ^ bytes[i]!) >>> 0;
    for (let bit = 0; bit < 8; bit++) {
      // Shift one bit out; when it was 1, divide by (XOR with) the polynomial.
      const lsb = crc & 1;
      crc = crc >>> 1;
      if (lsb) crc = (crc ^ CRC32C_POLY_REFLECTED) >>> 0;
    }
  }
  return ~crc >>> 0;
}

/** CRC-32C of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}

/** The TFRecord mask of a CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, as uint32. */
export function maskCrc(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) >>> 0;
}

/** Inverse of maskCrc (for diagnostics: which raw CRC a file stored). */
export function unmaskCrc(masked: number): number {
  const rotated = (masked - 0xa282ead8) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

/** The masked CRC-32C of `bytes`, as stored in TFRecord framing. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}
