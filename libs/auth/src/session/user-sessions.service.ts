import { Injectable } from '@nestjs/common';
import { AppConfig, AuditService, NotFoundError, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UsersService } from '@portico/users';
import type { SessionData } from 'express-session';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DatabaseSessionBackend, SessionBackend, StoredSession } from './session-store';
import { describeUserAgent } from './user-agent';

/** One browser session of a user, as the sessions page and the API show it. */
export interface SessionInfo {
  /** Names the session without being its secret id (a digest of it). */
  id: string;
  /** "Chrome on macOS" */
  browser: string;
  userAgent: string;
  ip: string | null;
  signedInAt: Date | null;
  lastSeenAt: Date | null;
  /** The session of the request asking. */
  current: boolean;
}

/** An application the user let sign them in (OpenID Connect), as listed beside the sessions. */
export interface ApplicationGrantInfo {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: Date;
}

/**
 * What holds a user's sign-ins elsewhere (the OpenID Connect provider's grants and refresh tokens).
 * The module that owns them plugs it in (`useApplications`), since auth depends on no such module.
 */
export interface ApplicationGrants {
  list(ctx: RequestContext, userId: string): Promise<ApplicationGrantInfo[]>;
  /** Revokes every grant and token the applications hold for the user. */
  revokeAll(ctx: RequestContext, userId: string): Promise<void>;
}

/** The sessions and authorized applications of one user (GET /api/v1/users/{id}/sessions). */
export interface UserSessionsOverview {
  sessions: SessionInfo[];
  applications: ApplicationGrantInfo[];
}

/**
 * Ends the sessions of a user from anywhere in the app (a portal removing someone from their
 * group). The HTTP layer tells it which store the sessions live in (`use`); until then it is the
 * database, the embedded default.
 */
@Injectable()
export class UserSessionsService {
  private backend: SessionBackend;
  private applications: ApplicationGrants | null = null;

  constructor(
    dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
  ) {
    this.backend = new DatabaseSessionBackend(dataSource);
  }

  use(backend: SessionBackend): void {
    this.backend = backend;
  }

  useApplications(applications: ApplicationGrants): void {
    this.applications = applications;
  }

  /** The user's live sessions, the asking one (`currentSid`) first, then the most recently used. */
  async list(userId: string, currentSid?: string): Promise<SessionInfo[]> {
    const sessions = (await this.backend.listUser(userId)).map((s) => toInfo(s, currentSid)).filter((s): s is SessionInfo => !!s);
    return sessions.sort(
      (a, b) =>
        Number(b.current) - Number(a.current) ||
        (b.lastSeenAt ?? b.signedInAt ?? new Date(0)).getTime() - (a.lastSeenAt ?? a.signedInAt ?? new Date(0)).getTime(),
    );
  }

  /**
   * Signs one of the user's other sessions out (by its listed id); false when the user has no such
   * session. `currentSid`, the asking one, ends by signing out instead.
   */
  async endOne(ctx: RequestContext, userId: string, id: string, currentSid?: string): Promise<boolean> {
    const found = (await this.backend.listUser(userId)).find((s) => sessionId(s.sid) === id && s.sid !== currentSid);
    if (!found) return false;
    await this.backend.destroy(found.sid);
    await this.recordEnded(ctx, userId, { which: 'one' });
    return true;
  }

  /** Signs out every session of the user but `keepSid` (the one asking); how many ended. */
  async endOthers(ctx: RequestContext, userId: string, keepSid: string, reason = 'others'): Promise<number> {
    const others = (await this.backend.listUser(userId)).filter((s) => s.sid !== keepSid);
    for (const s of others) await this.backend.destroy(s.sid);
    if (others.length) await this.recordEnded(ctx, userId, { which: reason, count: others.length });
    return others.length;
  }

  /** A user's sessions and authorized applications, for a caller who may see the user (else 404). */
  async overview(ctx: RequestContext, userId: string): Promise<UserSessionsOverview> {
    await this.visibleUser(ctx, userId);
    return {
      sessions: await this.list(userId),
      applications: this.applications ? await this.applications.list(ctx, userId) : [],
    };
  }

  /** Ends every session of the user and revokes what the applications hold for them (DELETE /api/v1/users/{id}/sessions). */
  async endEverything(ctx: RequestContext, userId: string): Promise<void> {
    await this.visibleUser(ctx, userId);
    await this.backend.destroyUser(userId);
    if (this.applications) await this.applications.revokeAll(ctx, userId);
    await this.recordEnded(ctx, userId, { which: 'all' });
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

  private async visibleUser(ctx: RequestContext, userId: string) {
    const user = await this.users.find(ctx, userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  private async recordEnded(ctx: RequestContext, userId: string, details: Record<string, unknown>): Promise<void> {
    const user = await this.users.find(RequestContext.system('sessions'), userId);
    const tenant = user?.tenantId ? await this.tenants.findById(user.tenantId) : null;
    await this.audit.record(ctx, { action: 'user.sessions.ended', targetType: 'user', targetId: userId, tenant, details });
  }
}

/** A digest of the session id: enough to name it on a page or in the API, useless as a cookie. */
function sessionId(sid: string): string {
  return createHash('sha256').update(`portico-session:${sid}`).digest('base64url').slice(0, 22);
}

function toInfo(stored: StoredSession, currentSid: string | undefined): SessionInfo | null {
  let data: SessionData;
  try {
    data = JSON.parse(stored.data) as SessionData;
  } catch {
    return null;
  }
  // A session between password and code is not signed in yet.
  if (!data.userId) return null;
  const userAgent = data.device?.userAgent ?? '';
  return {
    id: sessionId(stored.sid),
    browser: describeUserAgent(userAgent),
    userAgent,
    ip: data.device?.ip ?? null,
    signedInAt: data.authenticatedAt ? new Date(data.authenticatedAt) : null,
    lastSeenAt: stored.lastSeenAt,
    current: stored.sid === currentSid,
  };
}
