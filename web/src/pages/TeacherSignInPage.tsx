import { useEffect, useState } from "preact/hooks"
import { signIn } from "../api/teacher.ts"
import { TeacherLinkHelp } from "../components/TeacherLinkHelp.tsx"
import { errorMessage } from "../student/types.ts"

/** The link's token rides in the fragment (`/teacher/sign-in#<token>`), which browsers never send to a server. */
const tokenFromHash = (hash: string): string => {
  const raw = hash.replace(/^#/, "")
  try {
    return decodeURIComponent(raw).trim()
  } catch {
    return raw.trim()
  }
}

/** Drops the fragment from the address bar and history: a used link must not linger there. */
const forgetToken = () => window.history.replaceState(null, "", window.location.pathname + window.location.search)

type SignInState =
  | { readonly kind: "ready" | "signing-in" }
  | { readonly kind: "link-invalid"; readonly detail: string }
  | { readonly kind: "rate-limited"; readonly retryAfterSeconds: number | null }
  | { readonly kind: "failed"; readonly detail: string }

const waitText = (seconds: number | null) =>
  seconds === null ? "a few minutes" : seconds < 90 ? `${Math.ceil(seconds)} seconds` : `${Math.ceil(seconds / 60)} minutes`

/**
 * `/teacher/sign-in#<token>`: one button, pressed by the teacher. Nothing is sent on load, so a
 * mail scanner or link preview that opens the link cannot use it up before the teacher does.
 */
export function TeacherSignInPage() {
  // kept here: the fragment is removed from the address bar once it has been used
  const [token, setToken] = useState(() => tokenFromHash(window.location.hash))
  const [state, setState] = useState<SignInState>({ kind: "ready" })

  // a link pasted into this very page changes only the fragment, which reloads nothing
  useEffect(() => {
    const changed = () => {
      const next = tokenFromHash(window.location.hash)
      if (!next) return
      setToken(next)
      setState({ kind: "ready" })
    }
    window.addEventListener("hashchange", changed)
    return () => window.removeEventListener("hashchange", changed)
  }, [])

  const submit = async () => {
    setState({ kind: "signing-in" })
    try {
      const result = await signIn(token)
      switch (result.kind) {
        case "signed-in":
          forgetToken()
          // replace: Back must not lead to the spent link's page
          window.location.replace("/teacher")
          return
        case "link-invalid":
          forgetToken()
          setState({ kind: "link-invalid", detail: result.detail })
          return
        case "rate-limited":
          setState({ kind: "rate-limited", retryAfterSeconds: result.retryAfterSeconds })
          return
      }
    } catch (failure) {
      setState({ kind: "failed", detail: errorMessage(failure) })
    }
  }

  return (
    <main class="page teacher-page teacher-narrow">
      <header class="page-header">
        <h1>Teacher sign-in</h1>
        <a href="/">← Home</a>
      </header>
      {!token
        ? (
          <section class="card" data-testid="teacher-sign-in-no-link">
            <h2 class="card-title">This page needs your sign-in link</h2>
            <p>The address has no sign-in code. Open the full link you were given, exactly as it was sent.</p>
            <TeacherLinkHelp />
          </section>
        )
        : state.kind === "link-invalid"
        ? (
          <section class="card" role="alert" data-testid="teacher-sign-in-error" data-reason="link-invalid">
            <h2 class="card-title">This sign-in link does not work any more</h2>
            <p>
              Each link works only once and only for a limited time, so it was probably used already or has expired.
              Ask for a new one: <code class="command">tutor teacher link --email you@school.org</code>
            </p>
            <p class="muted">
              If you signed in with it a moment ago, you may already be in: <a href="/teacher">open the inbox</a>.
            </p>
          </section>
        )
        : (
          <section class="card session">
            <h2 class="card-title">Sign in as a teacher</h2>
            <p>You will see the students who need an adult, and can step into their sessions.</p>
            <button
              type="button"
              class="button"
              data-testid="teacher-sign-in-button"
              disabled={state.kind === "signing-in"}
              onClick={() => void submit()}
            >
              {state.kind === "signing-in" ? "Signing in…" : "Sign in as a teacher"}
            </button>
            {state.kind === "rate-limited" && (
              <p class="error" role="alert" data-testid="teacher-sign-in-error" data-reason="rate-limited">
                Too many sign-in attempts. Wait {waitText(state.retryAfterSeconds)}, then press the button again.
              </p>
            )}
            {state.kind === "failed" && (
              <p class="error" role="alert" data-testid="teacher-sign-in-error" data-reason="failed">
                Could not sign in: {state.detail}. Check your connection and try again.
              </p>
            )}
          </section>
        )}
    </main>
  )
}
