/**
 * The load generator of the `/orchestrate` phase, in a process of its own (as a load tool such as
 * autocannon runs): its own work never delays the server it measures. It runs one open-loop step
 * per message and sends back every dispatch's latency, counted from the moment it was due.
 */
import { Duration, Effect, Fiber, Option, Schema } from "effect"
import { dispatch } from "./api.ts"
import { type LoadResult, LoadStep } from "./loadProtocol.ts"
import { monotonicMs } from "./protocol.ts"

const decodeStep = Schema.decodeUnknownEffect(LoadStep)

const runStep = (step: LoadStep) =>
  Effect.gen(function*() {
    const server = { origin: new URL(step.origin), csrf: Effect.succeed(step.csrf) }
    const interval = 1000 / step.rate
    const start = monotonicMs() + 10
    const fibers: Array<Fiber.Fiber<LoadResult[number]>> = []
    for (let i = 0; i < step.count; i++) {
      const address = step.addresses[Math.floor(i / step.requestsPerAddress)] ?? "10.255.255.255"
      const due = start + i * interval
      const wait = due - monotonicMs()
      if (wait >= 1) yield* Effect.sleep(Duration.millis(wait))
      fibers.push(yield* Effect.forkChild(
        dispatch({ server, address }, `${step.label}-${i}`, step.question).pipe(
          Effect.timeoutOption(Duration.millis(step.timeoutMs)),
          Effect.map(Option.match({
            onNone: () => ({ latency: monotonicMs() - due, jobId: null }),
            onSome: (sent) => ({ latency: sent.endedAt - due, jobId: sent.jobId })
          })),
          Effect.orElseSucceed(() => ({ latency: monotonicMs() - due, jobId: null }))
        )
      ))
    }
    return yield* Effect.forEach(fibers, Fiber.join)
  })

process.on("message", (message) => {
  Effect.runFork(decodeStep(message).pipe(
    Effect.flatMap(runStep),
    Effect.matchCause({
      onSuccess: (results) => process.send?.({ type: "done", results }),
      onFailure: (cause) => process.send?.({ type: "failed", message: String(cause) })
    })
  ))
})
