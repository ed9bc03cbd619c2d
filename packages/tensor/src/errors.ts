/**
 * Errors thrown by minigrad. Messages name the op, the shapes and the bad value, e.g.
 * `add: shapes [2, 3] and [4] cannot be broadcast`.
 */
export class TensorError extends Error {
  /** "TensorError": the class, for `err.name` checks and stack traces. */
  override name = "TensorError";
}

/** Shapes that do not fit together: broadcasting, matmul, reshape, a wrong grad shape. */
export class ShapeError extends TensorError {
  /** "ShapeError": the class, for `err.name` checks and stack traces. */
  override name = "ShapeError";
}

/** A dtype an op cannot take, e.g. requiresGrad on an int32 tensor. */
export class DTypeError extends TensorError {
  /** "DTypeError": the class, for `err.name` checks and stack traces. */
  override name = "DTypeError";
}

/** An argument out of range: a dim, an index, a step. */
export class ArgumentError extends TensorError {
  /** "ArgumentError": the class, for `err.name` checks and stack traces. */
  override name = "ArgumentError";
}

/** Autograd misuse, with PyTorch's wording (freed graph, modified saved tensor, ...). */
export class AutogradError extends TensorError {
  /** "AutogradError": the class, for `err.name` checks and stack traces. */
  override name = "AutogradError";
}

/** `[2, 3]`: how shapes appear in messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
