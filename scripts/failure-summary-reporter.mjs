// A node:test reporter that writes only the failed tests, each with its
// error's message, so scripts/test.mjs can print them again at the very end
// of a run: the end of a long CI log is the part people see first.

export default async function* failureSummary(source) {
  for await (const event of source) {
    if (event.type !== "test:fail") continue;
    const { name, file, details } = event.data;
    // A suite fails when a test in it fails: its own entry adds nothing.
    if (details?.error?.failureType === "subtestsFailed") continue;
    const error = details?.error?.cause ?? details?.error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const at = error instanceof Error ? (error.stack ?? "").split("\n").find((line) => file !== undefined && line.includes(file)) : undefined;
    yield `✖ ${name}${file !== undefined ? ` (${file})` : ""}\n${indent(message)}${at !== undefined ? `\n  ${at.trim()}` : ""}\n\n`;
  }
}

function indent(text) {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
