import { setTimeout as sleep } from 'node:timers/promises';
import { TOTP_PERIOD, totpCode } from '../../libs/auth/src/totp/totp';

/**
 * The codes a person's authenticator app shows: the oldest step the server still accepts that was
 * not used yet, so a test never waits for the clock unless every usable step is spent.
 */
export class Phone {
  private lastStep = -Infinity;
  constructor(readonly secret: string) {}

  async code(): Promise<string> {
    for (;;) {
      const ms = Date.now();
      const now = Math.floor(ms / 1000 / TOTP_PERIOD);
      const untilNext = (now + 1) * TOTP_PERIOD * 1000 - ms;
      // The previous step only while the current one has a few seconds left: it must still be
      // "one back" when the server checks it.
      const step = Math.max(this.lastStep + 1, untilNext < 3000 ? now : now - 1);
      if (step <= now + 1) {
        this.lastStep = step;
        return totpCode(this.secret, step * TOTP_PERIOD * 1000 + 1000);
      }
      // Every step in the window is used up: the person waits for the app's next code.
      await sleep(untilNext + 50);
    }
  }

  /** A code the server already accepted. */
  last(): string {
    return totpCode(this.secret, this.lastStep * TOTP_PERIOD * 1000 + 1000);
  }
}
