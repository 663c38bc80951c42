import type { TransactionService } from '@portico/core';
import type { EntityManager } from 'typeorm';
import { EntitlementDecision } from '../entities/entitlement-decision.entity';
import { DecisionLogRepository, DecisionRow } from './decision-log.repository';
import { DecisionLogService } from './decision-log.service';

/** A decision log whose repository keeps each committed chunk instead of writing it. */
function recordingLog(): { log: DecisionLogService; inserts: EntitlementDecision[][] } {
  const inserts: EntitlementDecision[][] = [];
  const repository = {
    insert: async (rows: DecisionRow[]) => void inserts.push(rows as EntitlementDecision[]),
    prune: async () => 0,
  } as unknown as DecisionLogRepository;
  return { log: new DecisionLogService(repository), inserts };
}

const valid = (key: string, remoteIp: string | null = null) => ({
  channel: 'check' as const,
  params: { server: 'rm.example.com', className: 'p', key, remoteIp },
  callerIp: '127.0.0.1',
  decision: { code: 'VALID' as const, via: 'local' as const },
});

describe('DecisionLogService', () => {
  it('writes a window of identical decisions as one row with their count, in one insert', async () => {
    const { log, inserts } = recordingLog();
    for (let i = 0; i < 1000; i++) log.record(valid('hot-key'));
    log.record(valid('hot-key', '198.51.100.7'));
    log.record({ ...valid('other'), decision: { code: 'SUSPENDED', via: 'local' } });
    await log.flush();
    expect(inserts).toHaveLength(1);
    expect(inserts[0].map((r) => [r.key, r.code, r.remoteIp, r.count])).toEqual([
      ['hot-key', 'VALID', null, 1000],
      ['hot-key', 'VALID', '198.51.100.7', 1],
      ['other', 'SUSPENDED', null, 1],
    ]);
    await log.flush();
    expect(inserts).toHaveLength(1);
  });

  it('keeps the first decisions of a flood in full and counts the rest per code, server and class', async () => {
    const { log, inserts } = recordingLog();
    for (let i = 0; i < 1000; i++) log.record(valid(`key-${i}`));
    await log.flush();
    const rows = inserts.flat();
    expect(rows.filter((r) => r.key !== null)).toHaveLength(100);
    expect(rows.filter((r) => r.key === null)).toEqual([
      expect.objectContaining({ code: 'VALID', server: 'rm.example.com', className: 'p', count: 900 }),
    ]);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(1000);
    expect(inserts.every((chunk) => chunk.length <= 100)).toBe(true);
  });

  it('logs what it was sent, without control characters and within the column sizes', async () => {
    const { log, inserts } = recordingLog();
    log.record(valid(`a\u0000b${'k'.repeat(400)}`));
    await log.flush();
    expect(inserts[0][0].key).toBe(`a\uFFFDb${'k'.repeat(252)}`);
  });

  it('writes what is pending when the application shuts down, and stops its timer', async () => {
    const { log, inserts } = recordingLog();
    log.onModuleInit();
    log.record(valid('last-one'));
    await log.beforeApplicationShutdown();
    expect(inserts.flat().map((r) => r.key)).toEqual(['last-one']);
  });

  it('deletes decisions past their retention in rounds, until fewer than a round are left', async () => {
    const found = [1000, 1000, 3];
    const deleted: number[] = [];
    const manager = {
      find: async (_cls: unknown, options: { where: { at: { value: Date } } }) => {
        expect(options.where.at.value.getTime()).toBeLessThan(Date.now() - 13 * 86_400_000);
        return Array.from({ length: found.shift() ?? 0 }, (_, i) => ({ id: `id-${i}` }));
      },
      delete: async (_cls: unknown, where: { id: { value: string[] } }) => void deleted.push(where.id.value.length),
    } as unknown as EntityManager;
    const tx = { run: (work: (m: EntityManager) => Promise<unknown>) => work(manager) } as unknown as TransactionService;
    const log = new DecisionLogService(new DecisionLogRepository(tx));
    await log.flush();
    expect(deleted).toEqual([1000, 1000, 3]);
    await log.flush();
    expect(deleted).toHaveLength(3);
  });
});
