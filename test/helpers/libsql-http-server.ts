import { randomBytes } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import {
  type Client,
  type InArgs,
  type InValue,
  type ResultSet,
  type Transaction,
  type TransactionMode,
  createClient,
} from '@libsql/client'

// A test-only libSQL server: the Hrana-over-HTTP protocol that
// `@libsql/client/web` speaks (JSON pipelines on /v2 and /v3), in front of a
// real database file opened with `@libsql/client`. No sqld can be installed
// on our machines (see ../shared/TOOLCHAIN.md), so the Worker's tests reach
// their database through this.
//
// Honest where it matters: every statement runs as real SQL on the file, and
// a stream that sends BEGIN holds one connection of its own (a libSQL
// transaction) until COMMIT or ROLLBACK, so a batch's `changes()` guards and
// its atomicity are SQLite's own. Outside a transaction each statement runs
// on a pooled connection in autocommit mode, as on sqld.
//
// Not implemented: the protobuf encoding (`/v3-protobuf`, which the client
// only tries when asked for protocol 3), cursors, and a transaction begun by
// SAVEPOINT outside BEGIN (it is rolled back when the statement ends).

/** A running server. */
export interface LibsqlHttpServer {
  /** `http://127.0.0.1:<port>`, what `createClient` from `@libsql/client/web` is given. */
  url: string
  /** How many pipeline requests were answered, for tests that check traffic went through. */
  readonly pipelineCount: number
  /** How many streams are open (a transaction in progress holds one). */
  readonly openStreams: number
  close(): Promise<void>
}

export interface LibsqlHttpServerOptions {
  /** The database file. */
  path: string
  /** When set, every request must carry `Authorization: Bearer <authToken>`. */
  authToken?: string
  /** A stream unused this long is closed and its transaction rolled back, in ms. Default 10 s, as sqld. */
  streamIdleMs?: number
}

// The protocol's JSON shapes (see @libsql/hrana-client's shared/proto.d.ts).
type ProtoValue =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string }

interface ProtoStmt {
  sql?: string
  sql_id?: number
  args?: ProtoValue[]
  named_args?: { name: string; value: ProtoValue }[]
  want_rows?: boolean
}

type ProtoCond =
  | { type: 'ok' | 'error'; step: number }
  | { type: 'not'; cond: ProtoCond }
  | { type: 'and' | 'or'; conds: ProtoCond[] }
  | { type: 'is_autocommit' }

interface ProtoStmtResult {
  cols: { name: string | null; decltype: string | null }[]
  rows: ProtoValue[][]
  affected_row_count: number
  last_insert_rowid: string | null
}

interface ProtoError {
  message: string
  code: string | null
}

type StreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: ProtoStmt }
  | { type: 'batch'; batch: { steps: { condition?: ProtoCond | null; stmt: ProtoStmt }[] } }
  | { type: 'sequence'; sql?: string; sql_id?: number }
  | { type: 'describe'; sql?: string; sql_id?: number }
  | { type: 'store_sql'; sql_id: number; sql: string }
  | { type: 'close_sql'; sql_id: number }
  | { type: 'get_autocommit' }

/** A refusal reported to the client as a Hrana error. */
class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string
  ) {
    super(message)
  }
}

/** One Hrana stream: its stored SQL texts and, inside BEGIN … COMMIT, its own connection. */
class Stream {
  readonly sqls = new Map<number, string>()
  transaction: Transaction | null = null
  idleTimer: NodeJS.Timeout | undefined

  constructor(readonly db: Client) {}

  get isAutocommit(): boolean {
    return this.transaction === null || this.transaction.closed
  }

  sqlOf(source: { sql?: string; sql_id?: number }): string {
    if (source.sql !== undefined) {
      return source.sql
    }
    const stored = source.sql_id === undefined ? undefined : this.sqls.get(source.sql_id)
    if (stored === undefined) {
      throw new HranaError(`No SQL text stored as sql_id ${String(source.sql_id)}`, 'SQL_NOT_FOUND')
    }
    return stored
  }

  async execute(stmt: ProtoStmt): Promise<ProtoStmtResult> {
    const sql = this.sqlOf(stmt)
    const args = argsOf(stmt)
    this.#settle()

    if (this.transaction) {
      try {
        return encodeResult(await this.transaction.execute({ sql, args }), stmt.want_rows)
      } finally {
        // COMMIT, ROLLBACK or an error that made SQLite roll back.
        this.#settle()
      }
    }
    const mode = beginModeOf(sql)
    if (mode) {
      this.transaction = await this.db.transaction(mode)
      return { cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null }
    }
    return encodeResult(await this.db.execute({ sql, args }), stmt.want_rows)
  }

