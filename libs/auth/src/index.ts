export * from './auth.module';
export * from './console-auth.service';
export * from './session/session-store';
export * from './session/session-data';
export { AdminApiToken } from './entities/admin-api-token.entity';
export { HttpSession } from './entities/http-session.entity';
