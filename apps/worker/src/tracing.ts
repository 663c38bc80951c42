import { loadTracing } from '../../server/src/tracing/load-tracing';

/** Imported first by main.ts: the tracer must be in place before anything it instruments is loaded. */
export const tracing = loadTracing('portico-worker');
