import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import { type TempDatabase, createTempDatabase, selectRow } from '../helpers/database.js'
import { type Listener, listen, startServerOn } from './support.js'

// What a client stores is what every reader gives back: REST reads, the
// event-log page, the websocket event and the row itself, for text of every
// kind that the API accepts.

let temp: TempDatabase
let server: RunningServer
let socket: Listener

beforeAll(async () => {
  temp = await createTempDatabase()
  server = await startServerOn(temp.path)
  socket = await listen(`${server.url.replace('http', 'ws')}/ws`)
})

afterAll(async () => {
  socket.close()
  await server.close()
  await temp.cleanup()
})

const SPECIMENS = [
  'e\u0301\u0308\u20dd a\u0328\u0306',
  'שלום עולם, hello',
  'مرحبا بالعالم \u200f!',
  '\u202eevil\u202c',
  '𝕳𝖊𝖑𝖑𝖔 🧑🏽‍💻 👨‍👩‍👧 🏳️‍🌈',
  '\u0001soh\u0007bell\u001b[31m\u007f',
  '\ufeffbom',
  '\r\n\t trailing \n',
  '\u2028\u2029',
  '\u200b\u200d\u2060',
  '"quotes" \\ back\\slash </script>',
  "'; DROP TABLE tasks; --",
  '𠜎𠜱𠝹 astral CJK',
  '\uffff\ufffe\ufffd',
]

const wellFormed = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'grapheme-composite', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.constantFrom(...SPECIMENS)
    )
    .filter((text) => text.isWellFormed() && text.trim() !== '' && !text.includes('\u0000'))

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const raw = Buffer.from(await response.arrayBuffer())
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${String(response.status)} ${raw.toString('utf8')}`)
  }
  // Decoding must be lossless: a replacement character would hide a bad byte.
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
}

function bytes(text: unknown): string {
  return Buffer.from(String(text), 'utf8').toString('hex')
}

describe('text the driver cannot store whole', () => {
  it('refuses a NUL character with 422 naming the field, instead of cutting the text', async () => {
    const response = await fetch(`${server.url}/projects`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'ok', description: 'before\u0000after' }),
    })
    expect(response.status).toBe(422)
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'description must not contain the NUL character (U+0000)'
    )
  })
})

describe('text round trip', () => {
  it('gives back every stored string byte for byte, over REST, /events and the websocket', async () => {
    await fc.assert(
      fc.asyncProperty(
        wellFormed(40),
        wellFormed(200),
        wellFormed(40),
        wellFormed(200),
        async (title, description, newTitle, content) => {
          const { project, task } = await call('POST', '/projects', { title, description })
          await call('PATCH', `/tasks/${task.id as string}`, { title: newTitle })
          const comment = await call('POST', `/tasks/${task.id as string}/comments`, {
            content,
            author_role: 'human',
          })

          const readProject = await call('GET', `/projects/${project.id as string}`)
          const readTask = await call('GET', `/tasks/${task.id as string}`)
          expect(bytes(readProject.title)).toBe(bytes(title))
          expect(bytes(readProject.description)).toBe(bytes(description))
          expect(bytes(readTask.title)).toBe(bytes(newTitle))
          expect(bytes(readTask.description)).toBe(bytes(description))
          expect(bytes(readTask.comments[0].content)).toBe(bytes(content))

          expect(bytes((await selectRow(temp.db, 'projects', project.id))?.title)).toBe(
            bytes(title)
          )
          expect(bytes((await selectRow(temp.db, 'comments', comment.id))?.content)).toBe(
            bytes(content)
          )

          await socket.until((events) =>
            events.some((e) => e.type === 'comment_added' && e.payload.id === comment.id)
          )
          const mine = socket.events.filter(
            (e) => e.project_id === project.id || e.payload?.id === comment.id
          )
          const created = mine.find((e) => e.type === 'project_created')!
          const updated = mine.find((e) => e.type === 'task_updated')!
          const added = mine.find((e) => e.type === 'comment_added')!
          expect(bytes(created.payload.title)).toBe(bytes(title))
          expect(bytes(created.payload.description)).toBe(bytes(description))
          expect(bytes(updated.payload.title)).toBe(bytes(newTitle))
          expect(bytes(added.payload.content)).toBe(bytes(content))

          const page = await call('GET', `/events?since=${String(created.seq - 1)}&limit=10`)
          const paged = page.events.find((e: any) => e.seq === added.seq)
          expect(bytes(paged.payload.content)).toBe(bytes(content))
        }
      ),
      { numRuns: 40 }
    )
  }, 60_000)
})
