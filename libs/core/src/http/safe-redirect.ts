/** A same-origin path to go to after a form or a sign-in, or the fallback: never another host, never a scheme. */
export function safeNext(next: string | undefined, fallback: string): string {
  if (!next || typeof next !== 'string') return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n]/.test(next)) return fallback;
  return next;
}
