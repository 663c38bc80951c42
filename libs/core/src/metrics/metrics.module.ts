import { Global, Module, NestModule } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CryptoService } from '../crypto/crypto.service';
import { RouteKinds } from '../http/route-kinds';
import { HttpMetrics, METRICS_PATH, MetricsListener } from './metrics-http';
import { Metrics } from './metrics.service';
import { SignInMetrics } from './sign-in-metrics';

/**
 * The process's metrics registry, the METRICS_PORT listener, and `GET /metrics` on the app's own
 * port (with METRICS_TOKEN), which HttpMetrics answers in front of every other route.
 */
@Global()
@Module({
  providers: [
    Metrics,
    SignInMetrics,
    MetricsListener,
    {
      provide: HttpMetrics,
      useFactory: (metrics: Metrics, routes: RouteKinds, config: AppConfig, crypto: CryptoService) =>
        new HttpMetrics(metrics, routes, config, crypto),
      inject: [Metrics, RouteKinds, AppConfig, CryptoService],
    },
  ],
  exports: [Metrics, HttpMetrics, SignInMetrics],
})
export class MetricsModule implements NestModule {
  constructor(
    private readonly config: AppConfig,
    private readonly routes: RouteKinds,
  ) {}

  configure(): void {
    // Without a token the app's own port has no /metrics at all (404), METRICS_PORT or not.
    if (this.config.observability.metricsToken) this.routes.declare(METRICS_PATH, 'own', { methods: ['GET', 'HEAD'] });
  }
}
