/**
 * Expressions the Graph panel understands: numbers, the variables a, b, c, `+ - * / **`,
 * unary minus, parentheses, and Tensor methods as in code (`(a * b + c).tanh()`,
 * `a.pow(2)`, `a.maximum(b)`) or as functions (`tanh(a * b)`). Each operator is the Tensor
 * method of the same meaning, so the graph is minigrad's own.
 */
import { tensor, type Tensor } from "@minigrad/tensor";

export type Expr =
  | { kind: "num"; value: number }
  | { kind: "var"; name: string }
  | { kind: "neg"; arg: Expr }
  | { kind: "bin"; op: "+" | "-" | "*" | "/" | "**"; left: Expr; right: Expr }
  | { kind: "call"; method: string; args: Expr[] };

/** Methods with no argument, and those taking one (a number or an expression). */
const UNARY = ["tanh", "exp", "log", "relu", "sigmoid", "sqrt", "abs", "neg", "square", "gelu"] as const;
const BINARY = ["pow", "add", "sub", "mul", "div", "maximum", "minimum"] as const;
type Unary = (typeof UNARY)[number];
type Binary = (typeof BINARY)[number];
const isUnary = (m: string): m is Unary => (UNARY as readonly string[]).includes(m);
const isBinary = (m: string): m is Binary => (BINARY as readonly string[]).includes(m);

export const METHODS: readonly string[] = [...UNARY, ...BINARY];

export class ParseError extends Error {}

type Token = { kind: "num"; value: number; at: number } | { kind: "id"; name: string; at: number } | { kind: "op"; op: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|([A-Za-z_]\w*)|(\*\*|[-+*/().,]))/gy;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new ParseError(`unexpected "${text.slice(at).trim()[0]}" at column ${at + 1}`);
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]), at });
    else if (m[2] !== undefined) tokens.push({ kind: "id", name: m[2], at });
    else tokens.push({ kind: "op", op: m[3], at });
    at = re.lastIndex;
  }
  return tokens;
}

/** Parse `text`; throws ParseError with the column of the problem. */
export function parse(text: string, variables: readonly string[]): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (op: string) => {
    const t = peek();
    return t !== undefined && t.kind === "op" && t.op === op;
  };
  const expect = (op: string) => {
    if (!isOp(op)) {
      const t = peek();
      throw new ParseError(t === undefined ? `expected "${op}" at the end` : `expected "${op}" at column ${t.at + 1}`);
    }
    i++;
  };
  const args = (): Expr[] => {
    expect("(");
    const list: Expr[] = [];
    if (!isOp(")")) {
      list.push(sum());
      while (isOp(",")) {
        i++;
        list.push(sum());
      }
    }
    expect(")");
    return list;
  };
  const call = (method: string, list: Expr[], at: number): Expr => {
    const arity = isUnary(method) ? 1 : isBinary(method) ? 2 : 0;
    if (arity === 0) throw new ParseError(`unknown method "${method}" at column ${at + 1} (try ${METHODS.join(", ")})`);
    if (list.length !== arity) throw new ParseError(`${method} takes ${arity - 1} argument${arity === 2 ? "" : "s"} (column ${at + 1})`);
    return { kind: "call", method, args: list };
  };
  const primary = (): Expr => {
    const t = peek();
    if (t === undefined) throw new ParseError("the expression ends too early");
    i++;
    if (t.kind === "num") return { kind: "num", value: t.value };
    if (t.kind === "id") {
      if (isOp("(")) return call(t.name, args(), t.at); // tanh(x): the method on its first argument
      if (!variables.includes(t.name)) throw new ParseError(`unknown name "${t.name}" at column ${t.at + 1} (the variables are ${variables.join(", ")})`);
      return { kind: "var", name: t.name };
    }
    if (t.op === "(") {
      const e = sum();
      expect(")");
      return e;
    }
    throw new ParseError(`unexpected "${t.op}" at column ${t.at + 1}`);
  };
  const postfix = (): Expr => {
    let e = primary();
    while (isOp(".")) {
      i++;
      const t = peek();
      if (t === undefined || t.kind !== "id") throw new ParseError("expected a method name after \".\"");
      i++;
      e = call(t.name, [e, ...args()], t.at);
    }
    return e;
  };
  const power = (): Expr => {
    const base = postfix();
    if (!isOp("**")) return base;
    i++;
    return { kind: "bin", op: "**", left: base, right: unary() }; // right-associative, binds tighter than unary minus on its left
  };
  const unary = (): Expr => {
    if (isOp("-")) {
      i++;
      return { kind: "neg", arg: unary() };
    }
    if (isOp("+")) {
      i++;
      return unary();
    }
    return power();
  };
  const product = (): Expr => {
    let e = unary();
    while (isOp("*") || isOp("/")) {
      const op = (tokens[i++] as { op: "*" | "/" }).op;
      e = { kind: "bin", op, left: e, right: unary() };
    }
    return e;
  };
  function sum(): Expr {
    let e = product();
    while (isOp("+") || isOp("-")) {
      const op = (tokens[i++] as { op: "+" | "-" }).op;
      e = { kind: "bin", op, left: e, right: product() };
    }
    return e;
  }
  const e = sum();
  if (i < tokens.length) throw new ParseError(`unexpected "${text.slice(tokens[i].at).trim()}" at column ${tokens[i].at + 1}`);
  return e;
}

