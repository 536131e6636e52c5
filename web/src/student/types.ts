import type { FlowStepId } from "../components/FlowVisualizer.tsx"
import type { TradeoffTrigger } from "../content.ts"
import type { Transcript } from "./useTranscript.ts"

/** A suggested question the student clicked; `nonce` makes a second click on the same one count. */
export interface Selection {
  readonly text: string
  readonly nonce: number
}

/** What the student page gives either version's session panel. */
export interface SessionProps {
  readonly sessionId: string
  readonly selected: Selection | null
  readonly transcript: Transcript
  readonly onStep: (step: FlowStepId | null) => void
  readonly showTradeoff: (trigger: TradeoffTrigger) => void
}

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))
