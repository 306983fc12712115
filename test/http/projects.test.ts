import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type {
  CreatedProject,
  Project,
  ProjectDetail,
  Task,
  TaskBoard,
} from '../../src/domain/schemas.js'
import { countRows, eventTypesAfter, lastEventSeq, selectRow } from '../helpers/database.js'
import {
  type AppFixture,
  createProjectVia,
  createTaskVia,
  createTestApp,
  moveTaskVia,
  send,
} from '../helpers/http.js'

let fx: AppFixture

beforeEach(async () => {
  fx = await createTestApp()
})

afterEach(async () => {
  await fx.cleanup()
})

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/

describe('POST /projects', () => {
  it('answers 201 with the project and its root planning task', async () => {
    const response = await send<CreatedProject>(fx.app, 'POST', '/projects', {
      title: 'Compiler',
      description: 'A toy compiler',
    })

    expect(response.status).toBe(201)
    const { project, task } = response.body
    expect(project).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Compiler',
      description: 'A toy compiler',
      status: 'active',
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: project.created_at,
    })
    expect(task).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: project.id,
      parent_task_id: null,
      title: 'Plan: Compiler',
      description: 'A toy compiler',
      phase: 'planner',
      status: 'backlog',
      branch: null,
      worktree_path: null,
      session_id: null,
      created_at: project.created_at,
      updated_at: project.created_at,
    })
    expect(await selectRow(fx.db, 'projects', project.id)).toEqual(project)
    expect(await selectRow(fx.db, 'tasks', task.id)).toEqual(task)
    expect(await eventTypesAfter(fx.db, 0)).toEqual(['project_created', 'task_created'])
  })

  it('defaults a missing description to an empty string', async () => {
    const response = await send<CreatedProject>(fx.app, 'POST', '/projects', { title: 'T' })
    expect(response.status).toBe(201)
    expect(response.body.project.description).toBe('')
    expect(response.body.task.description).toBe('')
  })
})

describe('GET /projects', () => {
  it('answers an empty list for an empty board', async () => {
    const response = await send<Project[]>(fx.app, 'GET', '/projects')
    expect(response.status).toBe(200)
    expect(response.body).toEqual([])
  })

  it('lists projects newest first', async () => {
    const first = await createProjectVia(fx.app, 'first')
    const second = await createProjectVia(fx.app, 'second')
    const third = await createProjectVia(fx.app, 'third')

    const response = await send<Project[]>(fx.app, 'GET', '/projects')
    expect(response.status).toBe(200)
    expect(response.body).toEqual([third.project, second.project, first.project])
  })
})

