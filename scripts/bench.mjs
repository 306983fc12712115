// Benchmark of the built server (`npm run bench`): starts dist/cli.js on a
// temporary database, seeds it through the API, measures throughput, event
// latency, fan-out, memory and cold start, and prints them beside the Python
// version's figures and the goals of issue 5. Everything runs on 127.0.0.1,
// and the temporary folder and every child process are removed on any exit.
//
// Run with `--writer <file-url>`, this file is instead the other process of
// the event-latency test: it writes to the database the way the Python MCP
// server does and reports each commit time over IPC.
import { Buffer } from 'node:buffer'
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process'
import console from 'node:console'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { clearTimeout, setTimeout } from 'node:timers'
import { URL, fileURLToPath, pathToFileURL } from 'node:url'

const SELF = fileURLToPath(import.meta.url)
const ROOT = dirname(dirname(SELF))
const CLI = join(ROOT, 'dist', 'cli.js')

const PROJECTS = 20
const TASKS_PER_PROJECT = 50
const COMMENTS_PER_TASK = 2
const SEED_CONCURRENCY = 16
const CONNECTIONS = 32
const LOAD_SECONDS = 5
const API_EVENTS = 200
const OTHER_EVENTS = 100
const OTHER_SPACING_MS = 50
const CLIENTS = 1000
const FANOUT_WRITES = 20
const COLD_STARTS = 5
const EVENT_TIMEOUT_MS = 3000
const DEADLINE_MS = 6 * 60_000
// The bench holds one descriptor per client and so does the server.
const NEEDED_FDS = 2 * CLIENTS + 500

const wallNow = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const progress = (line) => process.stderr.write(`bench: ${line}\n`)

// ---------------------------------------------------------------- the writer

async function runWriter(dbUrl) {
  const { createClient } = await import('@libsql/client')
  // The busy timeout matters: the server writes `consumed` on the same file.
  const db = createClient({ url: dbUrl, timeout: 5000 })
  await db.execute('SELECT 1')

  const write = async ({ task_id, title }) => {
    const at = new Date().toISOString()
    await db.batch(
      [
        {
          sql: 'UPDATE tasks SET title = ?, updated_at = ? WHERE id = ?',
          args: [title, at, task_id],
        },
        {
          sql: "INSERT INTO events (id, type, payload, created_at) VALUES (?, 'task_updated', ?, ?)",
          args: [randomUUID(), JSON.stringify({ task_id }), at],
        },
      ],
      'write'
    )
    process.send({ task_id, title, committed_at: wallNow() })
  }
  process.on('message', (message) => {
    write(message).catch((error) => {
      process.send({ error: String(error) })
    })
  })
  process.once('disconnect', () => {
    db.close()
    process.exit(0)
  })
  process.send({ ready: true })
}

// ----------------------------------------------------------------- the bench

async function runBench() {
  ensureDescriptors()
  if (!existsSync(CLI)) {
    progress('dist/cli.js is missing; building with tsup')
    execFileSync('npx', ['tsup', '--silent'], { cwd: ROOT, stdio: 'inherit' })
  }

  const dir = mkdtempSync(join(tmpdir(), 'vibe-relay-bench-'))
  const children = new Set()
  const cleanup = () => {
    for (const child of children) {
      child.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', cleanup)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.exit(130)
    })
  }
  setTimeout(() => {
    progress(`gave up after ${DEADLINE_MS / 1000} s`)
    process.exit(1)
  }, DEADLINE_MS).unref()

  const loadBefore = loadavg()[0]
  const dbPath = join(dir, 'bench.db')
  const server = await startServer(dbPath, children)
  const sockets = []
  try {
    const figures = await measure(server, dbPath, children, sockets)
    for (const socket of sockets) {
      socket.terminate()
    }
    await server.stop()

    progress(`cold start x${COLD_STARTS}`)
    const starts = []
    for (let i = 0; i < COLD_STARTS; i++) {
      starts.push(await measureColdStart(dbPath, children))
    }
    figures.coldStart = percentile(starts, 50)
    figures.loadBefore = loadBefore
    printReport(figures, server.banner)
  } finally {
    for (const socket of sockets) {
      socket.terminate()
    }
    await server.stop()
    agent.destroy()
  }
}

