/** Prints rows under a header in aligned columns, as `keys list` and `items list` do; `right` columns align right. */
export function printTable(header: string[], rows: string[][], right: number[] = []): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  for (const row of all)
    console.log(
      row
        .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    );
}
