// The worker side of `ThreadPool.execute(name, ...args)`: piscina hands every task's handler a
// single value, so this handler receives `{ module, name, args }`, imports the module (once per
// worker), and calls its export `name` with the arguments spread — Eventlet's
// `tpool.execute(fn, *args)`, where a function is named by its module and export because
// functions cannot cross threads.
//
// Plain JavaScript on purpose: a worker thread loads it as it is, from the sources in tests
// and from the published package alike (Node 20 cannot run TypeScript in a worker).

const modules = new Map();

export default async function execute({ module, name, args }) {
  let loaded = modules.get(module);
  if (loaded === undefined) {
    loaded = import(module);
    modules.set(module, loaded);
  }
  const target = (await loaded)[name];
  // A missing export is reported as a value, not thrown: an error's own fields (its `code`)
  // do not survive the trip back, and the pool throws its typed error from it.
  if (typeof target !== "function")
    return { missing: target === undefined ? "nothing" : typeof target };
  return { value: await target(...args) };
}
