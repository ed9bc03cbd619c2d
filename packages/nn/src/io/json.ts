import { SafetensorsError } from "./errors";

/**
 * JSON as the header parser returns it: objects are Maps (key order kept, no prototype, so a
 * key such as `__proto__` is only a key), numbers are doubles.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** Deeper than any header needs (it needs 3), shallow enough that no stack overflows. */
const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'], ["\\", "\\"], ["/", "/"], ["b", "\b"], ["f", "\f"], ["n", "\n"], ["r", "\r"], ["t", "\t"],
]);

/**
 * Parse `text` as strict JSON (RFC 8259). Unlike `JSON.parse` it refuses a key repeated in
 * one object (`DUPLICATE_KEY`) instead of keeping the last, and never builds a plain object.
 * Any other fault is an `INVALID_JSON` error that names the position.
 */
export function parseJson(text: string): JsonValue {
  let pos = 0;

  const fail = (what: string): never => {
    const near = JSON.stringify(text.slice(pos, pos + 20));
    throw new SafetensorsError("INVALID_JSON", `safetensors header is not valid JSON: ${what} at character ${pos} (near ${near})`);
  };
  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = "";
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      if (e === "u") {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else {
        const decoded = e === undefined ? undefined : ESCAPES.get(e);
        if (decoded === undefined) fail("bad escape");
        out += decoded;
        pos += 2;
      }
      start = pos;
    }
    out += text.slice(start, pos);
    pos++; // closing quote
    return out;
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipSpace();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const out: JsonObject = new Map();
      skipSpace();
      if (text[pos] === "}") {
        pos++;
        return out;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail("expected a string key");
        const keyAt = pos;
        const key = parseString();
        if (out.has(key)) {
          throw new SafetensorsError(
            "DUPLICATE_KEY",
            `safetensors header has the key ${JSON.stringify(key)} twice in one object (again at character ${keyAt})`,
          );
        }
        skipSpace();
        if (text[pos] !== ":") fail("expected ':'");
        pos++;
        out.set(key, parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "}") {
          pos++;
          return out;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      pos++;
      const out: JsonValue[] = [];
      skipSpace();
      if (text[pos] === "]") {
        pos++;
        return out;
      }
      for (;;) {
        out.push(parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "]") {
          pos++;
          return out;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail(pos >= text.length ? "unexpected end" : "unexpected character");
    pos += m[0].length;
    return Number(m[0]);
  };

  const value = parseValue(0);
  skipSpace();
  if (pos < text.length) fail("trailing characters after the value");
  return value;
}