  async batch(steps: { condition?: ProtoCond | null; stmt: ProtoStmt }[]) {
    const results: (ProtoStmtResult | null)[] = []
    const errors: (ProtoError | null)[] = []
    for (const step of steps) {
      if (step.condition && !this.#holds(step.condition, results, errors)) {
        results.push(null)
        errors.push(null)
        continue
      }
      try {
        results.push(await this.execute(step.stmt))
        errors.push(null)
      } catch (error) {
        results.push(null)
        errors.push(protoErrorOf(error))
      }
    }
    return { step_results: results, step_errors: errors }
  }

  async sequence(sql: string): Promise<void> {
    this.#settle()
    await (this.transaction ?? this.db).executeMultiple(sql)
    this.#settle()
  }

  // Parameters and read-only-ness come from the statement's compiled program
  // (EXPLAIN never runs it); its columns from running it in a savepoint or
  // transaction that is rolled back.
  async describe(sql: string) {
    this.#settle()
    const runner = this.transaction ?? this.db
    const program = await runner.execute(`EXPLAIN ${sql}`)
    const params: ({ name: string | null } | undefined)[] = []
    let isReadonly = true
    for (const op of program.rows) {
      if (op.opcode === 'Variable') {
        params[Number(op.p1) - 1] = { name: typeof op.p4 === 'string' ? op.p4 : null }
      }
      if (op.opcode === 'Transaction' && Number(op.p2) !== 0) {
        isReadonly = false
      }
    }
    const filled = Array.from(params, (param) => param ?? { name: null })
    return {
      params: filled,
      cols: await this.#dryRunColumns(sql, filled),
      is_explain: /^\s*EXPLAIN\b/i.test(sql),
      is_readonly: isReadonly,
    }
  }

  async #dryRunColumns(sql: string, params: { name: string | null }[]) {
    const named = params.every((param) => param.name !== null && !param.name.startsWith('?'))
    const args: InArgs =
      named && params.length > 0
        ? Object.fromEntries(params.map((param) => [String(param.name), null]))
        : params.map(() => null)
    try {
      let result: ResultSet
      if (this.transaction) {
        await this.transaction.execute('SAVEPOINT hrana_describe')
        try {
          result = await this.transaction.execute({ sql, args })
        } finally {
          await this.transaction.execute('ROLLBACK TO hrana_describe')
          await this.transaction.execute('RELEASE hrana_describe')
        }
      } else {
        const transaction = await this.db.transaction('deferred')
        try {
          result = await transaction.execute({ sql, args })
        } finally {
          await transaction.rollback()
        }
      }
      return result.columns.map((name, i) => ({ name, decltype: result.columnTypes[i] || null }))
    } catch {
      return []
    }
  }

  close(): void {
    clearTimeout(this.idleTimer)
    this.transaction?.close()
    this.transaction = null
  }

  // Gives the connection back once its transaction has ended, however it ended.
  #settle(): void {
    if (this.transaction?.closed) {
      this.transaction.close()
      this.transaction = null
    }
  }

  #holds(
    cond: ProtoCond,
    results: (ProtoStmtResult | null)[],
    errors: (ProtoError | null)[]
  ): boolean {
    switch (cond.type) {
      case 'ok':
        return results[cond.step] != null
      case 'error':
        return errors[cond.step] != null
      case 'not':
        return !this.#holds(cond.cond, results, errors)
      case 'and':
        return cond.conds.every((c) => this.#holds(c, results, errors))
      case 'or':
        return cond.conds.some((c) => this.#holds(c, results, errors))
      case 'is_autocommit':
        this.#settle()
        return this.isAutocommit
    }
  }
}

const BEGIN =
  /^\s*BEGIN(?:\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?(\s+READONLY)?\s*;?\s*$/i

// The client sends BEGIN DEFERRED, BEGIN IMMEDIATE or BEGIN TRANSACTION
// READONLY; each becomes the libSQL transaction of that mode, which runs the
// same statement on a connection held for the stream.
function beginModeOf(sql: string): TransactionMode | null {
  const match = BEGIN.exec(sql)
  if (!match) {
    return null
  }
  if (match[2]) {
    return 'read'
  }
  const kind = match[1]?.toUpperCase()
  return kind === 'IMMEDIATE' || kind === 'EXCLUSIVE' ? 'write' : 'deferred'
}

function decodeValue(value: ProtoValue): InValue {
  switch (value.type) {
    case 'null':
      return null
    case 'integer':
      return BigInt(value.value)
    case 'float':
      return value.value
    case 'text':
      return value.value
    case 'blob':
      return new Uint8Array(Buffer.from(value.base64, 'base64'))
  }
}

function encodeValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) {
    return { type: 'null' }
  }
  if (typeof value === 'bigint') {
    return { type: 'integer', value: value.toString() }
  }
  if (typeof value === 'number') {
    return { type: 'float', value }
  }
  if (typeof value === 'string') {
    return { type: 'text', value }
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes =
      value instanceof ArrayBuffer
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return { type: 'blob', base64: bytes.toString('base64') }
  }
  throw new HranaError(`Cannot encode a ${typeof value} value`, 'INTERNAL')
}

