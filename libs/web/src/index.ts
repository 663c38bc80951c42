export * from './web.module';
export * from './views';
export * from './csrf';
export * from './route-kinds';
export * from './security-headers';
export * from './safe-redirect';
export { consoleErrorLocals } from './console/console-error-page';
