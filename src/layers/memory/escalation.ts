import { Clock, Effect, Layer, Option, PubSub, RcMap, Ref, Stream } from "effect"
import { randomUUID } from "node:crypto"
import {
  byUrgency,
  type ClaimOutcome,
  Escalation,
  type EscalationRecord,
  escalationNotice,
  type StudentMessage,
  studentNotice,
  type TeacherMessage
} from "../../services/Escalation.ts"

export interface EscalationLimits {
  /** messages a slow reader may lag behind before the oldest are dropped for it */
  readonly bufferPerReader: number
  /** resolved escalations are forgotten first, then the oldest, beyond this many */
  readonly maxKept: number
}

const defaultLimits: EscalationLimits = {
  bufferPerReader: 256,
  maxKept: 10_000
}

/** Keeps the unresolved ones as long as possible: the resolved are dropped first. */
const bounded = (records: ReadonlyMap<string, EscalationRecord>, max: number): Map<string, EscalationRecord> => {
  const next = new Map(records)
  for (const [id, record] of next) {
    if (next.size <= max) break
    if (record.resolvedAt !== null) next.delete(id)
  }
  for (const id of next.keys()) {
    if (next.size <= max) break
    next.delete(id)
  }
  return next
}

/** Claims an escalation for a teacher if it is free (or already theirs) and unresolved. */
export const claimRecord = (record: EscalationRecord, teacherId: string, now: number): EscalationRecord | null => {
  if (record.resolvedAt !== null || (record.claimedBy !== null && record.claimedBy !== teacherId)) return null
  return record.claimedBy === teacherId ? record : { ...record, claimedBy: teacherId, claimedAt: now }
}

interface Channels {
  readonly teachers: PubSub.PubSub<TeacherMessage>
  readonly student: PubSub.PubSub<StudentMessage>
}

/**
 * In-process escalation: one pair of sliding PubSubs per session (a dead or slow socket loses
 * its own oldest messages and never blocks a broadcast), released when nobody listens.
 * Escalations are kept in memory, bounded, so they do not survive a restart.
 */
export const escalationMemory = (limits: Partial<EscalationLimits> = {}): Layer.Layer<Escalation> =>
  Layer.effect(
    Escalation,
    Effect.gen(function*() {
      const { bufferPerReader, maxKept } = { ...defaultLimits, ...limits }
      const channels = yield* RcMap.make({
        lookup: (_sessionId: string) =>
          Effect.gen(function*() {
            const teachers = yield* Effect.acquireRelease(PubSub.sliding<TeacherMessage>(bufferPerReader), PubSub.shutdown)
            const student = yield* Effect.acquireRelease(PubSub.sliding<StudentMessage>(bufferPerReader), PubSub.shutdown)
            const pair: Channels = { teachers, student }
            return pair
          }),
        // a socket reconnecting at once reuses them; nothing is replayed, so keeping them longer buys nothing
        idleTimeToLive: "5 seconds"
      })
      const records = yield* Ref.make<ReadonlyMap<string, EscalationRecord>>(new Map())
      const inbox = yield* Effect.acquireRelease(PubSub.sliding<void>(bufferPerReader), PubSub.shutdown)

      // a session nobody has listened to lately has no channels, and a message for it goes nowhere:
      // creating them would allocate two buffers per session for every transcript line
      const publish = <A>(sessionId: string, pick: (pair: Channels) => PubSub.PubSub<A>, message: A) =>
        Effect.flatMap(RcMap.has(channels, sessionId), (listened) =>
          listened
            ? Effect.scoped(Effect.flatMap(RcMap.get(channels, sessionId), (pair) => PubSub.publish(pick(pair), message)))
            : Effect.void)

      const feed = <A>(sessionId: string, pick: (pair: Channels) => PubSub.PubSub<A>) =>
        Effect.gen(function*() {
          const pair = yield* RcMap.get(channels, sessionId)
          // subscribed now, inside the caller's scope, so nothing published after this returns is missed
          const subscription = yield* PubSub.subscribe(pick(pair))
          return Stream.fromSubscription(subscription)
        })

      const all = Effect.map(Ref.get(records), (map) => [...map.values()])

      const toTeachers = (sessionId: string, message: TeacherMessage) =>
        publish(sessionId, (pair) => pair.teachers, message)
      const toStudent = (sessionId: string, message: StudentMessage) =>
        publish(sessionId, (pair) => pair.student, message)

      return Escalation.of({
        raise: Effect.fn("Escalation.raise")(function*(input) {
          const now = yield* Clock.currentTimeMillis
          const record: EscalationRecord = {
            id: randomUUID(),
            raisedAt: now,
            claimedBy: null,
            claimedAt: null,
            resolvedAt: null,
            resolutionNote: null,
            ...input
          }
          yield* Ref.update(records, (map) => bounded(new Map(map).set(record.id, record), maxKept))
          yield* PubSub.publish(inbox, undefined)
          yield* toTeachers(input.sessionId, escalationNotice(record))
          yield* toStudent(input.sessionId, studentNotice(record))
          yield* Effect.logInfo("escalation raised").pipe(
            Effect.annotateLogs({ sessionId: input.sessionId, trigger: input.trigger, reason: input.reason })
          )
          return record
        }),
        open: Effect.map(all, (list) => byUrgency(list.filter((record) => record.resolvedAt === null))),
        pending: (sessionId) =>
          Effect.map(all, (list) =>
            list.filter((record) => record.sessionId === sessionId && record.claimedBy === null && record.resolvedAt === null)),
        get: (id) => Effect.map(Ref.get(records), (map) => Option.fromNullishOr(map.get(id))),
        claim: Effect.fn("Escalation.claim")(function*(id, teacherId) {
          const now = yield* Clock.currentTimeMillis
          const outcome = yield* Ref.modify(records, (map): readonly [ClaimOutcome, ReadonlyMap<string, EscalationRecord>] => {
            const record = map.get(id)
            if (record === undefined) return [{ _tag: "Missing" }, map]
            const claimed = claimRecord(record, teacherId, now)
            return claimed === null ? [{ _tag: "Taken" }, map] : [{ _tag: "Claimed", record: claimed }, new Map(map).set(id, claimed)]
          })
          if (outcome._tag === "Claimed") {
            yield* PubSub.publish(inbox, undefined)
            yield* toStudent(outcome.record.sessionId, { type: "teacher_joined" })
          }
          return outcome
        }),
        resolve: Effect.fn("Escalation.resolve")(function*(id, teacherId, note) {
          const now = yield* Clock.currentTimeMillis
          const outcome = yield* Ref.modify(records, (map) => {
            const record = map.get(id)
            if (record === undefined) return ["Missing" as const, map]
            if (record.claimedBy !== teacherId || record.resolvedAt !== null) return ["NotYours" as const, map]
            return ["Resolved" as const, new Map(map).set(id, { ...record, resolvedAt: now, resolutionNote: note })]
          })
          if (outcome === "Resolved") yield* PubSub.publish(inbox, undefined)
          return outcome
        }),
        holdsClaim: (sessionId, teacherId) =>
          Effect.map(all, (list) =>
            list.some((record) =>
              record.sessionId === sessionId && record.claimedBy === teacherId && record.resolvedAt === null)),
        inboxChanges: Effect.map(PubSub.subscribe(inbox), Stream.fromSubscription),
        toTeachers,
        toStudent,
        teacherFeed: (sessionId) => feed(sessionId, (pair) => pair.teachers),
        studentFeed: (sessionId) => feed(sessionId, (pair) => pair.student)
      })
    })
  )
