/**
 * The warnings the schedulers give, with torch's text, each shown once per process (as
 * Python's default warnings filter shows a warning once per place it is raised).
 */

/** Warned by `step(epoch)`: passing the epoch is deprecated (torch's text). */
export const EPOCH_DEPRECATION_WARNING =
  "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. " +
  "Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from " +
  "None, the closed form is used instead of the new chainable form, where available. Please open an issue if " +
  "you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.";

/** Warned when `optimizer.step` was replaced after the scheduler was attached. */
export const STEP_OVERRIDDEN_WARNING =
  "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. Please, " +
  "make sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at " +
  "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate";

/** Warned when `scheduler.step()` runs before the first `optimizer.step()`. */
export const STEP_ORDER_WARNING =
  "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should " +
  "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will " +
  "result in PyTorch skipping the first value of the learning rate schedule. See more details at " +
  "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate";

/** Warned when `getLr()` is called outside `step` (use `getLastLr()`). */
export const GET_LR_WARNING =
  "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.";

const shown = new Set<string>();

/** Show `message` with console.warn, unless it was shown before. */
export function warnOnce(message: string): void {
  if (shown.has(message)) return;
  shown.add(message);
  console.warn(message);
}

/** Forget which warnings were shown, so that each shows again (Python's `warnings.resetwarnings`, roughly). */
export function resetWarnings(): void {
  shown.clear();
}

let quiet = 0;

/** Run `fn` without the deprecation warning of `step(epoch)` (SequentialLR's own `step(0)`). */
export function withoutEpochWarning(fn: () => void): void {
  quiet++;
  try {
    fn();
  } finally {
    quiet--;
  }
}

/** The deprecation warning of `step(epoch)`, unless inside `withoutEpochWarning`. */
export function warnEpochDeprecated(): void {
  if (quiet === 0) warnOnce(EPOCH_DEPRECATION_WARNING);
}

/** Python's `'{:.4e}'.format(x)`: `1.0000e-02`. */
export function formatLr(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  return x.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
}

/** torch's verbose line for one group. */
export function lrMessage(group: number, lr: number, epoch?: number): string {
  if (epoch === undefined) return `Adjusting learning rate of group ${group} to ${formatLr(lr)}.`;
  const e = Number.isInteger(epoch) ? String(Math.abs(epoch)).padStart(5, "0") : epoch.toFixed(2);
  return `Epoch ${epoch < 0 && Number.isInteger(epoch) ? "-" + e : e}: adjusting learning rate of group ${group} to ${formatLr(lr)}.`;
}
