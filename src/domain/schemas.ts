import * as v from 'valibot'

import {
  MAX_PROJECT_TITLE_LENGTH,
  MAX_SUBTASKS,
  MAX_TEXT_LENGTH,
  MAX_TITLE_LENGTH,
} from './limits.js'
import { AUTHOR_ROLES, PHASES, PROJECT_STATUSES, TASK_STATUSES, formatList } from './vocabulary.js'

// Input schemas: what a client may send. Their messages name the field, so
// that one issue becomes one readable `detail` (see `validate.ts`).

function describeType(input: unknown): string {
  return input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input
}

function stringOf(field: string) {
  return v.string((issue) =>
    issue.input === undefined
      ? `${field} is required`
      : `${field} must be a string, got ${describeType(issue.input)}`
  )
}

const BODY_MESSAGE = 'The request body must be a JSON object'

// valibot reports a missing key with the message of the object, not of the
// key's schema: ask the key's schema what it says about `undefined`, so that
// a missing field reads "title is required" instead of blaming the body.
function objectMessage(entries: v.ObjectEntries, message: string) {
  return (issue: v.BaseIssue<unknown>): string => {
    const segment = issue.path?.[0]
    if (!segment || Array.isArray(segment.input) || typeof segment.key !== 'string') {
      return message
    }
    const entry = entries[segment.key]
    return (entry && v.safeParse(entry, undefined).issues?.[0].message) ?? message
  }
}

/**
 * `v.object` whose refusal of a missing key quotes that key's own message
 * ("title is required"); `message` is for input that is not an object.
 */
export function objectOf<const E extends v.ObjectEntries>(entries: E, message: string) {
  return v.object(entries, objectMessage(entries, message))
}

// libSQL's local driver reads a TEXT value only up to its first NUL
// character, so text holding one would come back cut short: refuse it.
function storableText(field: string) {
  return v.check(
    (value: string) => !value.includes('\u0000'),
    `${field} must not contain the NUL character (U+0000)`
  )
}

function requiredText(field: string, max: number) {
  return v.pipe(
    stringOf(field),
    v.check((value) => value.trim() !== '', `${field} must not be empty`),
    v.maxLength(max, `${field} must be at most ${String(max)} characters`),
    v.check((value) => value.isWellFormed(), `${field} must be valid Unicode (no lone surrogates)`),
    storableText(field)
  )
}

function optionalText(field: string, max: number) {
  return v.pipe(
    stringOf(field),
    v.maxLength(max, `${field} must be at most ${String(max)} characters`),
    v.check((value) => value.isWellFormed(), `${field} must be valid Unicode (no lone surrogates)`),
    storableText(field)
  )
}

function oneOf<const T extends readonly [string, ...string[]]>(field: string, options: T) {
  return v.picklist(options, (issue) =>
    issue.input === undefined
      ? `${field} is required: one of ${formatList(options)}`
      : `${field} must be one of ${formatList(options)}, got ${JSON.stringify(issue.input)}`
  )
}

/** A required id argument (a UUID in practice) whose messages name `field`. */
export const idSchema = (field: string) => requiredText(field, 100)

const TitleSchema = requiredText('title', MAX_TITLE_LENGTH)
const DescriptionSchema = optionalText('description', MAX_TEXT_LENGTH)

export const TaskStatusSchema = oneOf('status', TASK_STATUSES)
export const PhaseSchema = oneOf('phase', PHASES)
export const AuthorRoleSchema = oneOf('author_role', AUTHOR_ROLES)

/** Body of `POST /projects` and the `create_project` tool. */
export const CreateProjectSchema = objectOf(
  {
    title: requiredText('title', MAX_PROJECT_TITLE_LENGTH),
    description: v.optional(DescriptionSchema, ''),
  },
  BODY_MESSAGE
)
export type CreateProject = v.InferOutput<typeof CreateProjectSchema>

/** Body of `POST /projects/{project_id}/tasks`. */
export const CreateTaskSchema = objectOf(
  {
    title: TitleSchema,
    phase: PhaseSchema,
    description: v.optional(DescriptionSchema, ''),
    parent_task_id: v.optional(v.nullable(idSchema('parent_task_id'))),
  },
  BODY_MESSAGE
)
export type CreateTask = v.InferOutput<typeof CreateTaskSchema>

