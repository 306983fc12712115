import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { AgentRun, Comment, Task, TaskDetail } from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import {
  eventTypesAfter,
  lastEventSeq,
  openDatabaseAt,
  readEvents,
  selectRow,
} from '../helpers/database.js'
import {
  type AppFixture,
  createProjectVia,
  createTestApp,
  forceStatus,
  moveTaskVia,
  send,
} from '../helpers/http.js'

let fx: AppFixture
let projectId: string
let task: Task

beforeEach(async () => {
  fx = await createTestApp()
  const created = await createProjectVia(fx.app)
  projectId = created.project.id
  task = created.task
})

afterEach(async () => {
  await fx.cleanup()
})

describe('GET /tasks/:id', () => {
  it('answers the task with its comments, oldest first', async () => {
    for (const [content, author_role] of [
      ['first', 'coder'],
      ['second', 'reviewer'],
      ['third', 'human'],
    ]) {
      await send(fx.app, 'POST', `/tasks/${task.id}/comments`, { content, author_role })
    }

    const response = await send<TaskDetail>(fx.app, 'GET', `/tasks/${task.id}`)

    expect(response.status).toBe(200)
    expect(response.body).toEqual({ ...task, comments: expect.any(Array) })
    expect(response.body.comments.map((c) => [c.content, c.author_role])).toEqual([
      ['first', 'coder'],
      ['second', 'reviewer'],
      ['third', 'human'],
    ])
  })

  it('answers an empty comment list for a task without comments', async () => {
    const response = await send<TaskDetail>(fx.app, 'GET', `/tasks/${task.id}`)
    expect(response.body.comments).toEqual([])
  })

  it('answers 404 naming the unknown id', async () => {
    const response = await send(fx.app, 'GET', '/tasks/nope')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: "Task 'nope' not found" })
  })
})

