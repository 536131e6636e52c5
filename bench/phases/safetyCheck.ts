import { Context, Effect, Layer } from "effect"
import { SafetyWithModel } from "../../src/layers/local/safety/SafetyLocal.ts"
import { Safety } from "../../src/services/Safety.ts"
import { check, type Row } from "../report.ts"
import { mib, ms, summarize } from "../stats.ts"

const SECTION = "safety check (local sentence model, every message)"

/** Messages that differ, so no reading comes from the model's cache. */
const messages = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    index % 2 === 0
      ? `can you help me with question ${index} of my fractions homework please`
      : `my friend said something mean to me at lunch number ${index} and i feel sad`
  )

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const started = performance.now()
    yield* effect
    return performance.now() - started
  })

/**
 * The safety check's latency per message (alone, and with two earlier messages of the session),
 * and what loading the model costs the process: issue 15's targets (p50 ≤ 20 ms).
 */
export const runSafetyCheck = (count: number) =>
  Effect.gen(function*() {
    const before = process.memoryUsage().rss
    const loadStarted = performance.now()
    const safety = Context.get(yield* Layer.build(SafetyWithModel), Safety)
    const loadMs = performance.now() - loadStarted
    const loadedRss = process.memoryUsage().rss
    const alone: Array<number> = []
    const windowed: Array<number> = []
    for (const [index, text] of messages(count).entries()) {
      alone.push(yield* timed(safety.assess(text, [])))
      windowed.push(yield* timed(safety.assess(`${text}.`, [`earlier message ${index}`, `another one ${index}`])))
    }
    const one = summarize(alone)
    const three = summarize(windowed)
    const rows: ReadonlyArray<Row> = [
      {
        section: SECTION,
        metric: `one message, p50 (n=${count})`,
        target: "≤ 20 ms",
        measured: `${ms(one.p50)} (p99 ${ms(one.p99)})`,
        verdict: check(one.p50 <= 20)
      },
      {
        section: SECTION,
        metric: `with two earlier messages (two readings), p50 (n=${count})`,
        target: "≤ 20 ms",
        measured: `${ms(three.p50)} (p99 ${ms(three.p99)})`,
        verdict: check(three.p50 <= 20)
      },
      {
        section: SECTION,
        metric: "model load (worker thread, once per process) and its memory",
        target: "—",
        measured: `${ms(loadMs, 0)}, RSS +${mib(loadedRss - before)}`,
        verdict: "info"
      }
    ]
    return { rows, details: { alone: one, windowed: three, loadMs, rssBytes: loadedRss - before } }
  }).pipe(Effect.scoped)
