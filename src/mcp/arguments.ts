import * as v from 'valibot'

import {
  CreateCommentSchema,
  CreateProjectSchema,
  CreateSubtasksSchema,
  CreateTaskSchema,
  PhaseSchema,
  TaskStatusSchema,
  idSchema,
  objectOf,
} from '../domain/schemas.js'

// The arguments of each MCP tool, built from the schemas the HTTP layer
// validates with, so both edges accept and refuse the same input. The
// descriptions end up in the JSON Schema a model reads before calling.

const ARGUMENTS_MESSAGE = 'The tool arguments must be a JSON object'

function described<S extends v.GenericSchema>(schema: S, description: string) {
  return v.pipe(schema, v.description(description))
}

const taskId = described(idSchema('task_id'), 'Id of the task (a UUID)')
const projectId = described(idSchema('project_id'), 'Id of the project (a UUID)')
const phase = described(
  PhaseSchema,
  'The agent role the task is for: planner, coder, reviewer or orchestrator'
)
const title = described(CreateTaskSchema.entries.title, 'Short title, at most 500 characters')
const description = described(
  CreateTaskSchema.entries.description,
  'What to do and how to tell it is done (Markdown); empty by default'
)

export const CreateProjectArgsSchema = objectOf(
  {
    title: described(CreateProjectSchema.entries.title, 'Name of the project'),
    description: described(
      CreateProjectSchema.entries.description,
      'What the project should achieve; becomes the description of its root planning task'
    ),
  },
  ARGUMENTS_MESSAGE
)

export const GetBoardArgsSchema = objectOf({ project_id: projectId }, ARGUMENTS_MESSAGE)

export const GetTaskArgsSchema = objectOf({ task_id: taskId }, ARGUMENTS_MESSAGE)

const myTasksProject = v.optional(
  described(idSchema('project_id'), 'Only tasks of this project; default: every project')
)

/** `get_my_tasks` of a server started without `--task-id`: the phase is required. */
export const GetMyTasksArgsSchema = objectOf(
  { phase, project_id: myTasksProject },
  ARGUMENTS_MESSAGE
)

/** `get_my_tasks` of a server started with `--task-id`: the phase defaults to that task's. */
export const GetMyTasksDefaultedArgsSchema = objectOf(
  {
    phase: v.optional(
      described(PhaseSchema, "The agent role to list tasks for; default: your own task's phase")
    ),
    project_id: myTasksProject,
  },
  ARGUMENTS_MESSAGE
)

export const CreateTaskArgsSchema = objectOf(
  {
    title,
    description,
    phase,
    project_id: projectId,
    parent_task_id: v.optional(
      described(
        v.nullable(idSchema('parent_task_id')),
        'The task this one is part of (same project); default: none'
      )
    ),
  },
  ARGUMENTS_MESSAGE
)

export const CreateSubtasksArgsSchema = objectOf(
  {
    parent_task_id: described(
      CreateSubtasksSchema.entries.parent_task_id,
      'The task being split; the new tasks join its project'
    ),
    tasks: described(
      CreateSubtasksSchema.entries.tasks,
      'The subtasks, 1 to 100, each {title, phase, description?}: created all together or not at all'
    ),
  },
  ARGUMENTS_MESSAGE
)

export const UpdateTaskStatusArgsSchema = objectOf(
  {
    task_id: taskId,
    status: described(
      TaskStatusSchema,
      'The new status. Legal moves: backlog → in_progress | cancelled; ' +
        'in_progress → in_review | cancelled; in_review → in_progress | done | cancelled'
    ),
  },
  ARGUMENTS_MESSAGE
)

export const AddCommentArgsSchema = objectOf(
  {
    task_id: taskId,
    content: described(CreateCommentSchema.entries.content, 'The comment (Markdown)'),
    author_role: described(
      CreateCommentSchema.entries.author_role,
      'Who writes it: planner, coder, reviewer, orchestrator or human'
    ),
  },
  ARGUMENTS_MESSAGE
)

export const CompleteTaskArgsSchema = objectOf({ task_id: taskId }, ARGUMENTS_MESSAGE)

/** Longest `wait_for_events` wait, in seconds: under the 60 s MCP clients wait by default. */
export const MAX_WAIT_SECONDS = 55

/** `wait_for_events` waits this long when no `timeout_s` is given, in seconds. */
export const DEFAULT_WAIT_SECONDS = 30

export const WaitForEventsArgsSchema = objectOf(
  {
    since: v.optional(
      described(
        v.pipe(
          v.number('since must be a number (an event seq)'),
          v.integer('since must be a whole number (an event seq)'),
          v.minValue(0, 'since must be 0 or more')
        ),
        'Return events after this position (the next_since of the previous call); ' +
          'default: only events from now on'
      )
    ),
    project_id: v.optional(
      described(idSchema('project_id'), 'Only events of this project; default: every project')
    ),
    timeout_s: v.optional(
      described(
        v.pipe(
          v.number('timeout_s must be a number of seconds'),
          v.minValue(0, 'timeout_s must be 0 or more'),
          v.maxValue(MAX_WAIT_SECONDS, `timeout_s must be at most ${String(MAX_WAIT_SECONDS)}`)
        ),
        `How long to wait for the first event, in seconds (0 to ${String(MAX_WAIT_SECONDS)}); ` +
          `0 returns at once`
      ),
      DEFAULT_WAIT_SECONDS
    ),
  },
  ARGUMENTS_MESSAGE
)
