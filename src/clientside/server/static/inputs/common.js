// What the input widgets share.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children);
  return node;
}

// Element ids: the first input of a kind keeps the plain id (#files, #pad), others get a suffix.
export const idFor = (base, index) => (index === 0 ? base : `${base}-${index}`);

export class InputMissing extends Error {}

export function title(spec) {
  return spec.label || spec.name;
}
