export * from './external-login.module';
export * from './providers/external-login-providers.service';
export * from './settings/external-login-settings.service';
export * from './dto/external-login-provider.dto';
export * from './dto/external-login-settings.dto';
export { ProviderCircuitBreakers } from './providers/circuit-breaker';
export type { CircuitView, CircuitState } from './providers/circuit-breaker';
export { ExternalLoginProvider } from './entities/external-login-provider.entity';
export { ExternalLoginSettings } from './entities/external-login-settings.entity';
