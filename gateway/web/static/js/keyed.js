// Keyed list rendering: a parent's children follow a list of items by key; an element is made
// once per key and only updated afterwards, so a change never rebuilds the other elements.

/**
 * Make `parent`'s children be, in order, one element per item (every child is keyed here).
 * @param {Element} parent
 * @param {Array<any>} items
 * @param {(item: any) => string} keyOf
 * @param {(item: any) => Element} create  builds a new element for an item
 * @param {(el: Element, item: any) => void} update  brings an existing element up to date
 */
export function reconcile(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const el of parent.children) existing.set(el.dataset.key, el);
  let cursor = parent.firstElementChild;
  const kept = new Set();
  for (const item of items) {
    const key = keyOf(item);
    let el = existing.get(key);
    if (el) update(el, item);
    else {
      el = create(item);
      el.dataset.key = key;
    }
    kept.add(key);
    if (el === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(el, cursor);
  }
  for (const [key, el] of existing) if (!kept.has(key)) el.remove();
}
