import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './ports';

/** A mail as the test reads it: what a person would see, and the links in it. */
export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
}

export interface Inbox {
  readonly mails: ReceivedMail[];
  /** The first mail (already here or arriving within `timeoutMs`) for this address or matching `predicate`. */
  waitFor(match: string | ((m: ReceivedMail) => boolean), timeoutMs?: number): Promise<ReceivedMail>;
  /** Mail for this address (or matching) that has arrived so far. */
  find(match: string | ((m: ReceivedMail) => boolean)): ReceivedMail[];
}

export interface TestSmtp {
  /** smtp://127.0.0.1:<port>: pass it as SMTP_URL. */
  url: string;
  inbox: Inbox;
  /** The next `times` recipients are refused with `code` (451: try later; 550: never). */
  refuse(times: number, code?: number): void;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server, from the nodemailer project) in the test process, on a free port. */
export async function startSmtp(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  let refusals = 0;
  let refusalCode = 451;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refusals > 0) {
        refusals--;
        return callback(
          Object.assign(new Error(refusalCode >= 500 ? 'No such mailbox' : 'Try again later'), { responseCode: refusalCode }),
        );
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const text = parsed.text ?? '';
          const html = typeof parsed.html === 'string' ? parsed.html : '';
          const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => decodeEntities(m[1]));
          const links = [...new Set([...(text.match(/https?:\/\/[^\s<>"]+/g) ?? []), ...hrefs])];
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address).join(', '),
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text,
            html,
            links,
          });
          waiters.splice(0).forEach((wake) => wake());
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const matcher = (match: string | ((m: ReceivedMail) => boolean)) =>
    typeof match === 'string' ? (m: ReceivedMail) => m.to.toLowerCase() === match.toLowerCase() : match;
  const inbox: Inbox = {
    mails,
    find: (match) => mails.filter(matcher(match)),
    async waitFor(match, timeoutMs = 10_000) {
      const test = matcher(match);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find(test);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `No mail matching ${typeof match === 'string' ? match : 'the predicate'} within ${timeoutMs} ms (got: ${mails.map((m) => `${m.to}: ${m.subject}`).join('; ') || 'none'})`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    refuse(times, code = 451) {
      refusals = times;
      refusalCode = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An attribute's value as a browser reads it (Handlebars escapes `=` and `&` in links). */
function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
