import { Effect, Layer, Stream } from "effect"
import type { Guardrail } from "../../services/Guardrail.ts"
import type { Specialists } from "../../services/Specialists.ts"
import type { Speech } from "../../services/Speech.ts"
import { TurnPipeline } from "../../services/TurnPipeline.ts"
import { answerTurn } from "../../tutor/answerTurn.ts"

/** Turns answered on this process's event loop, with the providers it was given. */
export const turnPipelineInProcess: Layer.Layer<TurnPipeline, never, Guardrail | Specialists | Speech> = Layer.effect(
  TurnPipeline,
  Effect.map(Effect.context<Guardrail | Specialists | Speech>(), (providers) =>
    TurnPipeline.of({ answer: (request) => answerTurn(request).pipe(Stream.provideContext(providers)) }))
)
