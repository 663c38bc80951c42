import { ConflictError, InvalidInputError } from '@portico/core';
import { PortalConflict, retryOnRace } from './portal-context';

describe('retryOnRace', () => {
  it('runs the work again after a lost race, and gives up after three tries', async () => {
    let calls = 0;
    await expect(
      retryOnRace(async () => {
        if (++calls < 3) throw new ConflictError('raced');
        return 'done';
      }),
    ).resolves.toBe('done');
    calls = 0;
    await expect(
      retryOnRace(async () => {
        calls++;
        throw new ConflictError('still there');
      }),
    ).rejects.toThrow('still there');
    expect(calls).toBe(3);
  });

  it('does not retry anything else, nor a conflict in the data itself', async () => {
    for (const error of [new InvalidInputError('bad'), new PortalConflict('taken'), new Error('boom')]) {
      let calls = 0;
      await expect(
        retryOnRace(async () => {
          calls++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
