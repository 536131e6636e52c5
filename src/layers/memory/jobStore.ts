import { Clock, Duration, Effect, Layer, PubSub, Ref, Stream } from "effect"
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
}

const defaultRetention: JobRetention = {
  sweepEvery: Duration.seconds(JOB_RETENTION.sweepEverySeconds),
  finishedTtl: Duration.seconds(JOB_RETENTION.finishedTtlSeconds)
}

/** Jobs kept in process memory, swept on the reference's schedule; lost on restart. */
export const jobStoreMemory = (retention: JobRetention = defaultRetention): Layer.Layer<JobStore> =>
  Layer.effect(
    JobStore,
    Effect.gen(function*() {
      const entries = yield* Ref.make(new Map<string, Entry>())
      const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(retention.finishedTtl))

      const find = (id: string) =>
        Effect.flatMap(Ref.get(entries), (map) => {
          const entry = map.get(id)
          return entry === undefined ? Effect.fail(new JobNotFound({ jobId: id })) : Effect.succeed(entry)
        })

      const drop = (ids: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const removed = yield* Ref.modify(entries, (map) => {
            const next = new Map(map)
            const gone: Array<Entry> = []
            for (const id of ids) {
              const entry = next.get(id)
              if (entry !== undefined) gone.push(entry)
              next.delete(id)
            }
            return [gone, next] as const
          })
          yield* Effect.forEach(removed, (entry) => PubSub.shutdown(entry.changes), { discard: true })
          return removed.length
        })

      const expire = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const map = yield* Ref.get(entries)
        const expired = [...map.values()]
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
          yield* Ref.update(entries, (map) => new Map(map).set(job.id, { job, version: 0, changes }))
          return job
        }),
        get: Effect.fn("JobStore.get")(function*(id) {
          return (yield* find(id)).job
        }),
        update: Effect.fn("JobStore.update")(function*(id, change) {
          const updated = yield* Ref.modify(entries, (map) => {
            const entry = map.get(id)
            if (entry === undefined) return [undefined, map] as const
            const next: Entry = { ...entry, job: change(entry.job), version: entry.version + 1 }
            return [next, new Map(map).set(id, next)] as const
          })
          if (updated === undefined) return yield* new JobNotFound({ jobId: id })
          yield* PubSub.publish(updated.changes, updated)
          return updated.job
        }),
        remove: (id) => Effect.asVoid(drop([id])),
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
