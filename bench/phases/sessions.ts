/** Many students at once, each running spoken turns through the server and closing its session. */
import { Effect, Fiber, Result, Schedule } from "effect"
import { type Caller, closeSession, serverTurn } from "../api.ts"
import { check, type Row } from "../report.ts"
import { QUESTION } from "../script.ts"
import type { BenchServer } from "../server.ts"
import { mib, ms, type Summary, summarize } from "../stats.ts"

export interface TurnOutcome {
  readonly jobId: string | null
  readonly ok: boolean
  readonly turnMs: number
  readonly error?: string
}

/**
 * One simulated student: `turns` spoken turns on its own session and client address, then the
 * session is closed. A turn succeeds when the whole answer's audio arrived.
 */
export const student = (caller: Caller, sessionId: string, turns: number, expectedAudioBytes: number) =>
  Effect.gen(function*() {
    const outcomes: Array<TurnOutcome> = []
    for (let t = 0; t < turns; t++) {
      const turn = yield* Effect.result(serverTurn(caller, sessionId, QUESTION))
      outcomes.push(Result.match(turn, {
        onSuccess: (done) => ({
          jobId: done.jobId,
          ok: done.audioBytes === expectedAudioBytes,
          turnMs: done.endedAt - done.startedAt,
          ...(done.audioBytes === expectedAudioBytes ? {} : { error: `${done.audioBytes} of ${expectedAudioBytes} audio bytes` })
        }),
        onFailure: (error) => ({ jobId: null, ok: false, turnMs: Number.NaN, error: error.message })
      }))
    }
    yield* Effect.ignore(closeSession(caller, sessionId))
    return outcomes
  })

/** Runs `effect` while sampling the process RSS every 20 ms; returns its result and the peak. */
export const withPeakRss = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    let peak = process.memoryUsage.rss()
    const sampler = yield* Effect.forkChild(
      Effect.repeat(Effect.sync(() => {
        peak = Math.max(peak, process.memoryUsage.rss())
      }), Schedule.spaced("20 millis"))
    )
    const result = yield* effect
    yield* Fiber.interrupt(sampler)
    return { result, peakRss: peak }
  })

export interface SessionsResult {
  readonly rows: ReadonlyArray<Row>
  readonly outcomes: ReadonlyArray<TurnOutcome>
  readonly details: {
    readonly sessions: number
    readonly turns: number
    readonly succeeded: number
    readonly turnTime: Summary
    readonly peakRss: number
    readonly wallMs: number
    readonly errors: ReadonlyArray<string>
  }
}

export const runSessions = (
  server: BenchServer,
  nextAddress: () => string,
  sessions: number,
  turns: number,
  expectedAudioBytes: number
) =>
  Effect.gen(function*() {
    const started = performance.now()
    const { peakRss, result } = yield* withPeakRss(Effect.forEach(
      Array.from({ length: sessions }, (_, i) => i),
      (i) => student({ server, address: nextAddress() }, `bench-session-${i}`, turns, expectedAudioBytes),
      { concurrency: "unbounded" }
    ))
    const wallMs = performance.now() - started
    const outcomes = result.flat()
    const succeeded = outcomes.filter((outcome) => outcome.ok)
    const turnTime = summarize(succeeded.map((outcome) => outcome.turnMs))
    const rate = succeeded.length / outcomes.length
    const section = `${sessions} concurrent sessions × ${turns} turns`
    const rows: ReadonlyArray<Row> = [
      {
        section,
        metric: "turns with the whole answer spoken",
        target: "100 %",
        measured: `${(rate * 100).toFixed(1)} % (${succeeded.length}/${outcomes.length})`,
        verdict: check(succeeded.length === outcomes.length)
      },
      {
        section,
        metric: "turn time p95 (dispatch → last audio byte)",
        target: "—",
        measured: `${ms(turnTime.p95, 0)} (p50 ${ms(turnTime.p50, 0)}, wall ${ms(wallMs, 0)})`,
        verdict: "info"
      },
      { section, metric: "peak RSS (server + load client)", target: "—", measured: mib(peakRss), verdict: "info" }
    ]
    const errors = [...new Set(outcomes.flatMap((outcome) => outcome.error === undefined ? [] : [outcome.error]))].slice(0, 10)
    const details = { sessions, turns: outcomes.length, succeeded: succeeded.length, turnTime, peakRss, wallMs, errors }
    const sessionsResult: SessionsResult = { rows, outcomes, details }
    return sessionsResult
  })
