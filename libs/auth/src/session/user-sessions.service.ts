import { Injectable } from '@nestjs/common';
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

  constructor(dataSource: DataSource) {
    this.backend = new DatabaseSessionBackend(dataSource);
  }

  use(backend: SessionBackend): void {
    this.backend = backend;
  }

  /** Signs the user out everywhere: their next request finds no session. */
  async endAll(userId: string): Promise<void> {
    await this.backend.destroyUser(userId);
  }
}
