import { Effect, Schema, type Scope } from "effect"
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type PriorityOutcome, runAheadOfServer } from "./priority.ts"
import { nextChildMessage } from "./childMessage.ts"
import { LoadResult, type LoadStep } from "./loadProtocol.ts"

export class LoadFailed extends Schema.TaggedError<LoadFailed>()("LoadFailed", { message: Schema.String }) {}

const Reply = Schema.Union([
  Schema.Struct({ type: Schema.Literal("done"), results: LoadResult }),
  Schema.Struct({ type: Schema.Literal("failed"), message: Schema.String })
])
const decodeReply = Schema.decodeUnknownEffect(Reply)

export interface LoadGenerator {
  readonly run: (step: LoadStep) => Effect.Effect<LoadResult, LoadFailed>
  readonly priority: PriorityOutcome
}

/** The load process (`loadProcess.ts`) on the same Node, stopped when the scope closes. */
export const startLoadGenerator: Effect.Effect<LoadGenerator, never, Scope.Scope> = Effect.gen(function*() {
  const child = yield* Effect.acquireRelease(
    Effect.sync(() =>
      fork(fileURLToPath(new URL("./loadProcess.ts", import.meta.url)), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    ),
    (child) => Effect.sync(() => child.kill())
  )
  // the measuring instrument stands in for clients on other machines: it sends and reads on time,
  // whatever the server's processes are doing (a late send is counted against the server)
  const priority = runAheadOfServer(child.pid)
  const reply = nextChildMessage(child, (code) => new LoadFailed({ message: `load process exited (${code})` }))
  return {
    priority,
    run: (step) =>
      Effect.gen(function*() {
        child.send(step)
        const answer = yield* reply.pipe(
          Effect.flatMap(decodeReply),
          Effect.mapError((error) => error._tag === "LoadFailed" ? error : new LoadFailed({ message: error.message }))
        )
        return answer.type === "done" ? answer.results : yield* new LoadFailed({ message: answer.message })
      })
  }
})
