import { readFileSync } from 'node:fs';

/** Reads a template and replaces each `{{name}}` with `values[name]`; an unknown placeholder is an error. */
export function renderTemplate(path: string, values: Readonly<Record<string, string | number>>): string {
  return readFileSync(path, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${path}: no value for {{${name}}}`);
    return String(value);
  });
}
