import type { Client } from '@libsql/client'

// The tables of CONTEXT.md, shared with the Python version: a database either
// version created must open in the other. Only additions are allowed here
// (tables, indexes, nullable columns); every statement is idempotent.
const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS projects (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS tasks (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects(id),
    parent_task_id TEXT REFERENCES tasks(id),
    title          TEXT NOT NULL,
    description    TEXT,
    phase          TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'backlog',
    worktree_path  TEXT,
    branch         TEXT,
    session_id     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS comments (
    id          TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks(id),
    author_role TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_at  TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS agent_runs (
    id           TEXT PRIMARY KEY,
    task_id      TEXT NOT NULL REFERENCES tasks(id),
    phase        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    completed_at TEXT,
    exit_code    INTEGER,
    error        TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS ports (
    port         INTEGER PRIMARY KEY,
    task_id      TEXT NOT NULL REFERENCES tasks(id),
    allocated_at TEXT NOT NULL
  )`,
  // The rowid of `events` is the event's position in the log (`seq`): SQLite
  // assigns it inside the write transaction, so it increases in commit order.
  `CREATE TABLE IF NOT EXISTS events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    consumed   INTEGER NOT NULL DEFAULT 0
  )`,
  // This server's own table (the Python version ignores it): the responses of
  // POSTs sent with an `Idempotency-Key`, kept 24 h (see db/idempotency-keys.ts).
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         TEXT PRIMARY KEY,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner       TEXT NOT NULL,
    status      INTEGER,
    body        TEXT,
    created_at  TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS idx_tasks_project ON tasks(project_id)',
  'CREATE INDEX IF NOT EXISTS idx_tasks_parent ON tasks(parent_task_id)',
  'CREATE INDEX IF NOT EXISTS idx_comments_task ON comments(task_id)',
  'CREATE INDEX IF NOT EXISTS idx_agent_runs_task ON agent_runs(task_id)',
  'CREATE INDEX IF NOT EXISTS idx_events_unconsumed ON events(consumed) WHERE consumed = 0',
  'CREATE INDEX IF NOT EXISTS idx_idempotency_keys_created ON idempotency_keys(created_at)',
]

/**
 * Makes a database ready for the board: for a local file, turns on WAL
 * journaling (a property of the file, so other processes get it too) and
 * sets `synchronous = NORMAL` on the connection; then creates any missing
 * table or index. Safe to run on every start, also against a database made by the
 * Python version.
 *
 * The busy timeout is not set here: it is a client option (`timeout`) so it
 * covers every connection the client opens. See `src/entry/database.ts`.
 *
 * @throws the client's `LibsqlError` when the database cannot be read or written.
 */
export async function migrateDatabase(
  client: Client,
  options: { isLocal: boolean }
): Promise<void> {
  // libSQL opens every local connection with foreign keys on already, unlike
  // stock SQLite (test/db/schema.test.ts checks it), so no pragma is needed.
  if (options.isLocal) {
    await client.execute('PRAGMA journal_mode = WAL')
    // In WAL mode this still survives a crash of any process; only a power
    // loss or OS crash may drop the last commits. It makes a commit about
    // five times cheaper. It applies to this connection only (see
    // openDatabase, which keeps a local client on one connection).
    await client.execute('PRAGMA synchronous = NORMAL')
  }
  await client.batch(MIGRATIONS, 'write')
}
