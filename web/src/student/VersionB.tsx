import { useEffect, useMemo, useRef, useState } from "preact/hooks"
import { escalate, mintRealtime } from "../api/endpoints.ts"
import { AudioOut } from "../audio/AudioOut.ts"
import { EscalationBanner } from "../components/EscalationBanner.tsx"
import { speakerLabel } from "../components/TranscriptPanel.tsx"
import { fillerInstructions, FillerSchedule } from "../realtime/filler.ts"
import { RealtimeConnection, type ToolCall } from "../realtime/RealtimeConnection.ts"
import { runTurn } from "./turn.ts"
import { errorMessage, type SessionProps } from "./types.ts"
import { useServerFeatures } from "./useServerFeatures.ts"
import { useStudentChannel } from "./useStudentChannel.ts"

type Mode =
  | { readonly kind: "idle" }
  | { readonly kind: "connecting" }
  | { readonly kind: "realtime"; readonly microphone: boolean }
  | { readonly kind: "local"; readonly note: string }

const STATUS_LABEL: Record<Mode["kind"], string> = {
  idle: "Idle",
  connecting: "Connecting",
  realtime: "Connected",
  local: "Typed questions"
}

const NO_REALTIME =
  "OpenAI Realtime is not configured on this server, so there is no live voice. Type a question or pick one; the tutor's answer is spoken by the backend."

/** Said before Start when `GET /config` already tells there is no Realtime voice. */
const TYPED_AHEAD =
  "This server has no OpenAI Realtime voice: questions are typed or picked, and the backend speaks the answers. You can ask right away."

const STUDENT_ASKED = "The student asked for a teacher"

/** After the backend has spoken, the voice may check in, never repeat the answer. */
/**
 * A teacher's message is spoken as well as shown (SPEC §4): by the Realtime voice when there is one,
 * else by the browser's own speech synthesis, since the backend only speaks its jobs' answers.
 */
const speakTeacher = (text: string, voice: RealtimeConnection | null): void => {
  if (voice) voice.respond(`A teacher has sent the student this message. Say it exactly, and nothing else: "${text}"`)
  else if ("speechSynthesis" in window) window.speechSynthesis.speak(new SpeechSynthesisUtterance(text))
}


