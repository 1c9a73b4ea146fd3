/**
 * The internalized form of `s` (V8's string table, where property names live): equal internalized strings are one
 * object, so comparing two of them is a pointer test, and an unequal pair is told apart without reading characters.
 * For the few fixed names the evaluator compares per decision (lower-cased condition keys); never for request
 * values in bulk (the table is weak, but each entry costs a lookup to make).
 */
export function internalized(s: string): string {
  // A computed property name is internalized; Object.keys hands back that string (an index-like name comes back as
  // an equal string, which is still correct, only not a pointer-equal one).
  for (const k in { [s]: 0 }) return k;
  return s;
}
