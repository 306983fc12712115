import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'

import type { Client as Database } from '@libsql/client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { createApp } from '../../src/http/app.js'
import {
  countRows,
  createTempDir,
  eventTypesAfter,
  lastEventSeq,
  openDatabaseAt,
  readEvents,
  selectRow,
} from '../helpers/database.js'
import { send } from '../helpers/http.js'
import { CLI, type McpSession, startStdioSession } from './support.js'

const TOOL_NAMES = [
  'create_project',
  'get_board',
  'get_task',
  'get_my_tasks',
  'create_task',
  'create_subtasks',
  'update_task_status',
  'add_comment',
  'complete_task',
  'wait_for_events',
]

let dir: string
let dbPath: string
let db: Database
const cleanups: (() => Promise<void> | void)[] = []

beforeEach(async () => {
  const temp = await createTempDir()
  dir = temp.dir
  dbPath = join(dir, 'board.db')
  db = await openDatabaseAt(dbPath)
  cleanups.push(
    () => temp.cleanup(),
    () => {
      db.close()
    }
  )
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

async function mcp(...args: string[]): Promise<McpSession> {
  const session = await startStdioSession(['--db', dbPath, ...args], { cwd: dir })
  cleanups.push(() => session.close())
  return session
}

/** A project with a root task and `count` coder subtasks under it. */
async function projectWithSubtasks(session: McpSession, count: number) {
  const { body: created } = await session.call('create_project', { title: 'Board' })
  const { body: split } = await session.call('create_subtasks', {
    parent_task_id: created.task.id,
    tasks: Array.from({ length: count }, (_, i) => ({
      title: `Part ${String(i)}`,
      phase: 'coder',
    })),
  })
  return { project: created.project, root: created.task, subtasks: split.tasks as any[] }
}

async function moveTo(session: McpSession, taskId: string, ...statuses: string[]) {
  for (const status of statuses) {
    const { isError, body } = await session.call('update_task_status', { task_id: taskId, status })
    expect(isError, JSON.stringify(body)).toBe(false)
  }
}

describe('vibe-relay mcp over stdio', () => {
  it('lists every board tool with a JSON Schema that names the required arguments', async () => {
    const session = await mcp()

    const { tools } = await session.client.listTools()

    expect(tools.map((tool) => tool.name)).toEqual(TOOL_NAMES)
    const schemaOf = (name: string) => tools.find((tool) => tool.name === name)?.inputSchema
    expect(schemaOf('create_task')?.required).toEqual(['title', 'phase', 'project_id'])
    expect(schemaOf('get_my_tasks')?.required).toEqual(['phase'])
    expect(schemaOf('add_comment')?.properties?.author_role).toMatchObject({
      enum: ['planner', 'coder', 'reviewer', 'orchestrator', 'human'],
    })
    expect(schemaOf('wait_for_events')?.required).toEqual([])
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(20)
      expect(tool.inputSchema.type).toBe('object')
    }
  })

  it('creates a project, plans it, works a task through review and reads it all back', async () => {
    const session = await mcp()

    const { body: created } = await session.call('create_project', {
      title: 'Checkout',
      description: 'Build the checkout flow',
    })
    expect(created.task).toMatchObject({ title: 'Plan: Checkout', phase: 'planner' })
    expect(await selectRow(db, 'projects', created.project.id)).toMatchObject({
      title: 'Checkout',
      status: 'active',
    })

    const { body: coding } = await session.call('create_task', {
      title: 'Cart page',
      description: 'List the items',
      phase: 'coder',
      project_id: created.project.id,
      parent_task_id: created.task.id,
    })
    expect(coding).toMatchObject({ status: 'backlog', parent_task_id: created.task.id })
    expect(await selectRow(db, 'tasks', coding.id)).toMatchObject({ title: 'Cart page' })

    const { body: split } = await session.call('create_subtasks', {
      parent_task_id: created.task.id,
      tasks: [
        { title: 'Payment form', phase: 'coder' },
        { title: 'Review payments', phase: 'reviewer', description: 'Look for leaks' },
      ],
    })
    expect(split.parent_task_id).toBe(created.task.id)
    expect(split.tasks.map((task: any) => task.title)).toEqual(['Payment form', 'Review payments'])

    const before = await lastEventSeq(db)
    await moveTo(session, coding.id, 'in_progress')
    const { body: comment } = await session.call('add_comment', {
      task_id: coding.id,
      content: 'Started on the cart',
      author_role: 'coder',
    })
    expect(comment).toMatchObject({ task_id: coding.id, author_role: 'coder' })
    expect(await selectRow(db, 'comments', comment.id)).toMatchObject({
      content: 'Started on the cart',
    })
    expect(await eventTypesAfter(db, before)).toEqual(['task_updated', 'comment_added'])

    const { body: mine } = await session.call('get_my_tasks', { phase: 'coder' })
    expect(mine).toEqual({ phase: 'coder', tasks: [expect.objectContaining({ id: coding.id })] })
    const { body: others } = await session.call('get_my_tasks', {
      phase: 'coder',
      project_id: 'another-project',
    })
    expect(others.tasks).toEqual([])

    const { body: task } = await session.call('get_task', { task_id: coding.id })
    expect(task).toMatchObject({ id: coding.id, status: 'in_progress' })
    expect(task.comments).toEqual([comment])

    const { body: board } = await session.call('get_board', { project_id: created.project.id })
    expect(board.project).toMatchObject({
      id: created.project.id,
      tasks: { backlog: 3, in_progress: 1, in_review: 0, done: 0, cancelled: 0 },
    })
    expect(board.tasks).toHaveLength(4)
    expect(board.tasks.find((t: any) => t.id === coding.id).comment_count).toBe(1)
  })

  it('completes tasks, reporting siblings_complete and triggering the orchestrator once', async () => {
    const session = await mcp()
    const { project, root, subtasks } = await projectWithSubtasks(session, 2)
    const [first, second] = subtasks
    await moveTo(session, first.id, 'in_progress', 'in_review')
    await moveTo(session, second.id, 'in_progress', 'in_review')

    const { body: partly } = await session.call('complete_task', { task_id: first.id })
    expect(partly).toMatchObject({
      task: { id: first.id, status: 'done' },
      siblings_complete: false,
      orchestrator_triggered: false,
    })
    const before = await lastEventSeq(db)
    const { body: fully } = await session.call('complete_task', { task_id: second.id })

    expect(fully).toMatchObject({ siblings_complete: true, orchestrator_triggered: true })
    expect(await eventTypesAfter(db, before)).toEqual(['task_updated', 'orchestrator_trigger'])
    const trigger = (await readEvents(db)).at(-1)
    expect(trigger?.payload).toEqual({ parent_task_id: root.id, project_id: project.id })
    expect(await selectRow(db, 'tasks', second.id)).toMatchObject({ status: 'done' })
  })

  it("refuses bad calls with the reason code and the HTTP API's message, writing nothing", async () => {
    const session = await mcp()
    const app = createApp({ db })
    const { project, subtasks } = await projectWithSubtasks(session, 1)
    const task = subtasks[0]
    const rowsBefore = {
      tasks: await countRows(db, 'tasks'),
      comments: await countRows(db, 'comments'),
      events: await countRows(db, 'events'),
    }

    const cases = [
      {
        call: ['get_task', { task_id: 'nope' }],
        http: ['GET', '/tasks/nope'],
        error: 'not_found',
      },
      {
        call: ['update_task_status', { task_id: task.id, status: 'done' }],
        http: ['PATCH', `/tasks/${task.id}`, { status: 'done' }],
        error: 'invalid_transition',
      },
      {
        call: ['create_task', { title: 'T', phase: 'tester', project_id: project.id }],
        http: ['POST', `/projects/${project.id}/tasks`, { title: 'T', phase: 'tester' }],
        error: 'invalid_phase',
      },
      {
        call: ['add_comment', { task_id: task.id, content: 'Hi', author_role: 'boss' }],
        http: ['POST', `/tasks/${task.id}/comments`, { content: 'Hi', author_role: 'boss' }],
        error: 'invalid_role',
      },
      {
        call: ['create_project', { description: 'no title' }],
        http: ['POST', '/projects', { description: 'no title' }],
        error: 'invalid_input',
      },
      {
        call: ['complete_task', { task_id: task.id }],
        http: ['PATCH', `/tasks/${task.id}`, { status: 'done' }],
        error: 'invalid_transition',
      },
    ] as const

    for (const { call, http, error } of cases) {
      const outcome = await session.call(call[0], call[1])
      const response = await send(app, http[0], http[1], http[2])
      expect(outcome.isError, call[0]).toBe(true)
      expect(outcome.body).toMatchObject({ error, message: response.body.detail })
    }
    const refused = await session.call('update_task_status', { task_id: task.id, status: 'done' })
    expect(refused.body).toMatchObject({
      current_status: 'backlog',
      valid_next_states: ['in_progress', 'cancelled'],
    })

    const halfBad = await session.call('create_subtasks', {
      parent_task_id: task.id,
      tasks: [
        { title: 'Fine', phase: 'coder' },
        { title: 'Broken', phase: 'tester' },
      ],
    })
    expect(halfBad).toMatchObject({ isError: true, body: { error: 'invalid_input' } })
    // A nested field takes the code of its top field (see src/domain/validate.ts).
    expect(halfBad.body.message).toContain('got "tester"')
    expect(halfBad.body.errors).toEqual([{ field: 'tasks.1.phase', message: halfBad.body.message }])
    expect({
      tasks: await countRows(db, 'tasks'),
      comments: await countRows(db, 'comments'),
      events: await countRows(db, 'events'),
    }).toEqual(rowsBefore)
  })

  it('defaults get_my_tasks to the phase of the --task-id task', async () => {
    const setup = await mcp()
    const { subtasks } = await projectWithSubtasks(setup, 1)
    const { body: review } = await setup.call('create_task', {
      title: 'Review it',
      phase: 'reviewer',
      project_id: subtasks[0].project_id,
    })
    await moveTo(setup, review.id, 'in_progress')
    await moveTo(setup, subtasks[0].id, 'in_progress')

    const reviewer = await mcp('--task-id', review.id)
    const { tools } = await reviewer.client.listTools()
    const { body } = await reviewer.call('get_my_tasks')

    expect(tools.find((tool) => tool.name === 'get_my_tasks')?.inputSchema.required).toEqual([])
    expect(body.phase).toBe('reviewer')
    expect(body.tasks.map((task: any) => task.id)).toEqual([review.id])
    const { body: coders } = await reviewer.call('get_my_tasks', { phase: 'coder' })
    expect(coders.tasks.map((task: any) => task.id)).toEqual([subtasks[0].id])
  })

  it('waits for the next board event and returns it with the full object', async () => {
    const session = await mcp()
    const writer = await mcp()
    const { subtasks } = await projectWithSubtasks(session, 1)
    const task = subtasks[0]

    const waiting = session.call('wait_for_events', { timeout_s: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const started = Date.now()
    const { body: moved } = await writer.call('update_task_status', {
      task_id: task.id,
      status: 'in_progress',
    })
    const { isError, body } = await waiting

    expect(isError).toBe(false)
    // Well before the 10 s timeout.
    expect(Date.now() - started).toBeLessThan(5000)
    expect(body.events).toEqual([
      { type: 'task_updated', seq: body.next_since, project_id: task.project_id, payload: moved },
    ])
  })

  it('returns the events after since at once, and none when the wait times out', async () => {
    const session = await mcp()
    const { project } = await projectWithSubtasks(session, 2)

    const { body: all } = await session.call('wait_for_events', { since: 0, timeout_s: 0 })
    expect(all.events.map((event: any) => event.type)).toEqual([
      'project_created',
      'task_created',
      'subtasks_created',
    ])
    expect(all.events[2].payload.tasks).toHaveLength(2)
    expect(all.next_since).toBe(await lastEventSeq(db))

    const { body: elsewhere } = await session.call('wait_for_events', {
      since: 0,
      project_id: 'another-project',
      timeout_s: 0.2,
    })
    expect(elsewhere).toEqual({ events: [], next_since: all.next_since })
    expect(project.id).toBe(all.events[0].project_id)
  })

  it('uses the database named by VIBE_RELAY_DB when no --db is given', async () => {
    const session = await startStdioSession([], { env: { VIBE_RELAY_DB: dbPath }, cwd: dir })
    cleanups.push(() => session.close())

    const { body } = await session.call('create_project', { title: 'From env' })

    expect(await selectRow(db, 'projects', body.project.id)).toMatchObject({ title: 'From env' })
    expect(session.stderr()).toContain(dbPath)
  })
})

describe('the vibe-relay mcp process', () => {
  it('writes only protocol messages to stdout and exits with 0 when stdin closes mid-wait', async () => {
    const child = spawn(process.execPath, [CLI, 'mcp', '--db', dbPath], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    cleanups.push(() => {
      child.kill('SIGKILL')
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`)
    const lines = () => stdout.split('\n').filter((line) => line !== '')

    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 't', version: '0' },
      },
    })
    send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'create_project', arguments: { title: 'P' } },
    })
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'wait_for_events', arguments: { timeout_s: 30 } },
    })
    await vi.waitFor(
      () => {
        expect(lines()).toHaveLength(2)
      },
      { timeout: 10_000 }
    )
    const exited = once(child, 'exit')
    const closedAt = Date.now()
    child.stdin.end()
    const [code] = await exited

    expect(code).toBe(0)
    // Well before the 30 s wait would have ended.
    expect(Date.now() - closedAt).toBeLessThan(5000)
    const messages = lines().map((line) => JSON.parse(line))
    expect(messages.map((message) => message.id)).toEqual([1, 2])
    expect(messages.every((message) => message.jsonrpc === '2.0')).toBe(true)
    expect(stderr).toContain('MCP server on stdio')
    expect(stderr).toContain('stdin closed, shutting down')
  })
})