async function measure(server, dbPath, children, sockets) {
  const { url } = server
  await sleep(500)
  const rssStart = readRss(server.pid)
  progress(`seeding ${server.banner}`)
  const seedStarted = performance.now()
  const { projectIds, taskIds } = await seed(url)
  const seedSeconds = (performance.now() - seedStarted) / 1000
  await sleep(1000)
  const rssIdle = readRss(server.pid)

  progress('load: GET /projects/:id/tasks')
  const boards = await load(url, [
    {
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: `/projects/${cycle(projectIds)}/tasks` }),
    },
  ])
  progress('load: GET /tasks/:id')
  const tasks = await load(url, [
    { method: 'GET', setupRequest: (req) => ({ ...req, path: `/tasks/${cycle(taskIds)}` }) },
  ])
  progress('load: write mix')
  const json = { 'content-type': 'application/json' }
  let writeCount = 0
  const writes = await load(url, [
    {
      method: 'POST',
      headers: json,
      setupRequest: (req) => ({
        ...req,
        path: `/tasks/${cycle(taskIds)}/comments`,
        body: JSON.stringify({ content: `load comment ${++writeCount}`, author_role: 'reviewer' }),
      }),
    },
    {
      method: 'PATCH',
      headers: json,
      setupRequest: (req) => ({
        ...req,
        path: `/tasks/${cycle(taskIds)}`,
        body: JSON.stringify({ title: `load title ${++writeCount}` }),
      }),
    },
  ])

  progress(`event latency: ${API_EVENTS} API writes`)
  const arrivals = new Arrivals()
  const listener = await openSocket(url)
  sockets.push(listener)
  listener.on('message', (data) => {
    arrivals.record(keyOf(data), wallNow())
  })
  const apiEvents = await measureApiEvents(url, taskIds, arrivals)

  progress(`event latency: ${OTHER_EVENTS} writes by another process`)
  const otherEvents = await measureOtherProcess(dbPath, taskIds, arrivals, children)
  listener.terminate()

  progress(`fan-out: opening ${CLIENTS} websocket clients`)
  const fanout = await measureFanout(url, taskIds, sockets)
  await sleep(500)
  const rssClients = readRss(server.pid)

  return {
    seedSeconds,
    rssStart,
    rssIdle,
    rssClients,
    boards,
    tasks,
    writes,
    apiEvents,
    otherEvents,
    fanout,
  }
}

// ------------------------------------------------------------------- seeding

async function seed(url) {
  const projectIds = await inParallel(range(PROJECTS), SEED_CONCURRENCY, async (p) => {
    const created = await request(url, 'POST', '/projects', {
      title: `Bench project ${p}`,
      description: 'Seeded by npm run bench',
    })
    return created.project.id
  })
  const slots = projectIds.flatMap((projectId) =>
    range(TASKS_PER_PROJECT).map((t) => ({ projectId, t }))
  )
  const taskIds = await inParallel(slots, SEED_CONCURRENCY, async ({ projectId, t }) => {
    const task = await request(url, 'POST', `/projects/${projectId}/tasks`, {
      title: `Task ${t}`,
      phase: 'coder',
      description: 'A task with a description of ordinary length, as an agent would write.',
    })
    return task.id
  })
  const comments = taskIds.flatMap((taskId) => range(COMMENTS_PER_TASK).map((c) => ({ taskId, c })))
  await inParallel(comments, SEED_CONCURRENCY, ({ taskId, c }) =>
    request(url, 'POST', `/tasks/${taskId}/comments`, {
      content: `Seed comment ${c}: looks fine, but check the edge cases.`,
      author_role: c % 2 === 0 ? 'coder' : 'reviewer',
    })
  )
  return { projectIds, taskIds }
}

// ---------------------------------------------------------------- throughput

const cursors = new WeakMap()

function cycle(ids) {
  const next = cursors.get(ids) ?? 0
  cursors.set(ids, next + 1)
  return ids[next % ids.length]
}

async function load(url, requests) {
  const { default: autocannon } = await import('autocannon')
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: LOAD_SECONDS,
    warmup: { connections: CONNECTIONS, duration: 1 },
    requests,
  })
  return {
    rate: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

// ------------------------------------------------------------- event latency

// Messages are matched by the object's id and the field the write set.
function keyOf(data) {
  const { type, payload } = JSON.parse(String(data))
  if (type === 'comment_added') {
    return `${payload.task_id} ${payload.content}`
  }
  return `${payload?.id} ${payload?.title}`
}

class Arrivals {
  #seen = new Map()
  #waiting = new Map()

  record(key, time) {
    const resolve = this.#waiting.get(key)
    if (resolve) {
      this.#waiting.delete(key)
      resolve(time)
    } else {
      this.#seen.set(key, time)
    }
  }

  // Resolves with the arrival time, or null after `timeoutMs`.
  wait(key, timeoutMs) {
    const seen = this.#seen.get(key)
    if (seen !== undefined) {
      this.#seen.delete(key)
      return Promise.resolve(seen)
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key)
        resolve(null)
      }, timeoutMs)
      this.#waiting.set(key, (time) => {
        clearTimeout(timer)
        resolve(time)
      })
    })
  }
}

