import { useCallback, useEffect, useMemo, useState } from "preact/hooks"
import { trackEvent } from "../api/endpoints.ts"
import { csrf } from "../api/http.ts"
import { type FlowStepId, FlowVisualizer } from "../components/FlowVisualizer.tsx"
import { SuggestedQuestions } from "../components/SuggestedQuestions.tsx"
import { TradeoffPanel } from "../components/TradeoffPanel.tsx"
import { TranscriptPanel } from "../components/TranscriptPanel.tsx"
import { type SuggestedQuestion, type TradeoffTrigger, type Version, VERSION_TITLES } from "../content.ts"
import { newSessionId } from "../lib/sessionId.ts"
import type { Selection } from "../student/types.ts"
import { useTranscript } from "../student/useTranscript.ts"
import { VersionA } from "../student/VersionA.tsx"
import { VersionB } from "../student/VersionB.tsx"

interface Props {
  readonly version: Version
  readonly tradeoff: TradeoffTrigger | null
  readonly activeStep: FlowStepId | null
}

export function StudentPage({ version, tradeoff, activeStep }: Props) {
  // one id for the whole visit: orchestration, escalation, LiveKit and telemetry all use it
  const sessionId = useMemo(newSessionId, [])
  const [step, setStep] = useState<FlowStepId | null>(activeStep)
  const [turns, transcript] = useTranscript()
  const [selected, setSelected] = useState<Selection | null>(null)
  const [panel, setPanel] = useState<TradeoffTrigger | null>(tradeoff)
  const [shown] = useState(() => new Set<TradeoffTrigger>())

  /** Each automatic trigger explains itself once per visit; repeating it on every answer would nag. */
  const showTradeoff = useCallback((trigger: TradeoffTrigger) => {
    if (shown.has(trigger)) return
    shown.add(trigger)
    setPanel(trigger)
  }, [shown])

  useEffect(() => {
    trackEvent(sessionId, "page.loaded", { version })
    if (version === "b") void csrf.get().catch(() => undefined)
    return () => csrf.dispose()
  }, [])

  useEffect(() => {
    if (step) trackEvent(sessionId, "pipeline.step", { step, version })
  }, [step])

  const select = (question: SuggestedQuestion) => {
    trackEvent(sessionId, "question.selected", { version, subject: question.subject })
    setSelected((previous) => ({ text: question.text, nonce: (previous?.nonce ?? 0) + 1 }))
  }

  const session = { sessionId, selected, transcript, onStep: setStep, showTradeoff }
  return (
    <main class="page">
      <header class="page-header">
        <span class={`pill pill-${version}`}>{VERSION_TITLES[version]}</span>
        <a href="/">← Change version</a>
      </header>
      {panel && <TradeoffPanel trigger={panel} onDismiss={() => setPanel(null)} />}
      <div class="student-grid">
        <div class="student-main">
          {version === "b" ? <VersionB {...session} /> : <VersionA {...session} />}
          <FlowVisualizer version={version} active={step} />
        </div>
        <div class="student-side">
          <SuggestedQuestions onSelect={select} />
          <TranscriptPanel turns={turns} />
        </div>
      </div>
    </main>
  )
}
