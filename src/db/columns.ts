/** One field of every row, as the array an `unnest($n::type[])` parameter takes (undefined sent as null). */
export const column = <T, K extends keyof T>(rows: T[], key: K) => rows.map((row) => row[key] ?? null);
