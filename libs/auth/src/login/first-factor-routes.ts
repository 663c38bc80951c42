import { Injectable } from '@nestjs/common';
import type { FirstFactor, FirstFactorRouter, LoginAttempt } from './login-method';

/**
 * The routers other modules plug in (see FirstFactorRouter). The first one that claims an attempt
 * decides its factor; an attempt nobody claims is checked against Portico's password.
 */
@Injectable()
export class FirstFactorRoutes {
  private readonly routers: FirstFactorRouter[] = [];

  register(router: FirstFactorRouter): void {
    if (!this.routers.includes(router)) this.routers.push(router);
  }

  async route(attempt: LoginAttempt): Promise<FirstFactor | null> {
    for (const router of this.routers) {
      const factor = await router.route(attempt);
      if (factor) return factor;
    }
    return null;
  }
}
