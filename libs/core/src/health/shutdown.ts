import type { LoggerService } from '@nestjs/common';

/**
 * SIGTERM and SIGINT stop the process: `close` (running work finishes, connections close), then exit
 * 0. The process exits with 1 when closing fails or outlasts `timeoutMs` (SHUTDOWN_TIMEOUT_SECONDS):
 * an orchestrator's kill should never be what ends it. A second signal exits at once.
 */
export function exitOnSignals(close: () => Promise<void>, timeoutMs: number, logger: LoggerService, finishing: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: ${finishing}, then exiting (at most ${timeoutMs / 1000} s)`);
    setTimeout(() => {
      logger.error(`Stopping took longer than ${timeoutMs / 1000} s (SHUTDOWN_TIMEOUT_SECONDS): exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