async function measureApiEvents(url, taskIds, arrivals) {
  const latencies = []
  const roundTrips = []
  let missed = 0
  let early = 0
  for (let i = 0; i < API_EVENTS; i++) {
    const taskId = taskIds[i % taskIds.length]
    const token = `api event ${i}`
    const arrival = arrivals.wait(`${taskId} ${token}`, EVENT_TIMEOUT_MS)
    const sent = wallNow()
    if (i % 2 === 0) {
      await request(url, 'PATCH', `/tasks/${taskId}`, { title: token })
    } else {
      await request(url, 'POST', `/tasks/${taskId}/comments`, {
        content: token,
        author_role: 'human',
      })
    }
    const answered = wallNow()
    const arrived = await arrival
    if (arrived === null) {
      missed++
    } else {
      // The message can beat the response: both leave the server in one turn.
      early += arrived < answered ? 1 : 0
      latencies.push(Math.max(0, arrived - answered))
      roundTrips.push(arrived - sent)
    }
  }
  return { ...summarize(latencies), missed, early, fromSent: summarize(roundTrips) }
}

async function measureOtherProcess(dbPath, taskIds, arrivals, children) {
  const writer = fork(SELF, ['--writer', pathToFileURL(dbPath).href], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(writer)
  writer.once('exit', () => children.delete(writer))
  const commits = new Map()
  let failure = null
  const exitedEarly = (code) => {
    failure = `it exited early with code ${code}`
  }
  writer.once('exit', exitedEarly)
  await new Promise((resolve, reject) => {
    writer.once('error', reject)
    writer.once('exit', () => {
      reject(new Error(`the writer process failed: ${failure}`))
    })
    writer.on('message', (message) => {
      if (message.ready) {
        resolve()
      } else if (message.error) {
        failure = message.error
      } else {
        commits.get(message.title)?.(message.committed_at)
      }
    })
  })

  const latencies = []
  let missed = 0
  // One write at a time, the next only once the last was delivered: a write
  // that follows closely wakes the server for the one before it too, which
  // would hide a change notification that came too early or not at all.
  for (let i = 0; i < OTHER_EVENTS && missed < 5 && !failure; i++) {
    const taskId = taskIds[(API_EVENTS + i) % taskIds.length]
    const title = `other process ${i}`
    const arrival = arrivals.wait(`${taskId} ${title}`, EVENT_TIMEOUT_MS)
    const commit = new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve(null)
      }, EVENT_TIMEOUT_MS)
      commits.set(title, (time) => {
        clearTimeout(timer)
        resolve(time)
      })
    })
    writer.send({ task_id: taskId, title })
    const [time, committed] = await Promise.all([arrival, commit])
    if (time === null || committed === null) {
      missed++
    } else {
      latencies.push(Math.max(0, time - committed))
    }
    await sleep(OTHER_SPACING_MS)
  }
  writer.off('exit', exitedEarly)
  writer.disconnect()
  if (failure) {
    throw new Error(`the writer process failed: ${failure}`)
  }
  return { ...summarize(latencies), missed }
}

// ------------------------------------------------------------------- fan-out

async function measureFanout(url, taskIds, sockets) {
  let round = null
  const clients = await inParallel(range(CLIENTS), 50, () => openSocket(url))
  sockets.push(...clients)
  for (const client of clients) {
    client.on('message', (data) => {
      if (round && data.includes(round.quoted)) {
        round.count++
        round.first ??= wallNow()
        if (round.count === CLIENTS) {
          round.done(wallNow())
        }
      }
    })
  }

  const latencies = []
  const firsts = []
  let missed = 0
  for (let i = 0; i < FANOUT_WRITES; i++) {
    const token = `fan-out ${i}`
    const last = new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve(null)
      }, EVENT_TIMEOUT_MS)
      round = {
        quoted: JSON.stringify(token),
        count: 0,
        first: null,
        done: (time) => {
          clearTimeout(timer)
          resolve(time)
        },
      }
    })
    // Timed from the request, not the response: the server sends the
    // message before it answers the write.
    const sent = wallNow()
    await request(url, 'PATCH', `/tasks/${taskIds[i]}`, { title: token })
    const arrived = await last
    if (arrived === null) {
      missed++
    } else {
      latencies.push(arrived - sent)
      firsts.push(round.first - sent)
    }
    await sleep(100)
  }
  round = null
  return { ...summarize(latencies), missed, first: summarize(firsts) }
}

