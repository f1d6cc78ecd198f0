// Output kinds: one renderer module per kind of the contract's outputs. Each exports
// render(spec, {data, shape}, i, context) -> Element and columns(spec, output, i) ->
// [[header, value]] (for the table of many rows); a kind that compares the items with each
// other also exports summary(spec, output, {n, names}) -> Element (shown above the cards).
import * as classes from './classes.js';
import * as embedding from './embedding.js';
import * as image from './image.js';
import * as multilabel from './multilabel.js';
import * as spans from './spans.js';
import * as tensor from './tensor.js';
import * as timeline from './timeline.js';
import * as values from './values.js';

export const RENDERERS = { classes, multilabel, values, image, tensor, embedding, spans, timeline };

export function renderer(kind) {
  return RENDERERS[kind] || tensor;
}
