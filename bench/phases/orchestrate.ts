/**
 * `POST /orchestrate` under open-loop load from a process of its own: requests leave on a fixed
 * schedule whatever the answers do, and latency counts from the scheduled moment (no coordinated
 * omission). Every dispatched job runs its whole turn against the stub, so the load is the real
 * one.
 */
import { Duration, Effect, Option, Stream } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { isFinished } from "../../src/services/JobStore.ts"
import type { LoadGenerator } from "../loadGenerator.ts"
import { monotonicMs } from "../protocol.ts"
import { check, type Row } from "../report.ts"
import { QUESTION } from "../script.ts"
import type { BenchServer } from "../server.ts"
import { settle } from "../settle.ts"
import { ms, type Summary, summarize } from "../stats.ts"

/** Orchestrate answers within this at p99 (SPEC §11). */
export const P99_TARGET_MS = 5
/** Requests from one fake client address: well under the server's 20 per minute. */
const REQUESTS_PER_ADDRESS = 10
/** A dispatch not answered within this counts as failed, so a saturated step still ends. */
const REQUEST_TIMEOUT = Duration.seconds(5)
/** How long the jobs of one step may take to finish before the next step starts. */
const DRAIN_LIMIT = Duration.seconds(60)

/** One session per dispatch (`<label>-<i>`), as that many students would each have opened. */
const passesFor = (server: BenchServer, label: string, count: number) =>
  Effect.map(
    Effect.forEach(Array.from({ length: count }, (_, i) => `${label}-${i}`), (id) =>
      Effect.map(server.credentials(id), (pass) => [id, pass] as const)),
    Object.fromEntries
  )

export interface RateStep {
  readonly rate: number
  readonly sent: number
  readonly failed: number
  readonly client: Summary
  /** how late the load process sent (part of the client latency, the instrument's own) */
  readonly sentLate: Summary
  readonly server: Summary
  /** jobs that ended `complete` / not finished within the drain limit */
  readonly jobsComplete: number
  readonly jobsUnfinished: number
  readonly drainMs: number
  /**
   * How far apart a 1 ms timer of the server's process ticked during the step (`perf_hooks`
   * loop delay; 1 ms when nothing holds it up): above that, its event loop was blocked or the
   * process was not scheduled, and requests waited before the server saw them.
   */
  readonly serverLoopDelay: { readonly p99: number; readonly max: number }
  /**
   * The same load, just before, against a bare `node:http` server with a fixed answer in a
   * process of its own (`floorProcess.ts`): what this machine allows any server at this rate.
   */
  readonly machineFloor: { readonly client: Summary; readonly sentLate: Summary }
}

const held = (step: RateStep) => step.failed === 0 && step.client.p99 < P99_TARGET_MS

/** What one step is run against. */
export interface Targets {
  readonly server: BenchServer
  /** the bare server of the machine-floor measurement */
  readonly floor: URL
}

/**
 * One step: `rate` requests per second for `seconds` from the load process against the bare
 * server, then the same against the real one, then every job is waited for.
 */
