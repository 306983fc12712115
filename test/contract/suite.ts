// One behaviour suite for every runtime: the Node entry and the Worker must
// both pass it unchanged, so that a difference between them fails a test.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'

import { type Client, createClient } from '@libsql/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

import type { Comment, CreatedProject, ProjectDetail, Task, TaskBoard } from '../../src/index.js'
import { type Target, connectEvents, request } from './support.js'

/** Everything a live-delivery test may wait for; the spec promises a second. */
const WITHIN_MS = 1000

/**
 * Defines the contract tests for one runtime. `startTarget` runs once for
 * the suite; its database file also gets writes from "another process".
 */
export function defineContractSuite(name: string, startTarget: () => Promise<Target>): void {
  let target: Target
  let direct: Client

  beforeAll(async () => {
    target = await startTarget()
    direct = createClient({ url: pathToFileURL(target.dbPath).href, timeout: 5000 })
  })

  afterAll(async () => {
    direct.close()
    await target.close()
  })

  async function createProject(title = 'Board'): Promise<CreatedProject> {
    const created = await request<CreatedProject>(target, 'POST', '/projects', {
      title,
      description: 'A contract board',
    })
    expect(created.status).toBe(201)
    return created.body
  }

  async function eventTypesOf(id: string): Promise<string[]> {
    const result = await direct.execute({
      sql: "SELECT type FROM events WHERE payload LIKE '%' || ? || '%' ORDER BY rowid",
      args: [id],
    })
    return result.rows.map((row) => row.type as string)
  }

  describe(`${name}: REST`, () => {
    test('POST /projects answers 201 with the project and its root planner task', async () => {
      const { project, task } = await createProject('Launch')

      expect(project).toMatchObject({ title: 'Launch', status: 'active' })
      expect(task).toMatchObject({ project_id: project.id, phase: 'planner', status: 'backlog' })
      const row = await direct.execute({
        sql: 'SELECT title FROM projects WHERE id = ?',
        args: [project.id],
      })
      expect(row.rows[0]?.title).toBe('Launch')
      expect(await eventTypesOf(project.id)).toEqual(
        expect.arrayContaining(['project_created', 'task_created'])
      )
    })

    test('GET /projects/:id counts tasks by status, and GET /projects lists it', async () => {
      const { project } = await createProject()

      const detail = await request<ProjectDetail>(target, 'GET', `/projects/${project.id}`)
      const list = await request<{ id: string }[]>(target, 'GET', '/projects')

      expect(detail.status).toBe(200)
      expect(detail.body).toMatchObject({ id: project.id, tasks: { backlog: 1, done: 0 } })
      expect(list.status).toBe(200)
      expect(list.body.map((listed) => listed.id)).toContain(project.id)
    })

    test('POST /projects/:id/tasks adds a backlog task and the board groups it', async () => {
      const { project, task: root } = await createProject()

      const created = await request<Task>(target, 'POST', `/projects/${project.id}/tasks`, {
        title: 'Write the parser',
        phase: 'coder',
      })
      await request(target, 'PATCH', `/tasks/${created.body.id}`, { status: 'in_progress' })
      const board = await request<TaskBoard>(target, 'GET', `/projects/${project.id}/tasks`)

      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ title: 'Write the parser', status: 'backlog' })
      expect(board.status).toBe(200)
      expect(board.body.backlog.map((task) => task.id)).toEqual([root.id])
      expect(board.body.in_progress.map((task) => task.id)).toEqual([created.body.id])
      expect(board.body.done).toEqual([])
    })

    test("PATCH /tasks/:id makes a legal move and refuses an illegal one with the spec's detail", async () => {
      const { task } = await createProject()

      const refused = await request(target, 'PATCH', `/tasks/${task.id}`, {
        status: 'in_review',
      })
      const moved = await request<Task>(target, 'PATCH', `/tasks/${task.id}`, {
        status: 'in_progress',
      })

      expect(refused.status).toBe(422)
      expect(refused.body.detail).toBe(
        "Invalid transition: cannot move task from 'backlog' to 'in_review'. " +
          "Valid next states: ['in_progress', 'cancelled']"
      )
      expect(moved.status).toBe(200)
      expect(moved.body.status).toBe('in_progress')
      const row = await direct.execute({
        sql: 'SELECT status FROM tasks WHERE id = ?',
        args: [task.id],
      })
      expect(row.rows[0]?.status).toBe('in_progress')
    })

    test('POST /tasks/:id/comments answers 201 and GET /tasks/:id shows the thread', async () => {
      const { task } = await createProject()

      const comment = await request<Comment>(target, 'POST', `/tasks/${task.id}/comments`, {
        content: 'Looks good',
        author_role: 'human',
      })
      const detail = await request<{ comments: Comment[] }>(target, 'GET', `/tasks/${task.id}`)
      const runs = await request<unknown[]>(target, 'GET', `/tasks/${task.id}/runs`)

      expect(comment.status).toBe(201)
      expect(comment.body).toMatchObject({ task_id: task.id, content: 'Looks good' })
      expect(detail.status).toBe(200)
      expect(detail.body.comments).toEqual([comment.body])
      expect(runs.status).toBe(200)
      expect(runs.body).toEqual([])
    })

    test('DELETE /projects/:id cancels the project', async () => {
      const { project } = await createProject()

      const cancelled = await request(target, 'DELETE', `/projects/${project.id}`)

      expect(cancelled.status).toBe(200)
      expect(cancelled.body.status).toBe('cancelled')
    })

    test('answers a missing task, and an unknown path, with 404 and a detail', async () => {
      const task = await request(target, 'GET', '/tasks/no-such-task')
      const path = await request(target, 'GET', '/no/such/path')

      expect(task.status).toBe(404)
      expect(task.body).toEqual({ detail: "Task 'no-such-task' not found" })
      expect(path.status).toBe(404)
      expect(path.body).toEqual({ detail: 'Not Found' })
    })

    test('refuses a request without the board token with 401 and a detail', async () => {
      const response = await request({ url: target.url, token: null }, 'POST', '/projects', {
        title: 'Stranger',
      })

      expect(response.status).toBe(401)
      expect(response.body.detail).toMatch(/^This board needs a token/)
      const count = await direct.execute(
        "SELECT count(*) AS n FROM projects WHERE title = 'Stranger'"
      )
      expect(Number(count.rows[0]?.n)).toBe(0)
    })

    test('opens CORS to every origin', async () => {
      const response = await request(target, 'GET', '/projects')

      expect(response.headers.get('access-control-allow-origin')).toBe('*')
    })
  })

  describe(`${name}: GET /ws`, () => {
    test('sends a PATCH as task_updated with the full task within a second', async () => {
      const { project, task } = await createProject()
      const client = await connectEvents(target)
      try {
        const moved = await request<Task>(target, 'PATCH', `/tasks/${task.id}`, {
          status: 'in_progress',
        })

        const event = await client.waitFor(
          (e) => e.type === 'task_updated' && e.payload.id === task.id,
          WITHIN_MS
        )
        expect(event).toEqual({
          type: 'task_updated',
          seq: expect.any(Number),
          project_id: project.id,
          payload: moved.body,
        })
      } finally {
        await client.close()
      }
    })

    test('takes the token as a browser sends it, in the subprotocols', async () => {
      const { task } = await createProject()
      const client = await connectEvents(target, '', { viaSubprotocol: true })
      try {
        await request(target, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

        expect(client.protocol).toBe('bearer')
        await client.waitFor((e) => e.payload.id === task.id, WITHIN_MS)
      } finally {
        await client.close()
      }
    })

    test('refuses a websocket without the token', async () => {
      await expect(connectEvents({ url: target.url, token: 'wrong' })).rejects.toThrow(/401/)
    })

    test("with ?project_id= sends that project's events and no other", async () => {
      const watched = await createProject('Watched')
      const other = await createProject('Other')
      const client = await connectEvents(target, `?project_id=${watched.project.id}`)
      try {
        await request(target, 'PATCH', `/tasks/${other.task.id}`, { status: 'in_progress' })
        await request(target, 'PATCH', `/tasks/${watched.task.id}`, { status: 'in_progress' })

        await client.waitFor((e) => e.payload.id === watched.task.id, WITHIN_MS)
        expect(client.events.map((e) => e.project_id)).not.toContain(other.project.id)
      } finally {
        await client.close()
      }
    })

    test('with ?since= first sends the events after that position', async () => {
      const { task } = await createProject()
      await request(target, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })
      const [row] = (
        await direct.execute({
          sql: "SELECT max(rowid) AS seq FROM events WHERE type = 'task_updated'",
        })
      ).rows
      const seq = Number(row?.seq)

      const client = await connectEvents(target, `?since=${String(seq - 1)}`)
      try {
        const event = await client.waitFor((e) => e.seq === seq, WITHIN_MS)
        expect(event).toMatchObject({ type: 'task_updated', payload: { id: task.id } })
      } finally {
        await client.close()
      }
    })

    test('delivers a change another process wrote into the database, in full, within a second', async () => {
      const { project, task } = await createProject()
      const client = await connectEvents(target)
      try {
        // As the Python MCP server writes: the row, then an event naming it by id only.
        const at = new Date().toISOString()
        const eventId = randomUUID()
        await direct.batch(
          [
            {
              sql: "UPDATE tasks SET status = 'in_progress', updated_at = ? WHERE id = ?",
              args: [at, task.id],
            },
            {
              sql: 'INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?)',
              args: [eventId, 'task_updated', JSON.stringify({ task_id: task.id }), at],
            },
          ],
          'write'
        )

        const event = await client.waitFor(
          (e) => e.type === 'task_updated' && e.payload.id === task.id,
          WITHIN_MS
        )
        expect(event).toMatchObject({
          type: 'task_updated',
          project_id: project.id,
          payload: { ...task, status: 'in_progress', updated_at: at },
        })
        await expect
          .poll(async () => {
            const row = await direct.execute({
              sql: 'SELECT consumed FROM events WHERE id = ?',
              args: [eventId],
            })
            return Number(row.rows[0]?.consumed)
          })
          .toBe(1)
      } finally {
        await client.close()
      }
    })
  })
}
