import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CryptoService } from '../crypto/crypto.service';
import { RouteKinds } from '../http/route-kinds';
import { HttpMetrics, METRICS_PATH, MetricsListener, metricsRoute } from './metrics-http';
import { Metrics } from './metrics.service';
import { SignInMetrics } from './sign-in-metrics';

/** The process's metrics registry, `GET /metrics` (with METRICS_TOKEN) and the METRICS_PORT listener. */
@Global()
@Module({
  providers: [
    Metrics,
    SignInMetrics,
    MetricsListener,
    {
      provide: HttpMetrics,
      useFactory: (metrics: Metrics, routes: RouteKinds) => new HttpMetrics(metrics, routes),
      inject: [Metrics, RouteKinds],
    },
  ],
  exports: [Metrics, HttpMetrics, SignInMetrics],
})
export class MetricsModule implements NestModule {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly crypto: CryptoService,
    private readonly routes: RouteKinds,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const token = this.config.observability.metricsToken;
    // Without a token the app's own port has no /metrics at all (404), METRICS_PORT or not.
    if (!token) return;
    this.routes.declare(METRICS_PATH, 'own', { methods: ['GET', 'HEAD'] });
    consumer.apply(metricsRoute(this.metrics, token, this.crypto)).forRoutes({ path: METRICS_PATH.slice(1), method: RequestMethod.GET });
  }
}
