import { AutogradError } from "../errors";
import type { Tensor } from "../tensor";

/**
 * Anomaly detection (torch.autograd.detect_anomaly): while `detectAnomaly(fn)` runs, every
 * node remembers the stack of the forward op that made it, and every backward checks the
 * gradients each node returns for NaN: the first one throws, naming the node and where its
 * forward op was called. It costs a stack trace per op, so it is a scope for debugging only.
 */
let depth = 0;

/** Whether anomaly detection is on (inside `detectAnomaly`). */
export function isAnomalyEnabled(): boolean {
  return depth > 0;
}

/**
 * Run `fn` with anomaly detection on; returns what fn returns.
 *
 * @example
 * detectAnomaly(() => x.sqrt().mul(0).sum().backward());
 * // AutogradError: Function 'SqrtBackward' returned nan values in its 0th output.
 * // The forward op was called at: ...
 */
export function detectAnomaly<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** The stack of the forward op being recorded (anomaly mode only). */
export function forwardTrace(): string {
  const stack = new Error().stack ?? "";
  // drop the "Error" line and the frames inside autograd (this function, record)
  return stack.split("\n").slice(3).join("\n");
}

/** Throw torch's anomaly error if one of a node's gradients holds a NaN. */
export function checkForNaN(name: string, grads: readonly (Tensor | null)[], trace: string | null): void {
  grads.forEach((g, i) => {
    if (g === null || g === undefined) return;
    const data = g.toTypedArray();
    for (let j = 0; j < data.length; j++) {
      if (data[j] !== data[j]) {
        throw new AutogradError(
          `Function '${name}' returned nan values in its ${i}th output.` +
            (trace ? `\nThe forward op was called at:\n${trace}` : ""),
        );
      }
    }
  });
}
