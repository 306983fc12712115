import type { Client } from '@libsql/client'

import type { Comment, CreateComment } from '../domain/schemas.js'
import { recordEvent } from './events.js'
import {
  COMMENT_COLUMNS,
  jsonObjectOf,
  newId,
  now,
  rowToObject,
  rowsToObjects,
  selectList,
} from './rows.js'
import { getTask } from './tasks.js'

/** A task's comments, oldest first. */
export async function listComments(db: Client, taskId: string): Promise<Comment[]> {
  const result = await db.execute({
    sql: `SELECT ${selectList(COMMENT_COLUMNS, 'c')} FROM comments c
          WHERE c.task_id = ? ORDER BY c.created_at, c.rowid`,
    args: [taskId],
  })
  return rowsToObjects<Comment>(result, COMMENT_COLUMNS)
}

/**
 * Adds a comment to a task, with its `comment_added` event.
 *
 * @throws {RelayError} `not_found` when no task has that id.
 */
export async function addComment(
  db: Client,
  taskId: string,
  input: CreateComment
): Promise<Comment> {
  const task = await getTask(db, taskId)
  const comment: Comment = {
    id: newId(),
    task_id: task.id,
    author_role: input.author_role,
    content: input.content,
    created_at: now(),
  }

  await db.batch(
    [
      {
        sql: `INSERT INTO comments (${COMMENT_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?)`,
        args: COMMENT_COLUMNS.map((column) => comment[column]),
      },
      recordEvent(
        'comment_added',
        {
          sql: `json_object('comment_id', c.id, 'task_id', c.task_id, 'project_id', ?,
                  'comment', ${jsonObjectOf(COMMENT_COLUMNS, 'c')})`,
          args: [task.project_id],
        },
        { sql: 'FROM comments c WHERE c.id = ?', args: [comment.id] }
      ),
    ],
    'write'
  )
  return comment
}

/** One comment with the project of its task, or `null` when no comment has that id. */
export async function findCommentWithProject(
  db: Client,
  commentId: string
): Promise<{ comment: Comment; project_id: string | null } | null> {
  const result = await db.execute({
    sql: `SELECT ${selectList(COMMENT_COLUMNS, 'c')}, t.project_id AS project_id
          FROM comments c LEFT JOIN tasks t ON t.id = c.task_id WHERE c.id = ?`,
    args: [commentId],
  })
  const row = result.rows[0]
  if (!row) {
    return null
  }
  const projectId = row.project_id
  return {
    comment: rowToObject<Comment>(row, COMMENT_COLUMNS),
    project_id: typeof projectId === 'string' ? projectId : null,
  }
}
