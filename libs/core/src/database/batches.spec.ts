import { powerOfTwoChunks } from './batches';

describe('powerOfTwoChunks', () => {
  it('keeps order and uses only power-of-two sizes up to the maximum', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const chunks = powerOfTwoChunks(items, 256);
    expect(chunks.map((c) => c.length)).toEqual([256, 256, 256, 128, 64, 32, 8]);
    expect(chunks.flat()).toEqual(items);
    expect(powerOfTwoChunks([], 256)).toEqual([]);
    expect(powerOfTwoChunks([1, 2, 3], 2).map((c) => c.length)).toEqual([2, 1]);
  });
});
