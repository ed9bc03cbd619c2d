/** Returned by every `register...Hook`: `remove()` unregisters the hook (idempotent). */
export interface RemovableHandle {
  /** A number unique to this registration, across every hook list. */
  readonly id: number;
  /** Unregister the hook; calling it again does nothing. */
  remove(): void;
}

let nextId = 0;

/**
 * An ordered set of hooks, as torch's `OrderedDict` of hooks: they run in registration
 * order, except that `prepend` puts a hook in front of those already registered.
 */
export class HookList<F> {
  private hooks = new Map<number, F>();

  add(hook: F, prepend = false): RemovableHandle {
    const id = nextId++;
    this.hooks = prepend ? new Map([[id, hook], ...this.hooks]) : this.hooks.set(id, hook);
    return { id, remove: () => void this.hooks.delete(id) };
  }

  /** A snapshot, so a hook that removes itself (or another) while running is harmless. */
  list(): F[] {
    return [...this.hooks.values()];
  }

  get size(): number {
    return this.hooks.size;
  }
}
