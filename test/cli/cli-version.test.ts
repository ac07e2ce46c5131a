/** `larder --version` (and -V) prints the package's version and exits 0. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { larder } from '../helpers/cli.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('larder --version', () => {
  it.each(['--version', '-V'])('%s prints the version', async (flag) => {
    const result = await larder(flag);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});
