// RFC 4180 CSV: quoted where needed, CRLF line ends, empty cell for "no data". A text cell that a
// spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) gets a leading apostrophe.
export type Cell = string | number | null;

const FORMULA = /^[=+\-@\t\r]/;

function cell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
