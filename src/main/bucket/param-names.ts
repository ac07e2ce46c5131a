/**
 * Parameter names of a function, read from its source text, so `memoize` can find the
 * parameters `ignore` and `nocache` name. Handles default values, rest parameters, comments,
 * strings, arrow functions and methods. A destructured parameter has no name (null); native
 * and bound functions have no readable source (undefined): pass `params` for those.
 */

/** Skips a comment or string starting at `i`; returns the index after it, or `i` if none starts there. */
function skipQuoted(src: string, i: number): number {
  const c = src[i];
  if (c === '/' && src[i + 1] === '/') {
    const end = src.indexOf('\n', i);
    return end < 0 ? src.length : end + 1;
  }
  if (c === '/' && src[i + 1] === '*') {
    const end = src.indexOf('*/', i + 2);
    return end < 0 ? src.length : end + 2;
  }
  if (c === '"' || c === "'" || c === '`') {
    let j = i + 1;
    while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  return i;
}

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

function paramName(text: string): string | null {
  const bare = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '').trim().replace(/^\.\.\./, '').trim();
  const match = /^[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$\u200c\u200d]*/u.exec(bare);
  return match === null ? null : match[0];
}

export function parameterNames(fn: (...args: never[]) => unknown): Array<string | null> | undefined {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) return undefined;
  // Find where the parameter list starts: the first "(" outside brackets (a computed method
  // name may contain parentheses), unless "=>" comes first (a lone arrow parameter).
  let depth = 0;
  let start = -1;
  for (let i = 0; i < src.length; ) {
    const after = skipQuoted(src, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const c = src[i] as string;
    if (c === '=' && src[i + 1] === '>' && depth === 0) {
      const name = paramName(src.slice(0, i).replace(/^\s*async\s+/, ''));
      return name === null ? undefined : [name];
    }
    if (c === '(' && depth === 0) {
      start = i + 1;
      break;
    }
    if (c === '[') depth++;
    else if (c === ']') depth--;
    i++;
  }
  if (start < 0) return undefined;
  const params: Array<string | null> = [];
  let from = start;
  depth = 0;
  for (let i = start; i < src.length; ) {
    const after = skipQuoted(src, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const c = src[i] as string;
    if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) {
      if (depth === 0) {
        const last = src.slice(from, i);
        if (last.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '').trim() !== '') params.push(paramName(last));
        return params;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      params.push(paramName(src.slice(from, i)));
      from = i + 1;
    }
    i++;
  }
  return undefined;
}
