// Output kinds: one renderer module per kind of the contract's outputs, loaded only for the
// kinds the bundle has (the page preloads those, clientside/server/page_modules.py). Each
// exports render(spec, {data, shape}, i, context) -> Element and columns(spec, output, i) ->
// [[header, value]] (for the table of many rows); a kind that compares the items with each
// other also exports summary(spec, output, {n, names}) -> Element (shown above the cards).
// An output of a kind this page does not know is shown as a tensor.
import { kindTable } from '../kind-table.js';
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

const renderers = kindTable(RENDERERS, (kind) => `renderer of "${kind}" outputs`);

export const loadRenderers = (kinds) => renderers.load(kinds.filter((kind) => RENDERERS[kind]));
export const renderer = (kind) => (RENDERERS[kind] ? renderers.get(kind) : tensor);
