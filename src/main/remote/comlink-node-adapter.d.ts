/**
 * Types for comlink's Node adapter. comlink 4 ships it as an ES module (`dist/esm/*.mjs`) whose
 * declarations sit beside it as `.d.ts`, which `moduleResolution: node16` does not pair with an
 * `.mjs` specifier.
 */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (...args: any[]) => void): unknown;
    off(type: string, listener: (...args: any[]) => void): unknown;
    start?: () => void;
  }

  /** Wraps a Node `MessagePort` (or `Worker`) as the DOM-style endpoint comlink expects. */
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
