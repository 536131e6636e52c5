/**
 * The bench's client side, in a process of its own (as a load tool such as autocannon runs): its
 * own work never delays the server it measures, and the server's work never delays its reads.
 * Per message it runs either an open-loop `/orchestrate` step, sending back every dispatch's
 * latency counted from the moment it was due and how late it was sent (the instrument's own share
 * of that latency), or one spoken turn, sending back when each read of its speech arrived.
 */
import { Duration, Effect, Exit, Option, Schema } from "effect"
import { Worker } from "node:worker_threads"
import { dispatch, serverTurn } from "./api.ts"
import { type Arrival, LoadCommand, type LoadReply, type LoadResult, type LoadStep, type SpokenTurn, type StudentPass } from "./loadProtocol.ts"
import { numberField } from "./metronome.ts"
import { monotonicMs } from "./protocol.ts"

const METRONOME = new URL("./metronome.ts", import.meta.url)

const decodeCommand = Schema.decodeUnknownEffect(LoadCommand)

type Outcome = LoadResult[number]

/** The server a command names, as the client helpers of `api.ts` take it, with the sessions it may speak for. */
const serverOf = (origin: string, passes: Readonly<Record<string, StudentPass>>) => ({
  origin: new URL(origin),
  credentials: (sessionId: string) => {
    const pass = passes[sessionId]
    return pass === undefined ? Effect.die(new Error(`no credentials for session ${sessionId}`)) : Effect.succeed(pass)
  }
})

/**
 * Each dispatch starts synchronously when the metronome ticks its due moment (never before it),
 * so a send is late only by the tick's delivery, not by timer granularity or fiber scheduling.
 */
const runStep = (step: LoadStep) =>
  Effect.callback<LoadResult>((resume) => {
    const server = serverOf(step.origin, step.passes)
    const interval = 1000 / step.rate
    let start = 0
    const outcomes: Array<Outcome> = []
    let answered = 0
    const send = (i: number) => {
      const due = start + i * interval
      const address = step.addresses[Math.floor(i / step.requestsPerAddress)] ?? "10.255.255.255"
      const failed = (): Outcome => ({ latency: monotonicMs() - due, lateBy: 0, jobId: null })
      const fiber = Effect.runFork(
        dispatch({ server, address }, `${step.label}-${i}`, step.question).pipe(
          Effect.timeoutOption(Duration.millis(step.timeoutMs)),
          Effect.map(Option.match({
            onNone: failed,
            onSome: (reply): Outcome => ({ latency: reply.endedAt - due, lateBy: reply.startedAt - due, jobId: reply.jobId })
          })),
          Effect.orElseSucceed(failed)
        )
      )
      fiber.addObserver((exit) => {
        outcomes[i] = Exit.isSuccess(exit) ? exit.value : failed()
        if (++answered === step.count) resume(Effect.succeed(outcomes))
      })
    }
    const metronome = new Worker(METRONOME, { workerData: { interval, count: step.count } })
    metronome.on("message", (tick: unknown) => {
      if (typeof tick === "number") send(tick)
      else start = numberField(tick, "start")
    })
    metronome.on("error", (error) => resume(Effect.die(error)))
    return Effect.promise(() => metronome.terminate())
  })

const runSpokenTurn = (turn: SpokenTurn) =>
  Effect.gen(function*() {
    const caller = { server: serverOf(turn.origin, { [turn.sessionId]: turn.pass }), address: turn.address }
    const arrivals: Array<Arrival> = []
    let received = 0
    const spoken = yield* serverTurn(caller, turn.sessionId, turn.question, (chunk, at) => {
      received += chunk.length
      arrivals.push({ endOffset: received, at })
      return turn.untilFirstAudio ? "stop" : "more"
    })
    return { startedAt: spoken.startedAt, arrivals }
  })

const reply = (message: LoadReply) => process.send?.(message)

// the bench is done with it; its keep-alive sockets must not keep it running
process.on("disconnect", () => process.exit(0))

process.on("message", (message) => {
  Effect.runFork(decodeCommand(message).pipe(
    Effect.flatMap((command): Effect.Effect<LoadReply, unknown> =>
      command.type === "orchestrate"
        ? Effect.map(runStep(command), (results) => ({ type: "orchestrated", results }))
        : Effect.map(runSpokenTurn(command), (spoken) => ({ type: "spoken", ...spoken }))
    ),
    Effect.matchCause({
      onSuccess: reply,
      onFailure: (cause) => reply({ type: "failed", message: String(cause) })
    })
  ))
})
