import { Context, type Stream } from "effect"
import type { Guardrail } from "./Guardrail.ts"
import type { Safety } from "./Safety.ts"
import type { Specialists } from "./Specialists.ts"
import type { Speech } from "./Speech.ts"
import type { TurnRequest } from "../tutor/answerTurn.ts"
import type { TurnEvent } from "../tutor/events.ts"

/**
 * Where Version B's jobs answer their turns (`answerTurn`, text only): in this process, or in a
 * pool of worker processes so that the HTTP server's event loop carries requests and the turns'
 * events, never the turns' own work. The stream never fails: a lost worker ends it with a
 * `failed` event at the `worker` stage.
 */
/** What answering a turn takes, wherever it runs. */
export type TurnProviders = Guardrail | Safety | Specialists | Speech

export class TurnPipeline extends Context.Service<TurnPipeline, {
  readonly answer: (request: TurnRequest) => Stream.Stream<TurnEvent>
}>()("tutor/TurnPipeline") {}
