/**
 * The logging interface the core depends on: a subset of pino's, so the
 * composition root can pass a pino logger while tests pass {@link nullLogger}
 * or a recording one. Fields go first, the message last, as in pino.
 * @module
 */

export interface Logger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};
