import { Clock, Duration, Effect, Fiber, Layer, Option, PubSub, Queue, Ref, Schedule, Schema, Stream } from "effect"
import { SqlClient, type SqlError, SqlSchema } from "effect/sql"
import { randomUUID } from "node:crypto"
import {
  INTERRUPTED_BY_RESTART,
  isFinished,
  type Job,
  Job as JobSchema,
  JOB_RETENTION,
  JobNotFound,
  JobStore,
  JobStoreUnavailable,
  newJob
} from "../../services/JobStore.ts"
import type { JobRetention } from "../memory/jobStore.ts"
import { cappedBackoff, EpochMillisFromDate, isTransient, isUuid, retryBrieflyOrDie } from "./rows.ts"

export interface JobStoreSqlOptions extends JobRetention {
  /**
   * Names this server instance across restarts: at start-up it marks ITS unfinished jobs as
   * interrupted. Instances sharing a database need distinct, stable ids (`TUTOR_INSTANCE_ID`).
   */
  readonly instanceId: string
  /** how often a watched job running in another instance is re-read */
  readonly pollEvery: Duration.Input
  /** first wait after a failed write of job rows; doubles up to `retryCap` */
  readonly retryBase: Duration.Input
  readonly retryCap: Duration.Input
  /** how long shutdown waits to write the last job rows */
  readonly shutdownTimeout: Duration.Input
}

