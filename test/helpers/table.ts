/**
 * Table tests: one ava test per row, titled `<function>: <case>`, so a failing row names
 * the rule it breaks.
 */
import test from 'ava';

export type Row<I, O> = readonly [name: string, input: I, expected: O];

/** Each row: `fn(input)` deep-equals `expected`. */
export function table<I, O>(title: string, fn: (input: I) => O, rows: readonly Row<I, O>[]): void {
  for (const [name, input, expected] of rows) {
    test(`${title}: ${name}`, (t) => {
      t.deepEqual(fn(input), expected);
    });
  }
}
