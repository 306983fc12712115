// A writer process of its own, as an agent's MCP server would be: the built
// package's app over its own libSQL client (5 s busy timeout, as `vibe-relay`
// opens it), adding COUNT comments to a task one after another. Prints one
// JSON line: the ids it got a 201 for, and every refusal or error it met.
//
//   node writer.js DB_PATH TASK_ID COUNT LABEL
import process from 'node:process'
import { pathToFileURL } from 'node:url'

import { createClient } from '@libsql/client'

import { createApp } from '../../dist/index.js'

const [dbPath, taskId, count, label] = process.argv.slice(2)
const db = createClient({ url: pathToFileURL(dbPath).href, timeout: 5000 })
const app = createApp({ db })

const ids = []
const failures = []
for (let i = 0; i < Number(count); i++) {
  try {
    const response = await app.request(`/tasks/${taskId}/comments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: `${label} ${String(i)}`, author_role: 'coder' }),
    })
    const body = await response.json()
    if (response.status === 201) {
      ids.push(body.id)
    } else {
      failures.push(`${String(response.status)} ${body.detail}`)
    }
  } catch (error) {
    failures.push(String(error))
  }
}
db.close()
process.stdout.write(`${JSON.stringify({ ids, failures })}\n`)
