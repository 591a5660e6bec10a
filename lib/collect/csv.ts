/**
 * CSV as spreadsheets read and write it (RFC 4180): {@linkcode parseCsv} for class lists and
 * the receiver's log, {@linkcode csvRow} for writing rows that are safe to open in a
 * spreadsheet (no formula injection). Pure functions, no I/O.
 *
 * @module
 */

/** The byte order mark spreadsheets look for to read a CSV file as UTF-8. */
export const BOM = "\uFEFF";

/** First characters that make a spreadsheet read a cell as a formula (or hide one). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Makes one cell safe: a cell that a spreadsheet would run as a formula (starting with
 * `= + - @`, a tab or a carriage return) gets a leading apostrophe, and so does a cell that
 * already starts with an apostrophe followed by one of those (so {@linkcode csvUnguard} can
 * undo it exactly). Cells with a comma, quote or line break are quoted, quotes doubled.
 *
 * @example
 * ```ts
 * import { csvCell } from "./csv.ts";
 * csvCell("김민지"); // "김민지"
 * csvCell("=HYPERLINK(\"x\")"); // "\"'=HYPERLINK(\"\"x\"\")\""
 * csvCell("a,b"); // "\"a,b\""
 * ```
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && (FORMULA_START.test(text) || /^'[=+\-@\t\r']/.test(text))) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Undoes the apostrophe {@linkcode csvCell} adds, for reading a log back.
 *
 * @example
 * ```ts
 * import { csvUnguard } from "./csv.ts";
 * csvUnguard("'=1+1"); // "=1+1"
 * csvUnguard("'Kim"); // "'Kim"
 * ```
 */
export function csvUnguard(cell: string): string {
  return /^'[=+\-@\t\r']/.test(cell) ? cell.slice(1) : cell;
}

/**
 * One CSV row with its line ending (`\r\n`, as spreadsheets write it), every cell through
 * {@linkcode csvCell}. Numbers are written as they are.
 *
 * @example
 * ```ts
 * import { csvRow } from "./csv.ts";
 * csvRow(["김민지", 5, "-1"]); // "김민지,5,'-1\r\n"
 * ```
 */
export function csvRow(cells: readonly (string | number)[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

/**
 * Parses CSV text into rows of cells: quoted cells may hold commas, doubled quotes and line
 * breaks; lines end with `\n` or `\r\n`; a leading byte order mark is dropped; a last line
 * without a line ending counts, an empty last line does not. An unterminated quote runs to
 * the end of the text (as spreadsheets read it).
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * parseCsv('name,id\r\n"Kim, Minji",7\n'); // [["name", "id"], ["Kim, Minji", "7"]]
 * ```
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = text.startsWith(BOM) ? 1 : 0;
  const endCell = () => {
    row.push(cell);
    cell = "";
  };
  const endRow = () => {
    endCell();
    rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') cell += char;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ",") endCell();
    else if (char === "\n") endRow();
    else if (char === "\r" && text[i + 1] === "\n") continue;
    else cell += char;
  }
  if (cell !== "" || row.length > 0 || quoted) endRow();
  return rows;
}