// ---------------------------------------------------------------- cold start

async function measureColdStart(dbPath, children) {
  const started = performance.now()
  const server = await startServer(dbPath, children)
  try {
    await request(server.url, 'GET', '/projects')
    return performance.now() - started
  } finally {
    await server.stop()
  }
}

// ------------------------------------------------------------------ processes

// Starts `vibe-relay serve` on a free port; resolves once it logs its URL.
// Its stderr (one line per request) is read and dropped, keeping a short
// tail for the error message should it die.
function startServer(dbPath, children) {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', dbPath],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }
  )
  children.add(child)
  const tail = []
  const exited = new Promise((resolve) => {
    child.once('exit', () => {
      children.delete(child)
      resolve()
    })
  })
  const stop = async () => {
    if (children.has(child)) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    }
  }

  return new Promise((resolve, reject) => {
    const fail = (why) => {
      reject(new Error(`${why}; its last lines:\n${tail.join('\n')}`))
      void stop()
    }
    const timer = setTimeout(() => {
      fail('the server did not start within 10 s')
    }, 10_000)
    let partial = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        tail.push(line)
        tail.splice(0, tail.length - 20)
        const match = /serving on (http:\/\/\S+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          resolve({ url: match[1], pid: child.pid, banner: line.trim(), stop })
        }
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      fail(`the server exited with code ${child.exitCode}`)
    })
  })
}

// Each client costs a descriptor here and one in the server, which inherits
// our limit: raise the soft limit by re-running under a shell if we must.
function ensureDescriptors() {
  const limit = (flag) => execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim()
  const soft = Number(limit('-Sn'))
  if (soft >= NEEDED_FDS) {
    return
  }
  const hard = limit('-Hn')
  if ((hard !== 'unlimited' && Number(hard) < NEEDED_FDS) || process.env.BENCH_RAISED_FDS) {
    throw new Error(`${CLIENTS} clients need ${NEEDED_FDS} file descriptors; ulimit -n is ${soft}`)
  }
  const raised = spawnSync(
    'sh',
    ['-c', `ulimit -n ${NEEDED_FDS} && exec "$0" "$@"`, process.execPath, SELF],
    { stdio: 'inherit', env: { ...process.env, BENCH_RAISED_FDS: '1' } }
  )
  process.exit(raised.status ?? 1)
}

// Resident memory in MB, and its anonymous part (heaps, buffers); the rest is
// mapped files, mostly the node binary and libSQL's native library.
function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024
  return { total: field('VmRSS'), anon: field('RssAnon') }
}

// ------------------------------------------------------------------- clients

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

