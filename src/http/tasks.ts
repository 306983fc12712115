import { Hono } from 'hono'
import * as v from 'valibot'

import { listAgentRuns } from '../db/agent-runs.js'
import { addComment } from '../db/comments.js'
import { getTaskDetail } from '../db/tasks.js'
import { updateTask } from '../db/task-changes.js'
import {
  AgentRunSchema,
  CommentSchema,
  CreateCommentSchema,
  TaskDetailSchema,
  TaskSchema,
  UpdateTaskSchema,
} from '../domain/schemas.js'
import type { AppDeps } from './deps.js'
import { ifMatchCheck, taskETag } from './etag.js'
import { requireJson } from './middleware.js'
import { describe, jsonBody } from './openapi.js'

/** Routes under `/tasks`. */
export function taskRoutes({ db }: AppDeps) {
  return new Hono()
    .get(
      '/tasks/:task_id',
      describe(
        'tasks',
        'Get a task with its comments, oldest first',
        { status: 200, schema: TaskDetailSchema, description: 'The task' },
        [404]
      ),
      async (c) => {
        const task = await getTaskDetail(db, c.req.param('task_id'))
        return c.json(task, 200, { ETag: await taskETag(task) })
      }
    )
    .patch(
      '/tasks/:task_id',
      describe(
        'tasks',
        'Update status, title or description; status moves follow the state machine',
        { status: 200, schema: TaskSchema, description: 'The updated task' },
        [400, 404, 409, 412, 413, 415, 422],
        ['If-Match']
      ),
      requireJson,
      jsonBody(UpdateTaskSchema),
      async (c) => {
        const check = ifMatchCheck(c.req.header('If-Match'))
        const task = await updateTask(db, c.req.param('task_id'), c.req.valid('json'), { check })
        return c.json(task, 200, { ETag: await taskETag(task) })
      }
    )
    .post(
      '/tasks/:task_id/comments',
      describe(
        'tasks',
        'Add a comment to a task',
        { status: 201, schema: CommentSchema, description: 'The new comment' },
        [400, 404, 409, 413, 415, 422],
        ['Idempotency-Key']
      ),
      requireJson,
      jsonBody(CreateCommentSchema),
      async (c) => c.json(await addComment(db, c.req.param('task_id'), c.req.valid('json')), 201)
    )
    .get(
      '/tasks/:task_id/runs',
      describe(
        'tasks',
        "List a task's agent runs, oldest first",
        { status: 200, schema: v.array(AgentRunSchema), description: 'The runs' },
        [404]
      ),
      async (c) => c.json(await listAgentRuns(db, c.req.param('task_id')), 200)
    )
}
