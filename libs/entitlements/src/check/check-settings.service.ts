import { Injectable } from '@nestjs/common';
import { EntitlementsRepository } from '../entitlements.repository';
import { CallerAllowList } from './caller-access';

export interface SourceConfig {
  id: string;
  server: string;
  className: string | null;
  url: string;
  cacheSeconds: number;
  timeoutMs: number;
  allowPrivateNetwork: boolean;
}

export class CheckSettings {
  constructor(
    private readonly callers: Map<string, CallerAllowList>,
    private readonly sources: Map<string, SourceConfig[]>,
  ) {}

  /** The allow-list of a server, or null when anyone may ask about it. */
  callersOf(server: string): CallerAllowList | null {
    return this.callers.get(server) ?? null;
  }

  /** The source for a check: one for exactly this class first, else the server's class-less one. */
  sourceFor(server: string, className: string | null): SourceConfig | null {
    const candidates = this.sources.get(server);
    if (!candidates) return null;
    return (
      (className !== null && candidates.find((s) => s.className === className)) || candidates.find((s) => s.className === null) || null
    );
  }
}

// Other instances pick a change up within this time; the instance that made it at once.
const MAX_AGE_MS = 1000;

/**
 * The check's configuration (delegation sources and caller allow-lists: a few rows that change
 * rarely), held in memory so a check costs only its key lookup. Keys themselves are never cached.
 */
@Injectable()
export class CheckSettingsService {
  private snapshot: CheckSettings | null = null;
  private loadedAt = 0;
  private loading: Promise<CheckSettings> | null = null;
  private generation = 0;

  constructor(private readonly repo: EntitlementsRepository) {}

  current(): CheckSettings | Promise<CheckSettings> {
    if (this.snapshot && Date.now() - this.loadedAt < MAX_AGE_MS) return this.snapshot;
    if (!this.loading) {
      const loading: Promise<CheckSettings> = this.load().finally(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  /** After a write: the next check reads the configuration again. */
  invalidate(): void {
    this.generation++;
    this.snapshot = null;
    // A load already under way may have read the old rows: the next check starts another.
    this.loading = null;
  }

  private async load(): Promise<CheckSettings> {
    const generation = this.generation;
    const [access, sources] = await Promise.all([this.repo.allServerAccess(), this.repo.allSources()]);
    const callers = new Map(access.filter((a) => a.allowedIps.length).map((a) => [a.server, new CallerAllowList(a.allowedIps)]));
    const byServer = new Map<string, SourceConfig[]>();
    for (const s of sources) {
      const list = byServer.get(s.server) ?? [];
      list.push({
        id: s.id,
        server: s.server,
        className: s.className,
        url: s.url,
        cacheSeconds: s.cacheSeconds,
        timeoutMs: s.timeoutMs,
        allowPrivateNetwork: s.allowPrivateNetwork,
      });
      byServer.set(s.server, list);
    }
    const settings = new CheckSettings(callers, byServer);
    // A write during the load may not be in what was read: keep it for this check only.
    if (generation === this.generation) {
      this.snapshot = settings;
      this.loadedAt = Date.now();
    }
    return settings;
  }
}
