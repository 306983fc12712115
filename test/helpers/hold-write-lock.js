// Holds the write lock of a database file from another process, as a Python
// writer in the middle of a transaction would: prints "locked" once it holds
// it, commits after HOLD_MS, then exits.
//
//   node hold-write-lock.js DB_PATH HOLD_MS
import process from 'node:process'
import { setTimeout } from 'node:timers/promises'

import { createClient } from '@libsql/client'

const [dbPath, holdMs] = process.argv.slice(2)
const db = createClient({ url: `file:${dbPath}` })
try {
  const transaction = await db.transaction('write')
  await transaction.execute("UPDATE projects SET title = title || ''")
  process.stdout.write('locked\n')
  await setTimeout(Number(holdMs))
  await transaction.commit()
} finally {
  db.close()
}
