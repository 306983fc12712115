import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { addComment, listComments } from '../../src/db/comments.js'
import { createProject } from '../../src/db/projects.js'
import {
  type TempDatabase,
  countRows,
  createTempDatabase,
  lastEventSeq,
  readEvents,
  selectRow,
} from '../helpers/database.js'

describe('addComment', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('stores the comment and records comment_added with it', async () => {
    const { project, task } = await createProject(temp.db, { title: 'T', description: '' })
    const before = await lastEventSeq(temp.db)

    const comment = await addComment(temp.db, task.id, { content: 'hi', author_role: 'human' })

    expect(comment).toMatchObject({ task_id: task.id, author_role: 'human', content: 'hi' })
    expect(await selectRow(temp.db, 'comments', comment.id)).toEqual(comment)
    const events = (await readEvents(temp.db)).filter((event) => event.seq > before)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'comment_added',
      payload: { comment_id: comment.id, task_id: task.id, project_id: project.id, comment },
    })
  })

  it('lists comments oldest first, ties kept in insertion order', async () => {
    const { task } = await createProject(temp.db, { title: 'T', description: '' })
    for (const content of ['one', 'two', 'three']) {
      await addComment(temp.db, task.id, { content, author_role: 'coder' })
    }
    await temp.db.execute("UPDATE comments SET created_at = '2026-01-01T00:00:00.000Z'")

    expect((await listComments(temp.db, task.id)).map((c) => c.content)).toEqual([
      'one',
      'two',
      'three',
    ])
  })

  it('throws not_found for an unknown task and stores nothing', async () => {
    await expect(
      addComment(temp.db, 'nope', { content: 'x', author_role: 'human' })
    ).rejects.toMatchObject({ code: 'not_found', message: "Task 'nope' not found" })
    expect(await countRows(temp.db, 'comments')).toBe(0)
    expect(await countRows(temp.db, 'events')).toBe(0)
  })
})
