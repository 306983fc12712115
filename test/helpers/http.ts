import type { Client } from '@libsql/client'

import type { CreatedProject, Task } from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import { type TempDatabase, createTempDatabase } from './database.js'

/** The body of every error response. */
export interface ErrorBody {
  detail: string
  current_status?: string
  valid_next_states?: string[]
  errors?: { field: string; message: string }[]
}

/** A response with its JSON body parsed (or `null` when it has none). */
export interface JsonResponse<T> {
  status: number
  headers: Headers
  body: T
}

export type TestApp = ReturnType<typeof createApp>

/** An app on a fresh temporary database file. */
export interface AppFixture extends TempDatabase {
  app: TestApp
}

export async function createTestApp(): Promise<AppFixture> {
  const temp = await createTempDatabase()
  return { ...temp, app: createApp({ db: temp.db }) }
}

/**
 * Sends a request to the app in memory. An object body is sent as JSON with
 * `Content-Type: application/json`; a string body is sent as it is.
 */
export async function send<T = ErrorBody>(
  app: TestApp,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    init.headers = { 'Content-Type': 'application/json', ...headers }
  }
  const response = await app.request(path, init)
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? null : JSON.parse(text)) as T,
  }
}

/** Creates a project over HTTP and returns it with its root task. */
export async function createProjectVia(
  app: TestApp,
  title = 'Board',
  description = 'A test board'
): Promise<CreatedProject> {
  const response = await send<CreatedProject>(app, 'POST', '/projects', { title, description })
  if (response.status !== 201) {
    throw new Error(`POST /projects answered ${String(response.status)}`)
  }
  return response.body
}

/** Creates a task over HTTP in a project. */
export async function createTaskVia(
  app: TestApp,
  projectId: string,
  fields: { title?: string; phase?: string; description?: string; parent_task_id?: string } = {}
): Promise<Task> {
  const response = await send<Task>(app, 'POST', `/projects/${projectId}/tasks`, {
    title: 'A task',
    phase: 'coder',
    ...fields,
  })
  if (response.status !== 201) {
    throw new Error(`POST /projects/${projectId}/tasks answered ${String(response.status)}`)
  }
  return response.body
}

/** Moves a task through the given statuses over HTTP, failing on any refusal. */
export async function moveTaskVia(app: TestApp, taskId: string, ...statuses: string[]) {
  let task: Task | undefined
  for (const status of statuses) {
    const response = await send<Task>(app, 'PATCH', `/tasks/${taskId}`, { status })
    if (response.status !== 200) {
      throw new Error(`PATCH to ${status} answered ${String(response.status)}`)
    }
    task = response.body
  }
  return task
}

/** Sets a task's status straight in the database, skipping the state machine. */
export async function forceStatus(db: Client, taskId: string, status: string): Promise<void> {
  await db.execute({ sql: 'UPDATE tasks SET status = ? WHERE id = ?', args: [status, taskId] })
}
