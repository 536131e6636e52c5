import { Effect, Schema, type Scope } from "effect"
import { forkHelper, nextChildMessage } from "./childProcess.ts"
import { type PriorityOutcome, runBehindServer } from "./priority.ts"
import { ChildMessage, type ParentMessage, type SendStamp, type StubEnv, type StubScript } from "./protocol.ts"

export class StubFailed extends Schema.TaggedError<StubFailed>()("StubFailed", { message: Schema.String }) {}

export interface StubHost {
  /** the SDKs straight at the stub */
  readonly env: StubEnv
  /** OpenAI through the stamping forwarder */
  readonly stampedEnv: StubEnv
  /** the speech chunks sent on since the last call, offsets counted from the last call */
  readonly takeStamps: Effect.Effect<ReadonlyArray<SendStamp>, StubFailed>
  readonly priority: PriorityOutcome
}

const decodeMessage = Schema.decodeUnknownEffect(ChildMessage)

/** The provider stub in a child process on the same Node, stopped when the scope closes. */
export const startStubHost = (script: StubScript): Effect.Effect<StubHost, StubFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const child = yield* forkHelper("./stubProcess.ts", [JSON.stringify(script)])

    // it stands in for remote providers, whose work costs the server no CPU: behind the server, level with the turn workers
    const priority = runBehindServer(child.pid)

    /** The next message from the child, decoded. */
    const nextMessage = nextChildMessage(child, (code) => new StubFailed({ message: `stub process exited (${code})` })).pipe(
      Effect.flatMap(decodeMessage),
      Effect.mapError((error) => error._tag === "StubFailed" ? error : new StubFailed({ message: error.message }))
    )

    const listening = yield* nextMessage
    if (listening.type !== "listening") return yield* new StubFailed({ message: `unexpected ${listening.type}` })

    const request: ParentMessage = { type: "takeStamps" }
    const takeStamps = Effect.gen(function*() {
      // the reply arrives on a later turn of the event loop, after the listener is in place
      child.send(request)
      const message = yield* nextMessage
      if (message.type !== "stamps") return yield* new StubFailed({ message: `unexpected ${message.type}` })
      return message.stamps
    })
    return { env: listening.env, stampedEnv: listening.stampedEnv, takeStamps, priority }
  })
