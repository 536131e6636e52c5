import { useEffect, useRef, useState } from "preact/hooks"
import type { Room } from "livekit-client"
import { livekitToken } from "../api/endpoints.ts"
import { PipelineStepMessage, TranscriptMessage } from "../api/messages.ts"
import { EscalationBanner } from "../components/EscalationBanner.tsx"
import { isFlowStep } from "../components/FlowVisualizer.tsx"
import { speakerLabel } from "../components/TranscriptPanel.tsx"
import { decodeJson } from "../lib/decode.ts"
import { joinRoom } from "../lib/livekitRoom.ts"
import { errorMessage, type SessionProps } from "./types.ts"
import { useServerFeatures } from "./useServerFeatures.ts"
import { useStudentChannel } from "./useStudentChannel.ts"

type State =
  | { readonly kind: "ready" | "connecting" | "joined" }
  | { readonly kind: "unavailable" | "failed"; readonly detail: string }

/** How long a suggested question stays on screen as a "say this" hint. */
const HINT_MS = 10_000

const textDecoder = new TextDecoder()

/** Version A: the student joins a LiveKit room where the agent listens, routes and speaks. */
export function VersionA({ sessionId, selected, transcript, onStep, showTradeoff }: SessionProps) {
  const features = useServerFeatures()
  const [state, setState] = useState<State>({ kind: "ready" })
  const [hint, setHint] = useState<string | null>(null)
  const room = useRef<Room | null>(null)
  const speakers = useRef<HTMLDivElement>(null)

  useEffect(() => () => void room.current?.disconnect(), [])

  useEffect(() => {
    if (!selected) return
    setHint(selected.text)
    const timer = setTimeout(() => setHint(null), HINT_MS)
    return () => clearTimeout(timer)
  }, [selected])

  // the agent's escalations (and a teacher's messages) reach the page on the same channel as in B
  const [help, dismissHelp] = useStudentChannel(sessionId, {
    onInject: (text) => transcript.add("teacher", text),
    onEscalation: () => showTradeoff("teacher")
  })

  const receive = (topic: string | undefined, payload: Uint8Array) => {
    const text = textDecoder.decode(payload)
    if (topic === "pipeline-steps") {
      const message = decodeJson(PipelineStepMessage, text)
      if (message.ok) onStep(isFlowStep(message.value.step) ? message.value.step : null)
    } else if (topic === "transcript") {
      const message = decodeJson(TranscriptMessage, text)
      if (message.ok) transcript.add(speakerLabel(message.value.speaker, message.value.subject), message.value.text)
      else console.warn("transcript message ignored:", message.error)
    }
  }

  const join = async () => {
    const audio = speakers.current
    if (!audio) return
    setState({ kind: "connecting" })
    try {
      // the token is minted only now: a student who never joins costs none
      const access = await livekitToken(sessionId)
      if (access.kind === "unavailable") return setState({ kind: "unavailable", detail: access.detail })
      room.current = await joinRoom({
        url: access.url,
        token: access.token,
        audio,
        onData: receive,
        onDisconnected: () => setState({ kind: "ready" })
      })
      setState({ kind: "joined" })
      showTradeoff("english")
    } catch (failure) {
      setState({ kind: "failed", detail: errorMessage(failure) })
    }
  }

  const leave = () => {
    void room.current?.disconnect()
    room.current = null
    setState({ kind: "ready" })
  }

  // `GET /config` answers before any click; the token route's own 503 still counts if it disagrees
  const noLiveKit = features.kind === "known" && !features.features.livekit
  const shown: State = noLiveKit ? { kind: "unavailable", detail: "" } : state
  const checking = features.kind === "loading"
  return (
    <>
      {help && <EscalationBanner help={help} onDismiss={dismissHelp} />}
      <section class="card session" data-testid="a-session" data-state={checking ? "checking" : shown.kind}>
        <h2 class="card-title">LiveKit Room</h2>
        {hint && (
          <p class="hint" data-testid="say-this-hint">
            💬 Try saying: “{hint}”
            <button type="button" class="icon-button" aria-label="Hide hint" onClick={() => setHint(null)}>✕</button>
          </p>
        )}
        {shown.kind === "unavailable"
          ? (
            <div class="notice" data-testid="a-unavailable">
              <p>
                Version A is not available on this server: LiveKit is not configured
                {shown.detail ? ` (${shown.detail})` : ""}. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET and
                run the agent to use it.
              </p>
              <a class="button" href="/student?v=b">Use Version B instead →</a>
            </div>
          )
          : shown.kind === "joined"
          ? (
            <div class="row">
              <p>Joined — speak your question; the agent answers in the room.</p>
              <button type="button" class="button secondary" onClick={leave}>Leave</button>
            </div>
          )
          : (
            <>
              <p>Version A uses LiveKit rooms for multi-participant WebRTC with pipeline STT→LLM→TTS.</p>
              <button
                type="button"
                class="button"
                disabled={checking || shown.kind === "connecting"}
                onClick={() => void join()}
              >
                {shown.kind === "connecting" ? "Connecting..." : "Join LiveKit Room"}
              </button>
              {shown.kind === "failed" && <p class="error" role="alert">Could not join the room: {shown.detail}</p>}
            </>
          )}
        <div ref={speakers} hidden />
      </section>
    </>
  )
}
