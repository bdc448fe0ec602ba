// Cycles among stage-to-stage references, found in time linear in the references: Tarjan's strongly
// connected components (iterative — a generated file can chain tens of thousands of stages), then one concrete
// cycle per component, so the checker reports each loop once instead of once per reference on it.
import type { BlockSymbol, Reference } from './binder';

export interface StageCycle {
  /** A concrete loop, in reference order: stages[i] refers to stages[i + 1], the last to the first. */
  stages: BlockSymbol[];
  /** The references along `stages` (refs[i] goes from stages[i] to the next one). */
  refs: Reference[];
  /** How many stages depend on each other in this component (≥ stages.length). */
  componentSize: number;
}

export interface CycleReport {
  cycles: StageCycle[];
  /** Every stage reference whose two ends lie in one component: covered by that component's report. */
  inCycle: Set<Reference>;
}

export function findStageCycles(references: readonly Reference[]): CycleReport {
  const edges = new Map<BlockSymbol, Reference[]>();
  for (const r of references) {
    if (r.from?.kind === 'stage' && r.target?.kind === 'stage' && r.targetKinds.includes('stage')) {
      let list = edges.get(r.from);
      if (!list) edges.set(r.from, (list = []));
      list.push(r);
    }
  }
  const component = stronglyConnected(edges);
  const cycles: StageCycle[] = [];
  const inCycle = new Set<Reference>();
  const reported = new Set<number>();
  for (const [from, list] of edges) {
    for (const r of list) {
      const c = component.get(from) as { id: number; size: number };
      const same = component.get(r.target as BlockSymbol)?.id === c.id;
      // A single stage is a cycle only when it names itself.
      if (!same || (c.size === 1 && r.target !== from)) continue;
      inCycle.add(r);
      if (reported.has(c.id)) continue;
      reported.add(c.id);
      cycles.push({ ...loopThrough(r, edges, component), componentSize: c.size });
    }
  }
  return { cycles, inCycle };
}

/** Component id and size of every stage with outgoing stage references (Tarjan, without recursion). */
function stronglyConnected(edges: Map<BlockSymbol, Reference[]>): Map<BlockSymbol, { id: number; size: number }> {
  const index = new Map<BlockSymbol, number>();
  const low = new Map<BlockSymbol, number>();
  const onStack = new Set<BlockSymbol>();
  const stack: BlockSymbol[] = [];
  const out = new Map<BlockSymbol, { id: number; size: number }>();
  let counter = 0;
  let ids = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: { s: BlockSymbol; i: number }[] = [{ s: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const list = edges.get(top.s);
      if (list && top.i < list.length) {
        const next = list[top.i++].target as BlockSymbol;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ s: next, i: 0 });
        } else if (onStack.has(next)) low.set(top.s, Math.min(low.get(top.s) as number, index.get(next) as number));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].s;
        low.set(parent, Math.min(low.get(parent) as number, low.get(top.s) as number));
      }
      if (low.get(top.s) !== index.get(top.s)) continue;
      const members: BlockSymbol[] = [];
      let m: BlockSymbol;
      do {
        m = stack.pop() as BlockSymbol;
        onStack.delete(m);
        members.push(m);
      } while (m !== top.s);
      const c = { id: ids++, size: members.length };
      for (const x of members) out.set(x, c);
    }
  }
  return out;
}

/** A loop that starts with `first`: follow references that stay in the component until a stage repeats. */
function loopThrough(
  first: Reference,
  edges: Map<BlockSymbol, Reference[]>,
  component: Map<BlockSymbol, { id: number; size: number }>,
): { stages: BlockSymbol[]; refs: Reference[] } {
  const id = component.get(first.from as BlockSymbol)?.id;
  const stages: BlockSymbol[] = [first.from as BlockSymbol];
  const refs: Reference[] = [first];
  const at = new Map<BlockSymbol, number>([[first.from as BlockSymbol, 0]]);
  let cur = first.target as BlockSymbol;
  // Every stage of a component has a reference that stays inside it, so the walk ends within its size.
  while (!at.has(cur)) {
    at.set(cur, stages.length);
    stages.push(cur);
    const next = (edges.get(cur) ?? []).find((r) => component.get(r.target as BlockSymbol)?.id === id) as Reference;
    refs.push(next);
    cur = next.target as BlockSymbol;
  }
  // The walk may close onto a later stage than the first; keep only the loop itself.
  const from = at.get(cur) as number;
  return { stages: stages.slice(from), refs: refs.slice(from) };
}
