import { Injectable } from '@nestjs/common';
import { AppConfig } from '@portico/core';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DatabaseSessionBackend, SessionBackend } from './session-store';

/**
 * Ends the sessions of a user from anywhere in the app (a portal removing someone from their
 * group). The HTTP layer tells it which store the sessions live in (`use`); until then it is the
 * database, the embedded default.
 */
@Injectable()
export class UserSessionsService {
  private backend: SessionBackend;

  constructor(
    dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.backend = new DatabaseSessionBackend(dataSource);
  }

  use(backend: SessionBackend): void {
    this.backend = backend;
  }

  /**
   * Ends the session a request's `portico.sid` cookie names, for a route that runs without the
   * session middleware (the OpenID Connect provider's logout). The cookie is express-session's
   * signed value (`s:` id `.` HMAC-SHA256 with the secret key); an unsigned or forged one ends nothing.
   */
  async endCookieSession(cookieHeader: string | undefined): Promise<boolean> {
    const raw = /(?:^|;\s*)portico\.sid=([^;]+)/.exec(cookieHeader ?? '')?.[1];
    if (!raw) return false;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return false;
    }
    if (!value.startsWith('s:')) return false;
    const dot = value.lastIndexOf('.');
    if (dot < 3) return false;
    const sid = value.slice(2, dot);
    const mac = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(createHmac('sha256', this.config.secretKey).update(sid).digest('base64').replace(/=+$/, ''));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return false;
    await this.backend.destroy(sid);
    return true;
  }

  /** Signs the user out everywhere: their next request finds no session. */
  async endAll(userId: string): Promise<void> {
    await this.backend.destroyUser(userId);
  }
}
