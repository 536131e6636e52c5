import { useMemo, useState } from "preact/hooks"
import type { Turn } from "../components/TranscriptPanel.tsx"

export interface Transcript {
  /** adds a line and returns its id, for the sentences that follow */
  readonly add: (speaker: string, text: string) => string
  readonly append: (id: string, text: string) => void
  readonly replace: (id: string, text: string) => void
}

/** The page's transcript; the returned functions are stable, so long-lived handlers may keep them. */
export function useTranscript(): [ReadonlyArray<Turn>, Transcript] {
  const [turns, setTurns] = useState<ReadonlyArray<Turn>>([])
  const transcript = useMemo<Transcript>(() => {
    let counter = 0
    const edit = (id: string, change: (text: string) => string) =>
      setTurns((current) => current.map((turn) => (turn.id === id ? { ...turn, text: change(turn.text) } : turn)))
    return {
      add: (speaker, text) => {
        const id = `turn-${++counter}`
        setTurns((current) => [...current, { id, speaker, text }])
        return id
      },
      append: (id, text) => edit(id, (current) => `${current} ${text}`.trim()),
      replace: (id, text) => edit(id, () => text)
    }
  }, [])
  return [turns, transcript]
}
