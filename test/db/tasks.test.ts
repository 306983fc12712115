import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createProject } from '../../src/db/projects.js'
import { createSubtasks, createTask, getTask } from '../../src/db/tasks.js'
import { completeTask, updateTask } from '../../src/db/task-changes.js'
import type { Task } from '../../src/domain/schemas.js'
import {
  type TempDatabase,
  countRows,
  createTempDatabase,
  lastEventSeq,
  readEvents,
  selectRow,
} from '../helpers/database.js'

let temp: TempDatabase
let projectId: string
let root: Task

beforeEach(async () => {
  temp = await createTempDatabase()
  const created = await createProject(temp.db, { title: 'Board', description: '' })
  projectId = created.project.id
  root = created.task
})

afterEach(async () => {
  await temp.cleanup()
})

async function eventsSince(seq: number) {
  return (await readEvents(temp.db)).filter((event) => event.seq > seq)
}

function newTask(title: string, parentId?: string) {
  return createTask(temp.db, projectId, {
    title,
    phase: 'coder',
    description: '',
    parent_task_id: parentId,
  })
}

describe('createTask', () => {
  it('creates a backlog task and records task_created with the task', async () => {
    const before = await lastEventSeq(temp.db)
    const task = await newTask('Lexer', root.id)

    expect(task).toMatchObject({ status: 'backlog', parent_task_id: root.id, phase: 'coder' })
    expect(await selectRow(temp.db, 'tasks', task.id)).toEqual(task)
    const events = await eventsSince(before)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'task_created',
      payload: { task_id: task.id, project_id: projectId, task },
    })
  })

  it('refuses a parent from another project and writes nothing', async () => {
    const other = await createProject(temp.db, { title: 'Other', description: '' })
    const tasksBefore = await countRows(temp.db, 'tasks')
    const before = await lastEventSeq(temp.db)

    await expect(newTask('x', other.task.id)).rejects.toMatchObject({
      code: 'invalid_input',
      message: `parent_task_id '${other.task.id}' is not a task of project '${projectId}'`,
    })
    expect(await countRows(temp.db, 'tasks')).toBe(tasksBefore)
    expect(await lastEventSeq(temp.db)).toBe(before)
  })

  it('throws not_found for an unknown project', async () => {
    await expect(
      createTask(temp.db, 'nope', { title: 't', phase: 'coder', description: '' })
    ).rejects.toMatchObject({ code: 'not_found', message: "Project 'nope' not found" })
  })
})

describe('updateTask', () => {
  it('moves the task and records task_updated with old, new status and the full task', async () => {
    const before = await lastEventSeq(temp.db)
    const moved = await updateTask(temp.db, root.id, { status: 'in_progress' })

    expect(moved.status).toBe('in_progress')
    expect(moved.updated_at >= root.updated_at).toBe(true)
    expect(await selectRow(temp.db, 'tasks', root.id)).toEqual(moved)
    const events = await eventsSince(before)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'task_updated',
      payload: {
        task_id: root.id,
        old_status: 'backlog',
        new_status: 'in_progress',
        task: moved,
      },
    })
  })

  it('changes title and description without a move, keeping the status', async () => {
    const before = await lastEventSeq(temp.db)
    const changed = await updateTask(temp.db, root.id, { title: 'Renamed', description: 'New' })

    expect(changed).toMatchObject({ title: 'Renamed', description: 'New', status: 'backlog' })
    const events = await eventsSince(before)
    expect(events.map((event) => event.payload)).toEqual([
      expect.objectContaining({ old_status: 'backlog', new_status: 'backlog', task: changed }),
    ])
  })

  it('refuses a forbidden move, changing nothing and recording no event', async () => {
    const rowBefore = await selectRow(temp.db, 'tasks', root.id)
    const before = await lastEventSeq(temp.db)

    await expect(
      updateTask(temp.db, root.id, { status: 'in_review', title: 'Also renamed' })
    ).rejects.toMatchObject({
      code: 'invalid_transition',
      message:
        "Invalid transition: cannot move task from 'backlog' to 'in_review'. " +
        "Valid next states: ['in_progress', 'cancelled']",
      details: { current_status: 'backlog', valid_next_states: ['in_progress', 'cancelled'] },
    })
    expect(await selectRow(temp.db, 'tasks', root.id)).toEqual(rowBefore)
    expect(await lastEventSeq(temp.db)).toBe(before)
  })

  it('changes nothing when its event cannot be recorded', async () => {
    await temp.db.execute(`CREATE TRIGGER refuse_events BEFORE INSERT ON events
                           BEGIN SELECT RAISE(ABORT, 'events refused'); END`)

    await expect(updateTask(temp.db, root.id, { status: 'in_progress' })).rejects.toThrow(
      /events refused/
    )
    expect((await getTask(temp.db, root.id)).status).toBe('backlog')
  })

  it('throws not_found for an unknown task', async () => {
    await expect(updateTask(temp.db, 'nope', { title: 'x' })).rejects.toMatchObject({
      code: 'not_found',
      message: "Task 'nope' not found",
    })
  })
})

