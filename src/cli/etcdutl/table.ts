/**
 * The table of etcdutl's `-w table` (olekukonko/tablewriter's default
 * ASCII look): `+---+` rules, upper-case centred headers, cells aligned
 * right as etcdutl asks, one space of padding.
 * @module
 */

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const heads = header.map((h) => h.toUpperCase());
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+\n`;
  const center = (s: string, w: number): string => {
    const left = Math.floor((w - s.length) / 2);
    return `${" ".repeat(left)}${s}${" ".repeat(w - s.length - left)}`;
  };
  let out = rule;
  out += `|${heads.map((h, i) => ` ${center(h, widths[i]!)} `).join("|")}|\n`;
  out += rule;
  for (const row of rows) out += `|${widths.map((w, i) => ` ${(row[i] ?? "").padStart(w)} `).join("|")}|\n`;
  out += rule;
  return out;
}
