import { useEffect, useState } from "preact/hooks"

/** The current time, re-read every `periodMs`, for durations that must keep counting on screen. */
export function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs)
    return () => clearInterval(timer)
  }, [periodMs])
  return now
}
