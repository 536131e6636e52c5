import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import { auditLog } from "../../src/layers/sql/auditLog.ts"
import { postgresDatabase } from "../../src/layers/sql/database.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { type AuditEntry, AuditLog } from "../../src/services/Store.ts"
import { freshPostgresDatabase, POSTGRES_SERVER } from "./databases.ts"
import { tcpProxy } from "./tcpProxy.ts"

const CAPACITY = 50
const BATCH = 10

const turn = (sessionId: string, i: number): AuditEntry => ({
  _tag: "TurnSpoken",
  sessionId,
  speaker: i % 2 === 0 ? "student" : "tutor",
  text: `line ${i}`,
  subject: null,
  at: i
})

describe("AuditLog when the database goes away (Postgres behind a loopback proxy)", () => {
  const logs: Array<string> = []
  const capture = Logger.make(({ message }) => {
    logs.push(Array.isArray(message) ? message.join(" ") : String(message))
  })
  it.live("writes queue and land once it is back; nothing below the bound is lost; overflow is counted and logged", () =>
    Effect.gen(function*() {
      const { name } = yield* freshPostgresDatabase
      const server = new URL(POSTGRES_SERVER)
      const proxy = yield* tcpProxy({ host: server.hostname, port: Number(server.port || 5432) })
      const proxied = new URL(`${POSTGRES_SERVER}/${name}`)
      proxied.port = String(proxy.port)

      // the audit log writes through the proxy; the test checks the rows on a direct connection
      const direct = Context.get(yield* Layer.build(PgClient.layer({ url: Redacted.make(`${POSTGRES_SERVER}/${name}`) })), PgClient.PgClient)
      const rows = (sessionId: string) =>
        direct<{ readonly turn_index: number; readonly text: string }>`
          SELECT turn_index, text FROM transcript_turns WHERE session_id = ${sessionId} ORDER BY turn_index`
      const audit = Context.get(
        yield* Layer.build(
          auditLog({ capacity: CAPACITY, batchSize: BATCH, retryBase: "20 millis", retryCap: "200 millis" }).pipe(
            Layer.provide(storeSql),
            Layer.provide(postgresDatabase({ url: Redacted.make(proxied.toString()) }))
          )
        ),
        AuditLog
      )

      // 1. up: written
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => turn("below", i)), audit.record)
      yield* audit.flush
      expect((yield* rows("below")).length).toBe(10)

      // 2. down: 30 more (below the bound) wait and are retried
      yield* proxy.close
      yield* Effect.forEach(Array.from({ length: 30 }, (_, i) => turn("below", 10 + i)), audit.record)
      yield* Effect.sleep("400 millis")
      const during = yield* audit.stats
      expect(during).toMatchObject({ pending: 30, dropped: 0, failed: 0 })
      expect(during.retries).toBeGreaterThan(0)
      expect((yield* rows("below")).length).toBe(10)
      expect(logs.some((line) => line.includes("database unreachable"))).toBe(true)

      // 3. back: every one of them lands, in order
      yield* proxy.open
      yield* audit.flush.pipe(Effect.timeout("10 seconds"))
      const landed = yield* rows("below")
      expect(landed.map((row) => row.turn_index)).toEqual(Array.from({ length: 40 }, (_, i) => i))
      expect(landed.map((row) => row.text)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i}`))

      // 4. down again, and more than the queue holds
      yield* proxy.close
      yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => turn("overflow", i)), audit.record)
      yield* Effect.sleep("200 millis")
      const overflowing = yield* audit.stats
      // the queue holds CAPACITY; the writer holds at most one batch it is retrying
      expect(overflowing.dropped).toBeGreaterThanOrEqual(100 - CAPACITY - BATCH)
      expect(overflowing.dropped).toBeLessThanOrEqual(100 - CAPACITY)
      expect(logs.some((line) => line.includes("queue full"))).toBe(true)

      // 5. back: what was taken lands, what was dropped is reported as a count
      yield* proxy.open
      yield* audit.flush.pipe(Effect.timeout("10 seconds"))
      const after = yield* audit.stats
      expect((yield* rows("overflow")).length).toBe(100 - after.dropped)
      expect(after).toMatchObject({ pending: 0, failed: 0, written: 40 + 100 - after.dropped })
      expect(logs.some((line) => line.includes(`dropped ${after.dropped} entries`))).toBe(true)
      expect(logs.some((line) => line.includes("database reachable again"))).toBe(true)
    }).pipe(Effect.provide(Logger.layer([capture])), Effect.scoped), 60_000)
})
