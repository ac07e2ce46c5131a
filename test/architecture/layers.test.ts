/**
 * The architecture, checked: each folder of src/ is a layer or a part, and imports run one way.
 *
 *   src/main:  core  ←  stores  ←  engine  ←  APIs (region, bucket, manager, pool, keys, remote)
 *              ←  index.ts (the public entry)  ←  adapters, cli
 *   src/worker (the writer threads) and src/main both build on src/shared; neither imports the other.
 *
 * A breach fails with the offending file, line and import. Type-only imports count too (a
 * layer should not even name what is above it), except for the cycle rule, which is about what
 * runs.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, runtimeCycles, type ImportEdge } from './import-graph.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Layers of src/main, bottom first; a file may import its own layer and the ones below. */
const MAIN_LAYERS: ReadonlyArray<{ name: string; paths: RegExp }> = [
  { name: 'core', paths: /^src\/main\/core\// },
  { name: 'stores', paths: /^src\/main\/stores\// },
  { name: 'engine', paths: /^src\/main\/engine\// },
  { name: 'APIs', paths: /^src\/main\/(region|bucket|manager|pool|keys|remote)\// },
  { name: 'the public entry', paths: /^src\/main\/index\.ts$/ },
  { name: 'adapters and cli', paths: /^src\/main\/(adapters|cli)\// },
];

function layerOf(file: string): number {
  return MAIN_LAYERS.findIndex((l) => l.paths.test(file));
}

/** Every breach of the rules in `graph`, one line each. */
export function breaches(graph: Map<string, ImportEdge[]>): string[] {
  const out: string[] = [];
  for (const [file, edges] of graph) {
    const side = file.split('/')[1];
    const mine = layerOf(file);
    if (side === 'main' && mine < 0) out.push(`${file} is in no layer of src/main (core, stores, engine, APIs, adapters, cli)`);
    for (const { to, line } of edges) {
      const where = `${file}:${line} imports ${to}`;
      const toSide = to.split('/')[1];
      if (side === 'worker' && toSide === 'main') out.push(`${where}: worker code never imports the caller's side`);
      if (side === 'shared' && toSide !== 'shared') out.push(`${where}: shared code imports neither side`);
      if (side === 'main' && toSide === 'worker') out.push(`${where}: the caller's side never imports worker code (share it through src/shared)`);
      if (side === 'main' && toSide === 'main' && mine >= 0) {
        const theirs = layerOf(to);
        if (theirs > mine) out.push(`${where}: ${MAIN_LAYERS[mine]?.name} never imports ${MAIN_LAYERS[theirs]?.name}, the layer above it`);
      }
    }
  }
  for (const cycle of runtimeCycles(graph)) out.push(`runtime import cycle: ${cycle.join(' → ')}`);
  return out;
}

describe('layers', () => {
  const graph = importGraph(repo);

  it('src/ keeps every rule', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(breaches(graph)).toEqual([]);
  });

  // The rules themselves, on small graphs: each breach is caught and named.
  const edge = (to: string, runtime = true): ImportEdge => ({ to, runtime, line: 1 });
  it.each([
    ['a worker importing the engine', { 'src/worker/task.ts': [edge('src/main/engine/cacher.ts', false)] }, /worker code never imports/],
    ['shared code importing a worker', { 'src/shared/codecs.ts': [edge('src/worker/task.ts')] }, /shared code imports neither side/],
    ['main importing a worker module', { 'src/main/stores/log/log-store.ts': [edge('src/worker/log/log-jobs.ts')] }, /never imports worker code/],
    ['a store importing an API', { 'src/main/stores/redis/redis-store.ts': [edge('src/main/region/backend.ts', false)] }, /stores never imports APIs/],
    ['the engine importing an API', { 'src/main/engine/cacher.ts': [edge('src/main/region/region.ts')] }, /engine never imports APIs/],
    ['core importing the engine', { 'src/main/core/errors.ts': [edge('src/main/engine/options.ts')] }, /core never imports engine/],
    ['an API importing the cli', { 'src/main/bucket/bucket.ts': [edge('src/main/cli/program.ts')] }, /APIs never imports adapters and cli/],
    ['a file moved back to src/main', { 'src/main/cacher.ts': [] }, /src\/main\/cacher\.ts is in no layer/],
    ['a runtime cycle', { 'src/main/cli/a.ts': [edge('src/main/cli/b.ts')], 'src/main/cli/b.ts': [edge('src/main/cli/a.ts')] }, /runtime import cycle: src\/main\/cli\/a\.ts → src\/main\/cli\/b\.ts/],
  ])('catches %s', (_what, edges, message) => {
    const found = breaches(new Map(Object.entries(edges)));
    expect(found.join('\n')).toMatch(message);
  });

  it('a type-only cycle is not a runtime cycle', () => {
    const found = breaches(new Map(Object.entries({ 'src/main/cli/a.ts': [edge('src/main/cli/b.ts', false)], 'src/main/cli/b.ts': [edge('src/main/cli/a.ts')] })));
    expect(found).toEqual([]);
  });
});
