/**
 * Splits rows for multi-row statements into chunks whose sizes are powers of two (at most `max`),
 * so the same few statement shapes repeat. SQLite prepares and caches a statement per SQL text: a
 * different row count each time would be a new native statement each time, freed only by GC.
 */
export function powerOfTwoChunks<T>(items: T[], max = 256): T[][] {
  const chunks: T[][] = [];
  let at = 0;
  while (at < items.length) {
    let size = max;
    while (size > items.length - at) size >>= 1;
    chunks.push(items.slice(at, at + size));
    at += size;
  }
  return chunks;
}
