// Output kinds: one renderer module per kind of the contract's outputs. Each exports
// render(spec, {data, shape}, i, context) -> Element and columns(spec, output, i) ->
// [[header, value]] (for the table of many rows).
import * as classes from './classes.js';
import * as image from './image.js';
import * as multilabel from './multilabel.js';
import * as tensor from './tensor.js';
import * as values from './values.js';

export const RENDERERS = { classes, multilabel, values, image, tensor };

export function renderer(kind) {
  return RENDERERS[kind] || tensor;
}
