/** The error a read view's reader gets once the view can no longer be read. @module */

export class ReadViewClosedError extends Error {
  constructor(why: string) {
    super(`backend read view: ${why}`);
    this.name = "ReadViewClosedError";
  }
}
