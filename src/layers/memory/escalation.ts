import { Clock, Duration, Effect, Layer, PubSub, RcMap, Ref, Stream } from "effect"
import { randomUUID } from "node:crypto"
import {
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
  /** an escalation stays pending for late teachers this long (the teacher grant's lifetime) */
  readonly pendingTtl: Duration.Input
  readonly maxPendingPerSession: number
  readonly maxSessions: number
}

const defaultLimits: EscalationLimits = {
  bufferPerReader: 256,
  pendingTtl: Duration.hours(1),
  maxPendingPerSession: 20,
  maxSessions: 10_000
}

interface Channels {
  readonly teachers: PubSub.PubSub<TeacherMessage>
  readonly student: PubSub.PubSub<StudentMessage>
}

/**
 * In-process escalation: one pair of sliding PubSubs per session (a dead or slow socket loses
 * its own oldest messages and never blocks a broadcast), released when nobody listens.
 * Pending escalations are kept in memory, bounded, so they do not survive a restart.
 */
export const escalationMemory = (limits: Partial<EscalationLimits> = {}): Layer.Layer<Escalation> =>
  Layer.effect(
    Escalation,
    Effect.gen(function*() {
      const { bufferPerReader, maxPendingPerSession, maxSessions, pendingTtl } = { ...defaultLimits, ...limits }
      const pendingMillis = Duration.toMillis(Duration.fromInputUnsafe(pendingTtl))
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
      const pendingBySession = yield* Ref.make(new Map<string, ReadonlyArray<EscalationRecord>>())

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

      const live = (records: ReadonlyArray<EscalationRecord>, now: number) =>
        records.filter((record) => now - record.raisedAt <= pendingMillis)

      const toTeachers = (sessionId: string, message: TeacherMessage) =>
        publish(sessionId, (pair) => pair.teachers, message)
      const toStudent = (sessionId: string, message: StudentMessage) =>
        publish(sessionId, (pair) => pair.student, message)

      return Escalation.of({
        raise: Effect.fn("Escalation.raise")(function*(input) {
          const now = yield* Clock.currentTimeMillis
          const record: EscalationRecord = { id: randomUUID(), raisedAt: now, ...input }
          yield* Ref.update(pendingBySession, (map) => {
            const next = new Map(map)
            const kept = live(next.get(input.sessionId) ?? [], now).slice(-(maxPendingPerSession - 1))
            next.delete(input.sessionId)
            next.set(input.sessionId, [...kept, record])
            const oldest = next.keys().next()
            if (next.size > maxSessions && !oldest.done) next.delete(oldest.value)
            return next
          })
          yield* toTeachers(input.sessionId, escalationNotice(record))
          yield* toStudent(input.sessionId, studentNotice(record))
          yield* Effect.logInfo("escalation raised").pipe(
            Effect.annotateLogs({ sessionId: input.sessionId, trigger: input.trigger, reason: input.reason })
          )
          return record
        }),
        pending: Effect.fn("Escalation.pending")(function*(sessionId) {
          const now = yield* Clock.currentTimeMillis
          return live((yield* Ref.get(pendingBySession)).get(sessionId) ?? [], now)
        }),
        acknowledge: Effect.fn("Escalation.acknowledge")(function*(id) {
          yield* Ref.update(pendingBySession, (map) => {
            const entry = [...map].find(([, records]) => records.some((record) => record.id === id))
            if (entry === undefined) return map
            const [sessionId, records] = entry
            const next = new Map(map)
            const left = records.filter((record) => record.id !== id)
            if (left.length === 0) next.delete(sessionId)
            else next.set(sessionId, left)
            return next
          })
        }),
        toTeachers,
        toStudent,
        teacherFeed: (sessionId) => feed(sessionId, (pair) => pair.teachers),
        studentFeed: (sessionId) => feed(sessionId, (pair) => pair.student)
      })
    })
  )
