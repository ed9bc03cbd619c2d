/**
 * Whether ops record the graph. A scope, not a flag users flip: `noGrad(fn)` turns
 * recording off while fn runs and restores the previous mode even if fn throws.
 * (For async code, the mode is restored when fn returns its promise, not when it settles.)
 */
let enabled = true;

/** Whether ops record the graph right now: false inside `noGrad`, as torch.is_grad_enabled. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Run fn without recording the graph (optimizer updates, evaluation); returns what fn returns. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run fn with recording on, even inside noGrad (an optimizer's closure); returns what fn returns. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
