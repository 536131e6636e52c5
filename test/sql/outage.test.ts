import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Queue, Redacted, Schedule, Stream } from "effect"
import { HttpClient } from "effect/http"
import { auditLog } from "../../src/layers/sql/auditLog.ts"
import { postgresDatabase } from "../../src/layers/sql/database.ts"
import { sqlPersistence } from "../../src/layers/sql/index.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { knownPcm } from "../../src/layers/test/speech.ts"
import { type AuditEntry, AuditLog } from "../../src/services/Store.ts"
import { dispatch, get, openSse, openStudent, post, postRequest, testServer, waitFor } from "../http/harness.ts"
import { claimSession, newTeacher, openSocket } from "../http/teachers.ts"
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

/**
 * A fresh database reached through a loopback proxy the test can close and reopen (`proxied`),
 * and a direct connection to it that the outage does not touch.
 */
const databaseBehindProxy = Effect.gen(function*() {
  const { name } = yield* freshPostgresDatabase
  const server = new URL(POSTGRES_SERVER)
  const proxy = yield* tcpProxy({ host: server.hostname, port: Number(server.port || 5432) })
  const proxied = new URL(`${POSTGRES_SERVER}/${name}`)
  proxied.port = String(proxy.port)
  const direct = Context.get(yield* Layer.build(PgClient.layer({ url: Redacted.make(`${POSTGRES_SERVER}/${name}`) })), PgClient.PgClient)
  return { direct, proxied, proxy }
})