describe('completeTask', () => {
  async function toReview(task: Task) {
    await updateTask(temp.db, task.id, { status: 'in_progress' })
    await updateTask(temp.db, task.id, { status: 'in_review' })
  }

  it('moves an in_review task to done and reports open siblings', async () => {
    const first = await newTask('first', root.id)
    await newTask('second', root.id)
    await toReview(first)
    const before = await lastEventSeq(temp.db)

    const completion = await completeTask(temp.db, first.id)

    expect(completion).toMatchObject({
      task: { id: first.id, status: 'done' },
      siblings_complete: false,
      orchestrator_triggered: false,
    })
    expect((await eventsSince(before)).map((event) => event.type)).toEqual(['task_updated'])
  })

  it('records orchestrator_trigger when the last open sibling is done', async () => {
    const first = await newTask('first', root.id)
    const second = await newTask('second', root.id)
    await updateTask(temp.db, second.id, { status: 'cancelled' })
    await toReview(first)
    const before = await lastEventSeq(temp.db)

    const completion = await completeTask(temp.db, first.id)

    expect(completion).toMatchObject({ siblings_complete: true, orchestrator_triggered: true })
    const events = await eventsSince(before)
    expect(events.map((event) => event.type)).toEqual(['task_updated', 'orchestrator_trigger'])
    expect(events[1]?.payload).toEqual({ parent_task_id: root.id, project_id: projectId })
  })

  it('records orchestrator_trigger too when the last sibling is moved to done by a plain update', async () => {
    const first = await newTask('first', root.id)
    const second = await newTask('second', root.id)
    await toReview(first)
    await toReview(second)
    await updateTask(temp.db, first.id, { status: 'done' })
    const before = await lastEventSeq(temp.db)

    await updateTask(temp.db, second.id, { status: 'done' })

    const events = await eventsSince(before)
    expect(events.map((event) => event.type)).toEqual(['task_updated', 'orchestrator_trigger'])
    expect(events[1]?.payload).toEqual({ parent_task_id: root.id, project_id: projectId })
  })

  it('refuses a task that is not in review, recording nothing', async () => {
    const task = await newTask('early', root.id)
    const before = await lastEventSeq(temp.db)

    await expect(completeTask(temp.db, task.id)).rejects.toMatchObject({
      code: 'invalid_transition',
      message:
        "Invalid transition: cannot move task from 'backlog' to 'done'. " +
        "Valid next states: ['in_progress', 'cancelled']",
    })
    expect(await lastEventSeq(temp.db)).toBe(before)
    expect((await getTask(temp.db, task.id)).status).toBe('backlog')
  })
})

describe('createSubtasks', () => {
  it('creates every subtask under the parent with one subtasks_created event', async () => {
    const before = await lastEventSeq(temp.db)
    const tasks = await createSubtasks(temp.db, {
      parent_task_id: root.id,
      tasks: [
        { title: 'Lexer', phase: 'coder', description: 'tokens' },
        { title: 'Review lexer', phase: 'reviewer', description: '' },
      ],
    })

    expect(tasks.map((task) => [task.title, task.phase, task.status, task.parent_task_id])).toEqual(
      [
        ['Lexer', 'coder', 'backlog', root.id],
        ['Review lexer', 'reviewer', 'backlog', root.id],
      ]
    )
    for (const task of tasks) {
      expect(await selectRow(temp.db, 'tasks', task.id)).toEqual(task)
    }
    const events = await eventsSince(before)
    expect(events.map((event) => event.type)).toEqual(['subtasks_created'])
    expect(events[0]?.payload).toMatchObject({
      parent_task_id: root.id,
      project_id: projectId,
      task_ids: expect.arrayContaining(tasks.map((task) => task.id)),
    })
    expect(events[0]?.payload.task_ids).toHaveLength(2)
  })

  it('throws not_found for an unknown parent and creates nothing', async () => {
    const count = await countRows(temp.db, 'tasks')
    await expect(
      createSubtasks(temp.db, {
        parent_task_id: 'nope',
        tasks: [{ title: 'x', phase: 'coder', description: '' }],
      })
    ).rejects.toMatchObject({ code: 'not_found', message: "Task 'nope' not found" })
    expect(await countRows(temp.db, 'tasks')).toBe(count)
  })
})
