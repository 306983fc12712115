// The package's public surface: what a TypeScript client (such as the web
// UI) imports. Node-only code is not exported from here.
export { createApp, type AppOptions, type AppType } from './http/app.js'
export type { BoardEvent, EventType } from './domain/events.js'
export { EVENT_TYPES } from './domain/events.js'
export type {
  AgentRun,
  Comment,
  CreateComment,
  CreateProject,
  CreateTask,
  CreatedProject,
  Project,
  ProjectDetail,
  Task,
  TaskBoard,
  TaskCounts,
  TaskDetail,
  UpdateTask,
} from './domain/schemas.js'
export { checkTransition, validNextStates, isTerminal } from './domain/task-status.js'
export { AUTHOR_ROLES, PHASES, TASK_STATUSES, type TaskStatus } from './domain/vocabulary.js'
