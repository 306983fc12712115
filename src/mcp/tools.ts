import type { Client } from '@libsql/client'
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import type * as v from 'valibot'

import { addComment } from '../db/comments.js'
import { createProject, getProjectDetail } from '../db/projects.js'
import {
  createSubtasks,
  createTask,
  findTask,
  getTaskDetail,
  listActiveTasks,
  listTasksWithCommentCounts,
} from '../db/tasks.js'
import { completeTask, updateTask } from '../db/task-changes.js'
import { RelayError } from '../domain/errors.js'
import { parseInput } from '../domain/validate.js'
import type { Phase } from '../domain/vocabulary.js'
import {
  AddCommentArgsSchema,
  CompleteTaskArgsSchema,
  CreateProjectArgsSchema,
  CreateSubtasksArgsSchema,
  CreateTaskArgsSchema,
  GetBoardArgsSchema,
  GetMyTasksArgsSchema,
  GetMyTasksDefaultedArgsSchema,
  GetTaskArgsSchema,
  UpdateTaskStatusArgsSchema,
  WaitForEventsArgsSchema,
} from './arguments.js'
import { type Sleep, waitForEvents } from './wait-for-events.js'

/** What a tool call runs with. */
export interface ToolContext {
  db: Client
  /** The task of `--task-id`: `get_my_tasks` defaults to its phase. */
  taskId?: string | undefined
  sleep: Sleep
  /** Aborted when the client cancels the call. */
  signal?: AbortSignal | undefined
}

/** One board tool: its MCP description and what a call does. */
export interface Tool {
  name: string
  description: string
  annotations: ToolAnnotations
  /** The arguments; their JSON Schema is what `tools/list` shows. */
  schema: v.GenericSchema
  /**
   * Validates the raw arguments and runs the tool; returns what the result
   * text carries.
   *
   * @throws {RelayError} for a refusal: bad arguments, a missing row, an
   *   illegal move.
   */
  call(context: ToolContext, args: unknown): Promise<unknown>
}

function defineTool<S extends v.GenericSchema>(tool: {
  name: string
  description: string
  annotations: ToolAnnotations
  schema: S
  run: (context: ToolContext, args: v.InferOutput<S>) => Promise<unknown>
}): Tool {
  const { run, ...rest } = tool
  return { ...rest, call: (context, args) => run(context, parseInput(tool.schema, args)) }
}

const READ = { readOnlyHint: true, openWorldHint: false } as const
const WRITE = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const

async function phaseOfOwnTask(context: ToolContext): Promise<Phase> {
  const task = context.taskId === undefined ? null : await findTask(context.db, context.taskId)
  if (!task) {
    throw new RelayError(
      'not_found',
      `This server was started with --task-id '${String(context.taskId)}', ` +
        'but no task has that id; pass phase explicitly'
    )
  }
  return task.phase
}

/**
 * The board tools, with the names and arguments agents' prompts use. With
 * `hasOwnTask` (the server runs with `--task-id`), `get_my_tasks` may be
 * called without a phase.
 */
export function boardTools(options: { hasOwnTask: boolean }): Tool[] {
  return [
    defineTool({
      name: 'create_project',
      description:
        'Create a project. It starts with one root task, "Plan: <title>" (phase planner, ' +
        'status backlog). Returns {project, task}.',
      annotations: WRITE,
      schema: CreateProjectArgsSchema,
      run: ({ db }, args) => createProject(db, args),
    }),
    defineTool({
      name: 'get_board',
      description:
        'Read a project: {project, tasks}. project has its task counts by status; tasks lists ' +
        'every task, oldest first, each with its comment_count.',
      annotations: READ,
      schema: GetBoardArgsSchema,
      run: async ({ db }, args) => ({
        project: await getProjectDetail(db, args.project_id),
        tasks: await listTasksWithCommentCounts(db, args.project_id),
      }),
    }),
    defineTool({
      name: 'get_task',
      description: 'Read one task with its comments, oldest first.',
      annotations: READ,
      schema: GetTaskArgsSchema,
      run: ({ db }, args) => getTaskDetail(db, args.task_id),
    }),
    defineTool({
      name: 'get_my_tasks',
      description:
        'List the in_progress tasks of one phase (the tasks an agent of that role should work ' +
        'on now), oldest first, optionally of one project. Returns {phase, tasks}.' +
        (options.hasOwnTask ? " phase defaults to the phase of this server's own task." : ''),
      annotations: READ,
      schema: options.hasOwnTask ? GetMyTasksDefaultedArgsSchema : GetMyTasksArgsSchema,
      run: async (context, args) => {
        const phase = args.phase ?? (await phaseOfOwnTask(context))
        return { phase, tasks: await listActiveTasks(context.db, phase, args.project_id) }
      },
    }),
    defineTool({
      name: 'create_task',
      description:
        'Create a task in a project, in backlog. Give parent_task_id to make it part of a ' +
        'larger task. Returns the task.',
      annotations: WRITE,
      schema: CreateTaskArgsSchema,
      run: ({ db }, { project_id, ...task }) => createTask(db, project_id, task),
    }),
    defineTool({
      name: 'create_subtasks',
      description:
        'Split a task: create several tasks under it in one go, all in backlog. Either every ' +
        'subtask is created or none is. Returns {parent_task_id, tasks}.',
      annotations: WRITE,
      schema: CreateSubtasksArgsSchema,
      run: async ({ db }, args) => ({
        parent_task_id: args.parent_task_id,
        tasks: await createSubtasks(db, args),
      }),
    }),
    defineTool({
      name: 'update_task_status',
      description:
        'Move a task to another status. Only legal moves are made: backlog → in_progress | ' +
        'cancelled; in_progress → in_review | cancelled; in_review → in_progress | done | ' +
        'cancelled; done and cancelled are final. Finish a task with complete_task instead: ' +
        'moving it to done here does not trigger the orchestrator. ' +
        'Returns the task.',
      annotations: WRITE,
      schema: UpdateTaskStatusArgsSchema,
      run: ({ db }, args) => updateTask(db, args.task_id, { status: args.status }),
    }),
    defineTool({
      name: 'add_comment',
      description:
        'Comment on a task: progress notes, review findings, questions. Returns the comment.',
      annotations: WRITE,
      schema: AddCommentArgsSchema,
      run: ({ db }, { task_id, ...comment }) => addComment(db, task_id, comment),
    }),
    defineTool({
      name: 'complete_task',
      description:
        'Mark a task done (it must be in_review). Returns {task, siblings_complete, ' +
        'orchestrator_triggered}: siblings_complete tells whether every task under the same ' +
        'parent is now done or cancelled; if this call finished the last one, the orchestrator ' +
        'is triggered.',
      annotations: WRITE,
      schema: CompleteTaskArgsSchema,
      run: ({ db }, args) => completeTask(db, args.task_id),
    }),
    defineTool({
      name: 'wait_for_events',
      description:
        'Follow the board without polling it: returns {events, next_since}, the board events ' +
        'after position since (each {type, seq, project_id, payload} with the full object), ' +
        'waiting up to timeout_s seconds for the first one. Without since, only events from ' +
        'now on. Pass next_since as since in the next call; an empty events list means the ' +
        'wait timed out, unless resync_required is set: then since was not in the log ' +
        '(pruned, or from another board), so read the board again and go on from next_since.',
      annotations: READ,
      schema: WaitForEventsArgsSchema,
      run: ({ db, sleep, signal }, args) => waitForEvents(db, args, { sleep, signal }),
    }),
  ]
}
