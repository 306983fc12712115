import type { Client } from '@libsql/client'

import type { AgentRun } from '../domain/schemas.js'
import { AGENT_RUN_COLUMNS, rowsToObjects, selectList } from './rows.js'
import { getTask } from './tasks.js'

/**
 * A task's agent runs (written by the agent runner), oldest first.
 *
 * @throws {RelayError} `not_found` when no task has that id.
 */
export async function listAgentRuns(db: Client, taskId: string): Promise<AgentRun[]> {
  await getTask(db, taskId)
  const result = await db.execute({
    sql: `SELECT ${selectList(AGENT_RUN_COLUMNS, 'r')} FROM agent_runs r
          WHERE r.task_id = ? ORDER BY r.started_at, r.rowid`,
    args: [taskId],
  })
  return rowsToObjects<AgentRun>(result, AGENT_RUN_COLUMNS)
}