describe('GET /projects/:id', () => {
  it('answers the project with counts for all five statuses, zeros included', async () => {
    const { project, task: root } = await createProjectVia(fx.app, 'Board')
    const a = await createTaskVia(fx.app, project.id)
    await createTaskVia(fx.app, project.id)
    await moveTaskVia(fx.app, root.id, 'in_progress')
    await moveTaskVia(fx.app, a.id, 'in_progress', 'in_review')

    const response = await send<ProjectDetail>(fx.app, 'GET', `/projects/${project.id}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      ...project,
      tasks: { backlog: 1, in_progress: 1, in_review: 1, done: 0, cancelled: 0 },
    })
  })

  it('answers 404 naming the unknown id', async () => {
    const response = await send(fx.app, 'GET', '/projects/nope')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: "Project 'nope' not found" })
  })
})

describe('DELETE /projects/:id', () => {
  it('cancels the project and its open tasks and returns the project', async () => {
    const { project, task } = await createProjectVia(fx.app)
    const before = await lastEventSeq(fx.db)

    const response = await send<Project>(fx.app, 'DELETE', `/projects/${project.id}`)

    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ id: project.id, status: 'cancelled' })
    expect(await selectRow(fx.db, 'projects', project.id)).toEqual(response.body)
    expect((await selectRow(fx.db, 'tasks', task.id))?.status).toBe('cancelled')
    expect(await eventTypesAfter(fx.db, before)).toEqual(['project_updated', 'task_updated'])
  })

  it('is harmless a second time: same answer, no new event', async () => {
    const { project } = await createProjectVia(fx.app)
    const first = await send<Project>(fx.app, 'DELETE', `/projects/${project.id}`)
    const before = await lastEventSeq(fx.db)

    const second = await send<Project>(fx.app, 'DELETE', `/projects/${project.id}`)

    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body)
    expect(await lastEventSeq(fx.db)).toBe(before)
  })

  it('answers 404 for an unknown id', async () => {
    const response = await send(fx.app, 'DELETE', '/projects/nope')
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Project 'nope' not found")
  })
})

describe('POST /projects/:id/tasks', () => {
  it('answers 201 with a backlog task and records task_created', async () => {
    const { project, task: root } = await createProjectVia(fx.app)
    const before = await lastEventSeq(fx.db)

    const response = await send<Task>(fx.app, 'POST', `/projects/${project.id}/tasks`, {
      title: 'Lexer',
      phase: 'coder',
      description: 'Tokens first',
      parent_task_id: root.id,
    })

    expect(response.status).toBe(201)
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: project.id,
      parent_task_id: root.id,
      title: 'Lexer',
      description: 'Tokens first',
      phase: 'coder',
      status: 'backlog',
      branch: null,
      worktree_path: null,
      session_id: null,
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: response.body.created_at,
    })
    expect(await selectRow(fx.db, 'tasks', response.body.id)).toEqual(response.body)
    expect(await eventTypesAfter(fx.db, before)).toEqual(['task_created'])
  })

  it('accepts a null parent_task_id as no parent and a missing description as empty', async () => {
    const { project } = await createProjectVia(fx.app)
    const response = await send<Task>(fx.app, 'POST', `/projects/${project.id}/tasks`, {
      title: 'Top',
      phase: 'reviewer',
      parent_task_id: null,
    })
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({ parent_task_id: null, description: '' })
  })

  it('refuses an unknown parent with 422, writing nothing', async () => {
    const { project } = await createProjectVia(fx.app)
    const tasks = await countRows(fx.db, 'tasks')
    const before = await lastEventSeq(fx.db)

    const response = await send(fx.app, 'POST', `/projects/${project.id}/tasks`, {
      title: 'Orphan',
      phase: 'coder',
      parent_task_id: 'no-such-task',
    })

    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      `parent_task_id 'no-such-task' is not a task of project '${project.id}'`
    )
    expect(await countRows(fx.db, 'tasks')).toBe(tasks)
    expect(await lastEventSeq(fx.db)).toBe(before)
  })

  it('refuses a parent from another project with 422', async () => {
    const { project } = await createProjectVia(fx.app, 'one')
    const other = await createProjectVia(fx.app, 'two')

    const response = await send(fx.app, 'POST', `/projects/${project.id}/tasks`, {
      title: 'Stray',
      phase: 'coder',
      parent_task_id: other.task.id,
    })

    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      `parent_task_id '${other.task.id}' is not a task of project '${project.id}'`
    )
  })

  it('answers 404 for an unknown project', async () => {
    const response = await send(fx.app, 'POST', '/projects/nope/tasks', {
      title: 'T',
      phase: 'coder',
    })
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Project 'nope' not found")
  })

  it('refuses a task in a cancelled project with 409, writing nothing', async () => {
    const { project } = await createProjectVia(fx.app)
    await send(fx.app, 'DELETE', `/projects/${project.id}`)
    const tasks = await countRows(fx.db, 'tasks')

    const response = await send(fx.app, 'POST', `/projects/${project.id}/tasks`, {
      title: 'Late',
      phase: 'coder',
    })

    expect(response.status).toBe(409)
    expect(response.body.detail).toBe(
      `Project '${project.id}' is cancelled: no tasks can be added to it`
    )
    expect(await countRows(fx.db, 'tasks')).toBe(tasks)
  })
})

describe('GET /projects/:id/tasks', () => {
  it('groups tasks under all five status keys, oldest first in each column', async () => {
    const { project, task: root } = await createProjectVia(fx.app)
    const a = await createTaskVia(fx.app, project.id, { title: 'a' })
    const b = await createTaskVia(fx.app, project.id, { title: 'b' })
    const c = await createTaskVia(fx.app, project.id, { title: 'c' })
    await moveTaskVia(fx.app, b.id, 'cancelled')
    // Equal timestamps must not reorder a column: ties keep insertion order.
    await fx.db.execute("UPDATE tasks SET created_at = '2026-01-01T00:00:00.000Z'")

    const response = await send<TaskBoard>(fx.app, 'GET', `/projects/${project.id}/tasks`)

    expect(response.status).toBe(200)
    expect(Object.keys(response.body)).toEqual([
      'backlog',
      'in_progress',
      'in_review',
      'done',
      'cancelled',
    ])
    expect(response.body.backlog.map((task) => task.id)).toEqual([root.id, a.id, c.id])
    expect(response.body.cancelled.map((task) => task.id)).toEqual([b.id])
    expect(response.body.in_progress).toEqual([])
    expect(response.body.backlog[1]).toMatchObject({ title: 'a', phase: 'coder' })
  })

  it('answers 404 for an unknown project', async () => {
    const response = await send(fx.app, 'GET', '/projects/nope/tasks')
    expect(response.status).toBe(404)
    expect(response.body.detail).toBe("Project 'nope' not found")
  })
})

describe('POST /projects title length', () => {
  it("keeps the root task's 'Plan: ' title within the task title limit, so it can be sent back", async () => {
    const fx = await createTestApp()
    try {
      const created = await send<any>(fx.app, 'POST', '/projects', { title: 'x'.repeat(494) })
      expect(created.status).toBe(201)
      expect(created.body.task.title).toHaveLength(500)

      const patched = await send(fx.app, 'PATCH', `/tasks/${String(created.body.task.id)}`, {
        title: created.body.task.title,
      })
      expect(patched.status).toBe(200)
    } finally {
      await fx.cleanup()
    }
  })
})
