import { Tensor, isFloating, keep, noGrad, type DType } from "@minigrad/tensor";
import { OptimizerError, checkTensor, fmtShape, typeName } from "./errors";
import { isGroupObject } from "./param-groups";

/** One parameter's state: `step`, buffers (tensors) and whatever else an optimizer keeps. */
export type StateEntry = Record<string, unknown>;

/** A parameter group in a state dict: its options, then its parameters as integer ids. */
export type PackedParamGroup = { [key: string]: unknown } & { params: number[] };

/**
 * torch's optimizer state dict. Parameters are replaced by ids, numbered in group order
 * and continuing across groups; `state` is keyed by those ids and lists only parameters
 * that have state. What `stateDict()` returns is a snapshot (tensors are copies).
 */
export interface OptimizerStateDict {
  /** Each parameter's state (step, buffers, ...) by its id; only parameters that have state. */
  state: Record<number, StateEntry>;
  /** Each group's options, with its parameters as ids (torch's param_groups). */
  paramGroups: PackedParamGroup[];
}

function cloneTensor(t: Tensor, dtype: DType = t.dtype): Tensor {
  return keep(noGrad(() => (t.dtype === dtype ? t.detach().clone() : t.detach().to(dtype))));
}

/** A deep copy of plain data: tensors cloned, arrays and plain objects rebuilt, the rest kept. */
export function snapshot(value: unknown): unknown {
  if (value instanceof Tensor) return cloneTensor(value);
  if (Array.isArray(value)) return value.map(snapshot);
  if (isGroupObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = snapshot(v);
    return out;
  }
  return value;
}

/**
 * Pack groups and state as torch's `state_dict()`: a parameter keeps the id it got in the
 * earliest group that lists it; inside one group a repeated parameter takes the id of its
 * last occurrence (torch's dict comprehension overwrites), and every group advances the
 * next id by its full length. `params` is the last key of each packed group.
 */
export function packStateDict(
  groups: readonly { params: readonly Tensor[] }[],
  state: ReadonlyMap<Tensor, StateEntry>,
): OptimizerStateDict {
  const ids = new Map<Tensor, number>();
  let start = 0;
  const paramGroups = groups.map((group) => {
    const fresh = new Map<Tensor, number>();
    group.params.forEach((p, i) => {
      if (!ids.has(p)) fresh.set(p, start + i);
    });
    for (const [p, id] of fresh) ids.set(p, id);
    const packed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(group)) if (k !== "params") packed[k] = snapshot(v);
    packed.params = group.params.map((p) => ids.get(p) as number);
    start += group.params.length;
    return packed as PackedParamGroup;
  });
  const packedState: Record<number, StateEntry> = {};
  for (const [param, entry] of state) {
    const id = ids.get(param);
    // State of a tensor that is in no group (removed by hand) has no id to be saved under.
    if (id !== undefined) packedState[id] = snapshot(entry) as StateEntry;
  }
  return { state: packedState, paramGroups };
}

function checkShapeOfStateDict(sd: unknown): asserts sd is OptimizerStateDict {
  const bad = (what: string): never => {
    throw new TypeError(`loadStateDict: expected an optimizer state dict ({ state, paramGroups }), but ${what}`);
  };
  if (!isGroupObject(sd)) bad(`got ${typeName(sd)}`);
  const { state, paramGroups } = sd as Record<string, unknown>;
  if (!isGroupObject(state)) bad(`its state is ${typeName(state)}`);
  if (!Array.isArray(paramGroups)) bad(`its paramGroups is ${typeName(paramGroups)}`);
  (paramGroups as unknown[]).forEach((g, i) => {
    const ids = isGroupObject(g) ? g.params : undefined;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
      bad(`paramGroups[${i}].params is not a list of parameter ids`);
    }
  });
  for (const [key, entry] of Object.entries(state as object)) {
    if (!isGroupObject(entry)) bad(`the state of parameter ${key} is ${typeName(entry)}`);
  }
  const protoKey = findProtoKey(sd, "stateDict");
  if (protoKey !== undefined) bad(`${protoKey} is a key '__proto__' (it would replace a prototype when copied)`);
}

/** The path of an own `__proto__` key (JSON.parse makes them) anywhere in plain data, if any. */
function findProtoKey(value: unknown, where: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], `${where}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (isGroupObject(value)) {
    if (Object.hasOwn(value, "__proto__")) return where;
    for (const [k, v] of Object.entries(value)) {
      const found = findProtoKey(v, `${where}.${k}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** What `loadStateDict` installs, computed (and validated) before anything is changed. */
export interface LoadPlan {
  groups: Record<string, unknown>[];
  state: Map<Tensor, StateEntry>;
}

/** torch's `_cast`: tensors to the parameter's dtype when it is floating, except `step`. */
function castState(param: Tensor, value: unknown, key?: string): unknown {
  if (value instanceof Tensor) {
    return key !== "step" && isFloating(param.dtype) ? cloneTensor(value, param.dtype) : cloneTensor(value);
  }
  if (Array.isArray(value)) return value.map((v) => castState(param, v));
  if (isGroupObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = castState(param, v, k);
    return out;
  }
  return value;
}

/**
 * Check that `sd` fits the current groups and build the state and groups to install.
 * Parameters are matched by position, as torch does; hyperparameters come from `sd`.
 * Beyond torch's checks (group count, group sizes) this rejects state for an id that no
 * group lists and a state tensor whose shape differs from its parameter's (except `step`),
 * which torch only discovers at the next step (for the keys `shapedLikeParam` names: not
 * LBFGS's flat vectors).
 */
export function planLoad(
  sd: unknown,
  groups: readonly { params: readonly Tensor[] }[],
  shapedLikeParam: (key: string) => boolean = () => true,
): LoadPlan {
  checkShapeOfStateDict(sd);
  if (sd.paramGroups.length !== groups.length) {
    throw new OptimizerError("loaded state dict has a different number of parameter groups");
  }
  sd.paramGroups.forEach((saved, i) => {
    if (saved.params.length !== groups[i].params.length) {
      throw new OptimizerError(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      );
    }
  });
  const byId = new Map<number, Tensor>();
  sd.paramGroups.forEach((saved, i) => saved.params.forEach((id, j) => byId.set(id, groups[i].params[j])));
  const entries = Object.entries(sd.state).map(([key, entry]) => {
    const param = byId.get(Number(key));
    if (param === undefined) {
      throw new OptimizerError(
        `loaded state dict has state for parameter ${key}, which is in none of its parameter groups`,
      );
    }
    for (const [name, value] of Object.entries(entry)) {
      if (!(value instanceof Tensor)) continue;
      checkTensor(value, `loaded state dict: the state tensor '${name}' of parameter ${key}`);
      if (name === "step" || !shapedLikeParam(name)) continue;
      if (value.shape.length !== param.shape.length || value.shape.some((d, i) => d !== param.shape[i])) {
        throw new OptimizerError(
          `loaded state dict has a state tensor '${name}' of shape ${fmtShape(value.shape)} for parameter ${key}, ` +
            `whose shape is ${fmtShape(param.shape)}`,
        );
      }
    }
    return [param, entry] as const;
  });
  const state = new Map<Tensor, StateEntry>();
  for (const [param, entry] of entries) state.set(param, castState(param, entry) as StateEntry);
  const newGroups = sd.paramGroups.map((saved, i) => {
    const group: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(saved)) if (k !== "params") group[k] = snapshot(v);
    group.params = [...groups[i].params];
    return group;
  });
  return { groups: newGroups, state };
}