describe('PATCH /tasks/:id', () => {
  it('moves backlog → in_progress, stores it and records task_updated with the full task', async () => {
    const before = await lastEventSeq(fx.db)

    const response = await send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, {
      status: 'in_progress',
    })

    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      ...task,
      status: 'in_progress',
      updated_at: expect.any(String),
    })
    expect(await selectRow(fx.db, 'tasks', task.id)).toEqual(response.body)
    const events = (await readEvents(fx.db)).filter((event) => event.seq > before)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'task_updated',
      payload: {
        task_id: task.id,
        old_status: 'backlog',
        new_status: 'in_progress',
        task: response.body,
      },
    })
  })

  it('walks a task through every allowed move to done', async () => {
    const done = await moveTaskVia(
      fx.app,
      task.id,
      'in_progress',
      'in_review',
      'in_progress',
      'in_review',
      'done'
    )
    expect(done?.status).toBe('done')
    // The root task has no open sibling left, so its move to done also
    // records the orchestrator trigger, as complete_task would.
    expect(await eventTypesAfter(fx.db, 2)).toEqual([
      ...Array<string>(5).fill('task_updated'),
      'orchestrator_trigger',
    ])
  })

  it('changes title and description together with the status', async () => {
    const response = await send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, {
      status: 'cancelled',
      title: 'Never mind',
      description: 'Dropped',
    })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      status: 'cancelled',
      title: 'Never mind',
      description: 'Dropped',
    })
    expect(await selectRow(fx.db, 'tasks', task.id)).toEqual(response.body)
  })

  it('changes only the title when only the title is given', async () => {
    const response = await send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, { title: 'Renamed' })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ title: 'Renamed', description: task.description })
    expect(response.body.status).toBe('backlog')
  })

  it('accepts an empty description, which clears it', async () => {
    const response = await send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, { description: '' })
    expect(response.status).toBe(200)
    expect((await selectRow(fx.db, 'tasks', task.id))?.description).toBe('')
  })

  it('refuses backlog → in_review and lists the valid next states, changing nothing', async () => {
    const rowBefore = await selectRow(fx.db, 'tasks', task.id)
    const before = await lastEventSeq(fx.db)

    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, {
      status: 'in_review',
      title: 'Should not stick',
    })

    expect(response.status).toBe(422)
    expect(response.body).toEqual({
      detail:
        "Invalid transition: cannot move task from 'backlog' to 'in_review'. " +
        "Valid next states: ['in_progress', 'cancelled']",
      current_status: 'backlog',
      valid_next_states: ['in_progress', 'cancelled'],
    })
    expect(await selectRow(fx.db, 'tasks', task.id)).toEqual(rowBefore)
    expect(await lastEventSeq(fx.db)).toBe(before)
  })

  it('refuses any move out of done with an empty list of next states', async () => {
    await moveTaskVia(fx.app, task.id, 'in_progress', 'in_review', 'done')
    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })
    expect(response.status).toBe(422)
    expect(response.body).toEqual({
      detail:
        "Invalid transition: cannot move task from 'done' to 'in_progress'. Valid next states: []",
      current_status: 'done',
      valid_next_states: [],
    })
  })

  it('refuses an unknown status with 422 listing the statuses', async () => {
    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'archived' })
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      `status must be one of ['backlog', 'in_progress', 'in_review', 'done', 'cancelled'], got "archived"`
    )
    expect((await selectRow(fx.db, 'tasks', task.id))?.status).toBe('backlog')
  })

  it('refuses a move in a project another writer cancelled without cascading, with 409', async () => {
    await fx.db.execute({
      sql: "UPDATE projects SET status = 'cancelled' WHERE id = ?",
      args: [projectId],
    })
    const before = await lastEventSeq(fx.db)

    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

    expect(response.status).toBe(409)
    expect(response.body.detail).toBe(
      `Project '${projectId}' is cancelled: its tasks can no longer move`
    )
    expect(await lastEventSeq(fx.db)).toBe(before)
  })

  it('answers 404 for an unknown task', async () => {
    const response = await send(fx.app, 'PATCH', '/tasks/nope', { status: 'in_progress' })
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Task 'nope' not found")
  })

  it('lets exactly one of two concurrent identical moves win; the other names what it found', async () => {
    const before = await lastEventSeq(fx.db)
    const [a, b] = await Promise.all([
      send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' }),
      send<Task>(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' }),
    ])

    expect([a.status, b.status].sort()).toEqual([200, 422])
    const loser = a.status === 422 ? a : b
    expect(loser.body).toMatchObject({
      detail:
        "Invalid transition: cannot move task from 'in_progress' to 'in_progress'. " +
        "Valid next states: ['in_review', 'cancelled']",
      current_status: 'in_progress',
    })
    expect(await eventTypesAfter(fx.db, before)).toEqual(['task_updated'])
  })

  it('lets exactly one of two servers on the same file win the same move', async () => {
    // A second client is a second connection: the moves race in SQLite itself.
    const otherDb = await openDatabaseAt(fx.path)
    try {
      const other = createApp({ db: otherDb })
      const before = await lastEventSeq(fx.db)
      const [a, b] = await Promise.all([
        send(fx.app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' }),
        send(other, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' }),
      ])

      expect([a.status, b.status].sort()).toEqual([200, 422])
      const loser = a.status === 422 ? a : b
      expect(loser.body.current_status).toBe('in_progress')
      expect(await eventTypesAfter(fx.db, before)).toEqual(['task_updated'])
    } finally {
      otherDb.close()
    }
  })
})

describe('POST /tasks/:id/comments', () => {
  it('answers 201 with the comment, stores it and records comment_added', async () => {
    const before = await lastEventSeq(fx.db)

    const response = await send<Comment>(fx.app, 'POST', `/tasks/${task.id}/comments`, {
      content: 'Please add tests',
      author_role: 'reviewer',
    })

    expect(response.status).toBe(201)
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      task_id: task.id,
      author_role: 'reviewer',
      content: 'Please add tests',
      created_at: expect.any(String),
    })
    expect(await selectRow(fx.db, 'comments', response.body.id)).toEqual(response.body)
    expect(await eventTypesAfter(fx.db, before)).toEqual(['comment_added'])
  })

  it('accepts a comment on a finished task', async () => {
    await forceStatus(fx.db, task.id, 'done')
    const response = await send(fx.app, 'POST', `/tasks/${task.id}/comments`, {
      content: 'Post-mortem',
      author_role: 'human',
    })
    expect(response.status).toBe(201)
  })

  it('refuses an unknown author_role with 422 listing the roles', async () => {
    const response = await send(fx.app, 'POST', `/tasks/${task.id}/comments`, {
      content: 'x',
      author_role: 'robot',
    })
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      `author_role must be one of ['planner', 'coder', 'reviewer', 'orchestrator', 'human'], got "robot"`
    )
  })

  it('answers 404 for an unknown task', async () => {
    const response = await send(fx.app, 'POST', '/tasks/nope/comments', {
      content: 'x',
      author_role: 'human',
    })
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Task 'nope' not found")
  })
})

describe('GET /tasks/:id/runs', () => {
  async function seedRun(run: Omit<AgentRun, 'task_id'>) {
    await fx.db.execute({
      sql: `INSERT INTO agent_runs (id, task_id, phase, started_at, completed_at, exit_code, error)
            VALUES (?, ?, ?, ?, ?, ?, ?)`,
      args: [
        run.id,
        task.id,
        run.phase,
        run.started_at,
        run.completed_at,
        run.exit_code,
        run.error,
      ],
    })
  }

  it('answers the runs in the spec shape, oldest first', async () => {
    const late = {
      id: 'run-2',
      phase: 'reviewer',
      started_at: '2026-11-02T10:00:00.000Z',
      completed_at: null,
      exit_code: null,
      error: null,
    } as const
    const early = {
      id: 'run-1',
      phase: 'planner',
      started_at: '2026-11-01T10:00:00.000Z',
      completed_at: '2026-11-01T10:05:00.000Z',
      exit_code: 1,
      error: 'claude exited with 1',
    } as const
    await seedRun(late)
    await seedRun(early)

    const response = await send<AgentRun[]>(fx.app, 'GET', `/tasks/${task.id}/runs`)

    expect(response.status).toBe(200)
    expect(response.body).toEqual([
      { ...early, task_id: task.id },
      { ...late, task_id: task.id },
    ])
  })

  it('answers an empty list for a task that never ran', async () => {
    const response = await send<AgentRun[]>(fx.app, 'GET', `/tasks/${task.id}/runs`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual([])
  })

  it('answers 404 for an unknown task', async () => {
    const response = await send(fx.app, 'GET', '/tasks/nope/runs')
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Task 'nope' not found")
  })
})