/** One subtask of the `create_subtasks` tool. */
export const SubtaskSchema = objectOf(
  {
    title: TitleSchema,
    phase: PhaseSchema,
    description: v.optional(DescriptionSchema, ''),
  },
  'each task must be an object {title, phase, description?}'
)

/** Arguments of the `create_subtasks` tool: all are created or none. */
export const CreateSubtasksSchema = objectOf(
  {
    parent_task_id: idSchema('parent_task_id'),
    tasks: v.pipe(
      v.array(SubtaskSchema, 'tasks must be a list of {title, phase, description?} objects'),
      v.minLength(1, 'tasks must hold at least one task'),
      v.maxLength(MAX_SUBTASKS, `tasks must hold at most ${String(MAX_SUBTASKS)} tasks`)
    ),
  },
  BODY_MESSAGE
)
export type CreateSubtasks = v.InferOutput<typeof CreateSubtasksSchema>

/** Body of `PATCH /tasks/{task_id}`: any of the three fields, at least one. */
export const UpdateTaskSchema = v.pipe(
  objectOf(
    {
      status: v.optional(TaskStatusSchema),
      title: v.optional(TitleSchema),
      description: v.optional(DescriptionSchema),
    },
    BODY_MESSAGE
  ),
  v.check(
    (body) =>
      body.status !== undefined || body.title !== undefined || body.description !== undefined,
    'Nothing to update: give at least one of status, title, description'
  )
)
export type UpdateTask = v.InferOutput<typeof UpdateTaskSchema>

/** Body of `POST /tasks/{task_id}/comments`. */
export const CreateCommentSchema = objectOf(
  {
    content: requiredText('content', MAX_TEXT_LENGTH),
    author_role: AuthorRoleSchema,
  },
  BODY_MESSAGE
)
export type CreateComment = v.InferOutput<typeof CreateCommentSchema>

// Output schemas: what the API returns. They document responses in
// `/openapi.json` and give the row types to every layer.

const Timestamp = v.pipe(v.string(), v.description('ISO 8601 UTC timestamp'))
const Id = v.pipe(v.string(), v.description('UUID'))

export const ProjectSchema = v.object({
  id: Id,
  title: v.string(),
  description: v.nullable(v.string()),
  status: v.picklist(PROJECT_STATUSES),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Project = v.InferOutput<typeof ProjectSchema>

export const TaskSchema = v.object({
  id: Id,
  project_id: Id,
  parent_task_id: v.nullable(Id),
  title: v.string(),
  description: v.nullable(v.string()),
  phase: v.picklist(PHASES),
  status: v.picklist(TASK_STATUSES),
  branch: v.nullable(v.string()),
  worktree_path: v.nullable(v.string()),
  session_id: v.nullable(v.string()),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Task = v.InferOutput<typeof TaskSchema>

export const CommentSchema = v.object({
  id: Id,
  task_id: Id,
  author_role: v.picklist(AUTHOR_ROLES),
  content: v.string(),
  created_at: Timestamp,
})
export type Comment = v.InferOutput<typeof CommentSchema>

export const AgentRunSchema = v.object({
  id: Id,
  task_id: Id,
  phase: v.picklist(PHASES),
  started_at: Timestamp,
  completed_at: v.nullable(Timestamp),
  exit_code: v.nullable(v.number()),
  error: v.nullable(v.string()),
})
export type AgentRun = v.InferOutput<typeof AgentRunSchema>

const countsByStatus = v.object({
  backlog: v.number(),
  in_progress: v.number(),
  in_review: v.number(),
  done: v.number(),
  cancelled: v.number(),
})
export type TaskCounts = v.InferOutput<typeof countsByStatus>

export const ProjectDetailSchema = v.object({ ...ProjectSchema.entries, tasks: countsByStatus })
export type ProjectDetail = v.InferOutput<typeof ProjectDetailSchema>

export const CreatedProjectSchema = v.object({ project: ProjectSchema, task: TaskSchema })
export type CreatedProject = v.InferOutput<typeof CreatedProjectSchema>

export const TaskDetailSchema = v.object({
  ...TaskSchema.entries,
  comments: v.array(CommentSchema),
})
export type TaskDetail = v.InferOutput<typeof TaskDetailSchema>

const column = v.array(TaskSchema)
export const TaskBoardSchema = v.object({
  backlog: column,
  in_progress: column,
  in_review: column,
  done: column,
  cancelled: column,
})
export type TaskBoard = v.InferOutput<typeof TaskBoardSchema>

export const ErrorSchema = v.object({
  detail: v.string(),
})
