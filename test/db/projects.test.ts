import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  cancelProject,
  createProject,
  getProjectDetail,
  listProjects,
} from '../../src/db/projects.js'
import { createTask, getTask } from '../../src/db/tasks.js'
import { updateTask } from '../../src/db/task-changes.js'
import { RelayError } from '../../src/domain/errors.js'
import {
  type TempDatabase,
  countRows,
  createTempDatabase,
  lastEventSeq,
  readEvents,
  selectRow,
} from '../helpers/database.js'

describe('createProject', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('creates the project and its root planning task', async () => {
    const { project, task } = await createProject(temp.db, {
      title: 'Compiler',
      description: 'A toy compiler',
    })

    expect(project).toMatchObject({ title: 'Compiler', status: 'active' })
    expect(task).toMatchObject({
      project_id: project.id,
      parent_task_id: null,
      title: 'Plan: Compiler',
      description: 'A toy compiler',
      phase: 'planner',
      status: 'backlog',
    })
    expect(await selectRow(temp.db, 'projects', project.id)).toEqual(project)
    expect(await selectRow(temp.db, 'tasks', task.id)).toEqual(task)
  })

  it('records project_created and task_created carrying the objects as stored', async () => {
    const { project, task } = await createProject(temp.db, { title: 'T', description: '' })

    const events = await readEvents(temp.db)
    expect(events.map((event) => event.type)).toEqual(['project_created', 'task_created'])
    expect(events[0]?.payload).toEqual({ project_id: project.id, project })
    expect(events[1]?.payload).toEqual({ task_id: task.id, project_id: project.id, task })
    expect(events.every((event) => event.consumed === 0)).toBe(true)
  })

  it('writes nothing at all when its event cannot be recorded', async () => {
    // A failing events insert stands in for any failure inside the
    // transaction: no project without its event.
    await temp.db.execute(`CREATE TRIGGER refuse_events BEFORE INSERT ON events
                           BEGIN SELECT RAISE(ABORT, 'events refused'); END`)

    await expect(createProject(temp.db, { title: 'T', description: '' })).rejects.toThrow(
      /events refused/
    )
    expect(await countRows(temp.db, 'projects')).toBe(0)
    expect(await countRows(temp.db, 'tasks')).toBe(0)
    expect(await countRows(temp.db, 'events')).toBe(0)
  })
})

describe('listProjects', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('lists projects newest first, also when created in the same millisecond', async () => {
    for (const title of ['first', 'second', 'third']) {
      await createProject(temp.db, { title, description: '' })
    }
    await temp.db.execute("UPDATE projects SET created_at = '2026-01-01T00:00:00.000Z'")

    expect((await listProjects(temp.db)).map((project) => project.title)).toEqual([
      'third',
      'second',
      'first',
    ])
  })
})

describe('getProjectDetail', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('counts every status, zeros included', async () => {
    const { project, task } = await createProject(temp.db, { title: 'T', description: '' })
    await createTask(temp.db, project.id, { title: 'a', phase: 'coder', description: '' })
    await updateTask(temp.db, task.id, { status: 'in_progress' })

    expect((await getProjectDetail(temp.db, project.id)).tasks).toEqual({
      backlog: 1,
      in_progress: 1,
      in_review: 0,
      done: 0,
      cancelled: 0,
    })
  })

  it('throws not_found for an unknown id', async () => {
    await expect(getProjectDetail(temp.db, 'nope')).rejects.toMatchObject({
      code: 'not_found',
      message: "Project 'nope' not found",
    })
  })
})

describe('cancelProject', () => {
  let temp: TempDatabase

  beforeEach(async () => {
    temp = await createTempDatabase()
  })

  afterEach(async () => {
    await temp.cleanup()
  })

  it('cancels the project and every open task, leaving done tasks done', async () => {
    const { project, task: root } = await createProject(temp.db, { title: 'T', description: '' })
    const done = await createTask(temp.db, project.id, {
      title: 'd',
      phase: 'coder',
      description: '',
    })
    for (const status of ['in_progress', 'in_review', 'done'] as const) {
      await updateTask(temp.db, done.id, { status })
    }
    const review = await createTask(temp.db, project.id, {
      title: 'r',
      phase: 'reviewer',
      description: '',
    })
    await updateTask(temp.db, review.id, { status: 'in_progress' })
    await updateTask(temp.db, review.id, { status: 'in_review' })
    const before = await lastEventSeq(temp.db)

    const cancelled = await cancelProject(temp.db, project.id)

    expect(cancelled).toMatchObject({ id: project.id, status: 'cancelled' })
    expect((await getTask(temp.db, root.id)).status).toBe('cancelled')
    expect((await getTask(temp.db, review.id)).status).toBe('cancelled')
    expect((await getTask(temp.db, done.id)).status).toBe('done')

    const events = (await readEvents(temp.db)).filter((event) => event.seq > before)
    expect(events.map((event) => event.type)).toEqual([
      'project_updated',
      'task_updated',
      'task_updated',
    ])
    expect(events[0]?.payload).toMatchObject({ project_id: project.id, status: 'cancelled' })
    expect(events.slice(1).map((event) => event.payload)).toEqual([
      expect.objectContaining({ task_id: root.id, old_status: 'backlog', new_status: 'cancelled' }),
      expect.objectContaining({
        task_id: review.id,
        old_status: 'in_review',
        new_status: 'cancelled',
      }),
    ])
  })

  it('records no event and changes nothing the second time', async () => {
    const { project } = await createProject(temp.db, { title: 'T', description: '' })
    const first = await cancelProject(temp.db, project.id)
    const before = await lastEventSeq(temp.db)

    const second = await cancelProject(temp.db, project.id)

    expect(second).toEqual(first)
    expect(await lastEventSeq(temp.db)).toBe(before)
  })

  it('throws not_found for an unknown id and records nothing', async () => {
    const error = await cancelProject(temp.db, 'nope').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RelayError)
    expect(error).toMatchObject({ code: 'not_found', message: "Project 'nope' not found" })
    expect(await countRows(temp.db, 'events')).toBe(0)
  })

  it('refuses new tasks and moves in a cancelled project', async () => {
    const { project, task } = await createProject(temp.db, { title: 'T', description: '' })
    await cancelProject(temp.db, project.id)

    await expect(
      createTask(temp.db, project.id, { title: 'late', phase: 'coder', description: '' })
    ).rejects.toMatchObject({ code: 'conflict' })
    // The root task is cancelled now: terminal, so the state machine refuses first.
    await expect(updateTask(temp.db, task.id, { status: 'in_progress' })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })
})
