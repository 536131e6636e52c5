import { Landing } from "./pages/Landing.tsx"
import { StudentPage } from "./pages/StudentPage.tsx"
import { TeacherPage } from "./pages/TeacherPage.tsx"
import { TeacherSignInPage } from "./pages/TeacherSignInPage.tsx"
import type { Route } from "./route.ts"

/** Pages are separate documents (plain links), so the route is read once per load. */
export function App({ route }: { route: Route }) {
  switch (route.page) {
    case "landing":
      return <Landing />
    case "student":
      return <StudentPage version={route.version} tradeoff={route.tradeoff} activeStep={route.activeStep} />
    case "teacher":
      return <TeacherPage session={route.session} />
    case "teacher-sign-in":
      return <TeacherSignInPage />
    case "not-found":
      return (
        <main class="page">
          <h1>Page not found</h1>
          <p class="muted">Nothing lives at {route.path}.</p>
          <a class="button" href="/">Back to the start</a>
        </main>
      )
  }
}
