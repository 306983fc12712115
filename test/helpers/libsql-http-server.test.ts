import { join } from 'node:path'

import { type Client, createClient as createFileClient } from '@libsql/client'
import { createClient as createWebClient } from '@libsql/client/web'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'

import { createTempDir } from './database.js'
import { type LibsqlHttpServer, startLibsqlHttpServer } from './libsql-http-server.js'

// The Worker's tests trust this server to behave like sqld; these tests hold
// it to that with the real web client, and check what lands in the file.
describe('startLibsqlHttpServer', () => {
  let server: LibsqlHttpServer
  let web: Client
  let file: Client
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    const temp = await createTempDir()
    const path = join(temp.dir, 'remote.db')
    server = await startLibsqlHttpServer({ path, authToken: 'secret-token' })
    web = createWebClient({ url: server.url, authToken: 'secret-token', intMode: 'bigint' })
    file = createFileClient({ url: `file:${path}`, intMode: 'bigint' })
    await web.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, v ANY)')
    cleanup = async () => {
      web.close()
      file.close()
      await server.close()
      await temp.cleanup()
    }
  })

  afterEach(async () => {
    await cleanup()
  })

  test('round-trips integers, floats, text, blobs and nulls through the file', async () => {
    const big = 9007199254740993n
    const blob = new Uint8Array([0, 1, 254, 255])
    await web.execute({
      sql: 'INSERT INTO items (name, v) VALUES (?, ?), (?, ?), (?, ?), (?, ?)',
      args: ['int', big, 'float', 1.5, 'blob', blob, 'null', null],
    })

    const read = await web.execute('SELECT name, v, typeof(v) AS t FROM items ORDER BY id')
    expect(read.columns).toEqual(['name', 'v', 't'])
    expect(read.rows.map((row) => [row.name, row.t])).toEqual([
      ['int', 'integer'],
      ['float', 'real'],
      ['blob', 'blob'],
      ['null', 'null'],
    ])
    expect(read.rows[0]?.v).toBe(big)
    expect(read.rows[1]?.v).toBe(1.5)
    expect(new Uint8Array(read.rows[2]?.v as ArrayBuffer)).toEqual(blob)

    const stored = await file.execute("SELECT v FROM items WHERE name = 'int'")
    expect(stored.rows[0]?.v).toBe(big)
  })

  test('reports rows changed, the last rowid and named arguments as sqld does', async () => {
    const insert = await web.execute({
      sql: 'INSERT INTO items (name, v) VALUES (:name, $v)',
      args: { name: 'a', v: 1 },
    })
    expect(insert.rowsAffected).toBe(1)
    expect(insert.lastInsertRowid).toBe(1n)

    const update = await web.execute({ sql: 'UPDATE items SET v = 2 WHERE name = ?', args: ['a'] })
    expect(update.rowsAffected).toBe(1)
  })

  test('runs a batch on one connection, so changes() sees the step before it', async () => {
    await web.execute("INSERT INTO items (name) VALUES ('a')")

    const results = await web.batch(
      ["UPDATE items SET v = 1 WHERE name = 'a'", 'SELECT changes() AS n'],
      'write'
    )

    expect(results[0]?.rowsAffected).toBe(1)
    expect(results[1]?.rows[0]?.n).toBe(1n)
    expect(server.openStreams).toBe(0)
  })

  test('rolls a whole batch back when one statement fails', async () => {
    await web.execute("INSERT INTO items (name) VALUES ('taken')")

    await expect(
      web.batch(
        ["INSERT INTO items (name) VALUES ('new')", "INSERT INTO items (name) VALUES ('taken')"],
        'write'
      )
    ).rejects.toThrow(/UNIQUE constraint failed/)

    const names = await file.execute('SELECT name FROM items ORDER BY id')
    expect(names.rows.map((row) => row.name)).toEqual(['taken'])
  })

  test('keeps an interactive transaction on its own connection across requests', async () => {
    const transaction = await web.transaction('write')
    await transaction.execute("INSERT INTO items (name) VALUES ('pending')")
    expect(server.openStreams).toBe(1)

    const outside = await file.execute('SELECT count(*) AS n FROM items')
    expect(outside.rows[0]?.n).toBe(0n)
    const inside = await transaction.execute('SELECT count(*) AS n FROM items')
    expect(inside.rows[0]?.n).toBe(1n)

    await transaction.commit()
    const after = await file.execute('SELECT name FROM items')
    expect(after.rows.map((row) => row.name)).toEqual(['pending'])
    expect(server.openStreams).toBe(0)
  })

  test('discards a transaction that is rolled back', async () => {
    const transaction = await web.transaction('write')
    await transaction.execute("INSERT INTO items (name) VALUES ('discarded')")
    await transaction.rollback()

    const count = await file.execute('SELECT count(*) AS n FROM items')
    expect(count.rows[0]?.n).toBe(0n)
  })

  test('runs a script of several statements', async () => {
    await web.executeMultiple(
      "INSERT INTO items (name) VALUES ('x'); INSERT INTO items (name) VALUES ('y');"
    )
    const count = await file.execute('SELECT count(*) AS n FROM items')
    expect(count.rows[0]?.n).toBe(2n)
  })

  test('refuses a request without the right token', async () => {
    const stranger = createWebClient({ url: server.url, authToken: 'wrong' })
    try {
      await expect(stranger.execute('SELECT 1')).rejects.toThrow(/Authentication required/)
    } finally {
      stranger.close()
    }
  })
})
