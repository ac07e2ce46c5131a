/**
 * dogpile's `configure_from_config`: a Region from a flat map of strings, such as environment
 * variables or a parsed `.ini`. Under `prefix`:
 *
 *   backend=files          a registered backend (required)
 *   name=users             ttl=60000             waitTimeout=5000 (ms; Infinity allowed)
 *   arguments.dir=/var/cache/app                 anything the backend's factory accepts
 *
 * Any other key under the prefix is an error, so a misspelt setting fails at start.
 */
import { createBackend, numberArgument } from './backend-registry.js';
import { Region } from './region.js';
import { show, type RegionOptions } from './region-options.js';

export type FlatConfig = ReadonlyMap<string, string> | Readonly<Record<string, string | undefined>>;

/** What a flat map cannot express (functions, objects) is passed here. */
export type ConfigExtras = Pick<RegionOptions, 'wrap' | 'timers' | 'keyMangler'>;

const SETTINGS = new Set(['backend', 'name', 'ttl', 'waitTimeout']);
const ARGUMENTS = 'arguments.';

export function configureFromConfig(config: FlatConfig, prefix: string, extras: ConfigExtras = {}): Region {
  if (typeof config !== 'object' || config === null) throw new TypeError(`config must be a Map or an object of strings, received ${show(config)}`);
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, received ${show(prefix)}`);
  const settings = new Map<string, string>();
  const args: Record<string, string> = {};
  const entries = config instanceof Map ? config.entries() : Object.entries(config);
  for (const [name, value] of entries as Iterable<[string, string | undefined]>) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const setting = name.slice(prefix.length);
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string, received ${show(value)}`);
    if (setting.startsWith(ARGUMENTS) && setting.length > ARGUMENTS.length) args[setting.slice(ARGUMENTS.length)] = value;
    else if (SETTINGS.has(setting)) settings.set(setting, value);
    else throw new TypeError(`unknown setting ${name} (expected ${prefix}{${[...SETTINGS].join(',')}} or ${prefix}${ARGUMENTS}*)`);
  }
  const backend = settings.get('backend');
  if (backend === undefined) throw new TypeError(`${prefix}backend is required`);
  const name = settings.get('name');
  const ttl = settings.get('ttl');
  const waitTimeout = settings.get('waitTimeout');
  const parsed = {
    ...extras,
    ...(name === undefined ? {} : { name }),
    ...(ttl === undefined ? {} : { ttl: numberArgument(`${prefix}ttl`, ttl) }),
    ...(waitTimeout === undefined ? {} : { waitTimeout: numberArgument(`${prefix}waitTimeout`, waitTimeout) }),
  };
  return new Region({ ...parsed, store: createBackend(backend, args) });
}
