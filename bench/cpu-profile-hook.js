'use strict';
// Preloaded into the server by `node bench/run.js --profile` (node --require). The bench sends
// 'start' and then 'stop' over the IPC channel, so only the measured load is profiled; on 'stop'
// the profile is written to $BENCH_PROFILE_FILE and 'written' is sent back. (Not signals: Nest's
// shutdown hooks treat SIGUSR2 as a request to stop.)
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

const target = process.env.BENCH_PROFILE_FILE;
if (target && process.send) {
  const session = new inspector.Session();
  session.connect();
  process.on('message', (message) => {
    if (message === 'start') {
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
          session.post('Profiler.start', () => process.send('started')),
        ),
      );
    } else if (message === 'stop') {
      session.post('Profiler.stop', (err, result) => {
        writeFileSync(target, JSON.stringify(err ? { error: String(err) } : result.profile));
        process.send('written');
      });
    }
  });
}