/** Version B: the Realtime voice over WebRTC when the server has it, typed questions otherwise. */
export function VersionB({ sessionId, selected, transcript, onStep, showTradeoff }: SessionProps) {
  const features = useServerFeatures()
  const [mode, setMode] = useState<Mode>({ kind: "idle" })
  const [scheduledBytes, setScheduledBytes] = useState(0)
  const [playing, setPlaying] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState<string | null>(null)
  const [question, setQuestion] = useState("")
  const [voiceMuted, setVoiceMuted] = useState(false)
  const audio = useMemo(() => new AudioOut({ onScheduled: setScheduledBytes, onVoiceMuted: setVoiceMuted }), [])
  const filler = useMemo(() => new FillerSchedule(), [])
  const connection = useRef<RealtimeConnection | null>(null)
  const turn = useRef<AbortController | null>(null)
  const playingNow = useRef(false)

  const setPlayback = (value: boolean) => {
    playingNow.current = value
    setPlaying(value)
  }

  // the page's own request and the pipeline's escalations both come back on this channel
  const [help, dismissHelp] = useStudentChannel(sessionId, {
    onInject: (text) => {
      transcript.add("teacher", text)
      speakTeacher(text, connection.current)
    },
    onEscalation: () => showTradeoff("teacher")
  })

  /** Answers one question through the backend; `call` is set when the Realtime voice asked it. */
  const answer = async (studentText: string, call: ToolCall | null) => {
    turn.current?.abort()
    const abort = new AbortController()
    turn.current = abort
    const voice = call ? connection.current : null
    const quietFiller = () => {
      filler.stop()
      voice?.cancelResponse()
    }
    if (voice) filler.start((level) => voice.respond(fillerInstructions(level)))
    let speaker = "tutor"
    let line: string | null = null
    setError(null)
    try {
      await runTurn(sessionId, studentText, audio, {
        onStep,
        onGuardrail: () => showTradeoff("guardrail"),
        onSubject: (subject) => {
          speaker = speakerLabel("tutor", subject)
          if (subject === "english") showTradeoff("english")
        },
        onSentence: (text) => {
          quietFiller()
          if (line) transcript.append(line, text)
          else line = transcript.add(speaker, text)
        },
        onAudioStart: () => {
          quietFiller()
          setPlayback(true)
        },
        onAnswer: (status) => {
          quietFiller()
          const text = status.safe_text ?? ""
          if (status.status === "error") setError(`The tutor could not answer: ${status.error_message ?? "unknown error"}`)
          else if (line) transcript.replace(line, text)
          else if (text) line = transcript.add(speaker, text)
          if (voice && call) voice.answerToolCall(call.callId, JSON.stringify({ subject: status.subject, answer: text, status: status.status }))
        }
      }, abort.signal)
    } catch (failure) {
      if (!abort.signal.aborted) setError(`The tutor could not answer: ${errorMessage(failure)}`)
    } finally {
      quietFiller()
      if (turn.current === abort) setPlayback(false)
    }
  }

  /** The student cut the answer short (Stop button, or speaking over it). */
  const interrupt = () => {
    if (!playingNow.current) return
    turn.current?.abort()
    connection.current?.cancelResponse()
    setPlayback(false)
    showTradeoff("barge-in")
  }

  const ask = (text: string, voice: RealtimeConnection | null) => {
    transcript.add("student", text)
    if (voice) voice.sendText(text)
    else void answer(text, null)
  }

  const start = async () => {
    audio.unlock()
    showTradeoff("filler")
    setError(null)
    setMode({ kind: "connecting" })
    let voice: RealtimeConnection | null = null
    try {
      const access = await mintRealtime(sessionId)
      if (access.kind === "unavailable") {
        setMode({ kind: "local", note: NO_REALTIME })
      } else {
        voice = await RealtimeConnection.open(access.secret, access.model, audio, {
          onUserTranscript: (text) => transcript.add("student", text),
          onVoiceTranscript: (text) => transcript.add("voice", text),
          onToolCall: (call) => void answer(call.studentText, call),
          onSpeechStarted: interrupt,
          onClosed: (reason) => {
            // after Disconnect the page is already idle; only an unexpected end falls back to typing
            if (connection.current === null) return
            connection.current = null
            setMode({ kind: "local", note: `${reason} Typed questions still work.` })
          }
        })
        connection.current = voice
        setMode({ kind: "realtime", microphone: voice.hasMicrophone })
      }
    } catch (failure) {
      setMode({
        kind: "local",
        note: `The Realtime voice could not start (${errorMessage(failure)}). Typed questions still work; answers are spoken by the backend.`
      })
    }
    if (pending) ask(pending, voice)
    setPending(null)
  }

  /** Ends the call and any answer in progress; `connection` is cleared first so `onClosed` stays quiet. */
  const hangUp = () => {
    turn.current?.abort()
    filler.stop()
    const voice = connection.current
    connection.current = null
    voice?.close()
  }

  const disconnect = () => {
    hangUp()
    setMode({ kind: "idle" })
  }

  const askTeacher = async () => {
    try {
      await escalate(sessionId, STUDENT_ASKED)
    } catch (failure) {
      setError(`Could not reach a teacher: ${errorMessage(failure)}`)
    }
  }

  useEffect(() => {
    if (!selected) return
    if (mode.kind === "idle" || mode.kind === "connecting") setPending(selected.text)
    else ask(selected.text, connection.current)
  }, [selected])

  useEffect(() => hangUp, [])

  const started = mode.kind === "realtime" || mode.kind === "local"
  // known typed mode: the text box needs no session, so it is there before Start
  const typedAhead = mode.kind === "idle" && features.kind === "known" && !features.features.realtime
  return (
    <>
      {help && <EscalationBanner help={help} onDismiss={dismissHelp} />}
      <section
        class="card session"
        data-testid="b-session"
        data-mode={mode.kind}
        data-realtime={features.kind === "known" ? String(features.features.realtime) : undefined}
        data-audio-bytes={scheduledBytes}
        data-voice={mode.kind === "realtime" ? (voiceMuted ? "muted" : "live") : undefined}
      >
        <header class="session-header">
          <div>
            <h2 class="card-title">OpenAI Realtime Session</h2>
            <p class="muted">Direct browser→OpenAI WebRTC</p>
          </div>
          <div class="session-status">
            {playing && <span class="pulse" data-testid="backend-tts">🔊 Backend TTS</span>}
            {mode.kind === "realtime" && voiceMuted && <span class="muted">Realtime voice muted</span>}
            <span class={`status-dot status-${mode.kind}`} aria-hidden="true" />
            <span>{STATUS_LABEL[mode.kind]}</span>
          </div>
        </header>

        {!started && (
          <>
            <p>
              The tutor's voice runs on OpenAI Realtime directly from your browser; every answer comes from our backend,
              checked by the guardrail, and is spoken while it streams.
            </p>
            {typedAhead && <p class="notice" data-testid="typed-ahead">{TYPED_AHEAD}</p>}
            {pending && <p class="hint" data-testid="pending-question">💬 Start the session to ask: “{pending}”</p>}
            <button type="button" class="button" disabled={mode.kind === "connecting"} onClick={() => void start()}>
              {mode.kind === "connecting" ? "Connecting..." : "Start Session"}
            </button>
          </>
        )}

        {mode.kind === "realtime" && (
          <div class="row">
            <p>{mode.microphone ? "Connected — speak your question" : "Connected — no microphone, type your question"}</p>
            <button type="button" class="button secondary" onClick={disconnect}>Disconnect</button>
          </div>
        )}
        {mode.kind === "local" && <p class="notice" data-testid="local-mode">{mode.note}</p>}

        {(started || typedAhead) && (
          <form
            class="ask"
            onSubmit={(event) => {
              event.preventDefault()
              const text = question.trim()
              if (!text) return
              setQuestion("")
              audio.unlock()
              ask(text, connection.current)
            }}
          >
            <label for="student-question">Your question</label>
            <div class="row">
              <input
                id="student-question"
                data-testid="student-question-input"
                type="text"
                autocomplete="off"
                maxLength={2000}
                value={question}
                onInput={(event) => setQuestion(event.currentTarget.value)}
              />
              <button type="submit" class="button">Ask</button>
            </div>
          </form>
        )}

        <div class="row">
          {playing && <button type="button" class="button danger" data-testid="stop-audio" onClick={interrupt}>Stop</button>}
          <button type="button" class="button secondary" data-testid="ask-teacher" onClick={() => void askTeacher()}>Ask a teacher</button>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
      </section>
    </>
  )
}
