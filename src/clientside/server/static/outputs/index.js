// Output kinds: one renderer module per kind of the contract's outputs, loaded only for the
// kinds the bundle has (the page preloads those, clientside/server/assets.py). Each exports
// render(spec, {data, shape}, i, context) -> Element and columns(spec, output, i) ->
// [[header, value]] (for the table of many rows); a kind that compares the items with each
// other also exports summary(spec, output, {n, names}) -> Element (shown above the cards).
// An output of a kind this page does not know is shown as a tensor.
import * as tensor from './tensor.js';

export const RENDERERS = {
  classes: () => import('./classes.js'),
  multilabel: () => import('./multilabel.js'),
  values: () => import('./values.js'),
  image: () => import('./image.js'),
  tensor: async () => tensor,
  embedding: () => import('./embedding.js'),
  spans: () => import('./spans.js'),
  timeline: () => import('./timeline.js'),
};

const loaded = { tensor };

// The renderers of these kinds, loaded once each.
export async function loadRenderers(kinds) {
  await Promise.all([...new Set(kinds)].filter((kind) => RENDERERS[kind]).map(async (kind) => {
    loaded[kind] ??= await RENDERERS[kind]();
  }));
}

export function renderer(kind) {
  if (RENDERERS[kind] && !loaded[kind]) throw new Error(`the renderer of "${kind}" outputs is not loaded (loadRenderers first)`);
  return loaded[kind] || tensor;
}
