import { Clock, Duration, Effect, Layer, Option, PubSub, Ref, Schedule, Schema, Stream } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { randomUUID } from "node:crypto"
import {
  INTERRUPTED_BY_RESTART,
  isFinished,
  type Job,
  Job as JobSchema,
  JOB_RETENTION,
  JobNotFound,
  JobStore,
  newJob
} from "../../services/JobStore.ts"
import type { JobRetention } from "../memory/jobStore.ts"
import { EpochMillisFromDate, isUuid, retryBrieflyOrDie } from "./rows.ts"

export interface JobStoreSqlOptions extends JobRetention {
  /**
   * Names this server instance across restarts: at start-up it marks ITS unfinished jobs as
   * interrupted. Instances sharing a database need distinct, stable ids (`TUTOR_INSTANCE_ID`).
   */
  readonly instanceId: string
  /** how often a watched job running in another instance is re-read */
  readonly pollEvery: Duration.Input
}

const defaults: JobStoreSqlOptions = {
  instanceId: "default",
  sweepEvery: Duration.seconds(JOB_RETENTION.sweepEverySeconds),
  finishedTtl: Duration.seconds(JOB_RETENTION.finishedTtlSeconds),
  pollEvery: Duration.millis(250)
}

/** A job as stored, with the row version that orders its changes. */
const JobRow = Schema.Struct({
  ...JobSchema.fields,
  dispatchedAt: EpochMillisFromDate,
  classifiedAt: Schema.NullOr(EpochMillisFromDate),
  completedAt: Schema.NullOr(EpochMillisFromDate),
  version: Schema.Number
})
type JobRow = typeof JobRow.Type

const columns = `id::text AS "id", session_id AS "sessionId", status::text AS "status",
  student_text AS "studentText", subject, confidence, raw_text AS "rawText", sentences, interventions,
  safe_text AS "safeText", tts_ready AS "ttsReady", error_message AS "errorMessage",
  dispatched_at AS "dispatchedAt", classified_at AS "classifiedAt", completed_at AS "completedAt",
  turn_latency AS "latency", token_usage AS "usage", version`

interface LiveJob {
  readonly latest: JobRow
  readonly changes: PubSub.PubSub<JobRow>
}

const toJob = ({ version: _version, ...job }: JobRow): Job => job

const date = (millis: number | null) => millis === null ? null : new Date(millis)

/** A value for a nullable `JSONB` column: SQL NULL rather than the JSON `null`. */
const jsonb = (value: object | null) => value === null ? null : JSON.stringify(value)

/**
 * Jobs in `orchestrator_jobs`, so they survive a restart. Jobs running in this process also
 * have an in-memory snapshot and a PubSub: `get` answers from memory and `watch` follows every
 * change without polling. Other jobs (finished, from before a restart, or owned by another
 * instance) are read from the table; watching an unfinished one of those polls it.
 */
