/**
 * AbortControllers made ahead of time. In Node 20 making one with its signal
 * costs ~5 µs, more than a trivial prediction's own work, so each call hands
 * out one made earlier and makes the next when the thread is idle.
 */
let next: AbortController | undefined;

function make(): AbortController {
  const controller = new AbortController();
  void controller.signal; // Node makes the signal (the costly part) on first access.
  return controller;
}

const refill = () => {
  next ??= make();
};

/** A fresh AbortController (with its signal made); the next one is made after the current task. */
export function takeAbortController(): AbortController {
  const controller = next ?? make();
  next = undefined;
  setImmediate(refill);
  return controller;
}
