'use strict';
// The HTTP load generator of `npm run bench`: wrk (Debian package `wrk`), a C program on one
// thread. On two cores the load generator shares the CPUs with the server; autocannon, in Node,
// needs about as much CPU per request as the bare NestJS route it drives, so the bare route measured
// through it was capped by the generator rather than by the route (3,400 against 4,500 req/s with
// wrk on the same machine), and every ratio to it came out too high.
const { execFile, execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');

/** Whether wrk is installed, and how to get it when it is not. */
function requireWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    // wrk --version prints its banner and exits 1; only a missing binary is a problem.
    if (err.code === 'ENOENT') throw new Error('wrk is not installed: `apt-get install -y wrk` (the load generator of this bench)');
  }
}

/** A Lua string literal for any text (long brackets cannot be closed by the text itself). */
function luaString(text) {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/**
 * The script for one load: the request (method, headers, a fixed body, or for `uniqueEmails` a
 * user to create with an address no earlier request used), and a `done` that prints the figures
 * as one JSON line, latencies in ms.
 */
function script({ method = 'GET', headers = {}, body, uniqueEmails }) {
  const lines = [`wrk.method = ${luaString(method)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`);
  if (body !== undefined) lines.push(`wrk.body = ${luaString(body)}`);
  if (uniqueEmails) {
    lines.push(
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      `  local body = string.format('{"email":"bench-%s-%d@example.com","firstName":"Bench","lastName":"User %d"}', ${luaString(uniqueEmails)}, n, n)`,
      '  return wrk.format(nil, nil, nil, body)',
      'end',
    );
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK {"requests":%d,"us":%d,"p50":%.3f,"p99":%.3f,"max":%.3f,"errors":%d,"non2xx":%d}\\n\',',
    '    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,',
    '    e.connect + e.read + e.write + e.timeout, e.status))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * One closed-loop load: `connections` connections, each sending its next request as soon as the
 * last one is answered, for `seconds`. Returns requests, seconds, req/s, p50/p99/max in ms, errors
 * (connect, read, write, timeout) and answers of 400 and up.
 */
async function wrkLoad(dir, { url, connections, seconds, timeoutSeconds = 10, ...request }) {
  const file = path.join(dir, `load-${process.hrtime.bigint()}.lua`);
  writeFileSync(file, script(request));
  const { stdout } = await promisify(execFile)(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, '-s', file, url],
    { encoding: 'utf8' },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('WRK '));
  if (!line) throw new Error(`wrk printed no figures:\n${stdout}`);
  const r = JSON.parse(line.slice(4));
  const secs = r.us / 1e6;
  return { requests: r.requests, seconds: secs, rps: r.requests / secs, p50: r.p50, p99: r.p99, max: r.max, errors: r.errors, non2xx: r.non2xx };
}

module.exports = { requireWrk, wrkLoad };
