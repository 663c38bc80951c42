import { MiddlewareConsumer, RequestMethod } from '@nestjs/common';
import type { RateLimitConfig, RateLimits } from '@portico/core';

/** The anonymous pages' form posts: signing in, signing up, asking for a password reset. */
const DOORS: Record<string, string[]> = {
  'sign-in': ['login', 'login/authenticator', 't/:tenantKey/login', 'console/login'],
  'sign-up': ['signup', 't/:tenantKey/signup'],
  // Matched by path, so the route counts from the moment a controller answers it.
  'forgot-password': ['password/forgot', 't/:tenantKey/password/forgot'],
};

/** A per-address limit on each door, in front of the per-account throttles those forms already have. */
export function limitPublicDoors(consumer: MiddlewareConsumer, limits: RateLimits, config: RateLimitConfig): void {
  for (const [door, paths] of Object.entries(DOORS)) {
    consumer.apply(limits.perAddress(door, config.anonymous)).forRoutes(...paths.map((path) => ({ path, method: RequestMethod.POST })));
  }
}
