// Input kinds on the page: one widget module per kind of the contract's inputs, loaded only
// for the kinds the bundle has (the page preloads those, clientside/server/assets.py). Each
// exports create(spec, {index, showTitle, onChange}) -> {element, ready(), count(),
// items() (what the worker prepares), done()}, and preview(spec, item, feed, i) -> [Node]
// (the item on its result card); itemName(spec, item, i) if its items have names.
export const WIDGETS = {
  image: () => import('./image.js'),
  text: () => import('./text.js'),
  table: () => import('./table.js'),
  tensor: () => import('./tensor.js'),
  audio: () => import('./audio.js'),
};

export { InputMissing } from './common.js';

const loaded = {};

// The modules of these kinds, loaded once each.
export async function loadWidgets(kinds) {
  await Promise.all([...new Set(kinds)].map(async (kind) => {
    if (!WIDGETS[kind]) throw new Error(`this page has no widget for "${kind}" inputs`);
    loaded[kind] ??= await WIDGETS[kind]();
  }));
}

export function widget(kind) {
  const module = loaded[kind];
  if (!module) throw new Error(`the widget for "${kind}" inputs is not loaded (loadWidgets first)`);
  return module;
}

// How a card and a summary name an item: its file's name or its text, else "<input> <n>".
export function itemName(spec, item, i) {
  return widget(spec.kind).itemName?.(spec, item, i) ?? `${spec.name} ${i + 1}`;
}
