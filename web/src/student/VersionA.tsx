import { useEffect, useRef, useState } from "preact/hooks"
import type { Room } from "livekit-client"
import { livekitToken } from "../api/endpoints.ts"
import { PipelineStepMessage, TranscriptMessage } from "../api/messages.ts"
import { isFlowStep } from "../components/FlowVisualizer.tsx"
import { speakerLabel } from "../components/TranscriptPanel.tsx"
import { decodeJson } from "../lib/decode.ts"
import { errorMessage, type SessionProps } from "./types.ts"

type State =
  | { readonly kind: "checking" | "ready" | "connecting" | "joined" }
  | { readonly kind: "unavailable" | "failed"; readonly detail: string }

/** How long a suggested question stays on screen as a "say this" hint. */
const HINT_MS = 10_000

const textDecoder = new TextDecoder()

/** Version A: the student joins a LiveKit room where the agent listens, routes and speaks. */
export function VersionA({ sessionId, selected, transcript, onStep, showTradeoff }: SessionProps) {
  const [state, setState] = useState<State>({ kind: "checking" })
  const [hint, setHint] = useState<string | null>(null)
  const room = useRef<Room | null>(null)
  const speakers = useRef<HTMLDivElement>(null)

  // Ask up front whether this server runs Version A, so the page can say so before any click.
  useEffect(() => {
    livekitToken(sessionId).then(
      (access) => setState(access.kind === "ready" ? { kind: "ready" } : { kind: "unavailable", detail: access.detail }),
      (failure: unknown) => setState({ kind: "failed", detail: errorMessage(failure) })
    )
    return () => void room.current?.disconnect()
  }, [sessionId])

  useEffect(() => {
    if (!selected) return
    setHint(selected.text)
    const timer = setTimeout(() => setHint(null), HINT_MS)
    return () => clearTimeout(timer)
  }, [selected])

  const join = async () => {
    setState({ kind: "connecting" })
    try {
      const access = await livekitToken(sessionId)
      if (access.kind === "unavailable") return setState({ kind: "unavailable", detail: access.detail })
      // livekit-client is most of a LiveKit page's weight: load it only when a student joins
      const { Room, RoomEvent, Track } = await import("livekit-client")
      const joined = new Room()
      joined.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) speakers.current?.append(track.attach())
      })
      joined.on(RoomEvent.TrackUnsubscribed, (track) => {
        for (const element of track.detach()) element.remove()
      })
      joined.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
        const text = textDecoder.decode(payload)
        if (topic === "pipeline-steps") {
          const message = decodeJson(PipelineStepMessage, text)
          if (message.ok) onStep(isFlowStep(message.value.step) ? message.value.step : null)
        } else if (topic === "transcript") {
          const message = decodeJson(TranscriptMessage, text)
          if (message.ok) transcript.add(speakerLabel(message.value.speaker, message.value.subject), message.value.text)
          else console.warn("transcript message ignored:", message.error)
        }
      })
      joined.on(RoomEvent.Disconnected, () => setState({ kind: "ready" }))
      await joined.connect(access.url, access.token)
      room.current = joined
      await joined.localParticipant.setMicrophoneEnabled(true).catch(() => undefined)
      await joined.startAudio()
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

  return (
    <section class="card session" data-testid="a-session" data-state={state.kind}>
      <h2 class="card-title">LiveKit Room</h2>
      {hint && (
        <p class="hint" data-testid="say-this-hint">
          💬 Try saying: “{hint}”
          <button type="button" class="icon-button" aria-label="Hide hint" onClick={() => setHint(null)}>✕</button>
        </p>
      )}
      {state.kind === "unavailable"
        ? (
          <div class="notice" data-testid="a-unavailable">
            <p>
              Version A is not available on this server: LiveKit is not configured
              {state.detail ? ` (${state.detail})` : ""}. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET and
              run the agent to use it.
            </p>
            <a class="button" href="/student?v=b">Use Version B instead →</a>
          </div>
        )
        : state.kind === "joined"
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
              disabled={state.kind === "checking" || state.kind === "connecting"}
              onClick={() => void join()}
            >
              {state.kind === "connecting" ? "Connecting..." : "Join LiveKit Room"}
            </button>
            {state.kind === "failed" && <p class="error" role="alert">Could not join the room: {state.detail}</p>}
          </>
        )}
      <div ref={speakers} hidden />
    </section>
  )
}
