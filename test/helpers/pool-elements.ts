/** Test elements for ObjectPool: numbered connections and a factory that records what it did. */

export class Conn {
  readonly id: number;
  readonly args: readonly unknown[];
  closed = false;
  constructor(id: number, args: readonly unknown[]) {
    this.id = id;
    this.args = args;
  }
}

export interface ConnFactory {
  create: (...args: unknown[]) => Conn;
  destroy: (conn: Conn) => void;
  made: Conn[];
  destroyed: Conn[];
}

export function connFactory(): ConnFactory {
  const made: Conn[] = [];
  const destroyed: Conn[] = [];
  return {
    create: (...args) => {
      const conn = new Conn(made.length + 1, args);
      made.push(conn);
      return conn;
    },
    destroy: (conn) => {
      conn.closed = true;
      destroyed.push(conn);
    },
    made,
    destroyed,
  };
}

/** A promise the test settles by hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run (no timers involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Records the order in which promises settle. */
export function track<T>(promise: Promise<T>, log: string[], name: string): Promise<T> {
  promise.then(
    () => log.push(`${name} ok`),
    () => log.push(`${name} failed`),
  );
  return promise;
}
