import { join } from 'node:path'

import { type Client, createClient } from '@libsql/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type {
  AgentRun,
  Comment,
  Project,
  ProjectDetail,
  Task,
  TaskBoard,
  TaskDetail,
} from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import { createTempDir, openDatabaseAt, readEvents } from '../helpers/database.js'
import { type TestApp, send } from '../helpers/http.js'
import { PYTHON_BOARD, writePythonDatabase } from '../helpers/python-board.js'

const PY = PYTHON_BOARD

describe('a database file made by the Python version', () => {
  let dir: { dir: string; cleanup(): Promise<void> }
  let path: string
  let db: Client
  let app: TestApp
  let schemaBefore: string[]

  async function schemaOf(client: Client): Promise<string[]> {
    const result = await client.execute(
      "SELECT sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    return result.rows.map((row) => row.sql as string)
  }

  beforeEach(async () => {
    dir = await createTempDir()
    path = join(dir.dir, 'vibe-relay.db')
    await writePythonDatabase(path)
    const raw = createClient({ url: `file:${path}` })
    schemaBefore = await schemaOf(raw)
    raw.close()

    db = await openDatabaseAt(path)
    app = createApp({ db })
  })

  afterEach(async () => {
    db.close()
    await dir.cleanup()
  })

  it('opens without changing its tables, adding only its idempotency_keys table', async () => {
    const after = await schemaOf(db)
    expect(after.filter((sql) => schemaBefore.includes(sql))).toEqual(schemaBefore)
    const added = after.filter((sql) => !schemaBefore.includes(sql))
    expect(added.map((sql) => /CREATE TABLE (\w+)/.exec(sql)?.[1])).toEqual(['idempotency_keys'])
  })

  it('lists its project with the NULL description as null', async () => {
    const response = await send<Project[]>(app, 'GET', '/projects')
    expect(response.status).toBe(200)
    expect(response.body).toEqual([
      {
        id: PY.projectId,
        title: 'Python board',
        description: null,
        status: 'active',
        created_at: '2026-11-30T09:15:02.481236+00:00',
        updated_at: '2026-11-30T09:15:02.481236+00:00',
      },
    ])
  })

  it('counts its tasks by status', async () => {
    const response = await send<ProjectDetail>(app, 'GET', `/projects/${PY.projectId}`)
    expect(response.status).toBe(200)
    expect(response.body.tasks).toEqual({
      backlog: 1,
      in_progress: 1,
      in_review: 1,
      done: 0,
      cancelled: 0,
    })
  })

  it('groups its tasks by status with their Python fields intact', async () => {
    const response = await send<TaskBoard>(app, 'GET', `/projects/${PY.projectId}/tasks`)
    expect(response.status).toBe(200)
    expect(response.body.in_progress.map((task) => task.id)).toEqual([PY.rootTaskId])
    expect(response.body.backlog.map((task) => task.id)).toEqual([PY.backlogTaskId])
    expect(response.body.in_review).toEqual([
      {
        id: PY.reviewTaskId,
        project_id: PY.projectId,
        parent_task_id: PY.rootTaskId,
        title: 'Write the parser',
        description: 'Parse the config file',
        phase: 'coder',
        status: 'in_review',
        branch: 'task-c3b7f1e9-1732958200',
        worktree_path: '/home/dev/.vibe-relay/worktrees/task-c3b7f1e9',
        session_id: 'sess-coder-07',
        created_at: '2026-11-30T09:17:00+00:00',
        updated_at: '2026-11-30T10:02:11.730004+00:00',
      },
    ])
  })

  it('shows a task with its Python comments oldest first', async () => {
    const response = await send<TaskDetail>(app, 'GET', `/tasks/${PY.reviewTaskId}`)
    expect(response.status).toBe(200)
    expect(response.body.comments.map((comment) => comment.id)).toEqual([
      PY.coderCommentId,
      PY.reviewerCommentId,
    ])
  })

  it('lists the agent runs the Python runner recorded, a running one included', async () => {
    const response = await send<AgentRun[]>(app, 'GET', `/tasks/${PY.reviewTaskId}/runs`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual([
      {
        id: '1c3e5a7b-9d2f-4b6a-8e0c-2a4c6e8b0d42',
        task_id: PY.reviewTaskId,
        phase: 'coder',
        started_at: '2026-11-30T09:20:00.100000+00:00',
        completed_at: '2026-11-30T10:02:12.900000+00:00',
        exit_code: 0,
        error: null,
      },
      {
        id: '2d4f6b8c-0e3a-4c7b-9f1d-3b5d7f9c1e53',
        task_id: PY.reviewTaskId,
        phase: 'reviewer',
        started_at: '2026-11-30T10:05:00.000001+00:00',
        completed_at: null,
        exit_code: null,
        error: null,
      },
    ])
  })

  it('moves a Python task through the state machine and records the event', async () => {
    const response = await send<Task>(app, 'PATCH', `/tasks/${PY.reviewTaskId}`, {
      status: 'done',
    })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'done', branch: 'task-c3b7f1e9-1732958200' })

    const events = await readEvents(db)
    expect(events).toHaveLength(4)
    expect(events.at(-1)).toMatchObject({
      type: 'task_updated',
      consumed: 0,
      payload: { task_id: PY.reviewTaskId, old_status: 'in_review', new_status: 'done' },
    })
  })

  it('refuses a forbidden move of a Python task with the spec message', async () => {
    const response = await send(app, 'PATCH', `/tasks/${PY.backlogTaskId}`, { status: 'done' })
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      "Invalid transition: cannot move task from 'backlog' to 'done'. " +
        "Valid next states: ['in_progress', 'cancelled']"
    )
    expect(await readEvents(db)).toHaveLength(3)
  })

  it('adds a comment and a task next to the Python rows', async () => {
    const comment = await send<Comment>(app, 'POST', `/tasks/${PY.reviewTaskId}/comments`, {
      content: 'Looks good now',
      author_role: 'human',
    })
    expect(comment.status).toBe(201)

    const task = await send<Task>(app, 'POST', `/projects/${PY.projectId}/tasks`, {
      title: 'Follow-up',
      phase: 'coder',
      parent_task_id: PY.rootTaskId,
    })
    expect(task.status).toBe(201)

    const detail = await send<TaskDetail>(app, 'GET', `/tasks/${PY.reviewTaskId}`)
    expect(detail.body.comments.map((c) => c.content)).toEqual([
      'Parser done; tests pass.',
      'Please handle empty files.',
      'Looks good now',
    ])
    const board = await send<TaskBoard>(app, 'GET', `/projects/${PY.projectId}/tasks`)
    expect(board.body.backlog.map((t) => t.title)).toEqual(['Write the docs', 'Follow-up'])
  })

  it('creates a new project that lists before the older Python one', async () => {
    const created = await send(app, 'POST', '/projects', { title: 'New board' })
    expect(created.status).toBe(201)
    const list = await send<Project[]>(app, 'GET', '/projects')
    expect(list.body.map((project) => project.title)).toEqual(['New board', 'Python board'])
  })

  it('cancels the Python project and its open tasks', async () => {
    const response = await send<Project>(app, 'DELETE', `/projects/${PY.projectId}`)
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('cancelled')
    const detail = await send<ProjectDetail>(app, 'GET', `/projects/${PY.projectId}`)
    expect(detail.body.tasks).toEqual({
      backlog: 0,
      in_progress: 0,
      in_review: 0,
      done: 0,
      cancelled: 3,
    })
  })
})