const defaults: JobStoreSqlOptions = {
  instanceId: "default",
  sweepEvery: Duration.seconds(JOB_RETENTION.sweepEverySeconds),
  finishedTtl: Duration.seconds(JOB_RETENTION.finishedTtlSeconds),
  pollEvery: Duration.millis(250),
  retryBase: Duration.millis(100),
  retryCap: Duration.seconds(5),
  shutdownTimeout: Duration.seconds(5)
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
  turn_latency AS "latency", token_usage AS "usage", safety_finding AS "finding", version`

interface LiveJob {
  readonly latest: JobRow
  readonly changes: PubSub.PubSub<JobRow>
}

const toJob = ({ version: _version, ...job }: JobRow): Job => job

const date = (millis: number | null) => millis === null ? null : new Date(millis)

/** A value for a nullable `JSONB` column: SQL NULL rather than the JSON `null`. */
const jsonb = (value: object | null) => value === null ? null : JSON.stringify(value)

const unavailable = (error: SqlError.SqlError | Schema.SchemaError) =>
  new JobStoreUnavailable({ message: error.message })

/** Keeps the newest version of each job. */
const newest = (rows: Iterable<JobRow>): Map<string, JobRow> => {
  const byId = new Map<string, JobRow>()
  for (const row of rows) {
    const known = byId.get(row.id)
    if (known === undefined || known.version < row.version) byId.set(row.id, row)
  }
  return byId
}

/**
 * Jobs in `orchestrator_jobs`, so they survive a restart. The jobs this instance runs live in
 * memory, which is their truth: `create`, `update`, `get` and `watch` of them never wait for the
 * database, so students are answered through a database outage. Their rows are written behind:
 * the newest unwritten snapshot of each job (so the backlog is bounded by the jobs, not by their
 * changes) is upserted in batches, retried with capped backoff while the database is away, and
 * a finished job leaves memory once its final row is stored. Other jobs (finished and stored,
 * from before a restart, or owned by another instance) are read from the table, and fail as
 * `JobStoreUnavailable` while it cannot be reached; watching an unfinished one polls it.
 */
export const jobStoreSql = (
  options: Partial<JobStoreSqlOptions> = {}
): Layer.Layer<JobStore, never, SqlClient.SqlClient> =>
  Layer.effect(
    JobStore,
    Effect.gen(function*() {
      const { finishedTtl, instanceId, pollEvery, retryBase, retryCap, shutdownTimeout, sweepEvery } = {
        ...defaults,
        ...options
      }
      const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(finishedTtl))
      const sql = yield* SqlClient.SqlClient
      // every read-modify-write of these maps runs in one synchronous step, so plain Maps are atomic
      const live = new Map<string, LiveJob>()
      /** the newest snapshot of each live job that is not yet in the table */
      const unsaved = new Map<string, JobRow>()
      /** the batch being written (kept so shutdown can still write it if the writer is cut short) */
      let saving = new Map<string, JobRow>()
      const wake = yield* Queue.sliding<void>(1)
      const unreachable = yield* Ref.make(false)

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
      const expiresAt = (job: Job) =>
        isFinished(job) && job.completedAt !== null ? new Date(job.completedAt + ttlMillis) : null

      const toColumns = (row: JobRow) => ({
        id: row.id,
        session_id: row.sessionId,
        status: row.status,
        student_text: row.studentText,
        subject: row.subject,
        confidence: row.confidence,
        raw_text: row.rawText,
        sentences: JSON.stringify(row.sentences),
        interventions: JSON.stringify(row.interventions),
        safe_text: row.safeText,
        tts_ready: row.ttsReady,
        error_message: row.errorMessage,
        dispatched_at: new Date(row.dispatchedAt),
        classified_at: date(row.classifiedAt),
        completed_at: date(row.completedAt),
        turn_latency: jsonb(row.latency),
        token_usage: jsonb(row.usage),
        safety_finding: jsonb(row.finding),
        expires_at: expiresAt(row),
        owner: instanceId,
        version: row.version
      })

      /** One statement for the batch; a row never goes back to an older version, whatever the order of writes. */
      const upsert = (rows: ReadonlyArray<JobRow>) => {
        const [first, ...rest] = rows.map(toColumns)
        if (first === undefined) return Effect.void
        return Effect.asVoid(sql`
          INSERT INTO orchestrator_jobs ${sql.insert([first, ...rest])}
          ON CONFLICT (id) DO UPDATE SET
            status = EXCLUDED.status, subject = EXCLUDED.subject, confidence = EXCLUDED.confidence,
            raw_text = EXCLUDED.raw_text, sentences = EXCLUDED.sentences, interventions = EXCLUDED.interventions,
            safe_text = EXCLUDED.safe_text, tts_ready = EXCLUDED.tts_ready, error_message = EXCLUDED.error_message,
            classified_at = EXCLUDED.classified_at, completed_at = EXCLUDED.completed_at,
            turn_latency = EXCLUDED.turn_latency, token_usage = EXCLUDED.token_usage,
            safety_finding = EXCLUDED.safety_finding, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version
          WHERE orchestrator_jobs.version < EXCLUDED.version`)
      }

      /** A finished job whose final row is stored is read from the table from now on. */
      const forgetStored = (rows: Iterable<JobRow>) => {
        for (const row of rows) {
          if (isFinished(row) && live.get(row.id)?.latest.version === row.version) live.delete(row.id)
        }
      }

      const saveBatch = Effect.gen(function*() {
        saving = new Map(unsaved)
        unsaved.clear()
        const rows = [...saving.values()]
        const written = yield* upsert(rows).pipe(
          Effect.tapError((error) =>
            isTransient(error)
              ? Effect.gen(function*() {
                if (!(yield* Ref.getAndSet(unreachable, true))) {
                  yield* Effect.logWarning(`job store: database unreachable, job rows wait in memory: ${error.message}`)
                }
              })
              : Effect.void
          ),
          Effect.retry({ while: isTransient, schedule: cappedBackoff(retryBase, retryCap) }),
          Effect.as(true),
          Effect.catch((error) =>
            Effect.as(Effect.logError(`job store: ${rows.length} job rows refused by the database: ${error.message}`), false)
          )
        )
        if (written && (yield* Ref.getAndSet(unreachable, false))) {
          yield* Effect.logInfo(`job store: database reachable again, ${rows.length} job rows written`)
        }
        // a refused row stays out of the table; memory keeps serving it until the job is swept
        if (written) forgetStored(rows)
        saving = new Map()
      })

      const writer = yield* Queue.take(wake).pipe(
        Effect.andThen(saveBatch),
        Effect.forever,
        Effect.forkScoped
      )

      /** The newest version of a live job is in memory and waits for the write-behind. */
      const keep = (row: JobRow, changes: PubSub.PubSub<JobRow>) => {
        live.set(row.id, { latest: row, changes })
        unsaved.set(row.id, row)
      }

      const announce = (row: JobRow, changes: PubSub.PubSub<JobRow>) =>
        Effect.andThen(Queue.offer(wake, undefined), PubSub.publish(changes, row))

      const readStored = (id: string) =>
        findRow(id).pipe(
          Effect.retry({ while: isTransient, schedule: cappedBackoff("50 millis", "500 millis"), times: 3 }),
          Effect.mapError(unavailable),
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(new JobNotFound({ jobId: id })),
            onSome: Effect.succeed
          }))
        )

      const read = (id: string) =>
        Effect.suspend(() => {
          if (!isUuid(id)) return Effect.fail(new JobNotFound({ jobId: id }))
          const local = live.get(id)
          return local === undefined ? readStored(id) : Effect.succeed(local.latest)
        })

      /** A job this instance does not run, changed in the table under its row lock. */
      const updateStored = (id: string, change: (job: Job) => Job) =>
        Effect.gen(function*() {
          const current = yield* lockRow(id)
          if (Option.isNone(current)) return Option.none<JobRow>()
          const next: JobRow = { ...change(toJob(current.value)), version: current.value.version + 1 }
          yield* sql`
            UPDATE orchestrator_jobs SET
              status = ${next.status}, subject = ${next.subject}, confidence = ${next.confidence},
              raw_text = ${next.rawText}, sentences = ${JSON.stringify(next.sentences)}::jsonb,
              interventions = ${JSON.stringify(next.interventions)}::jsonb,
              safe_text = ${next.safeText}, tts_ready = ${next.ttsReady}, error_message = ${next.errorMessage},
              classified_at = ${date(next.classifiedAt)}, completed_at = ${date(next.completedAt)},
              turn_latency = ${jsonb(next.latency)}::jsonb, token_usage = ${jsonb(next.usage)}::jsonb,
              safety_finding = ${jsonb(next.finding)}::jsonb, expires_at = ${expiresAt(next)}, version = ${next.version}
            WHERE id = ${id}::uuid`
          return Option.some(next)
        }).pipe(
          sql.withTransaction,
          Effect.mapError(unavailable),
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(new JobNotFound({ jobId: id })),
            onSome: (row) => Effect.succeed(toJob(row))
          }))
        )

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
        // a finished job whose row could not be written is only in memory: it expires there
        for (const { latest } of live.values()) {
          if (isFinished(latest) && latest.completedAt !== null && now - latest.completedAt > ttlMillis) {
            live.delete(latest.id)
          }
        }
        const removed = yield* sql<{ readonly id: string }>`
          DELETE FROM orchestrator_jobs WHERE expires_at < ${new Date(now)} RETURNING id::text AS id`.pipe(
          Effect.catch((error) =>
            Effect.as(Effect.logWarning(`job store: expired rows not swept this time: ${error.message}`), []))
        )
        if (removed.length > 0) yield* Effect.logDebug(`job store: expired ${removed.length} finished jobs`)
        return removed.length
      }).pipe(Effect.withSpan("JobStore.expire"))

      yield* Effect.sleep(sweepEvery).pipe(
        Effect.andThen(expire),
        Effect.forever,
        Effect.forkScoped
      )

      // jobs interrupted by the shutdown wrote their last change just before this runs
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          yield* Fiber.interrupt(writer)
          const rows = [...newest([...saving.values(), ...unsaved.values()]).values()]
          if (rows.length === 0) return
          yield* upsert(rows).pipe(
            Effect.retry({ while: isTransient, schedule: cappedBackoff(retryBase, retryCap) }),
            Effect.timeout(shutdownTimeout),
            Effect.catch((error) =>
              Effect.logError(`job store: ${rows.length} job rows not written at shutdown: ${String(error)}`))
          )
        })
      )

      /** Re-reads a job that runs elsewhere until it finishes, emitting each new version once. */
      const poll = (id: string) => Stream.fromEffectSchedule(read(id), Schedule.spaced(pollEvery))

      return JobStore.of({
        create: Effect.fn("JobStore.create")(function*(input) {
          const row: JobRow = { ...newJob(input, randomUUID(), yield* Clock.currentTimeMillis), version: 0 }
          const changes = yield* PubSub.unbounded<JobRow>()
          keep(row, changes)
          yield* announce(row, changes)
          return toJob(row)
        }),
        get: Effect.fn("JobStore.get")(function*(id) {
          return toJob(yield* read(id))
        }),
        update: Effect.fn("JobStore.update")(function*(id, change) {
          if (!isUuid(id)) return yield* new JobNotFound({ jobId: id })
          // read, change and keep in one synchronous step: concurrent updates of a job cannot lose one another
          const updated = yield* Effect.sync(() => {
            const local = live.get(id)
            if (local === undefined) return undefined
            const next: JobRow = { ...change(toJob(local.latest)), version: local.latest.version + 1 }
            keep(next, local.changes)
            return { next, changes: local.changes }
          })
          if (updated === undefined) return yield* updateStored(id, change)
          yield* announce(updated.next, updated.changes)
          return toJob(updated.next)
        }),
        expire,
        watch: (id) =>
          Stream.unwrap(Effect.gen(function*() {
            const entry = live.get(id)
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
