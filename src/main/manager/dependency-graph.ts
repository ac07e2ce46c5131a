/**
 * Which caches are derived from which. An edge `dependent → root` means the dependent's contents
 * were computed from the root's, so whatever happens to the root (invalidation, a cascading
 * reload or rebuild) must then happen to the dependent. The graph stays acyclic: an edge that
 * would close a loop is refused, because a cascade along a loop has no order that is right.
 */
import { DependencyCycleError } from './manager-errors.js';

export class DependencyGraph {
  /** root → the caches that depend on it directly. */
  #dependents = new Map<string, Set<string>>();
  /** dependent → the caches it depends on directly. */
  #roots = new Map<string, Set<string>>();

  /** Records that `dependent` is derived from `root`. Idempotent. @throws DependencyCycleError */
  add(dependent: string, root: string): void {
    if (this.#dependents.get(root)?.has(dependent)) return;
    const back = dependent === root ? [root] : this.#path(dependent, root);
    if (back !== undefined) throw new DependencyCycleError([root, ...back]);
    link(this.#dependents, root, dependent);
    link(this.#roots, dependent, root);
  }

  /** The caches `name` depends on directly. */
  rootsOf(name: string): string[] {
    return [...(this.#roots.get(name) ?? [])];
  }

  /** The caches derived directly from `name`. */
  dependentsOf(name: string): string[] {
    return [...(this.#dependents.get(name) ?? [])];
  }

  /**
   * `name` and every cache derived from it, transitively, in an order where each cache comes
   * after all of its roots that are in the list (so a builder sees its roots already rebuilt).
   */
  downstream(name: string): string[] {
    const reached = new Set<string>([name]);
    const stack = [name];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      for (const d of this.#dependents.get(next) ?? []) {
        if (reached.has(d)) continue;
        reached.add(d);
        stack.push(d);
      }
    }
    return this.order(reached);
  }

  /** `names` sorted roots first (Kahn's algorithm over the edges between them); ties keep input order. */
  order(names: Iterable<string>): string[] {
    const set = new Set(names);
    const waiting = new Map<string, number>();
    for (const n of set) {
      let count = 0;
      for (const r of this.#roots.get(n) ?? []) if (set.has(r)) count++;
      waiting.set(n, count);
    }
    const out: string[] = [];
    const ready = [...set].filter((n) => waiting.get(n) === 0);
    for (let i = 0; i < ready.length; i++) {
      const n = ready[i] as string;
      out.push(n);
      for (const d of this.#dependents.get(n) ?? []) {
        if (!set.has(d)) continue;
        const left = (waiting.get(d) as number) - 1;
        waiting.set(d, left);
        if (left === 0) ready.push(d);
      }
    }
    return out;
  }

  /** A path from `from` to `to` following dependent edges (from, …, to), or undefined. */
  #path(from: string, to: string): string[] | undefined {
    const parent = new Map<string, string>();
    const queue = [from];
    const seen = new Set([from]);
    for (let i = 0; i < queue.length; i++) {
      const node = queue[i] as string;
      if (node === to) {
        const path = [to];
        for (let p = parent.get(to); p !== undefined; p = parent.get(p)) path.unshift(p);
        return path;
      }
      for (const d of this.#dependents.get(node) ?? []) {
        if (seen.has(d)) continue;
        seen.add(d);
        parent.set(d, node);
        queue.push(d);
      }
    }
    return undefined;
  }
}

function link(map: Map<string, Set<string>>, from: string, to: string): void {
  let set = map.get(from);
  if (set === undefined) map.set(from, (set = new Set()));
  set.add(to);
}
