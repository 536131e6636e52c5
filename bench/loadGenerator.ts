import { Effect, Schema, type Scope } from "effect"
import type { Caller } from "./api.ts"
import { type PriorityOutcome, runAheadOfServer } from "./priority.ts"
import { forkHelper, nextChildMessage } from "./childProcess.ts"
import { type Arrival, type LoadCommand, LoadReply, type LoadResult, type LoadStep, type SpokenTurn } from "./loadProtocol.ts"

export class LoadFailed extends Schema.TaggedError<LoadFailed>()("LoadFailed", { message: Schema.String }) {}

const decodeReply = Schema.decodeUnknownEffect(LoadReply)

export interface LoadGenerator {
  readonly run: (step: Omit<LoadStep, "type">) => Effect.Effect<LoadResult, LoadFailed>
  /** One spoken turn of `caller`'s, run by the load process (see `SpokenTurn`). */
  readonly spokenTurn: (
    caller: Caller,
    turn: Pick<SpokenTurn, "sessionId" | "question" | "untilFirstAudio">
  ) => Effect.Effect<{ readonly startedAt: number; readonly arrivals: ReadonlyArray<Arrival> }, LoadFailed>
  readonly priority: PriorityOutcome
}

/** The load process (`loadProcess.ts`) on the same Node, stopped when the scope closes. */
export const startLoadGenerator: Effect.Effect<LoadGenerator, never, Scope.Scope> = Effect.gen(function*() {
  const child = yield* forkHelper("./loadProcess.ts")
  // the measuring instrument stands in for clients on other machines: it sends and reads on time,
  // whatever the server's processes are doing (a late send is counted against the server)
  const priority = runAheadOfServer(child.pid)
  const nextReply = nextChildMessage(child, (code) => new LoadFailed({ message: `load process exited (${code})` })).pipe(
    Effect.flatMap(decodeReply),
    Effect.mapError((error) => error._tag === "LoadFailed" ? error : new LoadFailed({ message: error.message }))
  )
  /** One command at a time: its reply is the load process's next message. */
  const ask = (command: LoadCommand) =>
    Effect.suspend(() => {
      child.send(command)
      return nextReply
    }).pipe(Effect.flatMap((reply) => reply.type === "failed" ? new LoadFailed({ message: reply.message }) : Effect.succeed(reply)))
  const unexpected = (reply: LoadReply) => new LoadFailed({ message: `unexpected reply ${reply.type}` })
  return {
    priority,
    run: (step) =>
      Effect.flatMap(ask({ type: "orchestrate", ...step }), (reply) =>
        reply.type === "orchestrated" ? Effect.succeed(reply.results) : Effect.fail(unexpected(reply))),
    spokenTurn: (caller, turn) =>
      Effect.gen(function*() {
        const pass = yield* caller.server.credentials(turn.sessionId)
        const reply = yield* ask({ type: "spokenTurn", origin: caller.server.origin.toString(), pass, address: caller.address, ...turn })
        return reply.type === "spoken" ? reply : yield* unexpected(reply)
      })
  }
})
