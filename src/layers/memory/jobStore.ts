import { Clock, Duration, Effect, Iterable, Layer, PubSub, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { isFinished, type Job, JOB_RETENTION, JobNotFound, JobStore, newJob } from "../../services/JobStore.ts"

interface Entry {
  readonly job: Job
  /** bumped on every change so a watcher can tell which published snapshots it has already seen */
  readonly version: number
  readonly changes: PubSub.PubSub<Entry>
}

export interface JobRetention {
  readonly sweepEvery: Duration.Input
  readonly finishedTtl: Duration.Input
  /**
   * Finished jobs kept at most (default 10,000, ≈ 85 MiB): beyond it the longest finished goes
   * first. The age limit alone let memory grow with the request rate (an hour at 200 jobs/s is
   * 720,000 jobs); unfinished jobs are never dropped.
   */
  readonly maxFinished?: number
}

const defaultRetention: JobRetention = {
  sweepEvery: Duration.seconds(JOB_RETENTION.sweepEverySeconds),
  finishedTtl: Duration.seconds(JOB_RETENTION.finishedTtlSeconds)
}

export const DEFAULT_MAX_FINISHED_JOBS = 10_000

/** Jobs kept in process memory, swept on the reference's schedule and bounded in number; lost on restart. */
export const jobStoreMemory = (retention: JobRetention = defaultRetention): Layer.Layer<JobStore> =>
  Layer.effect(
    JobStore,
    Effect.gen(function*() {
      // every read-modify-write below runs inside one synchronous step, so a plain Map is atomic
      // here; copying an immutable map per write would cost O(jobs kept) on every update
      const entries = new Map<string, Entry>()
      // the ids of finished jobs in the order they finished (a Set iterates in insertion order)
      const finished = new Set<string>()
      const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(retention.finishedTtl))
      const maxFinished = retention.maxFinished ?? DEFAULT_MAX_FINISHED_JOBS

      const find = (id: string) =>
        Effect.suspend(() => {
          const entry = entries.get(id)
          return entry === undefined ? Effect.fail(new JobNotFound({ jobId: id })) : Effect.succeed(entry)
        })

      const drop = (ids: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const removed = yield* Effect.sync(() =>
            ids.flatMap((id) => {
              const entry = entries.get(id)
              entries.delete(id)
              finished.delete(id)
              return entry === undefined ? [] : [entry]
            })
          )
          yield* Effect.forEach(removed, (entry) => PubSub.shutdown(entry.changes), { discard: true })
          return removed.length
        })

      const expire = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const expired = [...entries.values()]
          .filter(({ job }) => isFinished(job) && job.completedAt !== null && now - job.completedAt > ttlMillis)
          .map(({ job }) => job.id)
        const count = yield* drop(expired)
        if (count > 0) yield* Effect.logDebug(`job store: expired ${count} finished jobs`)
        return count
      }).pipe(Effect.withSpan("JobStore.expire"))

      yield* Effect.sleep(retention.sweepEvery).pipe(Effect.andThen(expire), Effect.forever, Effect.forkScoped)

      return JobStore.of({
        create: Effect.fn("JobStore.create")(function*(input) {
          const job = newJob(input, randomUUID(), yield* Clock.currentTimeMillis)
          const changes = yield* PubSub.unbounded<Entry>()
          entries.set(job.id, { job, version: 0, changes })
          return job
        }),
        get: Effect.fn("JobStore.get")(function*(id) {
          return (yield* find(id)).job
        }),
        update: Effect.fn("JobStore.update")(function*(id, change) {
          const updated = yield* Effect.sync(() => {
            const entry = entries.get(id)
            if (entry === undefined) return undefined
            const next: Entry = { ...entry, job: change(entry.job), version: entry.version + 1 }
            entries.set(id, next)
            return next
          })
          if (updated === undefined) return yield* new JobNotFound({ jobId: id })
          yield* PubSub.publish(updated.changes, updated)
          if (isFinished(updated.job) && !finished.has(id)) {
            finished.add(id)
            const overflow = Array.from(Iterable.take(finished, finished.size - maxFinished))
            if (overflow.length > 0) yield* drop(overflow)
          }
          return updated.job
        }),
        expire,
        watch: (id) =>
          Stream.unwrap(Effect.gen(function*() {
            const first = yield* find(id)
            if (isFinished(first.job)) return Stream.succeed(first.job)
            // subscribe before re-reading so no change between the two can be missed
            const subscription = yield* PubSub.subscribe(first.changes)
            const current = yield* find(id)
            const later = Stream.fromSubscription(subscription).pipe(
              Stream.filter((entry) => entry.version > current.version),
              Stream.map((entry) => entry.job)
            )
            return Stream.concat(Stream.succeed(current.job), later).pipe(Stream.takeUntil(isFinished))
          }))
      })
    })
  )
