import { Injectable } from '@nestjs/common';
import { projectRoot } from '@portico/core';
import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MailTenant {
  id: string;
  key: string;
  name: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Compiled = { text: Handlebars.TemplateDelegate; html: Handlebars.TemplateDelegate };

/** Where the templates live: `<name>.text.hbs` (first line `Subject: …`) and `<name>.html.hbs`. */
export function mailTemplatesDir(): string {
  return join(projectRoot(), 'libs/mail/templates');
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Renders mail with Handlebars: the HTML part escaped (inside one small layout), the text part
 * as written. Every mail gets `brand` ("Acme Portal (via Portico)", or "Portico").
 */
@Injectable()
export class MailTemplates {
  private readonly engine = Handlebars.create();
  private readonly cache = new Map<string, Compiled>();
  private layout: Handlebars.TemplateDelegate | null = null;

  /** Throws for a template that does not exist: a programmer's error, which tests find. */
  render(name: string, tenant: MailTenant | null, vars: Record<string, unknown>): RenderedMail {
    const compiled = this.compiled(name);
    const brand = tenant ? `${tenant.name} (via Portico)` : 'Portico';
    const context = { ...vars, tenant, brand };
    const [first, ...rest] = compiled.text(context).replace(/\r\n/g, '\n').split('\n');
    const subject = /^Subject:/i.test(first) ? first.replace(/^Subject:\s*/i, '') : '';
    if (!subject) throw new Error(`Mail template "${name}": the text part must start with a "Subject: …" line`);
    const body = this.compiledLayout()({ ...context, subject: clean(subject), content: new Handlebars.SafeString(compiled.html(context)) });
    return { subject: clean(subject).slice(0, 500), text: rest.join('\n').replace(/^\n+/, ''), html: body };
  }

  /** Whether a template of this name exists. */
  has(name: string): boolean {
    return (
      NAME.test(name) &&
      existsSync(join(mailTemplatesDir(), `${name}.text.hbs`)) &&
      existsSync(join(mailTemplatesDir(), `${name}.html.hbs`))
    );
  }

  private compiled(name: string): Compiled {
    let compiled = this.cache.get(name);
    if (compiled) return compiled;
    if (!this.has(name)) throw new Error(`Unknown mail template "${name}": add libs/mail/templates/${name}.text.hbs and ${name}.html.hbs`);
    const read = (part: string) => readFileSync(join(mailTemplatesDir(), `${name}.${part}.hbs`), 'utf8');
    compiled = {
      text: this.engine.compile(read('text'), { noEscape: true }),
      html: this.engine.compile(read('html')),
    };
    this.cache.set(name, compiled);
    return compiled;
  }

  private compiledLayout(): Handlebars.TemplateDelegate {
    return (this.layout ??= this.engine.compile(readFileSync(join(mailTemplatesDir(), 'layout.html.hbs'), 'utf8')));
  }
}

/** A subject is one line: no header injection through a tenant's name or a variable. */
function clean(subject: string): string {
  return subject.replace(/[\r\n\t]+/g, ' ').trim();
}