describe("AuditLog when the database goes away (Postgres behind a loopback proxy)", () => {
  const logs: Array<string> = []
  const capture = Logger.make(({ message }) => {
    logs.push(Array.isArray(message) ? message.join(" ") : String(message))
  })
  it.live("writes queue and land once it is back; nothing below the bound is lost; overflow is counted and logged", () =>
    Effect.gen(function*() {
      // the audit log writes through the proxy; the test checks the rows on a direct connection
      const { direct, proxied, proxy } = yield* databaseBehindProxy
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

describe("Version B server when its database goes away (PostgreSQL behind a loopback proxy)", () => {
  const sentences = ["25% of 80 is 20.", "That's because 0.25 times 80 equals 20."]
  const retry = { retryBase: "20 millis", retryCap: "200 millis" } as const

  it.live("students are answered and spoken to through the outage; the rows land once the database is back", () =>
    Effect.gen(function*() {
      const { direct, proxied, proxy } = yield* databaseBehindProxy
      const transcript = (sessionId: string) =>
        direct<{ readonly speaker: string; readonly text: string }>`
          SELECT speaker, text FROM transcript_turns WHERE session_id = ${sessionId} ORDER BY turn_index`
      const jobRow = (id: string) => direct<{ readonly status: string; readonly safe_text: string | null }>`
        SELECT status::text AS status, safe_text FROM orchestrator_jobs WHERE id = ${id}::uuid`
      /** polls the table on its own connection until `check` holds; a timeout shows what is there */
      const eventually = <A>(query: Effect.Effect<A, unknown>, check: (rows: A) => boolean) =>
        query.pipe(
          Effect.repeat({ until: check, schedule: Schedule.spaced("50 millis") }),
          Effect.timeoutOrElse({
            duration: "15 seconds",
            orElse: () => Effect.flatMap(query, (rows) => Effect.die(new Error(`still ${JSON.stringify(rows)}`)))
          })
        )

      const context = yield* Layer.build(testServer({
        persistence: sqlPersistence(postgresDatabase({ url: Redacted.make(proxied.toString()) }), {
          instanceId: "outage",
          version: "b",
          auditLog: retry,
          jobs: retry
        })
      }))
      yield* Effect.gen(function*() {
        // opening a session touches no table
        const student = yield* openStudent
        const sessionId = student.sessionId
        // a teacher claimed the student's call while the database was up, and watches
        yield* post("/escalate", { session_id: sessionId, reason: "Needs a human" }, { as: student })
        const ada = yield* newTeacher("Ada")
        yield* claimSession(ada, sessionId)
        const teacher = yield* openSocket(ada, sessionId)
        expect(yield* Queue.takeN(teacher.inbox, 2)).toMatchObject([{ type: "connected" }, { type: "escalation" }])

        // up: a turn, stored
        const before = yield* waitFor(student, yield* dispatch(student, "What is 25% of 80?"))
        expect(before.status).toBe("complete")
        yield* eventually(jobRow(before.job_id), (rows) => rows[0]?.status === "complete")
        yield* eventually(transcript(sessionId), (rows) => rows.length === 2)
        yield* Queue.takeN(teacher.inbox, 2)

        // down: the next turn is answered, streamed and spoken all the same
        yield* proxy.close
        const jobId = yield* dispatch(student, "And 50% of 80?")
        const events = yield* openSse(`/orchestrate/${jobId}/events`, student)
        const during = yield* waitFor(student, jobId)
        expect(during).toMatchObject({ status: "complete", safe_text: sentences.join(" "), tts_ready: true })
        const streamed: Array<unknown> = []
        for (let event = yield* Queue.take(events); ; event = yield* Queue.take(events)) {
          if (event.event === "sentence") streamed.push(event.data)
          if (event.event === "done") break
        }
        expect(streamed).toEqual(sentences.map((text, index) => ({ index, text })))
        const speech = yield* HttpClient.execute(yield* postRequest("/tts/stream", JSON.stringify({ job_id: jobId }), { as: student }))
        expect(speech.status).toBe(200)
        expect(Buffer.concat(yield* speech.stream.pipe(Stream.runCollect)))
          .toEqual(Buffer.concat(sentences.map((sentence) => knownPcm(sentence))))

        // the teacher on this instance still hears the turn and an escalation
        expect((yield* post("/escalate", { session_id: sessionId, reason: "Stuck during the outage" }, { as: student })).status)
          .toBe(200)
        expect(yield* Queue.takeN(teacher.inbox, 3).pipe(Effect.timeout("2 seconds"))).toMatchObject([
          { type: "transcript", speaker: "student", text: "And 50% of 80?" },
          { type: "transcript", speaker: "tutor", text: sentences.join(" ") },
          { type: "escalation", reason: "Stuck during the outage", trigger: "api" }
        ])

        // a job only the table holds cannot be read now: a 503 to retry, not a 500 or a 404
        const stored = yield* get(`/orchestrate/${before.job_id}`, student)
        expect(stored).toMatchObject({ status: 503, body: { detail: "Job store unavailable, try again shortly" } })
        // closing answers from memory; the close itself waits in the queue behind the turns
        const closed = yield* post(`/session/${sessionId}/close`, undefined, { as: student })
        expect(closed).toMatchObject({ status: 200, body: { report: { turns: 4, subjects: ["math"] } } })
        // nothing of the outage is in the table yet
        expect((yield* transcript(sessionId)).length).toBe(2)

        // back: every row of the outage lands, in order, and the stored job is readable again
        yield* proxy.open
        const landed = yield* eventually(transcript(sessionId), (rows) => rows.length === 4)
        expect(landed).toEqual([
          { speaker: "student", text: "What is 25% of 80?" },
          { speaker: "tutor", text: sentences.join(" ") },
          { speaker: "student", text: "And 50% of 80?" },
          { speaker: "tutor", text: sentences.join(" ") }
        ])
        yield* eventually(jobRow(jobId), (rows) => rows[0]?.status === "complete")
        expect(yield* jobRow(jobId)).toEqual([{ status: "complete", safe_text: sentences.join(" ") }])
        const escalations = yield* eventually(
          direct<{ readonly reason: string }>`SELECT reason FROM escalation_events WHERE session_id = ${sessionId} ORDER BY seq`,
          (rows) => rows.length === 2
        )
        expect(escalations).toEqual([{ reason: "Needs a human" }, { reason: "Stuck during the outage" }])
        const routed = yield* eventually(
          direct<{ readonly to_agent: string }>`SELECT to_agent FROM routing_decisions WHERE session_id = ${sessionId}`,
          (rows) => rows.length === 2
        )
        expect(routed).toEqual([{ to_agent: "math" }, { to_agent: "math" }])
        expect((yield* get(`/orchestrate/${before.job_id}`, student)).status).toBe(200)
        // the report written late is built from all of it
        const [report] = yield* eventually(
          direct<{ readonly report: unknown }>`
            SELECT session_report AS report FROM learning_sessions WHERE session_id = ${sessionId} AND ended_at IS NOT NULL`,
          (rows) => rows.length === 1
        )
        expect(report?.report).toMatchObject({ turns: 4, subjects: ["math"], escalated: true })
      }).pipe(Effect.provideContext(context), Effect.scoped)
    }).pipe(Effect.scoped), 60_000)
})
