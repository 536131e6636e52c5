import { followJob, orchestrate, ttsStream } from "../api/endpoints.ts"
import type { JobStatus } from "../api/messages.ts"
import type { AudioOut } from "../audio/AudioOut.ts"
import type { FlowStepId } from "../components/FlowVisualizer.tsx"

export interface TurnHooks {
  readonly onStep: (step: FlowStepId | null) => void
  readonly onSubject: (subject: string) => void
  readonly onSentence: (text: string) => void
  /** the guardrail rewrote or withheld a sentence of this answer */
  readonly onGuardrail: () => void
  /** the first sample of the answer is scheduled */
  readonly onAudioStart: () => void
  /** the job is finished (its answer is known); audio may still be playing */
  readonly onAnswer: (status: JobStatus) => void
}

const isAbort = (error: unknown): boolean => error instanceof DOMException && error.name === "AbortError"

/**
 * One question through Version B's backend: dispatch, follow the job's events, and play its speech
 * while it streams. The flow steps follow what really happened: classified → specialist, first safe
 * sentence → guardrail, first audio → tts, finished and silent → none. Resolves after the audio.
 */
export async function runTurn(
  sessionId: string,
  studentText: string,
  audio: AudioOut,
  hooks: TurnHooks,
  signal: AbortSignal
): Promise<JobStatus> {
  const jobId = await orchestrate(sessionId, studentText)
  let subjectSeen = false
  let sentences = 0
  let audioStarted = false
  let playback: Promise<void> | null = null

  const play = async (): Promise<void> => {
    try {
      const body = await ttsStream(jobId, sessionId, signal)
      await audio.playPcm(body, {
        signal,
        onFirstAudio: () => {
          audioStarted = true
          hooks.onStep("tts")
          hooks.onAudioStart()
        }
      })
    } catch (error) {
      // the answer is on screen either way; losing its speech must not lose the turn
      if (!isAbort(error)) console.warn("answer audio failed", error)
    }
  }

  try {
    const final = await followJob(jobId, {
      onStatus: (status) => {
        if (status.subject && !subjectSeen) {
          subjectSeen = true
          hooks.onSubject(status.subject)
          if (sentences === 0) hooks.onStep("specialist")
        }
        // /tts/stream follows the sentences as they are released once the job is processing
        if (status.status !== "pending" && status.status !== "error") playback ??= play()
      },
      onGuardrail: hooks.onGuardrail,
      onSentence: (text) => {
        sentences += 1
        if (sentences === 1 && !audioStarted) hooks.onStep("guardrail")
        hooks.onSentence(text)
      }
    }, signal)
    if (final.subject && !subjectSeen) hooks.onSubject(final.subject)
    hooks.onAnswer(final)
    if (final.status === "complete" && final.safe_text) playback ??= play()
    await playback
    return final
  } finally {
    hooks.onStep(null)
  }
}
