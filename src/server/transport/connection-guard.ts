/**
 * Bounds the connections of the peer port. Anyone who can reach the port can
 * open connections, so only a connection that carries a request admitted by
 * the identity check (a member's message stream or snapshot) is "held"; every
 * other one is anonymous, and anonymous connections are capped: past the cap
 * the oldest anonymous connection is closed to make room (not the newest, so
 * a member dialing in while a stranger floods still gets its turn, and is
 * held as soon as its stream is admitted). Silence is bounded elsewhere (see
 * peer-listener.ts); this module only counts and chooses whom to cut.
 * @module
 */
import type * as net from "node:net";

/** One accepted connection. */
export interface GuardedConnection {
  readonly socket: net.Socket;
  /** Admitted requests open on it; 0 means anonymous. */
  holds: number;
}

export class ConnectionGuard {
  readonly #maxAnonymous: number;
  readonly #onEvict: (connection: GuardedConnection) => void;
  readonly #all = new Set<GuardedConnection>();
  /** Anonymous connections, oldest first (a Set iterates in insertion order). */
  readonly #anonymous = new Set<GuardedConnection>();

  constructor(maxAnonymous: number, onEvict: (connection: GuardedConnection) => void) {
    this.#maxAnonymous = maxAnonymous;
    this.#onEvict = onEvict;
  }

  get anonymousCount(): number {
    return this.#anonymous.size;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Registers a new connection (anonymous), closing the oldest anonymous ones past the cap. */
  add(socket: net.Socket): GuardedConnection {
    const connection: GuardedConnection = { socket, holds: 0 };
    this.#all.add(connection);
    this.#anonymous.add(connection);
    socket.once("close", () => {
      this.#all.delete(connection);
      this.#anonymous.delete(connection);
    });
    while (this.#anonymous.size > this.#maxAnonymous) {
      const oldest = this.#anonymous.values().next().value as GuardedConnection;
      this.#anonymous.delete(oldest);
      this.#onEvict(oldest);
      oldest.socket.destroy();
    }
    return connection;
  }

  /** Marks the connection as carrying an admitted request until the returned release is called (once). */
  hold(connection: GuardedConnection): () => void {
    if (!this.#all.has(connection)) return () => {};
    connection.holds++;
    this.#anonymous.delete(connection);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      connection.holds--;
      // Back among the anonymous, as the newest: it served a member a moment ago.
      if (connection.holds === 0 && this.#all.has(connection)) this.#anonymous.add(connection);
    };
  }

  isHeld(connection: GuardedConnection): boolean {
    return connection.holds > 0;
  }

  destroyAll(): void {
    for (const connection of this.#all) connection.socket.destroy();
  }
}
