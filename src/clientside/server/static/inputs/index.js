// Input kinds on the page: one widget module per kind of the contract's inputs. Each
// exports create(spec, {index, showTitle, onChange}) -> {element, ready(), count(),
// items() (what the worker prepares), done()}.
import * as audio from './audio.js';
import * as image from './image.js';
import * as table from './table.js';
import * as tensor from './tensor.js';
import * as text from './text.js';

export const WIDGETS = { image, text, table, tensor, audio };

export { InputMissing } from './common.js';

export function widget(kind) {
  const module = WIDGETS[kind];
  if (!module) throw new Error(`this page has no widget for "${kind}" inputs`);
  return module;
}
