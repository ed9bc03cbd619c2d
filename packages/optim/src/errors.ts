/**
 * Errors thrown by optimizers, with PyTorch's wording. Where torch raises `TypeError`
 * (a wrong kind of argument) minigrad throws the built-in `TypeError`; where it raises
 * `ValueError` (a right kind of argument with a bad value) it throws `OptimizerError`.
 */
export class OptimizerError extends Error {
  override name = "OptimizerError";
}

/** How a value's type appears in messages: `Tensor`, `number`, `Array`, `Map`, `null`. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (Array.isArray(value)) return "Array";
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "Object";
}

/** `[2, 3]`: how shapes appear in messages (as in @minigrad/tensor). */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
