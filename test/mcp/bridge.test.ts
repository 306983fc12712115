import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createTempDir } from '../helpers/database.js'
import { type ServeProcess, spawnServe } from '../helpers/cli.js'
import { type WsClient, connectClient } from '../helpers/server.js'
import { type McpSession, startHttpSession, startStdioSession, stripVolatile } from './support.js'

let dir: string
let dbPath: string
const cleanups: (() => Promise<void> | void)[] = []

beforeEach(async () => {
  const temp = await createTempDir()
  dir = temp.dir
  dbPath = join(dir, 'board.db')
  cleanups.push(() => temp.cleanup())
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

async function serve(): Promise<ServeProcess> {
  const server = await spawnServe(dbPath)
  cleanups.push(() => server.stop())
  return server
}

async function overStdio(): Promise<McpSession> {
  const session = await startStdioSession(['--db', dbPath], { cwd: dir })
  cleanups.push(() => session.close())
  return session
}

async function overHttp(server: ServeProcess): Promise<McpSession> {
  const session = await startHttpSession(`${server.url}/mcp`)
  cleanups.push(() => session.close())
  return session
}

async function listen(server: ServeProcess): Promise<WsClient> {
  const recorder = await connectClient(`${server.url.replace('http', 'ws')}/ws`)
  cleanups.push(() => {
    recorder.close()
  })
  return recorder
}

/**
 * The same agent's day on a session: a project, a coder task moved to
 * in_progress, a comment, one refused move. Returns every result in order,
 * and checks that the websocket client got each write within a second.
 */
async function workTheBoard(session: McpSession, ws: WsClient) {
  const created = await session.call('create_project', {
    title: 'Bridge',
    description: 'Both ways',
  })
  const task = await session.call('create_task', {
    title: 'Wire it',
    phase: 'coder',
    project_id: created.body.project.id,
  })

  const moved = await session.call('update_task_status', {
    task_id: task.body.id,
    status: 'in_progress',
  })
  const movedEvent = await ws.waitFor(
    (event) => event.type === 'task_updated' && event.payload.id === task.body.id,
    1000
  )
  expect(movedEvent.payload).toEqual(moved.body)
  expect(movedEvent.project_id).toBe(created.body.project.id)

  const comment = await session.call('add_comment', {
    task_id: task.body.id,
    content: 'Wired the first half',
    author_role: 'coder',
  })
  const commentEvent = await ws.waitFor(
    (event) => event.type === 'comment_added' && event.payload.id === comment.body.id,
    1000
  )
  expect(commentEvent.payload).toEqual(comment.body)

  const refused = await session.call('update_task_status', {
    task_id: task.body.id,
    status: 'backlog',
  })
  const mine = await session.call('get_my_tasks', {
    phase: 'coder',
    project_id: created.body.project.id,
  })
  const detail = await session.call('get_task', { task_id: task.body.id })
  const board = await session.call('get_board', { project_id: created.body.project.id })
  return [created, task, moved, comment, refused, mine, detail, board]
}

describe('the MCP to websocket bridge', () => {
  it('delivers update_task_status and add_comment made in vibe-relay mcp to a websocket client of vibe-relay serve within a second', async () => {
    const server = await serve()
    const ws = await listen(server)
    const session = await overStdio()

    const results = await workTheBoard(session, ws)

    expect(results.map((result) => result.isError)).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ])
  })

  it('gives the same results and events through /mcp on vibe-relay serve as through stdio', async () => {
    const server = await serve()
    const ws = await listen(server)
    const stdio = await overStdio()
    const http = await overHttp(server)

    const viaStdio = await workTheBoard(stdio, ws)
    const viaHttp = await workTheBoard(http, ws)

    expect(stripVolatile(viaHttp)).toEqual(stripVolatile(viaStdio))
    const { tools: httpTools } = await http.client.listTools()
    const { tools: stdioTools } = await stdio.client.listTools()
    expect(httpTools).toEqual(stdioTools)
  })

  it('answers wait_for_events through /mcp with a write made through stdio', async () => {
    const server = await serve()
    const stdio = await overStdio()
    const http = await overHttp(server)
    const { body: created } = await stdio.call('create_project', { title: 'Follow' })

    const waiting = http.call('wait_for_events', { project_id: created.project.id, timeout_s: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const { body: comment } = await stdio.call('add_comment', {
      task_id: created.task.id,
      content: 'Anyone there?',
      author_role: 'human',
    })
    const { body } = await waiting

    expect(body.events).toEqual([
      {
        type: 'comment_added',
        seq: body.next_since,
        project_id: created.project.id,
        payload: comment,
      },
    ])
  })
})
