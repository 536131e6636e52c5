import { Clock, Duration, Effect, Layer } from "effect"
import { conversationOf, type SessionEvent, Sessions } from "../../services/Sessions.ts"
import { type AuditEntry, AuditLog, type SessionVersion, Store } from "../../services/Store.ts"
import { type SessionLimits, sessionsMemory } from "../memory/sessions.ts"

export interface SessionsSqlOptions extends Partial<SessionLimits> {
  /** which front door's sessions these are (`learning_sessions.version`) */
  readonly version: SessionVersion
  /** how long closing a session waits for queued records before reporting from what is stored */
  readonly closeFlushTimeout: Duration.Input
}

const defaults: Pick<SessionsSqlOptions, "version" | "closeFlushTimeout"> = {
  version: "b",
  closeFlushTimeout: Duration.seconds(2)
}

/** The audit row of a session event; `Escalated` has none: raising it wrote `escalation_events`. */
const toEntry = (sessionId: string, version: SessionVersion, event: SessionEvent, at: number): AuditEntry | undefined => {
  switch (event._tag) {
    case "Started":
      return {
        _tag: "SessionStarted",
        sessionId,
        version,
        studentId: null,
        roomName: event.roomName,
        sessionToken: event.sessionToken,
        at
      }
    case "Turn":
      return { _tag: "TurnSpoken", sessionId, speaker: event.speaker, text: event.text, subject: event.subject, at }
    case "Routing":
      return {
        _tag: "RoutingDecided",
        sessionId,
        fromAgent: "orchestrator",
        toAgent: event.decision.to,
        confidence: event.decision.confidence,
        latencyMs: event.decision.latencyMs,
        excerpt: event.decision.excerpt,
        fallback: event.decision.fallback,
        at
      }
    case "GuardrailFlag":
      return {
        _tag: "GuardrailFlagged",
        sessionId,
        sentenceIndex: event.index,
        action: event.action,
        original: event.original,
        replacement: event.replacement,
        categories: event.categories,
        scores: event.scores,
        at
      }
    case "Latency":
      return {
        _tag: "LatencyMeasured",
        sessionId,
        classifyMs: event.latency.classifyMs,
        firstTokenMs: event.latency.firstTokenMs,
        firstSentenceMs: event.latency.firstSentenceMs,
        firstAudioMs: event.latency.firstAudioMs,
        totalMs: event.latency.totalMs,
        inputTokens: event.usage.inputTokens,
        outputTokens: event.usage.outputTokens,
        estimatedCostUsd: event.usage.estimatedCostUsd,
        at
      }
    case "Escalated":
      return undefined
  }
}

/**
 * Sessions recorded in SQL. The live state stays in memory (the classifier's context is read on
 * every turn and must not wait for a database), every event is also queued to the `AuditLog`,
 * and what memory does not hold — a session from before a restart or served by another
 * instance — is read from the tables. `close` writes the report from the tables.
 */
export const sessionsSql = (
  options: Partial<SessionsSqlOptions> = {}
): Layer.Layer<Sessions, never, AuditLog | Store> =>
  Layer.effect(
    Sessions,
    Effect.gen(function*() {
      const { closeFlushTimeout, version } = { ...defaults, ...options }
      const memory = yield* Sessions
      const audit = yield* AuditLog
      const store = yield* Store

      const stored = (sessionId: string) =>
        store.transcript(sessionId).pipe(
          Effect.catchTag("StoreError", (error) =>
            Effect.as(Effect.logError(`sessions: transcript unavailable: ${error.message}`), []))
        )

      const transcript = Effect.fn("Sessions.transcript")(function*(sessionId: string) {
        const live = yield* memory.transcript(sessionId)
        if (live.length > 0) return live
        return (yield* stored(sessionId)).map((turn) => ({
          index: turn.turnIndex,
          speaker: turn.speaker,
          text: turn.text,
          subject: turn.subject,
          at: turn.at
        }))
      })

      return Sessions.of({
        record: Effect.fn("Sessions.record")(function*(sessionId, event) {
          yield* memory.record(sessionId, event)
          const entry = toEntry(sessionId, version, event, yield* Clock.currentTimeMillis)
          if (entry !== undefined) yield* audit.record(entry)
        }),
        recentTurns: Effect.fn("Sessions.recentTurns")(function*(sessionId, count) {
          const live = yield* memory.recentTurns(sessionId, count)
          if (live.length > 0) return live
          return conversationOf(yield* transcript(sessionId), count)
        }),
        transcript,
        close: Effect.fn("Sessions.close")(function*(sessionId) {
          // a database that is down must not hold the close request: the report is then built from memory
          yield* audit.flush.pipe(Effect.timeoutOption(closeFlushTimeout))
          const fromMemory = yield* memory.close(sessionId)
          const closing = { sessionId, version, at: yield* Clock.currentTimeMillis }
          return yield* store.closeSession(closing).pipe(
            Effect.catchTag("StoreError", (error) =>
              Effect.as(
                error.transient
                  ? Effect.andThen(
                    Effect.logWarning(`sessions: database unreachable, answering from memory; the close is queued: ${error.message}`),
                    audit.record({ _tag: "SessionClosed", ...closing })
                  )
                  : Effect.logError(`sessions: report not stored, answering from memory: ${error.message}`),
                fromMemory
              ))
          )
        })
      })
    })
  ).pipe(Layer.provide(sessionsMemory(options)))
