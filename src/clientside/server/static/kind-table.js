// A table of kinds whose modules load on demand, once each: the page's widgets and renderers
// (inputs/index.js, outputs/index.js) and the worker's steps (steps/index.js), so a bundle
// loads the code of its own kinds and no other.
// loaders: {kind: () => import(...)}; what(kind): how an error names the kind's module.
export function kindTable(loaders, what) {
  const loaded = {};
  return {
    async load(kinds) {
      await Promise.all([...new Set(kinds)].map(async (kind) => {
        if (!loaders[kind]) throw new Error(`this page has no ${what(kind)}`);
        loaded[kind] ??= await loaders[kind]();
      }));
    },
    get(kind) {
      if (!loaded[kind]) throw new Error(`the ${what(kind)} is not loaded yet`);
      return loaded[kind];
    },
  };
}
