import { NodeServices } from "@effect/platform-node"
import { PgMigrator } from "@effect/sql-pg"
import { findingOf, requestedFinding } from "../../src/domain/safety.ts"
import { assert, describe, expect, layer } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Option, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { auditLog } from "../../src/layers/sql/auditLog.ts"
import { jobStoreSql } from "../../src/layers/sql/jobStore.ts"
import { escalationSql } from "../../src/layers/sql/escalation.ts"
import { migrations, migrationSteps } from "../../src/layers/sql/migrations.ts"
import { sessionsSql } from "../../src/layers/sql/sessions.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { sessionsMemory } from "../../src/layers/memory/sessions.ts"
import { Escalation, escalationNotice, studentNotice } from "../../src/services/Escalation.ts"
import { INTERRUPTED_BY_RESTART, type Job, JobStore } from "../../src/services/JobStore.ts"
import { type SessionEvent, Sessions } from "../../src/services/Sessions.ts"
import { type AuditEntry, AuditLog, Store } from "../../src/services/Store.ts"
import { DEFAULT_PRICES, summarizeUsage, type TokenUsage } from "../../src/services/Usage.ts"
import { targets, TestDatabase } from "./databases.ts"

/** Store and AuditLog over the target's database, built once per block; the target stays visible. */
const suite = (target: Layer.Layer<TestDatabase, unknown>) =>
  Layer.unwrap(TestDatabase.use((db) =>
    Effect.succeed(auditLog().pipe(Layer.provideMerge(storeSql), Layer.provideMerge(db.connect)))
  )).pipe(Layer.provideMerge(target))

/** PGlite runs initdb on a new data directory and replays it on reopening: seconds, more on a busy machine. */
const RESTART_TIMEOUT = 60_000

/** One turn's usage as the pipeline summarizes it, by the default prices. */
const usageOf = (call: TokenUsage) => summarizeUsage([call], DEFAULT_PRICES)

const uniqueSession = (label: string) => `${label}-${crypto.randomUUID()}`

const SELF_HARM = findingOf("self_harm", [{ check: "local_model", label: "self_harm", score: 0.97, turns: 1 }])

