import postgres from 'postgres'

export type Sql = postgres.Sql
/** Where a table's SQL runs: the pool or a transaction. */
export type Queryable = postgres.Sql | postgres.TransactionSql

export interface SqlOptions {
  /** Pool size: the sync worker holds one, intake and reads share the rest. */
  maxConnections: number
  /** A statement running longer than this is cancelled by the server. */
  statementTimeoutMs: number
  onnotice?: (notice: postgres.Notice) => void
  /** Whether a new connection first loads the server's array types (only results with arrays need them). */
  fetchTypes?: boolean
}

export function connectSql (url: string, options: SqlOptions): Sql {
  return postgres(url, {
    max: options.maxConnections,
    // A server that accepts the connection but never answers must not hold a caller for long
    connect_timeout: 2,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    connection: {
      application_name: 'contact-sync',
      statement_timeout: options.statementTimeoutMs
    },
    onnotice: options.onnotice ?? (() => {}),
    fetch_types: options.fetchTypes ?? true
  })
}
