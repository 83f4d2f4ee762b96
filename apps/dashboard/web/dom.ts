/** A tiny DOM builder: text goes in as text (never HTML), so API data cannot inject markup. */

type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes (`class`, `data-*`, …; `false`/`undefined` skip one) and children.
 *
 * @example
 * h('td', { 'data-testid': 'total-hits' }, '1,234');
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** Replaces the children of `parent`. */
export function fill(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** A table with a header row and body rows. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (Node | string)[])[],
  attributes: Readonly<Record<string, string>> = {},
): HTMLTableElement {
  return h(
    'table',
    attributes,
    h('thead', {}, h('tr', {}, ...headers.map((header) => h('th', {}, header)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}

/** A note in a panel: a failure or an explanation. */
export function note(text: string, kind: 'info' | 'error' = 'info'): HTMLParagraphElement {
  return h('p', { class: `note ${kind}` }, text);
}