function argsOf(stmt: ProtoStmt): InArgs {
  const named = stmt.named_args ?? []
  const positional = stmt.args ?? []
  if (named.length > 0 && positional.length > 0) {
    throw new HranaError(
      'This test server takes positional or named arguments, not both',
      'ARGS_INVALID'
    )
  }
  if (named.length > 0) {
    return Object.fromEntries(named.map((arg) => [arg.name, decodeValue(arg.value)]))
  }
  return positional.map(decodeValue)
}

function encodeResult(result: ResultSet, wantRows = true): ProtoStmtResult {
  return {
    cols: result.columns.map((name, i) => ({ name, decltype: result.columnTypes[i] || null })),
    rows: wantRows
      ? result.rows.map((row) => result.columns.map((_, i) => encodeValue(row[i])))
      : [],
    affected_row_count: result.rowsAffected,
    last_insert_rowid:
      result.lastInsertRowid === undefined ? null : result.lastInsertRowid.toString(),
  }
}

function protoErrorOf(error: unknown): ProtoError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return { message: error.message, code: typeof code === 'string' ? code : null }
  }
  return { message: String(error), code: null }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
  })
  response.end(text)
}

/**
 * Starts the server on a free loopback port, over the database file at
 * `options.path` (created if missing). Close it with `close()`.
 */
export async function startLibsqlHttpServer(
  options: LibsqlHttpServerOptions
): Promise<LibsqlHttpServer> {
  const db = createClient({ url: `file:${options.path}`, intMode: 'bigint', timeout: 5000 })
  const streams = new Map<string, Stream>()
  const idleMs = options.streamIdleMs ?? 10_000
  let pipelineCount = 0

  function park(stream: Stream): string {
    const baton = randomBytes(16).toString('hex')
    streams.set(baton, stream)
    stream.idleTimer = setTimeout(() => {
      streams.delete(baton)
      stream.close()
    }, idleMs)
    return baton
  }

  async function handleRequest(stream: Stream, request: StreamRequest) {
    switch (request.type) {
      case 'execute':
        return { type: 'execute', result: await stream.execute(request.stmt) }
      case 'batch':
        return { type: 'batch', result: await stream.batch(request.batch.steps) }
      case 'sequence':
        await stream.sequence(stream.sqlOf(request))
        return { type: 'sequence' }
      case 'describe':
        return { type: 'describe', result: await stream.describe(stream.sqlOf(request)) }
      case 'store_sql':
        stream.sqls.set(request.sql_id, request.sql)
        return { type: 'store_sql' }
      case 'close_sql':
        stream.sqls.delete(request.sql_id)
        return { type: 'close_sql' }
      case 'get_autocommit':
        return { type: 'get_autocommit', is_autocommit: stream.isAutocommit }
      case 'close':
        stream.close()
        return { type: 'close' }
    }
  }

  async function pipeline(body: { baton?: string | null; requests: StreamRequest[] }) {
    let stream: Stream
    if (body.baton) {
      const found = streams.get(body.baton)
      if (!found) {
        throw new HranaError('The stream has expired or its baton is stale', 'STREAM_EXPIRED')
      }
      streams.delete(body.baton)
      clearTimeout(found.idleTimer)
      stream = found
    } else {
      stream = new Stream(db)
    }

    const results = []
    let isClosed = false
    for (const request of body.requests) {
      if (isClosed) {
        results.push({ type: 'error', error: { message: 'Stream is closed', code: 'CLOSED' } })
        continue
      }
      try {
        results.push({ type: 'ok', response: await handleRequest(stream, request) })
      } catch (error) {
        results.push({ type: 'error', error: protoErrorOf(error) })
      }
      isClosed = request.type === 'close'
    }
    pipelineCount++
    return { baton: isClosed ? null : park(stream), base_url: null, results }
  }

  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      if (request.method === 'GET' && ['/', '/health', '/v2', '/v3'].includes(path)) {
        reply(response, 200, 'ok')
        return
      }
      if (request.method !== 'POST' || !['/v2/pipeline', '/v3/pipeline'].includes(path)) {
        reply(response, 404, `No ${String(request.method)} ${path} here`)
        return
      }
      if (
        options.authToken !== undefined &&
        request.headers.authorization !== `Bearer ${options.authToken}`
      ) {
        reply(response, 401, { message: 'Authentication required', code: 'AUTH_FAILED' })
        return
      }
      let body: { baton?: string | null; requests: StreamRequest[] }
      try {
        body = JSON.parse(await readBody(request)) as typeof body
      } catch {
        reply(response, 400, 'The body is not JSON')
        return
      }
      try {
        reply(response, 200, await pipeline(body))
      } catch (error) {
        reply(response, 400, protoErrorOf(error))
      }
    })()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${String(port)}`,
    get pipelineCount() {
      return pipelineCount
    },
    get openStreams() {
      return streams.size
    },
    close: async () => {
      for (const stream of streams.values()) {
        stream.close()
      }
      streams.clear()
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        server.closeAllConnections()
      })
      db.close()
    },
  }
}
