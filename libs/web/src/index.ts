export { WebModule } from './web.module';
export { configureViews } from './views';
// The app-wide middleware in front of the routes, which read each route's kind.
export { csrfMiddleware } from './csrf';
export { securityHeaders } from './security-headers';
export { consoleErrorLocals } from './console/console-error-page';
export { signInPageOf } from './public/sign-in-page';
