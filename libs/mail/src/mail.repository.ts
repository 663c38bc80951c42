import { Injectable } from '@nestjs/common';
import { insertRows, Page, PageQueryDto, pageWindow, pruneRows, toPage, TransactionService } from '@portico/core';
import { In, LessThan } from 'typeorm';
import { MailMessage } from './entities/mail-message.entity';

/** Every query of the mail module. */
@Injectable()
export class MailRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Writes a mail in the caller's transaction; `onCommit` runs once that transaction has committed. */
  async insert(message: MailMessage, onCommit: () => void): Promise<void> {
    const m = this.tx.manager;
    await insertRows(m, MailMessage, message);
    this.tx.afterCommit(m, onCommit);
  }

  async page(query: PageQueryDto): Promise<Page<MailMessage>> {
    const found = await this.tx.manager.findAndCount(MailMessage, { order: { createdAt: 'DESC', id: 'DESC' }, ...pageWindow(query) });
    return toPage(found, query, (row) => row);
  }

  /** Mail queued for SMTP that has not gone out yet. */
  countQueued(): Promise<number> {
    return this.tx.manager.countBy(MailMessage, { status: 'queued' });
  }

  byId(id: string): Promise<MailMessage | null> {
    return this.tx.manager.findOneBy(MailMessage, { id });
  }

  /** Takes a queued mail that is due and held by nobody, under a lease; null when someone else has it. */
  async claim(id: string, now: Date, lockedUntil: Date, token: string): Promise<MailMessage | null> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(MailMessage)
      .set({ lockedUntil, claimToken: token })
      .where('id = :id AND status = :queued AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until < :now)', {
        id,
        queued: 'queued',
        now,
      })
      .execute();
    if (!result.affected) return null;
    return this.tx.manager.findOneBy(MailMessage, { id, claimToken: token });
  }

  async settle(id: string, changes: Partial<MailMessage>): Promise<void> {
    await this.tx.manager.update(MailMessage, { id }, { ...changes, lockedUntil: null, claimToken: null });
  }

  /** Queued mail nobody is sending: due and never claimed since `lostBefore`, or whose lease ran out. */
  async overdueIds(now: Date, lostBefore: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.tx.manager
      .createQueryBuilder(MailMessage, 'm')
      .select('m.id', 'id')
      .where(
        'm.status = :queued AND ((m.locked_until IS NOT NULL AND m.locked_until < :now) OR (m.locked_until IS NULL AND m.next_attempt_at <= :lost))',
        { queued: 'queued', now, lost: lostBefore },
      )
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany();
    return rows.map((r) => r.id);
  }

  /** Deletes mail created before `before` that is finished or only kept for the Mailbox. */
  prune(before: Date): Promise<number> {
    return pruneRows(this.tx, MailMessage, { status: In(['sent', 'failed', 'stored']), createdAt: LessThan(before) });
  }
}
