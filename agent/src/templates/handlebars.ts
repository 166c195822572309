import Handlebars from 'handlebars';
import { quoteEnvFileValue, quoteUnitEnvironment } from './escape.js';

/**
 * A private Handlebars instance: noEscape because the outputs are not HTML (quoting is done by
 * the helpers that know the target format), strict so a missing variable fails instead of
 * rendering an empty string.
 */
const hb = Handlebars.create();
hb.registerHelper('envFileValue', (value: unknown) => quoteEnvFileValue(String(value)));
hb.registerHelper('unitEnvironment', (name: unknown, value: unknown) => quoteUnitEnvironment(String(name), String(value)));

const cache = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(source: string, context: object): string {
  let template = cache.get(source);
  if (!template) {
    template = hb.compile(source, { noEscape: true, strict: true });
    cache.set(source, template);
  }
  return template(context);
}