const runStep = ({ floor, server }: Targets, load: LoadGenerator, nextAddress: () => string, rate: number, seconds: number) =>
  Effect.gen(function*() {
    const count = Math.max(1, Math.round(rate * seconds))
    const send = (origin: URL, label: string) =>
      Effect.flatMap(passesFor(server, label, count), (passes) => load.run({
        origin: origin.toString(),
        passes,
        rate,
        count,
        addresses: Array.from({ length: Math.ceil(count / REQUESTS_PER_ADDRESS) }, nextAddress),
        requestsPerAddress: REQUESTS_PER_ADDRESS,
        timeoutMs: Duration.toMillis(REQUEST_TIMEOUT),
        question: QUESTION,
        label
      }))
    const floorResults = yield* send(floor, `bench-floor-${rate}`)
    yield* server.takeOrchestrateTimes
    const loopDelay = monitorEventLoopDelay({ resolution: 1 })
    loopDelay.enable()
    const results = yield* send(server.origin, `bench-rate-${rate}`)
    loopDelay.disable()
    const serverTimes = yield* server.takeOrchestrateTimes
    const jobIds = results.flatMap((result) => result.jobId === null ? [] : [result.jobId])
    const drainStart = monotonicMs()
    const finished = yield* Effect.forEach(
      jobIds,
      (id) => server.jobs.watch(id).pipe(Stream.filter(isFinished), Stream.runHead, Effect.orElseSucceed(() => Option.none())),
      { concurrency: "unbounded" }
    ).pipe(Effect.timeoutOption(DRAIN_LIMIT))
    const jobs = Option.getOrElse(finished, () => [])
    // jobs of dispatches that timed out on the client side may still be running
    yield* settle(DRAIN_LIMIT)
    const step: RateStep = {
      rate,
      sent: count,
      failed: count - jobIds.length,
      client: summarize(results.map((result) => result.latency)),
      sentLate: summarize(results.map((result) => result.lateBy)),
      server: summarize(serverTimes),
      jobsComplete: jobs.filter((job) => Option.isSome(job) && job.value.status === "complete").length,
      jobsUnfinished: Option.isNone(finished) ? jobIds.length : 0,
      drainMs: monotonicMs() - drainStart,
      serverLoopDelay: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      machineFloor: {
        client: summarize(floorResults.map((result) => result.latency)),
        sentLate: summarize(floorResults.map((result) => result.lateBy))
      }
    }
    return step
  })

export interface OrchestrateResult {
  readonly rows: ReadonlyArray<Row>
  readonly details: { readonly steps: ReadonlyArray<RateStep>; readonly highestHeld: number | null }
}

/** The given rates, then `probes` bisection steps between the highest rate held and the lowest missed. */
export const runOrchestrate = (
  targets: Targets,
  load: LoadGenerator,
  nextAddress: () => string,
  rates: ReadonlyArray<number>,
  seconds: number,
  probes: number
) =>
  Effect.gen(function*() {
    const steps: Array<RateStep> = []
    for (const rate of rates) steps.push(yield* runStep(targets, load, nextAddress, rate, seconds))
    for (let i = 0; i < probes; i++) {
      const lo = Math.max(0, ...steps.filter(held).map((step) => step.rate))
      const hi = Math.min(...steps.filter((step) => !held(step)).map((step) => step.rate))
      if (!Number.isFinite(hi) || hi - lo < 10) break
      steps.push(yield* runStep(targets, load, nextAddress, Math.round((lo + hi) / 2), seconds))
    }
    const heldRates = steps.filter(held).map((step) => step.rate)
    const highestHeld = heldRates.length === 0 ? null : Math.max(...heldRates)
    const section = "POST /orchestrate"
    const clientFigures = (client: Summary, sentLate: Summary) =>
      `client p50 ${ms(client.p50, 2)} p99 ${ms(client.p99, 2)} (sent late p99 ${ms(sentLate.p99, 2)})`
    const rows: Array<Row> = steps.flatMap((step) => [
      {
        section,
        metric: `${step.rate} req/s × ${seconds} s (n=${step.sent}${step.failed > 0 ? `, ${step.failed} failed or > 5 s` : ""})`,
        target: step.rate === 200 ? `p99 < ${P99_TARGET_MS} ms` : "—",
        measured: `${clientFigures(step.client, step.sentLate)}; server p50 ${ms(step.server.p50, 2)} p99 ${
          ms(step.server.p99, 2)
        }; its loop delay p99 ${ms(step.serverLoopDelay.p99, 1)} max ${ms(step.serverLoopDelay.max, 1)}`,
        verdict: step.rate === 200 ? check(held(step)) : "info"
      },
      {
        section,
        metric: `machine floor at ${step.rate} req/s: a bare node:http server, fixed answer, own process`,
        target: "—",
        measured: clientFigures(step.machineFloor.client, step.machineFloor.sentLate),
        verdict: "info"
      }
    ])
    rows.push({
      section,
      metric: "highest rate held (p99 < 5 ms, no failures)",
      target: "≥ 200 req/s",
      measured: highestHeld === null ? `< ${Math.min(...steps.map((step) => step.rate))} req/s` : `${highestHeld} req/s`,
      verdict: check(highestHeld !== null && highestHeld >= 200)
    })
    const result: OrchestrateResult = { rows, details: { steps, highestHeld } }
    return result
  })