function request(url, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const headers = payload === undefined ? {} : { 'content-type': 'application/json' }
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, url),
      { method, headers, agent, timeout: 10_000 },
      (res) => {
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if ((res.statusCode ?? 500) >= 300) {
            reject(new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`))
          } else {
            resolve(JSON.parse(text))
          }
        })
      }
    )
    req.once('timeout', () => {
      req.destroy(new Error(`${method} ${path} timed out`))
    })
    req.once('error', reject)
    req.end(payload)
  })
}

async function openSocket(url) {
  const { WebSocket } = await import('ws')
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error('a websocket did not open within 10 s'))
    }, 10_000)
    socket.once('open', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  return socket
}

// -------------------------------------------------------------------- report

function printReport(f, banner) {
  const load = (r) => `${fmt(r.rate, 0)} req/s (p50 ${fmt(r.p50)} / p99 ${fmt(r.p99)} ms)`
  const events = (e) => `p50 ${fmt(e.p50, 1)} / p99 ${fmt(e.p99, 1)} / max ${fmt(e.max, 1)} ms`
  const rss = (m) => `${fmt(m.total, 1)} MB (${fmt(m.anon, 1)} anonymous)`
  const verdict = (isMet) => (isMet ? 'met' : 'NOT MET')
  const pythonEvents = 'p50 260 / p99 500 ms'
  const rows = [
    ['metric', 'vibe-relay (Node)', 'Python', 'goal', 'result'],
    [
      'GET /projects/:id/tasks, 32 conns',
      load(f.boards),
      '~150 req/s',
      '>= 3,000 req/s (20x)',
      verdict(f.boards.rate >= 3000 && f.boards.failed === 0),
    ],
    ['GET /tasks/:id, 32 conns', load(f.tasks), '-', '-', '-'],
    [
      'write mix (comment, PATCH title), 32 conns',
      load(f.writes),
      '~340 req/s',
      '>= 3,400 req/s (10x)',
      verdict(f.writes.rate >= 3400 && f.writes.failed === 0),
    ],
    [
      `event latency, API writes (n=${f.apiEvents.n})`,
      events(f.apiEvents),
      pythonEvents,
      'p99 < 15 ms',
      verdict(f.apiEvents.p99 < 15 && f.apiEvents.missed === 0),
    ],
    ['  same writes, from request sent', events(f.apiEvents.fromSent), '-', '-', '-'],
    [
      `event latency, other process (n=${f.otherEvents.n})`,
      events(f.otherEvents),
      pythonEvents,
      'p99 < 60 ms',
      verdict(f.otherEvents.p99 < 60 && f.otherEvents.missed === 0),
    ],
    [
      `write -> last of ${fmt(CLIENTS, 0)} clients (n=${f.fanout.n})`,
      `p50 ${fmt(f.fanout.p50, 1)} / p99 ${fmt(f.fanout.p99, 1)} ms (first: p50 ${fmt(f.fanout.first.p50, 1)})`,
      'p50 290 ms',
      'p50 < 50 ms',
      verdict(f.fanout.p50 < 50 && f.fanout.missed === 0),
    ],
    ['RSS at start, empty database', rss(f.rssStart), '-', '-', '-'],
    ['RSS idle after seeding', rss(f.rssIdle), '-', '-', '-'],
    [
      `RSS with ${fmt(CLIENTS, 0)} clients`,
      rss(f.rssClients),
      '76 MB',
      '< 80 MB',
      verdict(f.rssClients.total < 80),
    ],
    [
      `cold start to first answer (median of ${COLD_STARTS})`,
      `${fmt(f.coldStart, 0)} ms`,
      '~310 ms',
      '< 200 ms',
      verdict(f.coldStart < 200),
    ],
  ]
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
  const line = (row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd()

  const seeded = PROJECTS * TASKS_PER_PROJECT
  console.log(
    [
      '',
      `vibe-relay bench, ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores ` +
        `(${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`,
      `server: ${banner.replace(/ \(database .*\//, ' (database ')}`,
      `seeded ${PROJECTS} projects, ${fmt(seeded, 0)} tasks, ${fmt(seeded * COMMENTS_PER_TASK, 0)} ` +
        `comments in ${fmt(f.seedSeconds, 1)} s; load runs ${LOAD_SECONDS} s after a 1 s warm-up`,
      '',
      line(rows[0]),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.slice(1).map(line),
      '',
      ...notes(f),
    ].join('\n')
  )
}

function notes(f) {
  const lines = []
  for (const [name, r] of [
    ['GET /projects/:id/tasks', f.boards],
    ['GET /tasks/:id', f.tasks],
    ['write mix', f.writes],
  ]) {
    if (r.failed > 0) {
      lines.push(`! ${name}: ${r.failed} failed requests (non-2xx, errors or timeouts)`)
    }
  }
  for (const [name, e] of [
    ['API-written events', f.apiEvents],
    ['other-process events', f.otherEvents],
    ['fan-out writes', f.fanout],
  ]) {
    if (e.missed > 0) {
      lines.push(`! ${name}: ${e.missed} not delivered within ${EVENT_TIMEOUT_MS} ms`)
    }
  }
  // Other work on a 2-core machine skews every figure; say so rather than hide it.
  if (f.loadBefore > 1) {
    lines.push(`! the machine was busy: 1-minute load average ${fmt(f.loadBefore, 2)} at start`)
  }
  if (f.apiEvents.early > 0) {
    lines.push(
      `${f.apiEvents.early} of ${f.apiEvents.n} API-written events reached the websocket ` +
        'before the HTTP response did (counted as 0 ms)'
    )
  }
  lines.push(
    'Event latency: API writes from the HTTP response (and from the request); other-process',
    `writes from the writer's commit, one at a time, each ${OTHER_SPACING_MS} ms after the`,
    'last was delivered; fan-out from the write request to the last (and the first) client.',
    'The clients run in this process, so fan-out includes reading 1,000 messages here.'
  )
  return lines
}

// -------------------------------------------------------------------- helpers

function range(n) {
  return Array.from({ length: n }, (_, i) => i)
}

async function inParallel(items, concurrency, fn) {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i], i)
    }
  }
  await Promise.all(range(Math.min(concurrency, items.length)).map(worker))
  return results
}

function percentile(values, p) {
  if (values.length === 0) {
    return NaN
  }
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summarize(values) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length === 0 ? NaN : Math.max(...values),
  }
}

function fmt(value, digits = 0) {
  return Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : 'n/a'
}

// Last, so that every constant above is initialised before either mode runs.
if (process.argv[2] === '--writer') {
  await runWriter(process.argv[3])
} else {
  await runBench()
}
