'use strict';
// Preloaded into the server by bench/login.js (`node --require bench/eld-probe.js …`): measures the
// server's own event-loop delay without a line of app code.
//
// Driven over the IPC channel the bench opens: 'eld:reset' starts the histogram afresh, 'eld:report'
// answers with the figures since then (and writes them to BENCH_ELD_FILE). They are written once
// more at exit. Not SIGUSR2: Nest's enableShutdownHooks() treats SIGUSR2 as a shutdown signal.
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
// The histogram holds the time between the sampling timer's ticks; the delay is what exceeds the tick.
const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
const figures = () => ({
  samples: histogram.count,
  p50Ms: ms(histogram.percentile(50)),
  p99Ms: ms(histogram.percentile(99)),
  maxMs: ms(histogram.max),
  meanMs: ms(histogram.mean),
});
const write = (f) => {
  if (process.env.BENCH_ELD_FILE) writeFileSync(process.env.BENCH_ELD_FILE, JSON.stringify(f));
};

if (process.send) {
  process.on('message', (message) => {
    if (message === 'eld:reset') {
      histogram.reset();
      process.send({ eld: 'reset' });
    } else if (message === 'eld:report') {
      const f = figures();
      write(f);
      process.send({ eld: 'report', figures: f });
    }
  });
  // The channel must not keep a server alive that is shutting down (after the listener: adding one refs it).
  process.channel?.unref();
}
process.on('exit', () => write(figures()));
