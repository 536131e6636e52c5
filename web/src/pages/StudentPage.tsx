import { useCallback, useEffect, useState } from "preact/hooks"
import { openSession, trackEvent } from "../api/endpoints.ts"
import { csrf } from "../api/http.ts"
import { type FlowStepId, FlowVisualizer } from "../components/FlowVisualizer.tsx"
import { SuggestedQuestions } from "../components/SuggestedQuestions.tsx"
import { TradeoffPanel } from "../components/TradeoffPanel.tsx"
import { TranscriptPanel } from "../components/TranscriptPanel.tsx"
import { type SuggestedQuestion, type TradeoffTrigger, type Version, VERSION_TITLES } from "../content.ts"
import { errorMessage, type Selection } from "../student/types.ts"
import { useTranscript } from "../student/useTranscript.ts"
import { VersionA } from "../student/VersionA.tsx"
import { VersionB } from "../student/VersionB.tsx"

interface Props {
  readonly version: Version
  readonly tradeoff: TradeoffTrigger | null
  readonly activeStep: FlowStepId | null
}

type Opening =
  | { readonly kind: "opening" }
  | { readonly kind: "open"; readonly sessionId: string }
  | { readonly kind: "failed"; readonly detail: string }

/** The server opens the visit's session first; everything the page does speaks for it. */
export function StudentPage(props: Props) {
  const [opening, setOpening] = useState<Opening>({ kind: "opening" })
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    let current = true
    setOpening({ kind: "opening" })
    openSession().then(
      (sessionId) => current && setOpening({ kind: "open", sessionId }),
      (error: unknown) => current && setOpening({ kind: "failed", detail: errorMessage(error) })
    )
    return () => {
      current = false
      csrf.dispose()
    }
  }, [attempt])

  if (opening.kind === "open") return <StudentSession {...props} sessionId={opening.sessionId} />
  return (
    <main class="page">
      <header class="page-header">
        <span class={`pill pill-${props.version}`}>{VERSION_TITLES[props.version]}</span>
        <a href="/">← Change version</a>
      </header>
      {opening.kind === "opening"
        ? <p class="notice" data-testid="session-opening">Starting your session…</p>
        : (
          <div class="notice" role="alert">
            <p>The tutor could not start a session: {opening.detail}</p>
            <button type="button" onClick={() => setAttempt((n) => n + 1)}>Try again</button>
          </div>
        )}
    </main>
  )
}

function StudentSession({ version, tradeoff, activeStep, sessionId }: Props & { readonly sessionId: string }) {
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
