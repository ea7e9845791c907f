/**
 * The interaction script format. A script is a sequence of cases:
 *
 *   # comments (kept, attached to the next command)
 *   command arg key=value
 *     expected output, indented by two spaces
 *     ...
 *
 * Cases are separated by blank lines. With RAFT_REWRITE=1 the expected
 * output is replaced by what the run printed.
 */

export interface ScriptCase {
  comments: string[];
  command: string;
  expected: string[];
  /** 1-based line of the command, for error messages. */
  line: number;
}

export function parseScript(text: string): ScriptCase[] {
  const cases: ScriptCase[] = [];
  let comments: string[] = [];
  let current: ScriptCase | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("  ")) {
      if (current === undefined) throw new Error(`line ${i + 1}: output without a command`);
      current.expected.push(line.slice(2));
    } else if (line.trim() === "") {
      current = undefined;
    } else if (line.startsWith("#")) {
      current = undefined;
      comments.push(line);
    } else {
      current = { comments, command: line.trim(), expected: [], line: i + 1 };
      comments = [];
      cases.push(current);
    }
  }
  return cases;
}

export function renderScript(cases: readonly ScriptCase[], outputs: readonly string[][]): string {
  const parts: string[] = [];
  cases.forEach((c, i) => {
    const lines = [...c.comments, c.command, ...(outputs[i] ?? []).map((l) => `  ${l}`)];
    parts.push(lines.join("\n"));
  });
  return parts.join("\n\n") + "\n";
}

/** Splits "cmd a b k=v" into the name, positional arguments and key/values. */
export function parseCommand(command: string): { name: string; args: string[]; kv: Map<string, string> } {
  const toks = command.split(/\s+/).filter((t) => t !== "");
  const name = toks.shift() ?? "";
  const args: string[] = [];
  const kv = new Map<string, string>();
  for (const t of toks) {
    const eq = t.indexOf("=");
    if (eq > 0) kv.set(t.slice(0, eq), t.slice(eq + 1));
    else args.push(t);
  }
  return { name, args, kv };
}
