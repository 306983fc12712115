import { describe, expect, it, vi } from 'vitest'

import type { LogLevel } from '../../src/domain/log.js'
import { CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Hub } from '../../src/realtime/hub.js'
import { FakeSocket, boardEvent } from '../helpers/fake-socket.js'

const everything = (label = 'client') => ({ project_id: null, label })

describe('Hub', () => {
  it('sends each event to every open connection, as JSON, and counts them', () => {
    const hub = new Hub()
    const a = new FakeSocket()
    const b = new FakeSocket()
    hub.add(a, everything('a'))
    hub.add(b, everything('b'))

    const event = boardEvent(1)
    expect(hub.broadcast(event)).toBe(2)
    expect(a.events).toEqual([event])
    expect(b.messages).toEqual([JSON.stringify(event)])
  })

  it("sends a connection that asked for one project only that project's events", () => {
    const hub = new Hub()
    const all = new FakeSocket()
    const onlyP1 = new FakeSocket()
    hub.add(all, everything())
    hub.add(onlyP1, { project_id: 'p1', label: 'p1 only' })

    hub.broadcast(boardEvent(1, 'p1'))
    hub.broadcast(boardEvent(2, 'p2'))
    hub.broadcast(boardEvent(3, null))
    hub.broadcast(boardEvent(4, 'p1'))

    expect(all.events.map((event) => event.seq)).toEqual([1, 2, 3, 4])
    expect(onlyP1.events.map((event) => event.seq)).toEqual([1, 4])
  })

  it('drops a connection whose send throws, and still serves the others', () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const hub = new Hub({ log })
    const before = new FakeSocket()
    const broken = new FakeSocket()
    const after = new FakeSocket()
    broken.failure = new Error('socket hang up')
    hub.add(before, everything('before'))
    hub.add(broken, everything('broken'))
    hub.add(after, everything('after'))

    expect(hub.broadcast(boardEvent(1))).toBe(2)

    expect(before.events).toHaveLength(1)
    expect(after.events).toHaveLength(1)
    expect(hub.size).toBe(2)
    expect(broken.closed?.code).toBe(1011)
    expect(log).toHaveBeenCalledWith('warn', expect.stringMatching(/broken.*socket hang up/))

    broken.failure = null
    hub.broadcast(boardEvent(2))
    expect(broken.messages).toEqual([])
    expect(after.events.map((event) => event.seq)).toEqual([1, 2])
  })

  it('closes a connection with more unsent bytes than the limit with 1013', () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const hub = new Hub({ log, maxBufferedBytes: 1000 })
    const slow = new FakeSocket()
    const fast = new FakeSocket()
    slow.bufferedAmount = 1001
    fast.bufferedAmount = 1000
    hub.add(slow, everything('slow'))
    hub.add(fast, everything('fast'))

    expect(hub.broadcast(boardEvent(1))).toBe(1)

    expect(CLOSE_TOO_SLOW).toBe(1013)
    expect(slow.closed).toEqual({ code: 1013, reason: 'Client too slow: send queue full' })
    expect(slow.messages).toEqual([])
    expect(fast.events).toHaveLength(1)
    expect(hub.size).toBe(1)
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('slow'))
  })

  it('survives a socket whose close throws too', () => {
    const hub = new Hub()
    const broken = new FakeSocket()
    broken.failure = new Error('gone')
    broken.close = () => {
      throw new Error('already closed')
    }
    const other = new FakeSocket()
    hub.add(broken, everything())
    hub.add(other, everything())

    expect(() => hub.broadcast(boardEvent(1))).not.toThrow()
    expect(other.events).toHaveLength(1)
    expect(hub.size).toBe(1)
  })

  it('logs connects and disconnects with the open count; removing twice is harmless', () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const hub = new Hub({ log })
    const socket = new FakeSocket()

    hub.add(socket, everything('ws-1'))
    hub.remove(socket)
    hub.remove(socket)

    expect(hub.size).toBe(0)
    expect(log.mock.calls).toEqual([
      ['info', expect.stringMatching(/ws-1 connected \(1 open\)$/)],
      ['info', expect.stringMatching(/ws-1 disconnected \(0 open\)$/)],
    ])
    expect(hub.broadcast(boardEvent(1))).toBe(0)
    expect(socket.messages).toEqual([])
  })

  it('closes every connection with 1001 on shutdown', () => {
    const hub = new Hub()
    const sockets = [new FakeSocket(), new FakeSocket()]
    for (const socket of sockets) {
      hub.add(socket, everything())
    }

    hub.closeAll()

    expect(hub.size).toBe(0)
    expect(CLOSE_GOING_AWAY).toBe(1001)
    expect(sockets.map((socket) => socket.closed?.code)).toEqual([1001, 1001])
  })
})
