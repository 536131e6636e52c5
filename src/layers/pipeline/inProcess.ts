import { Effect, Layer, Stream } from "effect"
import { TurnPipeline, type TurnProviders } from "../../services/TurnPipeline.ts"
import { answerTurn } from "../../tutor/answerTurn.ts"

/** Turns answered on this process's event loop, with the providers it was given. */
export const turnPipelineInProcess: Layer.Layer<TurnPipeline, never, TurnProviders> = Layer.effect(
  TurnPipeline,
  Effect.map(Effect.context<TurnProviders>(), (providers) =>
    TurnPipeline.of({ answer: (request) => answerTurn(request).pipe(Stream.provideContext(providers)) }))
)
