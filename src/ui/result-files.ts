import { type BenchResultFile, MAX_RESULT_BYTES, parseResultText, ResultFileError, resultToCsv } from '../bench/result';

/** Import and export of result files (the format `npm run bench` writes, src/bench/result.ts). */

export type ImportOutcome =
  | { readonly ok: true; readonly result: BenchResultFile }
  | { readonly ok: false; readonly message: string };

/** The message for a file over MAX_RESULT_BYTES, refused before it is read. */
export const tooBig = (fileName: string, bytes: number): string =>
  `${fileName}: ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${MAX_RESULT_BYTES / 2 ** 20} MiB limit for result files`;

/** A file's text as a result file, or a message naming the file and what is wrong with it. */
export function importResultText(text: string, fileName: string): ImportOutcome {
  try {
    return { ok: true, result: parseResultText(text, fileName) };
  } catch (e) {
    if (e instanceof ResultFileError) return { ok: false, message: e.message };
    return { ok: false, message: `${fileName}: ${(e as Error).message}` };
  }
}

/** "attention-bench-custom-batch-sweep-2025-01-02T03-04-05" */
export function exportBaseName(r: BenchResultFile): string {
  const suite = r.suite.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const when = r.createdAt.replace(/\..*$/, '').replace(/:/g, '-');
  return `attention-bench-${suite}-${when}`;
}

export const resultJson = (r: BenchResultFile): string => `${JSON.stringify(r, null, 2)}\n`;
export const resultCsv = resultToCsv;
