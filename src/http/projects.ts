import { Hono } from 'hono'

import { cancelProject, createProject, getProjectDetail, listProjects } from '../db/projects.js'
import { createTask, listProjectTasks } from '../db/tasks.js'
import {
  CreateProjectSchema,
  CreateTaskSchema,
  CreatedProjectSchema,
  ProjectDetailSchema,
  ProjectSchema,
  TaskBoardSchema,
  TaskSchema,
} from '../domain/schemas.js'
import { groupByStatus } from '../domain/task-board.js'
import type { AppDeps } from './deps.js'
import { describe, jsonBody } from './openapi.js'
import { requireJson } from './middleware.js'
import * as v from 'valibot'

/** Routes under `/projects`. */
export function projectRoutes({ db }: AppDeps) {
  return new Hono()
    .post(
      '/projects',
      describe(
        'projects',
        'Create a project and its root planning task',
        { status: 201, schema: CreatedProjectSchema, description: 'The project and its root task' },
        [400, 409, 413, 415, 422],
        ['Idempotency-Key']
      ),
      requireJson,
      jsonBody(CreateProjectSchema),
      async (c) => c.json(await createProject(db, c.req.valid('json')), 201)
    )
    .get(
      '/projects',
      describe(
        'projects',
        'List projects, newest first',
        { status: 200, schema: v.array(ProjectSchema), description: 'Every project' },
        []
      ),
      async (c) => c.json(await listProjects(db), 200)
    )
    .get(
      '/projects/:project_id',
      describe(
        'projects',
        'Get a project with its task counts by status',
        { status: 200, schema: ProjectDetailSchema, description: 'The project' },
        [404]
      ),
      async (c) => c.json(await getProjectDetail(db, c.req.param('project_id')), 200)
    )
    .delete(
      '/projects/:project_id',
      describe(
        'projects',
        'Cancel a project and its open tasks (a second call changes nothing)',
        { status: 200, schema: ProjectSchema, description: 'The cancelled project' },
        [404]
      ),
      async (c) => c.json(await cancelProject(db, c.req.param('project_id')), 200)
    )
    .post(
      '/projects/:project_id/tasks',
      describe(
        'tasks',
        'Create a task in a project',
        { status: 201, schema: TaskSchema, description: 'The new task, in backlog' },
        [400, 404, 409, 413, 415, 422],
        ['Idempotency-Key']
      ),
      requireJson,
      jsonBody(CreateTaskSchema),
      async (c) => {
        const task = await createTask(db, c.req.param('project_id'), c.req.valid('json'))
        return c.json(task, 201)
      }
    )
    .get(
      '/projects/:project_id/tasks',
      describe(
        'tasks',
        "List a project's tasks grouped by status, oldest first in each",
        { status: 200, schema: TaskBoardSchema, description: 'One list per status' },
        [404]
      ),
      async (c) => {
        const tasks = await listProjectTasks(db, c.req.param('project_id'))
        return c.json(groupByStatus(tasks), 200)
      }
    )
}
