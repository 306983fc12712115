import { createClient } from '@libsql/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { migrateDatabase } from '../../src/db/schema.js'
import { type TempDatabase, countRows, createTempDatabase } from '../helpers/database.js'

// The contract of CONTEXT.md: these tables with (at least) these columns.
const CONTRACT: Record<string, string[]> = {
  projects: ['id', 'title', 'description', 'status', 'created_at', 'updated_at'],
  tasks: [
    'id',
    'project_id',
    'parent_task_id',
    'title',
    'description',
    'phase',
    'status',
    'worktree_path',
    'branch',
    'session_id',
    'created_at',
    'updated_at',
  ],
  comments: ['id', 'task_id', 'author_role', 'content', 'created_at'],
  agent_runs: ['id', 'task_id', 'phase', 'started_at', 'completed_at', 'exit_code', 'error'],
  ports: ['port', 'task_id', 'allocated_at'],
  events: ['id', 'type', 'payload', 'created_at', 'consumed'],
}

async function columnsOf(temp: TempDatabase, table: string) {
  const result = await temp.db.execute(`PRAGMA table_info(${table})`)
  return result.rows.map((row) => ({
    name: row.name as string,
    type: row.type as string,
    notnull: Number(row.notnull),
    dflt_value: row.dflt_value,
    pk: Number(row.pk),
  }))
}

async function schemaSql(temp: TempDatabase): Promise<string[]> {
  const result = await temp.db.execute(
    'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name'
  )
  return result.rows.map((row) => row.sql as string)
}

describe('migrateDatabase', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('creates every table of the contract with its columns', async () => {
    for (const [table, columns] of Object.entries(CONTRACT)) {
      const names = (await columnsOf(temp, table)).map((column) => column.name)
      expect(names, table).toEqual(expect.arrayContaining(columns))
    }
  })

  it('keeps the nullable columns nullable and the defaults of the contract', async () => {
    const tasks = await columnsOf(temp, 'tasks')
    const byName = Object.fromEntries(tasks.map((column) => [column.name, column]))
    for (const name of ['parent_task_id', 'description', 'worktree_path', 'branch', 'session_id']) {
      expect(byName[name]?.notnull, name).toBe(0)
    }
    expect(byName.status?.dflt_value).toBe("'backlog'")

    const projects = Object.fromEntries(
      (await columnsOf(temp, 'projects')).map((column) => [column.name, column])
    )
    expect(projects.status?.dflt_value).toBe("'active'")
    expect(projects.description?.notnull).toBe(0)

    const events = Object.fromEntries(
      (await columnsOf(temp, 'events')).map((column) => [column.name, column])
    )
    expect(events.id).toMatchObject({ type: 'TEXT', pk: 1 })
    expect(events.consumed).toMatchObject({ type: 'INTEGER', dflt_value: '0' })
  })

  it('can run twice: the second run changes no table and keeps the rows', async () => {
    await temp.db.execute({
      sql: `INSERT INTO projects (id, title, status, created_at, updated_at)
            VALUES ('p1', 'Kept', 'active', ?, ?)`,
      args: ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    })
    const before = await schemaSql(temp)

    await migrateDatabase(temp.db, { isLocal: true })
    await migrateDatabase(temp.db, { isLocal: true })

    expect(await schemaSql(temp)).toEqual(before)
    expect(await countRows(temp.db, 'projects')).toBe(1)
  })

  it('turns on WAL journaling for a local file', async () => {
    const result = await temp.db.execute('PRAGMA journal_mode')
    expect(result.rows[0]?.journal_mode).toBe('wal')
  })

  it('opens connections with foreign keys on (PRAGMA foreign_keys = 1)', async () => {
    const result = await temp.db.execute('PRAGMA foreign_keys')
    expect(Number(result.rows[0]?.foreign_keys)).toBe(1)
  })

  it('refuses a task whose project does not exist', async () => {
    await expect(
      temp.db.execute(`INSERT INTO tasks (id, project_id, title, phase, created_at, updated_at)
                       VALUES ('t1', 'no-such-project', 'Orphan', 'coder', 'x', 'x')`)
    ).rejects.toThrow(/FOREIGN KEY/)
    expect(await countRows(temp.db, 'tasks')).toBe(0)
  })

  it('keeps foreign keys on for a second client of the same file', async () => {
    const other = createClient({ url: `file:${temp.path}` })
    try {
      const result = await other.execute('PRAGMA foreign_keys')
      expect(Number(result.rows[0]?.foreign_keys)).toBe(1)
    } finally {
      other.close()
    }
  })
})
