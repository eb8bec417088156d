/** Finding the page's elements, and the small DOM writes several cards share. */

/** An element of index.html by id; a missing one is a bug in the page, said at start-up. */
export const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html has no #${id}`);
  return e as T;
};

type Tag = keyof HTMLElementTagNameMap;
/** The element type a `tag#id` selector names. */
type Selected<S> = S extends `${infer T extends Tag}#${string}` ? HTMLElementTagNameMap[T] : never;

/**
 * A card's elements, each named by `tag#id` (the tag gives its type): `elements({ cancel:
 * 'button#export-cancel' })`. A missing one (or one of another tag) is a bug in the page, said at
 * start-up.
 */
export function elements<const S extends Record<string, `${Tag}#${string}`>>(selectors: S): { readonly [K in keyof S]: Selected<S[K]> } {
  const found: Record<string, Element> = {};
  for (const [key, selector] of Object.entries(selectors)) {
    const e = document.querySelector(selector);
    if (!e) throw new Error(`index.html has no ${selector}`);
    found[key] = e;
  }
  return found as { readonly [K in keyof S]: Selected<S[K]> };
}

/** Sets a progress bar to a percentage, rounded, with the same words for a screen reader. */
export function showProgress(bar: HTMLProgressElement, percent: number): void {
  const p = Math.round(percent);
  bar.value = p;
  bar.setAttribute('aria-valuetext', `${p} %`);
}
