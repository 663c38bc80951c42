import { createServer, type Server } from 'node:http';

export interface PortReservation {
  /** Frees the port for the app to listen on at once. */
  release(): Promise<void>;
}

/**
 * Takes the port before first-start work creates anything: a port already in use must stop the
 * start before the first admin's one-time password is printed (it is never printed again). Until
 * released, requests get a 503 so a load balancer sees the instance as not ready yet.
 */
export async function reservePort(port: number): Promise<PortReservation> {
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5', Connection: 'close' });
    res.end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'Portico is starting' }));
  });
  // Bound as the app binds (no host: every interface), so what is free here is free for the app.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return { release: () => close(server) };
}

/** One line saying what to do when `err` is a refusal to listen on `port`; null for any other error. */
export function portProblem(port: number, err: unknown): string | null {
  const other = port < 65535 ? port + 1 : 3000;
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'EADDRINUSE':
      return `Port ${port} is already in use (another Portico?). Stop it or start with PORT=${other}.`;
    case 'EACCES':
      return `Port ${port} needs privileges this process does not have. Start with a port above 1023, e.g. PORT=${other}.`;
    default:
      return null;
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