export const jobStoreSql = (
  options: Partial<JobStoreSqlOptions> = {}
): Layer.Layer<JobStore, never, SqlClient.SqlClient> =>
  Layer.effect(
    JobStore,
    Effect.gen(function*() {
      const { finishedTtl, instanceId, pollEvery, sweepEvery } = { ...defaults, ...options }
      const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(finishedTtl))
      const sql = yield* SqlClient.SqlClient
      const live = yield* Ref.make(new Map<string, LiveJob>())

      const findRow = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: JobRow,
        execute: (id) => sql`SELECT ${sql.unsafe(columns)} FROM orchestrator_jobs WHERE id = ${id}::uuid`
      })
      const lockRow = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: JobRow,
        execute: (id) => sql`SELECT ${sql.unsafe(columns)} FROM orchestrator_jobs WHERE id = ${id}::uuid FOR UPDATE`
      })
      const expiresAt = (job: Job, now: number) =>
        isFinished(job) ? new Date((job.completedAt ?? now) + ttlMillis) : null

      const read = (id: string) =>
        Effect.gen(function*() {
          if (!isUuid(id)) return yield* new JobNotFound({ jobId: id })
          const local = (yield* Ref.get(live)).get(id)
          if (local !== undefined) return local.latest
          const row = yield* retryBrieflyOrDie(findRow(id))
          return yield* Option.match(row, { onNone: () => Effect.fail(new JobNotFound({ jobId: id })), onSome: Effect.succeed })
        })

      // a restart cut these short: nobody will finish them, and their waiters deserve an answer
      const recovered = yield* Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        return yield* sql<{ readonly id: string }>`
          UPDATE orchestrator_jobs
          SET status = 'error', error_message = ${INTERRUPTED_BY_RESTART}, tts_ready = false,
              completed_at = ${new Date(now)}, expires_at = ${new Date(now + ttlMillis)}, version = version + 1
          WHERE owner = ${instanceId} AND status IN ('pending', 'processing')
          RETURNING id::text AS id`
      }).pipe(retryBrieflyOrDie)
      if (recovered.length > 0) yield* Effect.logWarning(`job store: ${recovered.length} unfinished jobs marked as ${INTERRUPTED_BY_RESTART}`)

      const expire = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const removed = yield* sql<{ readonly id: string }>`
          DELETE FROM orchestrator_jobs WHERE expires_at < ${new Date(now)} RETURNING id::text AS id`.pipe(retryBrieflyOrDie)
        if (removed.length > 0) yield* Effect.logDebug(`job store: expired ${removed.length} finished jobs`)
        return removed.length
      }).pipe(Effect.withSpan("JobStore.expire"))

      yield* Effect.sleep(sweepEvery).pipe(
        Effect.andThen(expire),
        Effect.forever,
        Effect.forkScoped
      )

      /** Keeps the newest snapshot of a live job and tells its watchers; a finished job leaves memory. */
      const publish = (row: JobRow) =>
        Effect.gen(function*() {
          const entry = yield* Ref.modify(live, (map) => {
            const current = map.get(row.id)
            if (current === undefined || current.latest.version >= row.version) return [undefined, map] as const
            const next = new Map(map)
            if (isFinished(row)) next.delete(row.id)
            else next.set(row.id, { ...current, latest: row })
            return [current, next] as const
          })
          if (entry !== undefined) yield* PubSub.publish(entry.changes, row)
        })

      /** Re-reads a job that runs elsewhere until it finishes, emitting each new version once. */
      const poll = (id: string) =>
        Stream.fromEffectSchedule(read(id), Schedule.spaced(pollEvery))

      return JobStore.of({
        create: Effect.fn("JobStore.create")(function*(input) {
          const row: JobRow = { ...newJob(input, randomUUID(), yield* Clock.currentTimeMillis), version: 0 }
          yield* retryBrieflyOrDie(sql`
            INSERT INTO orchestrator_jobs (id, session_id, status, student_text, sentences, dispatched_at, owner, version)
            VALUES (${row.id}::uuid, ${row.sessionId}, 'pending', ${row.studentText}, '[]'::jsonb,
                    ${new Date(row.dispatchedAt)}, ${instanceId}, 0)`)
          const changes = yield* PubSub.unbounded<JobRow>()
          yield* Ref.update(live, (map) => new Map(map).set(row.id, { latest: row, changes }))
          return toJob(row)
        }),
        get: Effect.fn("JobStore.get")(function*(id) {
          return toJob(yield* read(id))
        }),
        update: Effect.fn("JobStore.update")(function*(id, change) {
          if (!isUuid(id)) return yield* new JobNotFound({ jobId: id })
          // the row lock serialises concurrent updates of one job, in this process or another
          const updated = yield* Effect.gen(function*() {
            const current = yield* lockRow(id)
            if (Option.isNone(current)) return Option.none<JobRow>()
            const now = yield* Clock.currentTimeMillis
            const job = change(toJob(current.value))
            const next: JobRow = { ...job, version: current.value.version + 1 }
            yield* sql`
              UPDATE orchestrator_jobs SET
                status = ${next.status}, subject = ${next.subject}, confidence = ${next.confidence},
                raw_text = ${next.rawText}, sentences = ${JSON.stringify(next.sentences)}::jsonb,
                interventions = ${JSON.stringify(next.interventions)}::jsonb,
                safe_text = ${next.safeText}, tts_ready = ${next.ttsReady}, error_message = ${next.errorMessage},
                classified_at = ${date(next.classifiedAt)}, completed_at = ${date(next.completedAt)},
                turn_latency = ${jsonb(next.latency)}::jsonb, token_usage = ${jsonb(next.usage)}::jsonb,
                expires_at = ${expiresAt(job, now)}, version = ${next.version}
              WHERE id = ${id}::uuid`
            return Option.some(next)
          }).pipe(sql.withTransaction, retryBrieflyOrDie)
          if (Option.isNone(updated)) return yield* new JobNotFound({ jobId: id })
          yield* publish(updated.value)
          return toJob(updated.value)
        }),
        remove: Effect.fn("JobStore.remove")(function*(id) {
          if (!isUuid(id)) return
          yield* retryBrieflyOrDie(sql`DELETE FROM orchestrator_jobs WHERE id = ${id}::uuid`)
          const entry = yield* Ref.modify(live, (map) => {
            const next = new Map(map)
            next.delete(id)
            return [map.get(id), next] as const
          })
          if (entry !== undefined) yield* PubSub.shutdown(entry.changes)
        }),
        expire,
        watch: (id) =>
          Stream.unwrap(Effect.gen(function*() {
            const entry = (yield* Ref.get(live)).get(id)
            // subscribe before re-reading so no change between the two can be missed
            const changes = entry === undefined
              ? poll(id)
              : Stream.concat(
                Stream.fromEffect(read(id)),
                Stream.fromSubscription(yield* PubSub.subscribe(entry.changes))
              )
            let seen = -1
            return changes.pipe(
              Stream.filter((row) => {
                const fresh = row.version > seen
                if (fresh) seen = row.version
                return fresh
              }),
              Stream.map(toJob),
              Stream.takeUntil(isFinished)
            )
          }))
      })
    })
  )
