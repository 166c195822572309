import Handlebars from 'handlebars/runtime';
import { joinWords, quoteEnvFileValue, quoteManagerEnvironment, quoteUnitEnvironment } from './escape.js';
import * as precompiled from './precompiled.js';

/**
 * A private instance of the Handlebars runtime. The templates are precompiled at build time
 * (scripts/gen-templates.ts, noEscape and strict), so the compiler is not part of the agent;
 * quoting is done by the helpers that know the target format.
 */
const hb = Handlebars.create();
hb.registerHelper('envFileValue', (value: unknown) => quoteEnvFileValue(String(value)));
hb.registerHelper('managerEnvironment', (name: unknown, value: unknown) => quoteManagerEnvironment(String(name), String(value)));
hb.registerHelper('join', (values: unknown) => joinWords((values as unknown[]).map(String)));
hb.registerHelper('unitEnvironment', (name: unknown, value: unknown) => quoteUnitEnvironment(String(name), String(value)));

export type TemplateName = keyof typeof precompiled;

// The module is a table of a few small templates, all of which are needed, so looking one up by name costs no tree-shaking.
const templates: Readonly<Record<TemplateName, unknown>> = precompiled;
const cache = new Map<TemplateName, Handlebars.TemplateDelegate>();

export function renderTemplate(name: TemplateName, context: object): string {
  let template = cache.get(name);
  if (!template) {
    template = hb.template(templates[name] as TemplateSpecification);
    cache.set(name, template);
  }
  return template(context);
}
