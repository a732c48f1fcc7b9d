/** Puts `rows` in the order of `ids`, with undefined for ids no row has: DataLoader's contract. */
export function inOrder<Row, Key>(ids: readonly Key[], rows: Row[], keyOf: (row: Row) => Key): Array<Row | undefined> {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return ids.map((id) => byKey.get(id));
}