/** The expression written back, with the parentheses it needs. */
export function show(e: Expr): string {
  switch (e.kind) {
    case "num":
      return String(e.value);
    case "var":
      return e.name;
    case "neg":
      return `-${wrap(e.arg, 3)}`;
    case "bin": {
      const p = PRECEDENCE[e.op];
      return `${wrap(e.left, e.op === "**" ? p + 1 : p)} ${e.op} ${wrap(e.right, e.op === "**" ? p : p + 1)}`;
    }
    case "call":
      return `${wrap(e.args[0], 5)}.${e.method}(${e.args.slice(1).map(show).join(", ")})`;
  }
}

const PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2, "**": 4 } as const;

function level(e: Expr): number {
  return e.kind === "bin" ? PRECEDENCE[e.op] : e.kind === "neg" ? 3 : 5;
}

function wrap(e: Expr, min: number): string {
  return level(e) < min ? `(${show(e)})` : show(e);
}

/** A tensor the evaluation made, and the subexpression it is the value of. */
export interface Evaluated {
  tensor: Tensor;
  text: string;
}

/**
 * Evaluate with minigrad (float64 scalars): every operator is one Tensor method call, so the
 * backward graph has one node per operator. Returns the result and every tensor made on the
 * way, with its subexpression. Numbers become constants (tensors that need no gradient).
 */
export function evaluate(e: Expr, variables: Record<string, Tensor>): { out: Tensor; made: Evaluated[] } {
  const made: Evaluated[] = [];
  const constant = (value: number) => tensor(value, { dtype: "float64" });
  const record = (t: Tensor, node: Expr) => {
    made.push({ tensor: t, text: show(node) });
    return t;
  };
  const value = (node: Expr): Tensor => {
    switch (node.kind) {
      case "num":
        return record(constant(node.value), node);
      case "var": {
        const v = variables[node.name];
        if (v === undefined) throw new ParseError(`no value for ${node.name}`);
        return v;
      }
      case "neg":
        return record(value(node.arg).neg(), node);
      case "bin": {
        const l = value(node.left);
        const r = value(node.right);
        const out = node.op === "+" ? l.add(r) : node.op === "-" ? l.sub(r) : node.op === "*" ? l.mul(r) : node.op === "/" ? l.div(r) : l.pow(r);
        return record(out, node);
      }
      case "call": {
        const [target, arg] = node.args.map(value);
        if (isUnary(node.method)) return record(target[node.method](), node);
        if (isBinary(node.method)) return record(target[node.method](arg), node);
        throw new ParseError(`unknown method ${node.method}`);
      }
    }
  };
  const out = value(e);
  return { out, made };
}
