import { Clock, DateTime, Duration, Effect, Layer } from "effect"
import type { Subject } from "../../services/Specialists.ts"
import {
  bySeverityFirst,
  conversationOf,
  type ReportedEscalation,
  type RoutingDecision,
  type SessionEvent,
  type SessionReport,
  Sessions,
  type StageLatency,
  type TranscriptTurn
} from "../../services/Sessions.ts"

export interface SessionLimits {
  /** sessions kept at once; the least recently active one goes first */
  readonly maxSessions: number
  /** transcript turns, routing decisions and latency samples kept per session */
  readonly maxEntries: number
  /** a session nobody touched for this long is forgotten */
  readonly idleTtl: Duration.Input
  readonly sweepEvery: Duration.Input
}

const defaultLimits: SessionLimits = {
  maxSessions: 10_000,
  maxEntries: 500,
  idleTtl: Duration.hours(2),
  sweepEvery: Duration.minutes(1)
}

interface SessionState {
  readonly transcript: ReadonlyArray<TranscriptTurn>
  /** counted separately from `transcript`, which is bounded */
  readonly turnCount: number
  readonly subjects: ReadonlySet<Subject>
  readonly routing: ReadonlyArray<RoutingDecision>
  readonly guardrailFlags: number
  readonly escalations: ReadonlyArray<ReportedEscalation>
  readonly latencies: ReadonlyArray<StageLatency>
  /** running totals over every answered turn, unlike the bounded latency samples */
  readonly usage: SessionReport["usage"]
  readonly lastActive: number
}

const emptyState = (now: number): SessionState => ({
  transcript: [],
  turnCount: 0,
  subjects: new Set(),
  routing: [],
  guardrailFlags: 0,
  escalations: [],
  latencies: [],
  usage: { input_tokens: 0, output_tokens: 0, estimated_cost_usd: 0 },
  lastActive: now
})

const bounded = <A>(items: ReadonlyArray<A>, item: A, max: number): ReadonlyArray<A> =>
  items.length < max ? [...items, item] : [...items.slice(items.length - max + 1), item]

const apply = (state: SessionState, event: SessionEvent, now: number, maxEntries: number): SessionState => {
  switch (event._tag) {
    // nothing to count: recording it marks the session active
    case "Started":
      return state
    case "Turn": {
      const turn: TranscriptTurn = {
        index: state.turnCount,
        speaker: event.speaker,
        text: event.text,
        subject: event.subject,
        at: now
      }
      const subjects = event.subject === null ? state.subjects : new Set([...state.subjects, event.subject])
      return { ...state, transcript: bounded(state.transcript, turn, maxEntries), turnCount: state.turnCount + 1, subjects }
    }
    case "Routing":
      return { ...state, routing: bounded(state.routing, event.decision, maxEntries) }
    case "GuardrailFlag":
      return { ...state, guardrailFlags: state.guardrailFlags + 1 }
    case "Escalated":
      return {
        ...state,
        escalations: bounded(state.escalations, {
          reason: event.reason,
          trigger: event.trigger,
          category: event.finding.category,
          severity: event.finding.severity,
          evidence: event.finding.evidence
        }, maxEntries)
      }
    case "Latency": {
      const { usage } = event
      const cost = state.usage.estimated_cost_usd
      return {
        ...state,
        latencies: bounded(state.latencies, event.latency, maxEntries),
        usage: {
          input_tokens: state.usage.input_tokens + usage.inputTokens,
          output_tokens: state.usage.output_tokens + usage.outputTokens,
          // one turn of unknown cost makes the session's total unknown
          estimated_cost_usd: cost === null || usage.estimatedCostUsd === null
            ? null
            : cost + usage.estimatedCostUsd
        }
      }
    }
  }
}

const summarize = (values: ReadonlyArray<number | null>) => {
  const samples = values.filter((value): value is number => value !== null).sort((a, b) => a - b)
  return {
    samples: samples.length,
    p50: samples.length === 0 ? null : (samples[Math.floor((samples.length - 1) / 2)] ?? null),
    max: samples.at(-1) ?? null
  }
}

const report = (state: SessionState, closedAt: string): SessionReport => ({
  turns: state.turnCount,
  subjects: [...state.subjects],
  escalated: state.escalations.length > 0,
  guardrail_flags: state.guardrailFlags,
  routing_decisions: state.routing.map(({ confidence, excerpt, fallback, to }) => ({ to, confidence, fallback, excerpt })),
  escalations: bySeverityFirst(state.escalations),
  latency_ms: {
    classify: summarize(state.latencies.map((latency) => latency.classifyMs)),
    first_token: summarize(state.latencies.map((latency) => latency.firstTokenMs)),
    first_sentence: summarize(state.latencies.map((latency) => latency.firstSentenceMs)),
    total: summarize(state.latencies.map((latency) => latency.totalMs))
  },
  usage: state.usage,
  closed_at: closedAt
})

/** Sessions in process memory: bounded per session and in number, idle ones evicted. */
export const sessionsMemory = (limits: Partial<SessionLimits> = {}): Layer.Layer<Sessions> =>
  Layer.effect(
    Sessions,
    Effect.gen(function*() {
      const { idleTtl, maxEntries, maxSessions, sweepEvery } = { ...defaultLimits, ...limits }
      const idleMillis = Duration.toMillis(Duration.fromInputUnsafe(idleTtl))
      // Map iteration order is insertion order; re-inserting on every touch keeps the least recently
      // active session first, so evicting the oldest is O(1). Every change is one synchronous step,
      // so mutating the Map in place is atomic and avoids copying all sessions per write.
      const sessions = new Map<string, SessionState>()

      const sweep = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (const [sessionId, state] of sessions) {
          if (now - state.lastActive > idleMillis) sessions.delete(sessionId)
        }
      })
      yield* Effect.sleep(sweepEvery).pipe(Effect.andThen(sweep), Effect.forever, Effect.forkScoped)

      const current = (sessionId: string) => Effect.sync(() => sessions.get(sessionId))

      return Sessions.of({
        record: Effect.fn("Sessions.record")(function*(sessionId, event) {
          const now = yield* Clock.currentTimeMillis
          const state = sessions.get(sessionId) ?? emptyState(now)
          sessions.delete(sessionId)
          sessions.set(sessionId, { ...apply(state, event, now, maxEntries), lastActive: now })
          const oldest = sessions.keys().next()
          if (sessions.size > maxSessions && !oldest.done) sessions.delete(oldest.value)
        }),
        recentTurns: Effect.fn("Sessions.recentTurns")(function*(sessionId, count) {
          const state = yield* current(sessionId)
          return conversationOf(state?.transcript ?? [], count)
        }),
        transcript: Effect.fn("Sessions.transcript")(function*(sessionId) {
          return (yield* current(sessionId))?.transcript ?? []
        }),
        close: Effect.fn("Sessions.close")(function*(sessionId) {
          const now = yield* Clock.currentTimeMillis
          const state = sessions.get(sessionId) ?? emptyState(now)
          sessions.delete(sessionId)
          return report(state, DateTime.formatIso(DateTime.makeUnsafe(now)))
        })
      })
    })
  )
