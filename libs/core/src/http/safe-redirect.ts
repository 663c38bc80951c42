// One path on this origin: a single "/" first, then visible ASCII only. Browsers drop tabs and line
// breaks from a URL and read "\" as "/", so "/\t/evil.test" and "/\evil.test" lead to another host;
// a link Portico wrote itself is percent-encoded, so nothing legitimate is lost by refusing the rest.
const SAME_ORIGIN_PATH = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/;

/**
 * A same-origin path to go to after a form or a sign-in, or the fallback: never another host, never
 * a scheme. Every redirect whose target a request can influence (Location or HX-Redirect) goes through it.
 */
export function safeNext(next: unknown, fallback: string): string {
  return typeof next === 'string' && SAME_ORIGIN_PATH.test(next) ? next : fallback;
}
