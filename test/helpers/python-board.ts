import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

import { createClient } from '@libsql/client'

/** The rows of `test/fixtures/python-schema.sql`, by what they are. */
export const PYTHON_BOARD = {
  projectId: '6f1c2a3e-0b9d-4c55-9e21-3a7d1f0c8b42',
  /** The root planner task: in_progress, NULL description. */
  rootTaskId: 'a0d4e8f2-5c1b-4f6e-8a3d-9b2c7e1f0a55',
  /** A coder task in_review with a branch, a worktree, two comments and two runs. */
  reviewTaskId: 'c3b7f1e9-2d4a-4b8c-9f0e-1a6d5c2b7e88',
  /** A coder task in backlog, NULL description. */
  backlogTaskId: 'e5f9a2c4-7b3d-4e1a-8c6f-2d9b0a4e6c11',
  coderCommentId: 'f7a1c3e5-9b2d-4f8a-a6c4-3e1b5d7f9a20',
  reviewerCommentId: '0b2d4f6a-8c1e-4a3b-b5d7-9f0a2c4e6b31',
} as const

const FIXTURE = fileURLToPath(new URL('../fixtures/python-schema.sql', import.meta.url))

/**
 * Writes a database file the way the Python version leaves one: its schema
 * and a small board, with no migration of ours applied.
 */
export async function writePythonDatabase(path: string): Promise<void> {
  const client = createClient({ url: `file:${path}` })
  try {
    await client.execute('PRAGMA journal_mode = WAL')
    await client.executeMultiple(await readFile(FIXTURE, 'utf8'))
  } finally {
    client.close()
  }
}
