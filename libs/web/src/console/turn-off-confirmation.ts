import { checkbox, type FormBody } from './forms';

/** The hidden field the confirmation page adds: the admin has read what turning the method off does. */
const CONFIRMED = 'confirmTurnOff';

export interface TurnOffQuestion {
  /** Whether the method is on now. */
  wasOn: boolean;
  form: FormBody;
  heading: string;
  /** What stops working, in words. */
  message: string;
  confirmLabel: string;
  action: string;
  cancelHref: string;
  /** Fields never written into a page (a typed password or secret): not carried, so not saved by this step. */
  secrets?: string[];
}

/**
 * A save of a sign-in method's form that would switch an enabled method off asks first: the locals of
 * the confirmation page (every other typed value carried in hidden fields, so confirming saves
 * exactly what was sent), or null when the save may go ahead.
 */
export function turnOffConfirmation(q: TurnOffQuestion): Record<string, unknown> | null {
  if (!q.wasOn || checkbox(q.form, 'enabled') || q.form[CONFIRMED] === 'yes') return null;
  const secrets = q.secrets ?? [];
  const typedSecret = secrets.some((name) => typeof q.form[name] === 'string' && q.form[name] !== '');
  const fields = Object.entries(q.form)
    .filter(([name]) => name !== '_csrf' && !secrets.includes(name))
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => ({ name, value: String(v) })));
  return {
    heading: q.heading,
    message: typedSecret ? `${q.message} The new secret you typed is not saved by this step: enter it again afterwards.` : q.message,
    confirmLabel: q.confirmLabel,
    action: q.action,
    cancelHref: q.cancelHref,
    fields: [...fields, { name: CONFIRMED, value: 'yes' }],
  };
}
