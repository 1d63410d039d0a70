import type { Queryable } from '../db/client.ts'

/** The SQL of the queue tables' upkeep: their planner statistics and, for the queue, its dead rows. */

/** The tables the sync's statements are planned on; the queue's rows come and go, so it is vacuumed too. */
export const UPKEPT_TABLES = [
  { table: 'sync_queue', vacuum: true },
  { table: 'contact_requests', vacuum: false }
] as const

export type UpkeptTable = (typeof UPKEPT_TABLES)[number]['table']

/** A table's size now, and as its last VACUUM or ANALYZE recorded it (pg_class.relpages), in pages. */
export interface TableSize { table: UpkeptTable, pages: number, pagesAtLastUpkeep: number }

export async function tableSizes (sql: Queryable): Promise<TableSize[]> {
  const tables = sql.array(UPKEPT_TABLES.map((t) => t.table))
  return sql<TableSize[]>`
    SELECT c.relname AS "table",
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages,
           c.relpages AS "pagesAtLastUpkeep"
    FROM pg_class c
    WHERE c.relname = ANY(${tables}::text[]) AND c.relnamespace = to_regnamespace(current_schema())`
}

/** ANALYZE (VACUUM first where the table's rows come and go): fresh statistics, and cached plans made again. */
export async function upkeepTable (sql: Queryable, table: UpkeptTable): Promise<void> {
  const { vacuum } = UPKEPT_TABLES.find((t) => t.table === table)!
  // A table name from the fixed list above, never from input
  await sql.unsafe(vacuum ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`)
}
