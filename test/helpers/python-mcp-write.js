// Writes to a board database file the way the Python MCP server does, from
// a process of its own: change a row, then insert an `events` row whose
// payload names the row by id only (CONTEXT.md), in one transaction, with
// Python's timestamp format and json.dumps spacing. Prints what it wrote.
//
//   node python-mcp-write.js DB_PATH update_task_status TASK_ID NEW_STATUS
//   node python-mcp-write.js DB_PATH add_comment TASK_ID AUTHOR_ROLE CONTENT
import { randomUUID } from 'node:crypto'
import process from 'node:process'

import { createClient } from '@libsql/client'

const [dbPath, action, ...args] = process.argv.slice(2)

// datetime.now(timezone.utc).isoformat(): microseconds and +00:00.
const pythonNow = () => new Date().toISOString().replace('Z', '000+00:00')

// json.dumps: ", " between items and ": " after keys.
const pythonJson = (object) =>
  `{${Object.entries(object)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(', ')}}`

// sqlite3.connect waits 5 s for a lock by default.
const db = createClient({ url: `file:${dbPath}`, timeout: 5000 })

try {
  const now = pythonNow()
  if (action === 'update_task_status') {
    const [taskId, newStatus] = args
    const found = await db.execute({ sql: 'SELECT status FROM tasks WHERE id = ?', args: [taskId] })
    const oldStatus = found.rows[0]?.status
    await db.batch(
      [
        {
          sql: 'UPDATE tasks SET status = ?, updated_at = ? WHERE id = ?',
          args: [newStatus, now, taskId],
        },
        {
          sql: 'INSERT INTO events (id, type, payload, created_at, consumed) VALUES (?, ?, ?, ?, 0)',
          args: [
            randomUUID(),
            'task_updated',
            pythonJson({ task_id: taskId, old_status: oldStatus, new_status: newStatus }),
            now,
          ],
        },
      ],
      'write'
    )
    process.stdout.write(`${JSON.stringify({ task_id: taskId, old_status: oldStatus })}\n`)
  } else if (action === 'add_comment') {
    const [taskId, authorRole, content] = args
    const commentId = randomUUID()
    await db.batch(
      [
        {
          sql: `INSERT INTO comments (id, task_id, author_role, content, created_at)
                VALUES (?, ?, ?, ?, ?)`,
          args: [commentId, taskId, authorRole, content, now],
        },
        {
          sql: 'INSERT INTO events (id, type, payload, created_at, consumed) VALUES (?, ?, ?, ?, 0)',
          args: [
            randomUUID(),
            'comment_added',
            pythonJson({ comment_id: commentId, task_id: taskId }),
            now,
          ],
        },
      ],
      'write'
    )
    process.stdout.write(`${JSON.stringify({ comment_id: commentId, created_at: now })}\n`)
  } else {
    throw new Error(`unknown action ${String(action)}`)
  }
} finally {
  db.close()
}
