import type { Module } from "../module";
import { ModuleContainer } from "./container";

/**
 * A list of child modules named "0", "1", ..., as torch.nn.ModuleList: it registers them
 * (so their parameters are found) but has no forward of its own. A plain array field of
 * modules gives the same parameter names; ModuleList adds the list methods and prints
 * as one node of the tree.
 */
export class ModuleList extends ModuleContainer {
  constructor(modules: Iterable<Module> = []) {
    super(modules);
  }
}
