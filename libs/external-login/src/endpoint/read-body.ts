import type { Request } from 'express';

export type BodyRead = { ok: true; text: string } | { ok: false; tooLarge: boolean };

/**
 * Reads a request body of at most `limit` bytes as UTF-8 text. Past the limit it stops keeping
 * data and answers at once; Node discards the rest of the upload after the response, so the
 * socket stays usable and the reply still reaches the caller.
 */
export function readBody(req: Request, limit: number): Promise<BodyRead> {
  // A body parser got there first (it should skip this route): use what it made of the body.
  if (req.readableEnded)
    return Promise.resolve(req.body === undefined ? { ok: true, text: '' } : { ok: true, text: JSON.stringify(req.body) });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, tooLarge: true });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish({ ok: false, tooLarge: true });
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    const onError = () => finish({ ok: false, tooLarge: false });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
