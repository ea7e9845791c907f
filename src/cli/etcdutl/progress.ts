/**
 * The progress bar `snapshot restore` and `migrate-from-etcd` draw on a
 * terminal's stderr (never when stderr is a file or a pipe): one line,
 * redrawn in place with a carriage return.
 * @module
 */
import { humanBytes } from "../../pkg/human-bytes.js";

/** One frame of the bar, `width` characters of bar: `[=====>    ]  45% 1.2 GB / 2.7 GB`. */
export function renderProgress(doneBytes: number, totalBytes: number, width = 30): string {
  const fraction = totalBytes <= 0 ? 1 : Math.min(1, Math.max(0, doneBytes / totalBytes));
  const filled = Math.floor(fraction * width);
  const bar = filled >= width ? "=".repeat(width) : `${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const total = Math.max(0, totalBytes);
  return `[${bar}] ${percent} ${humanBytes(Math.min(Math.max(0, doneBytes), total))} / ${humanBytes(total)}`;
}

/**
 * Draws frames on `write` (a terminal), at most one per percent, and ends
 * the line when done. Returns the progress callback and a `finish`.
 */
export function progressReporter(write: (text: string) => void, width?: number): { onProgress: (done: number, total: number) => void; finish: () => void } {
  let lastPercent = -1;
  let drawn = false;
  return {
    onProgress(done, total) {
      const percent = total <= 0 ? 100 : Math.floor((Math.min(done, total) / total) * 100);
      if (percent === lastPercent) return;
      lastPercent = percent;
      drawn = true;
      write(`\r${renderProgress(done, total, width)}`);
    },
    finish() {
      if (drawn) write("\n");
    },
  };
}
