// Input kinds on the page: one widget module per kind of the contract's inputs, loaded only
// for the kinds the bundle has (the page preloads those, clientside/server/page_modules.py).
// Each exports create(spec, {index, showTitle, onChange}) -> {element, ready(), count(),
// items() (what the worker prepares), done()}, and preview(spec, item, feed, i) -> [Node]
// (the item on its result card); itemName(spec, item, i) if its items have names.
import { kindTable } from '../kind-table.js';

export const WIDGETS = {
  image: () => import('./image.js'),
  text: () => import('./text.js'),
  table: () => import('./table.js'),
  tensor: () => import('./tensor.js'),
  audio: () => import('./audio.js'),
};

export { InputMissing } from './common.js';

const widgets = kindTable(WIDGETS, (kind) => `widget for "${kind}" inputs`);

export const loadWidgets = (kinds) => widgets.load(kinds);
export const widget = (kind) => widgets.get(kind);

// How a card and a summary name an item: its file's name or its text, else "<input> <n>".
export function itemName(spec, item, i) {
  return widget(spec.kind).itemName?.(spec, item, i) ?? `${spec.name} ${i + 1}`;
}