describe.each(targets)("SQL persistence on $name", ({ layer: target }) => {
  layer(suite(target), { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("migrations are recorded once and every step can run again", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // what a restart does: the migrator finds everything applied and runs nothing
        const ranAgain = yield* PgMigrator.run({ loader: migrations }).pipe(Effect.provide(NodeServices.layer))
        expect(ranAgain).toEqual([])
        const recorded = yield* sql<{ readonly name: string }>`SELECT name FROM effect_sql_migrations ORDER BY migration_id`
        expect(recorded.map((row) => row.name)).toEqual(["initial_schema", "orchestrator_jobs", "session_report", "turn_latencies", "job_interventions", "turn_usage", "safety_findings", "teacher_accounts"])
        // and each step is idempotent SQL in its own right
        for (const step of Object.values(migrationSteps)) yield* step
      }))

    it.effect("a 3-turn session's report matches its rows", () =>
      Effect.gen(function*() {
        const audit = yield* AuditLog
        const store = yield* Store
        const sessionId = uniqueSession("report")
        const start = yield* Clock.currentTimeMillis
        const turns = [
          { question: "What is 25% of 80?", subject: "math", confidence: 0.95, answer: "It is 20.", classifyMs: 40, totalMs: 400, costUsd: 0.5 },
          { question: "Who was the first US president?", subject: "history", confidence: 0.9, answer: "George Washington.", classifyMs: 60, totalMs: 700, costUsd: 0.25 },
          { question: "What is a noun?", subject: "english", confidence: 0.5, answer: "A naming word.", classifyMs: 50, totalMs: 500, costUsd: 0.125 }
        ] as const
        const entries: Array<AuditEntry> = [
          { _tag: "SessionStarted", sessionId, version: "b", studentId: null, roomName: null, sessionToken: "ek_1234", at: start }
        ]
        turns.forEach((turn, i) => {
          const at = start + i * 1000
          entries.push(
            { _tag: "TurnSpoken", sessionId, speaker: "student", text: turn.question, subject: null, at },
            {
              _tag: "RoutingDecided",
              sessionId,
              fromAgent: "orchestrator",
              toAgent: turn.subject,
              confidence: turn.confidence,
              latencyMs: turn.classifyMs,
              excerpt: turn.question,
              fallback: i === 2,
              at: at + 1
            }
          )
          if (i === 1) {
            entries.push({
              _tag: "GuardrailFlagged",
              sessionId,
              sentenceIndex: 0,
              action: "rewritten",
              original: "George Washington, who killed it.",
              replacement: "George Washington.",
              categories: ["violence"],
              scores: { violence: 0.81, hate: 0.02 },
              at: at + 2
            })
          }
          entries.push(
            { _tag: "TurnSpoken", sessionId, speaker: "tutor", text: turn.answer, subject: turn.subject, at: at + 3 },
            {
              _tag: "LatencyMeasured",
              sessionId,
              classifyMs: turn.classifyMs,
              firstTokenMs: turn.classifyMs + 100,
              firstSentenceMs: i === 2 ? null : turn.classifyMs + 200,
              firstAudioMs: null,
              totalMs: turn.totalMs,
              inputTokens: 100 + i,
              outputTokens: 10 * (i + 1),
              estimatedCostUsd: turn.costUsd,
              at: at + 4
            }
          )
        })
        yield* Effect.forEach(entries, audit.record)
        yield* audit.flush

        const report = yield* store.closeSession({ sessionId, version: "b", at: start + 5000 })
        const transcript = yield* store.transcript(sessionId)
        const routing = yield* store.routingDecisions(sessionId)
        const guardrail = yield* store.guardrailEvents(sessionId)

        expect(transcript.map((turn) => turn.turnIndex)).toEqual([0, 1, 2, 3, 4, 5])
        expect(transcript.map((turn) => turn.speaker)).toEqual(["student", "tutor", "student", "tutor", "student", "tutor"])
        expect(transcript.map((turn) => turn.text)).toEqual(turns.flatMap((turn) => [turn.question, turn.answer]))
        expect(transcript[1]?.at).toBe(start + 3)

        expect(report.turns).toBe(transcript.length)
        expect(report.subjects).toEqual(["math", "history", "english"])
        expect(report.escalated).toBe(false)
        expect(report.guardrail_flags).toBe(guardrail.filter((event) => event.flagged).length)
        expect(report.guardrail_flags).toBe(1)
        expect(guardrail[0]).toMatchObject({
          sentenceIndex: 0,
          action: "rewritten",
          original: "George Washington, who killed it.",
          replacement: "George Washington.",
          categories: ["violence"],
          scores: { violence: 0.81, hate: 0.02 },
          confidence: 0.81
        })
        expect(report.routing_decisions).toEqual(routing.map((decision) => ({
          to: decision.toAgent,
          confidence: decision.confidence,
          fallback: decision.fallback,
          excerpt: decision.excerpt
        })))
        expect(routing.map((decision) => [decision.toAgent, decision.latencyMs, decision.fallback])).toEqual([
          ["math", 40, false],
          ["history", 60, false],
          ["english", 50, true]
        ])
        expect(report.latency_ms).toEqual({
          classify: { samples: 3, p50: 50, max: 60 },
          first_token: { samples: 3, p50: 150, max: 160 },
          first_sentence: { samples: 2, p50: 240, max: 260 },
          total: { samples: 3, p50: 500, max: 700 }
        })
        // costs that are exact in binary, so any summation order gives the same total
        expect(report.usage).toEqual({ input_tokens: 303, output_tokens: 60, estimated_cost_usd: 0.875 })
        expect(report.closed_at).toBe(new Date(start + 5000).toISOString())

        const stored = yield* store.session(sessionId)
        assert.isTrue(Option.isSome(stored))
        if (Option.isSome(stored)) {
          expect(stored.value.report).toEqual(report)
          expect(stored.value.endedAt).toBe(start + 5000)
          expect(stored.value.startedAt).toBe(start)
          expect(stored.value.sessionToken).toBe("ek_1234")
        }
        const stats = yield* audit.stats
        expect(stats).toMatchObject({ dropped: 0, failed: 0, pending: 0 })
      }))

    it.effect("closing a session whose start was never recorded still stores the report", () =>
      Effect.gen(function*() {
        const store = yield* Store
        const sessionId = uniqueSession("unstarted")
        const report = yield* store.closeSession({ sessionId, version: "a", at: 0 })
        expect(report).toMatchObject({ turns: 0, subjects: [], routing_decisions: [], escalated: false })
        const stored = yield* store.session(sessionId)
        expect(Option.map(stored, (session) => [session.version, session.report])).toEqual(Option.some(["a", report]))
      }))

    it.effect("an entry the database refuses is logged and counted, its batch still lands", () =>
      Effect.gen(function*() {
        const audit = yield* AuditLog
        const store = yield* Store
        const sessionId = uniqueSession("refused")
        const before = yield* audit.stats
        yield* audit.record({ _tag: "TurnSpoken", sessionId, speaker: "student", text: "one", subject: null, at: 0 })
        // NUL is not valid in a PostgreSQL text value: refused for good, not retried
        yield* audit.record({ _tag: "TurnSpoken", sessionId, speaker: "student", text: "bad\u0000", subject: null, at: 1 })
        yield* audit.record({ _tag: "TurnSpoken", sessionId, speaker: "tutor", text: "two", subject: "math", at: 2 })
        yield* audit.flush
        const after = yield* audit.stats
        expect(after.failed - before.failed).toBe(1)
        expect((yield* store.transcript(sessionId)).map((turn) => [turn.turnIndex, turn.text])).toEqual([[0, "one"], [1, "two"]])
      }))

    it.effect("shutting the audit log down flushes what it had queued", () =>
      Effect.gen(function*() {
        const store = yield* Store
        const sessionId = uniqueSession("shutdown")
        // a short-lived audit log: recording returns at once, the layer's release waits for the writes
        yield* Effect.gen(function*() {
          const audit = yield* AuditLog
          for (let i = 0; i < 25; i++) {
            yield* audit.record({ _tag: "TurnSpoken", sessionId, speaker: "student", text: `t${i}`, subject: null, at: i })
          }
        }).pipe(Effect.provide(auditLog({ batchSize: 4 })))
        expect((yield* store.transcript(sessionId)).map((turn) => turn.turnIndex)).toEqual(Array.from({ length: 25 }, (_, i) => i))
      }))

    it.effect("escalations: recorded, open until resolved, claimed by one teacher only, and part of the report", () =>
      Effect.gen(function*() {
        const store = yield* Store
        const sessionId = uniqueSession("escalation")
        const now = yield* Clock.currentTimeMillis
        const raised = yield* store.recordEscalation({
          id: crypto.randomUUID(),
          sessionId,
          version: "b",
          trigger: "student_request",
          reason: "Student asked for a teacher",
          finding: SELF_HARM,
          at: now
        })
        expect(raised).toMatchObject({ sessionId, trigger: "student_request", claimedBy: null, resolvedAt: null, at: now, finding: SELF_HARM })
        expect((yield* store.openEscalations(sessionId)).map((e) => e.id)).toEqual([raised.id])
        const [ada, bob] = [crypto.randomUUID(), crypto.randomUUID()]
        const claimed = yield* store.claimEscalation(raised.id, ada, now + 10)
        expect(Option.map(claimed, (e) => [e.claimedBy, e.claimedAt])).toEqual(Option.some([ada, now + 10]))
        // the first claim stands; a second teacher gets nothing
        expect(yield* store.claimEscalation(raised.id, bob, now + 20)).toEqual(Option.none())
        expect(Option.map(yield* store.claimEscalation(raised.id, ada, now + 30), (e) => e.claimedAt)).toEqual(Option.some(now + 10))
        expect(yield* store.claimEscalation("not-a-uuid", ada, now)).toEqual(Option.none())
        expect(yield* store.resolveEscalation({ id: raised.id, teacherId: bob, note: "no", at: now + 40 })).toEqual(Option.none())
        const resolved = yield* store.resolveEscalation({ id: raised.id, teacherId: ada, note: "Talked to her", at: now + 50 })
        expect(Option.map(resolved, (e) => [e.resolvedAt, e.resolutionNote])).toEqual(Option.some([now + 50, "Talked to her"]))
        expect(yield* store.openEscalations(sessionId)).toEqual([])
        expect(Option.map(yield* store.escalation(raised.id), (e) => e.id)).toEqual(Option.some(raised.id))
        const report = yield* store.closeSession({ sessionId, version: "b", at: now })
        expect(report.escalated).toBe(true)
        expect(report.escalations).toEqual([{
          reason: "Student asked for a teacher",
          trigger: "student_request",
          category: "self_harm",
          severity: "urgent",
          evidence: SELF_HARM.evidence
        }])
      }))

    it.effect("escalations queued during an outage land once, with the raiser's id", () =>
      Effect.gen(function*() {
        const store = yield* Store
        const sessionId = uniqueSession("queued-escalation")
        const now = yield* Clock.currentTimeMillis
        const raised = {
          _tag: "EscalationRaised",
          id: crypto.randomUUID(),
          sessionId,
          version: "a",
          trigger: "classifier",
          reason: "Off-topic and upset",
          finding: requestedFinding("api"),
          at: now
        } as const
        // written twice (a retry after a write that did land): still one escalation
        yield* store.write([raised])
        yield* store.write([raised])
        const { _tag, ...fields } = raised
        expect(yield* store.openEscalations(sessionId)).toEqual([
          { ...fields, claimedBy: null, claimedAt: null, resolvedAt: null, resolutionNote: null }
        ])
        expect((yield* store.closeSession({ sessionId, version: "a", at: now + 10 })).escalated).toBe(true)
      }))

    it.effect("escalations reach this instance's teacher and student, and wait in the table until claimed", () =>
      Effect.gen(function*() {
        const escalation = yield* Escalation
        const sessionId = uniqueSession("raise")
        // feeds are subscribed when taken, before anything is raised
        const teachers = yield* escalation.teacherFeed(sessionId)
        const student = yield* escalation.studentFeed(sessionId)
        const teacherSaw = yield* teachers.pipe(Stream.take(1), Stream.runCollect, Effect.forkChild)
        const studentSaw = yield* student.pipe(Stream.take(1), Stream.runCollect, Effect.forkChild)
        const record = yield* escalation.raise({
          sessionId,
          reason: "Student asked for a teacher",
          trigger: "student_request",
          finding: SELF_HARM
        })
        // teachers learn why, and how urgent, with the evidence
        expect(escalationNotice(record)).toMatchObject({ category: "self_harm", severity: "urgent", evidence: SELF_HARM.evidence })
        expect(yield* Fiber.join(teacherSaw).pipe(Effect.timeout("1 second"))).toEqual([escalationNotice(record)])
        expect(yield* Fiber.join(studentSaw).pipe(Effect.timeout("1 second"))).toEqual([studentNotice(record)])
        // a teacher connecting later, to an instance started since, finds it in the table
        const late = yield* Escalation.use((restarted) => restarted.pending(sessionId)).pipe(Effect.provide(escalationSql()))
        expect(late).toEqual([record])
        yield* escalation.claim(record.id, crypto.randomUUID())
        expect(yield* escalation.pending(sessionId)).toEqual([])
      }).pipe(Effect.provide(escalationSql())))

    it.effect("Sessions on SQL report what the in-memory sessions report, and a restarted instance reads the tables", () =>
      Effect.gen(function*() {
        const sessionId = uniqueSession("sessions")
        const events: ReadonlyArray<SessionEvent> = [
          { _tag: "Turn", speaker: "student", text: "What is 2+2?", subject: null },
          { _tag: "Routing", decision: { to: "math", confidence: 0.9, fallback: false, latencyMs: 12, excerpt: "What is 2+2?" } },
          {
            _tag: "GuardrailFlag",
            index: 0,
            action: "rewritten",
            original: "Hit it hard.",
            replacement: "Press firmly.",
            categories: ["violence"],
            scores: { violence: 0.8 }
          },
          { _tag: "Turn", speaker: "tutor", text: "It is 4.", subject: "math" },
          {
            _tag: "Latency",
            latency: { classifyMs: 12, firstTokenMs: 20, firstSentenceMs: 30, firstAudioMs: null, totalMs: 40 },
            usage: usageOf({ model: "claude-haiku-4-5", inputTokens: 1000, outputTokens: 200 })
          },
          { _tag: "Turn", speaker: "student", text: "And 3+3?", subject: null },
          { _tag: "Routing", decision: { to: "math", confidence: 0.8, fallback: true, latencyMs: 18, excerpt: "And 3+3?" } },
          { _tag: "Turn", speaker: "tutor", text: "It is 6.", subject: "math" },
          {
            _tag: "Latency",
            latency: { classifyMs: 18, firstTokenMs: null, firstSentenceMs: 50, firstAudioMs: 55, totalMs: 60 },
            usage: usageOf({ model: "unpriced-model", inputTokens: 500, outputTokens: 50 })
          }
        ]
        const replay = Effect.gen(function*() {
          const sessions = yield* Sessions
          yield* Effect.forEach(events, (event) => sessions.record(sessionId, event))
          return yield* sessions.transcript(sessionId)
        })
        const live = yield* replay.pipe(Effect.provide(sessionsSql()))
        // what a shutdown does before the restart below
        yield* (yield* AuditLog).flush
        const inMemory = yield* Effect.gen(function*() {
          yield* replay
          return yield* (yield* Sessions).close(sessionId)
        }).pipe(Effect.provide(sessionsMemory()))

        // a fresh instance has nothing in memory: transcript, context and report come from the tables
        const restarted = yield* Effect.gen(function*() {
          const sessions = yield* Sessions
          return {
            transcript: yield* sessions.transcript(sessionId),
            recent: yield* sessions.recentTurns(sessionId, 3),
            report: yield* sessions.close(sessionId)
          }
        }).pipe(Effect.provide(sessionsSql()))

        const lines = (turns: typeof live) => turns.map((turn) => [turn.index, turn.speaker, turn.text, turn.subject])
        expect(lines(restarted.transcript)).toEqual(lines(live))
        expect(restarted.recent).toEqual([
          { role: "tutor", text: "It is 4.", subject: "math" },
          { role: "student", text: "And 3+3?" },
          { role: "tutor", text: "It is 6.", subject: "math" }
        ])
        expect({ ...restarted.report, closed_at: "" }).toEqual({ ...inMemory, closed_at: "" })
        expect(restarted.report.guardrail_flags).toBe(1)
        // the second turn's model has no price: the tokens add up, the cost is unknown
        expect(restarted.report.usage).toEqual({ input_tokens: 1500, output_tokens: 250, estimated_cost_usd: null })
        const guardrail = yield* (yield* Store).guardrailEvents(sessionId)
        expect(guardrail).toMatchObject([{
          sentenceIndex: 0,
          action: "rewritten",
          original: "Hit it hard.",
          replacement: "Press firmly.",
          categories: ["violence"],
          scores: { violence: 0.8 },
          confidence: 0.8,
          flagged: true
        }])
      }))

    it.effect("watch follows a job running in this process until it finishes", () =>
      Effect.gen(function*() {
        const jobs = yield* JobStore
        const job = yield* jobs.create({ sessionId: uniqueSession("watch"), studentText: "What is 2+2?" })
        const watcher = yield* jobs.watch(job.id).pipe(Stream.runCollect, Effect.forkChild)
        yield* Effect.sleep("20 millis")
        yield* jobs.update(job.id, (current) => ({ ...current, status: "processing", subject: "math", confidence: 0.9 }))
        yield* jobs.update(job.id, (current) => ({ ...current, sentences: [...current.sentences, "It is 4."] }))
        yield* jobs.update(job.id, (current) => ({ ...current, status: "complete", safeText: "It is 4.", ttsReady: true, completedAt: 1 }))
        const seen = yield* Fiber.join(watcher)
        expect(seen.map((snapshot) => [snapshot.status, snapshot.sentences.length])).toEqual([
          ["pending", 0],
          ["processing", 0],
          ["processing", 1],
          ["complete", 1]
        ])
        // finished: read back from the table, once
        expect((yield* jobs.watch(job.id).pipe(Stream.runCollect)).map((snapshot) => snapshot.status)).toEqual(["complete"])
        expect(yield* Effect.flip(jobs.get("no-such-job"))).toMatchObject({ _tag: "JobNotFound" })
      }).pipe(Effect.provide(jobStoreSql())))

    it.effect("jobs survive a restart; unfinished ones become errors; finished ones expire", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase
        // a restart is the layer released and built again on the same data
        const run = <A, E>(program: Effect.Effect<A, E, JobStore>) =>
          program.pipe(Effect.provide(jobStoreSql({ finishedTtl: "1 millis" }).pipe(Layer.provide(db.persistent))))

        const [finished, interrupted] = yield* run(Effect.gen(function*() {
          const jobs = yield* JobStore
          const a = yield* jobs.create({ sessionId: "restart", studentText: "first" })
          const b = yield* jobs.create({ sessionId: "restart", studentText: "second" })
          const complete = (job: Job): Job => ({
            ...job,
            status: "complete",
            subject: "math",
            sentences: ["Done."],
            safeText: "Done.",
            rawText: "Done.",
            ttsReady: true,
            completedAt: job.dispatchedAt + 5,
            latency: { classifyMs: 1, firstTokenMs: 2, firstSentenceMs: 3, firstAudioMs: null, totalMs: 5 },
            usage: usageOf({ model: "claude-haiku-4-5", inputTokens: 1000, outputTokens: 200 })
          })
          yield* jobs.update(a.id, complete)
          yield* jobs.update(b.id, (job) => ({ ...job, status: "processing", subject: "history", classifiedAt: job.dispatchedAt + 1 }))
          return [a, b] as const
        }))

        yield* run(Effect.gen(function*() {
          const jobs = yield* JobStore
          const a = yield* jobs.get(finished.id)
          expect(a).toMatchObject({ status: "complete", safeText: "Done.", sentences: ["Done."], ttsReady: true, subject: "math" })
          expect(a.completedAt).toBe(finished.dispatchedAt + 5)
          expect(a.latency).toEqual({ classifyMs: 1, firstTokenMs: 2, firstSentenceMs: 3, firstAudioMs: null, totalMs: 5 })
          expect(a.usage).toEqual(usageOf({ model: "claude-haiku-4-5", inputTokens: 1000, outputTokens: 200 }))
          const b = yield* jobs.get(interrupted.id)
          expect(b).toMatchObject({
            status: "error",
            errorMessage: INTERRUPTED_BY_RESTART,
            ttsReady: false,
            subject: "history",
            latency: null,
            usage: null
          })
          expect(b.completedAt).not.toBeNull()
          // a finished job read from the table is watchable: one snapshot, then the end
          expect((yield* jobs.watch(interrupted.id).pipe(Stream.runCollect)).map((job) => job.status)).toEqual(["error"])

          yield* Effect.sleep("5 millis")
          expect(yield* jobs.expire).toBeGreaterThanOrEqual(2)
          expect(yield* Effect.flip(jobs.get(finished.id))).toMatchObject({ _tag: "JobNotFound" })
        }))
      }), RESTART_TIMEOUT)
  })
})
